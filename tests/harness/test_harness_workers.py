"""The forked row writer (`workers=2`, what a large file gets on two cores) against the in-process one.

ENGINE.md §5: numbers at full float precision so two runs compare exactly. Rendering rows in a
child process is only a way to spend a second core: every file must be byte-identical to the
in-process run, on input with every awkward case, and a cancel or a failing writer must leave
nothing behind, not even the child.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness_tools import HEADER, write_configs
from tc1console.engine.harness import PARALLEL_MIN_BYTES, HarnessCancelled, run_harness

FILES = ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json")
T0 = 1_704_067_200_000
OVERLAY = {"max_concurrent_trades": 6, "fee_bps_per_side": 4.0, "default_qty_step": 0.01,
           "total_open_risk_cap": 400.0, "min_notional": 5.0}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked writer needs os.fork")


def awkward_rows(n: int, seed: int) -> list[str]:
    """Out of time order, explicit trade_ids (some repeated: retries and duplicates), ids that
    need quoting, bad rows, exits at their own entry time: every path the row writer has."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        ts = T0 + rng.randrange(0, 3_000) * 60_000
        xt = ts + rng.choice([0, 60_000, rng.randrange(0, 90) * 60_000])
        long = rng.random() < 0.5
        entry = round(rng.uniform(90, 110), 2)
        stop = round(entry - rng.uniform(0.2, 3), 2) if long else round(entry + rng.uniform(0.2, 3), 2)
        exit_ = round(entry + rng.uniform(-3, 4) * (1 if long else -1), 2)
        tid = f"t{k}"
        if k % 53 == 0:
            tid = f'"id ""{k}"", with a comma"'
        elif k % 41 == 0 and rows:
            tid = rows[-1].split(",", 1)[0]  # the previous row's id again
        row = f"{tid},{rng.choice('ABCD')},{'long' if long else 'short'},{ts},{entry},{stop},{xt},{exit_}"
        if k % 97 == 0:
            row = row.replace(f",{entry},", ",not-a-price,", 1)
        rows.append(row)
        if k % 131 == 0:
            rows.append(row)  # the very same row again: a harmless retry while it is open
    return rows


def run_both(tmp: Path, rows: list[str], **kw) -> tuple[Path, Path]:
    path = tmp / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, pol = write_configs(tmp / "c", OVERLAY, {"daily_loss_cap": 300.0, "max_trades_per_day": 400})
    one, two = tmp / "one", tmp / "two"
    run_harness(path, risk, one, pol, workers=1)
    run_harness(path, risk, two, pol, workers=2, **kw)
    return one, two


@pytest.mark.parametrize("seed", [1, 2])
def test_forked_writer_writes_the_same_bytes_as_the_in_process_one(tmp_path, seed):
    """9,000+ rows: more than two 4,096-event batches, so entries close in a later batch too."""
    one, two = run_both(tmp_path, awkward_rows(9_000, seed))
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    summary = (one / "summary.json").read_text()
    for reason in ("invalid_input", "duplicate_trade_id", "max_concurrent_trades", "daily_loss_cap",
                   "below_min_qty"):
        assert f'"{reason}": 0' not in summary, reason
    assert '"retried_opens": 0' not in summary


@pytest.mark.parametrize("rows", [
    ["t1,BTC,long,not-a-time,100,99,1704067260000,101", "t2,BTC,sideways,1704067200000,100,99,1704067260000,101"],
    ["t1,BTC,long,1704067200000,100,101,1704067260000,101"],  # the engine's own invalid_input: nothing taken
])
def test_a_file_with_nothing_to_replay_or_close_is_the_same_too(tmp_path, rows):
    """No valid row (so no first event and no start point), or no taken trade: both writers
    still give the same files."""
    one, two = run_both(tmp_path, rows)
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert '"trades_closed": 0' in (two / "summary.json").read_text()


def children() -> set[int]:
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return set(map(int, path.read_text().split())) if path.exists() else set()


def test_cancel_with_a_forked_writer_leaves_no_files_and_no_child(tmp_path):
    """A cancel mid-replay stops the child too: nothing is claimed, nothing keeps running."""
    rows = awkward_rows(9_000, 3)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path / "c", OVERLAY)
    out = tmp_path / "out"
    stop = threading.Event()
    before = children()

    def progress(done: int, total: int) -> None:
        if done > total // 2:  # into the replay: the child is rendering by now
            stop.set()

    with pytest.raises(HarnessCancelled):
        run_harness(path, risk, out, progress=progress, cancel=stop, workers=2)
    assert list(out.iterdir()) == []
    assert children() == before


def test_a_failing_writer_is_one_clear_error_and_keeps_nothing(tmp_path):
    """The child cannot write (a file size limit, as on a full disk): the run fails with one
    `tc1: error:` line naming the cause, exit 2, and leaves no summary.json or partial file."""
    rows = [f"t{k},BTC,long,{T0 + k * 60_000},100,99,{T0 + k * 60_000 + 30_000},101"
            for k in range(PARALLEL_MIN_BYTES // 40)]  # rows of ~50 bytes: past the threshold
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path / "c")
    out = tmp_path / "out"
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)); "
    proc = subprocess.run(
        [sys.executable, "-c", limit + "import sys; from tc1console.engine.harness import main; "
         "sys.exit(main())", "--trades_csv", str(path), "--risk_config", str(risk), "--out_dir", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("tc1: error:")]
    assert len(errors) == 1 and "cannot write outputs" in errors[0] and "File too large" in errors[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == []


def test_workers_must_be_1_2_or_none(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        run_harness(tmp_path / "t.csv", tmp_path / "r.toml", tmp_path / "out", workers=3)
