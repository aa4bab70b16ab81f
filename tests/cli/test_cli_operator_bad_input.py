"""Bad input to `tc1`'s operator actions (docs/live.md section 6; PREAMBLE "bad input never crashes or
corrupts"): one line on stderr naming what is wrong, exit 2, and the journal and both state files
byte-identical. Real `tc1` processes on a real root."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1
from tc1console.engine import store
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
ENTRY = NOW_MS - 10_000  # open1's entry, before the `tc1` processes' clock


@pytest.fixture(scope="module")
def traded(tmp_path_factory) -> tuple[Path, float, float]:
    """c0 closed, x0 cancelled, open1 open. Returns (root, open1's qty, its symbol's qty step).
    Shared by the module: every case checks it wrote nothing."""
    root = make_root(tmp_path_factory.mktemp("ops") / "root")
    live = LiveRisk(root)
    live.try_open(trade_id="c0", entry_ts_ms=NOW_MS - 60_000, **OPEN)
    live.close(trade_id="c0", exit_ts_ms=NOW_MS - 30_000, exit_price=3_010.0)
    live.try_open(trade_id="x0", entry_ts_ms=NOW_MS - 20_000, **OPEN)
    live.cancel("x0")
    qty = live.try_open(trade_id="open1", entry_ts_ms=ENTRY, **OPEN)["qty"]
    step = live.store.configs().overlay.rules_for("ETHUSDT").qty_step
    return root, qty, step


def runtime_bytes(root: Path) -> dict[str, bytes]:
    return {name: (root / "runtime" / name).read_bytes()
            for name in (store.JOURNAL_FILE, store.STATE_FILE, store.POLICY_FILE)}


CASES = {
    "withdraw-more-than-balance": (["balance", "withdraw", "1000000"], ["larger than the balance"]),
    "deposit-nan": (["balance", "deposit", "nan"], ["AMOUNT", "'nan'"]),
    "deposit-inf": (["balance", "deposit", "inf"], ["AMOUNT", "'inf'"]),
    "deposit-zero": (["balance", "deposit", "0"], ["AMOUNT", "above 0"]),
    "withdraw-zero": (["balance", "withdraw", "0"], ["AMOUNT", "above 0"]),
    "deposit-negative": (["balance", "deposit", "-5"], ["AMOUNT", "above 0"]),
    "deposit-text": (["balance", "deposit", "lots"], ["AMOUNT", "'lots'"]),
    "set-negative": (["balance", "set", "-1"], ["balance", ">= 0"]),
    "set-nan": (["balance", "set", "NaN"], ["AMOUNT", "'NaN'"]),
    "set-inf": (["balance", "set", "1e999"], ["AMOUNT", "'1e999'"]),
    "cancel-unknown": (["cancel", "nope"], ["nope"]),
    "cancel-closed": (["cancel", "c0"], ["c0", "already closed"]),
    "fill-zero": (["fill", "open1", "0"], ["filled_qty"]),
    "fill-nan": (["fill", "open1", "nan"], ["FILLED_QTY"]),
    "fill-unknown": (["fill", "nope", "0.01"], ["nope"]),
    "fill-closed": (["fill", "c0", "0.01"], ["c0"]),
    "fill-cancelled": (["fill", "x0", "0.01"], ["x0", "cancelled"]),
    "close-price-zero": (["close", "open1", "--price", "0"], ["exit_price"]),
    "close-price-negative": (["close", "open1", "--price=-3000"], ["exit_price"]),
    "close-price-nan": (["close", "open1", "--price", "nan"], ["--price"]),
    "close-at-before-entry": (["close", "open1", "--price", "3000", "--at", str(ENTRY - 1)], ["before"]),
    "close-at-not-a-time": (["close", "open1", "--price", "3000", "--at", "yesterday-ish"], ["--at"]),
    "close-unknown": (["close", "nope", "--price", "3000"], ["nope"]),
    "close-cancelled": (["close", "x0", "--price", "3000"], ["x0", "cancelled"]),
    "close-without-price": (["close", "open1"], ["--price"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_operator_input_is_one_line_exit_2_and_writes_nothing(traded, case: str) -> None:
    root, _qty, _step = traded
    args, fragments = CASES[case]
    before = runtime_bytes(root)
    proc = tc1(*args, root=root)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert_one_line_error(proc, *fragments)
    assert runtime_bytes(root) == before


@pytest.mark.parametrize("which", ["above-allocation", "off-step"])
def test_a_fill_above_the_allocation_or_off_the_step_is_refused(traded, which: str) -> None:
    root, qty, step = traded
    filled = qty + step if which == "above-allocation" else step * 1.5
    before = runtime_bytes(root)
    proc = tc1("fill", "open1", repr(filled), root=root)
    assert proc.returncode == 2
    assert_one_line_error(proc, "filled_qty", "allocation" if which == "above-allocation" else "steps")
    assert runtime_bytes(root) == before
