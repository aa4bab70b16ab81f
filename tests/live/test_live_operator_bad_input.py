"""Bad input to the operator actions from the live API (docs/live.md section 6): a withdrawal larger than
the balance, a zero, NaN or inf amount, unknown or closed ids, a filled_qty of 0, above the allocation
or off the step, a close price <= 0, an exit before the entry. Each is a clear one-line error of the
package's own type and nothing is written: the journal and both state files stay byte-identical, and
a good call after it still works."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest

from live_tools import T0, assert_files_equal_replay, files, make_root
from tc1console.engine.errors import Tc1Error
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
STEP = 0.001  # live_tools.OVERLAY's default_qty_step


@pytest.fixture
def traded(tmp_path: Path) -> Path:
    """c0 closed, x0 cancelled, open1 open (entered at T0 + 200)."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    live.try_open(trade_id="c0", entry_ts_ms=T0, **OPEN)
    live.close(trade_id="c0", exit_ts_ms=T0 + 100, exit_price=3_010.0)
    live.try_open(trade_id="x0", entry_ts_ms=T0 + 150, **OPEN)
    live.cancel("x0")
    live.try_open(trade_id="open1", entry_ts_ms=T0 + 200, **OPEN)
    return root


def _qty(live: LiveRisk) -> float:
    return next(p["qty"] for p in live.status(T0 + 300)["positions"]["rows"] if p["trade_id"] == "open1")


BAD: dict[str, tuple[Callable[[LiveRisk], Any], str]] = {
    # cash flows
    "withdraw-more-than-balance": (lambda lv: lv.adjust_balance(-(lv.status(T0)["balance"]["balance"] + 0.01)),
                                   "larger than the balance"),
    "flow-zero": (lambda lv: lv.adjust_balance(0.0), "other than 0"),
    "flow-nan": (lambda lv: lv.adjust_balance(float("nan")), "amount"),
    "flow-inf": (lambda lv: lv.adjust_balance(math.inf), "amount"),
    "flow-minus-inf": (lambda lv: lv.adjust_balance(-math.inf), "amount"),
    "flow-decimal-nan": (lambda lv: lv.adjust_balance(Decimal("NaN")), "amount"),
    "flow-text": (lambda lv: lv.adjust_balance("100"), "amount"),
    "flow-bool": (lambda lv: lv.adjust_balance(True), "amount"),
    "flow-none": (lambda lv: lv.adjust_balance(None), "amount"),
    "flow-id-not-text": (lambda lv: lv.adjust_balance(5.0, flow_id=7), "flow_id"),
    "flow-time-far-ahead": (lambda lv: lv.adjust_balance(5.0, ts_ms=T0 + 10 ** 12), "time"),
    "set-negative": (lambda lv: lv.set_balance(-1.0), "balance"),
    "set-nan": (lambda lv: lv.set_balance(float("nan")), "balance"),
    "set-inf": (lambda lv: lv.set_balance(math.inf), "balance"),
    # cancels
    "cancel-unknown": (lambda lv: lv.cancel("nope"), "nope"),
    "cancel-closed": (lambda lv: lv.cancel("c0"), "already closed"),
    "cancel-empty-id": (lambda lv: lv.cancel(""), "trade_id"),
    "cancel-id-not-text": (lambda lv: lv.cancel(5), "trade_id"),
    # partial fills
    "fill-zero": (lambda lv: lv.fill("open1", 0), "filled_qty"),
    "fill-negative": (lambda lv: lv.fill("open1", -STEP), "filled_qty"),
    "fill-above-allocation": (lambda lv: lv.fill("open1", round(_qty(lv) + STEP, 3)), "at most the allocation"),
    "fill-off-step": (lambda lv: lv.fill("open1", STEP * 1.5), "steps"),
    "fill-nan": (lambda lv: lv.fill("open1", float("nan")), "filled_qty"),
    "fill-inf": (lambda lv: lv.fill("open1", math.inf), "filled_qty"),
    "fill-text": (lambda lv: lv.fill("open1", "1"), "filled_qty"),
    "fill-unknown": (lambda lv: lv.fill("nope", STEP), "nope"),
    "fill-closed": (lambda lv: lv.fill("c0", STEP), "c0"),
    "fill-cancelled": (lambda lv: lv.fill("x0", STEP), "cancelled"),
    # manual exits
    "close-price-zero": (lambda lv: lv.close("open1", T0 + 300, 0.0, by="cli"), "exit_price"),
    "close-price-negative": (lambda lv: lv.close("open1", T0 + 300, -3_000.0, by="cli"), "exit_price"),
    "close-price-inf": (lambda lv: lv.close("open1", T0 + 300, math.inf, by="cli"), "exit_price"),
    "close-before-entry": (lambda lv: lv.close("open1", T0 + 199, 3_000.0, by="cli"), "before"),
    "close-unknown": (lambda lv: lv.close("nope", T0 + 300, 3_000.0, by="cli"), "nope"),
    "close-cancelled": (lambda lv: lv.close("x0", T0 + 300, 3_000.0, by="cli"), "cancelled"),
    # pause and resets
    "pause-reason-not-text": (lambda lv: lv.pause(5), "reason"),
    "reset-days-not-a-list": (lambda lv: lv.reset(days=5), "days"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_operator_input_is_one_clear_error_and_writes_nothing(traded: Path, case: str) -> None:
    """docs/live.md section 6: a clear error, state untouched (byte for byte, journal included)."""
    call, fragment = BAD[case]
    live = LiveRisk(traded)
    before = files(traded)
    with pytest.raises(Tc1Error) as err:
        call(live)
    message = str(err.value)
    assert fragment in message and "\n" not in message
    assert files(traded) == before
    # The store was left usable: a good action goes through and replays to the same state.
    live.adjust_balance(1.0, "after a refused call")
    assert_files_equal_replay(traded)
