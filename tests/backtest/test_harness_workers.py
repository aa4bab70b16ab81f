"""The forked reader and row writer (`workers=2`, what a large file gets on two cores) against one process.

docs/harness.md: numbers at full float precision so two runs compare exactly. Reading and rendering
in a child process, with the replay going ahead on the rows as they stream in, is only a way to
spend a second core: every file must be byte-identical to the in-process run, on input with
every awkward case, in time order or not; a bad file must give the same one error; and a cancel
or a failing child must leave nothing behind, not even the child.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness_tools import HEADER, awkward_rows, in_time_order, write_configs
from tc1console.backtest import HarnessCancelled, fast_reader, forked, run_harness, writer
from tc1console.backtest.runner import PARALLEL_MIN_BYTES
from tc1console.engine.errors import InputError

FILES = ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json")
T0 = 1_704_067_200_000
OVERLAY = {"max_concurrent_trades": 6, "fee_bps_per_side": 4.0, "default_qty_step": 0.01,
           "total_open_risk_cap": 400.0, "min_notional": 5.0}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked writer needs os.fork")


def spy_disorder(monkeypatch) -> list[bool]:
    """Records, per forked run, whether the replay that went ahead on the stream had to start
    again (True) because a later row came before one it had replayed. Behaviour is unchanged."""
    seen: list[bool] = []
    real = forked.ForkedReader.replay_order

    def replay_order(self, tick):
        try:
            yield from real(self, tick)
        except forked.Disorder:
            seen.append(True)
            raise
        seen.append(False)
    monkeypatch.setattr(forked.ForkedReader, "replay_order", replay_order)
    return seen


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
    assert '"still_open": []' not in summary


@pytest.mark.parametrize("block_chars, stream_rows, jitter", [(600, 1, 3), (5_000, 97, 20), (1 << 15, 4096, 30)])
def test_replay_goes_ahead_on_a_stream_in_time_order_and_writes_the_same_bytes(
        tmp_path, monkeypatch, block_chars, stream_rows, jitter):
    """A file in time order give or take a few rows: the replay runs on each message of rows as
    it arrives (waiting rows re-sorted with the next message's), never has to start again, and
    every file equals the in-process run's. Messages of ~10 rows (a block) to 4,096."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", block_chars)
    monkeypatch.setattr(forked, "STREAM_ROWS", stream_rows)
    restarted = spy_disorder(monkeypatch)
    one, two = run_both(tmp_path, in_time_order(awkward_rows(9_000, 5), jitter=jitter, seed=5))
    assert restarted == [False]
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_a_later_row_before_a_replayed_one_starts_the_replay_again(tmp_path, monkeypatch):
    """Rows out of time order beyond one message: the replay that went ahead is dropped before
    any of it reaches the child, and the whole table is replayed afresh: the same bytes again."""
    monkeypatch.setattr(forked, "STREAM_ROWS", 500)
    restarted = spy_disorder(monkeypatch)
    one, two = run_both(tmp_path, awkward_rows(9_000, 6))
    assert restarted == [True]
    for name in FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


@pytest.mark.parametrize("at", [10, 5_000, 8_999])
def test_a_file_the_forked_reader_cannot_read_is_the_same_one_error(tmp_path, monkeypatch, at):
    """Bad UTF-8 on some row: the child says why, the run raises the very InputError one process
    raises (naming the line), and keeps no file and no child."""
    monkeypatch.setattr(forked, "STREAM_ROWS", 500)
    rows = in_time_order(awkward_rows(9_000, 7), jitter=0, seed=7)
    path = tmp_path / "t.csv"
    path.write_bytes(("\n".join(["trade_id," + HEADER, *rows[:at]]) + "\n").encode() + b"\xff" +
                     ("\n".join(rows[at:]) + "\n").encode())
    risk, _ = write_configs(tmp_path / "c", OVERLAY)
    errors = []
    forks = record_forks(monkeypatch)
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        with pytest.raises(InputError) as caught:
            run_harness(path, risk, out, workers=workers)
        errors.append(str(caught.value))
        assert len(forks) <= workers - 1  # (a bad first rows fail before a helper is forked)
        for pid in forks:
            assert_reaped(pid)  # the helper was waited for before the error came
        assert not out.exists() or not any(out.iterdir())
    assert errors[0] == errors[1] and "not UTF-8 text near line" in errors[0]


@pytest.mark.parametrize("content", [b"", b"symbol,side\n", None])
def test_a_bad_header_fails_before_out_dir_is_touched(tmp_path, content):
    """An empty file, a missing column or no file at all: the same error as one process, and no
    out_dir created for a run that never started."""
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_bytes(content)
    risk, _ = write_configs(tmp_path / "c", OVERLAY)
    errors = []
    for workers in (1, 2):
        with pytest.raises(InputError) as caught:
            run_harness(path, risk, tmp_path / "out", workers=workers)
        errors.append(str(caught.value))
        assert not (tmp_path / "out").exists()
    assert errors[0] == errors[1]


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


def record_forks(monkeypatch) -> list[int]:
    """The pids of the processes `os.fork` makes in this process from now on (the harness's helper)."""
    pids: list[int] = []
    fork = os.fork

    def recording_fork() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    return pids


def assert_reaped(pid: int) -> None:
    """`pid` has exited and been waited for: it is neither running nor a zombie child of ours."""
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # (0, 0) while it runs, its status while a zombie


@pytest.mark.parametrize("when", ["while it reads", "mid-replay"])
def test_cancel_with_a_forked_reader_leaves_no_files_and_no_child(tmp_path, monkeypatch, when):
    """A cancel while the child still reads, or mid-replay, stops the child too: nothing is
    claimed, nothing keeps running."""
    monkeypatch.setattr(forked, "STREAM_ROWS", 200)
    rows = in_time_order(awkward_rows(9_000, 3), jitter=5, seed=3)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path / "c", OVERLAY)
    out = tmp_path / "out"
    stop = threading.Event()
    forks = record_forks(monkeypatch)

    def progress(done: int, total: int) -> None:
        if when == "while it reads" or done > total * 3 // 4:
            stop.set()

    with pytest.raises(HarnessCancelled):
        run_harness(path, risk, out, progress=progress, cancel=stop, workers=2)
    assert list(out.iterdir()) == []
    assert len(forks) == 1  # the helper ran, and was stopped and waited for before the cancel returned
    assert_reaped(forks[0])


