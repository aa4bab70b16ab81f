"""The fast reader and renderer are accelerations only: without orjson, `tc1 harness` falls back to
the plain csv.reader / csv.writer ones and writes the very same bytes (docs/harness.md: numbers at
full precision, so two runs compare exactly). tests/backtest/test_reader_fast.py and
test_rows_fast.py hold the two implementations to each other piece by piece; this is the whole
run, as a user without orjson gets it, in one process and with the forked reader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness_tools import HEADER, awkward_rows, in_time_order, write_configs
from tc1console.backtest.runner import PARALLEL_MIN_BYTES

FILES = ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json")
WITHOUT_ORJSON = ("import sys; sys.modules['orjson'] = None  # import orjson now fails\n"
                  "from tc1console.cli import main; sys.exit(main())")


def tc1_harness(*args: str, without_orjson: bool) -> subprocess.CompletedProcess[str]:
    head = ["-c", WITHOUT_ORJSON] if without_orjson else ["-m", "tc1console"]
    return subprocess.run([sys.executable, *head, "harness", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("rows", [3_000, 30_000])  # one process; a file past PARALLEL_MIN_BYTES: forked
def test_without_orjson_the_plain_reader_and_writer_give_the_same_bytes(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "t.csv"
    lines = in_time_order(awkward_rows(rows, 11), jitter=5, seed=11)
    path.write_text("\n".join(["trade_id," + HEADER, *lines]) + "\n", encoding="utf-8")
    assert (path.stat().st_size >= PARALLEL_MIN_BYTES) == (rows == 30_000)
    risk, pol = write_configs(tmp_path / "c", {"max_concurrent_trades": 6, "fee_bps_per_side": 4.0,
                                                "default_qty_step": 0.01}, {"daily_loss_cap": 300.0})
    outs = {}
    for plain in (False, True):
        out = outs[plain] = tmp_path / ("plain" if plain else "fast")
        proc = tc1_harness("--trades_csv", str(path), "--risk_config", str(risk), "--policy_config", str(pol),
                           "--out_dir", str(out), without_orjson=plain)
        assert proc.returncode == 0, proc.stderr
    check = subprocess.run([sys.executable, "-c", WITHOUT_ORJSON.split("\n")[0] + "\nimport orjson"],
                           capture_output=True, text=True)
    assert check.returncode != 0 and "orjson" in check.stderr  # the plain run really had no orjson
    for name in FILES:
        assert (outs[True] / name).read_bytes() == (outs[False] / name).read_bytes(), name
    summary = (outs[True] / "summary.json").read_text()
    assert '"invalid_input": 0' not in summary and '"still_open": []' not in summary