KILLED_MID_RUN = """
import os, signal, sys
from pathlib import Path
from tc1console.backtest import forked, run_harness
trades, risk, out, at, pid_file = sys.argv[1:]
forked.STREAM_ROWS = 200
fork = os.fork
def recording_fork():  # the helper's pid, for the test to watch it
    pid = fork()
    if pid:
        Path(pid_file).write_text(str(pid))
    return pid
os.fork = recording_fork
def progress(done, total):
    if done >= total * float(at):
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of its own: the helper must notice
run_harness(trades, risk, out, progress=progress, workers=2)
"""


FINISHED = sorted([writer.OPEN_ALLOCATIONS, writer.REALIZED_PNL, writer.EQUITY_CURVE, writer.SUMMARY])


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="waits for the helper with a pidfd (Linux)")
@pytest.mark.parametrize("at", [0.02, 0.6, 0.95])
def test_a_killed_replay_process_leaves_no_helper_and_no_partial_files(tmp_path, at):
    """SIGKILL of the harness process (no handler runs) while its helper reads or renders: the
    helper sees its pipes end without the last result, deletes the partial files it was
    writing and exits, instead of writing on into them for nothing."""
    rows = in_time_order(awkward_rows(30_000, 5), jitter=5, seed=5)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path / "c", OVERLAY)
    out, pid_file = tmp_path / "out", tmp_path / "helper.pid"
    proc = subprocess.run([sys.executable, "-c", KILLED_MID_RUN, str(path), str(risk), str(out), str(at),
                           str(pid_file)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    try:
        helper = os.pidfd_open(int(pid_file.read_text()))
    except ProcessLookupError:
        pass  # it has already gone
    else:
        with os.fdopen(helper) as fd:
            assert select.select([fd], [], [], 60)[0], "the helper is still running"
    left = sorted(p.name for p in out.iterdir())
    # Nothing, or (on a loaded machine the reader's progress is reported by time, so the first call
    # past `at` can be the finished run's last) the finished run's four outputs: never a part of one.
    assert left in ([], FINISHED), left


@pytest.mark.parametrize("rows_in", [PARALLEL_MIN_BYTES // 40, 3_000])  # rows of ~50 bytes: forked, one process
def test_a_failing_writer_is_one_clear_error_and_keeps_nothing(tmp_path, rows_in):
    """The outputs cannot be written (a file size limit, as on a full disk), by the forked
    writer or in one process: the run fails with one `tc1: error:` line naming the cause, exit
    2, and leaves no summary.json or partial file."""
    rows = [f"t{k},BTC,long,{T0 + k * 60_000},100,99,{T0 + k * 60_000 + 30_000},101"
            for k in range(rows_in)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(["trade_id," + HEADER, *rows]) + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path / "c")
    out = tmp_path / "out"
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)); "
    proc = subprocess.run(
        [sys.executable, "-c", limit + "import sys; from tc1console.cli import main; sys.exit(main())",
         "harness", "--trades_csv", str(path), "--risk_config", str(risk), "--out_dir", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("tc1: error:")]
    assert len(errors) == 1 and "cannot write outputs" in errors[0] and "File too large" in errors[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == []


def test_workers_must_be_1_2_or_none(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        run_harness(tmp_path / "t.csv", tmp_path / "r.toml", tmp_path / "out", workers=3)
