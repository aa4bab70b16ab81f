"""Invariants over random configs and trade sequences (docs/engine.md §2-§3), checked with Hypothesis."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from property_budget import examples
from tc1console.engine import config
from tc1console.engine.core import RiskEngine
from tests.engine.exact_reference import Case, reference

T0 = 1_700_000_000_000
STEPS = [0.001, 0.01, 0.1, 1.0, 0.5, 0.25, 0.05, 0.0001, 1e-8, 5.0, 0.3, 0.007]
SETTINGS = settings(max_examples=examples(200))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def overlays(draw: st.DrawFn) -> dict[str, Any]:
    money = lambda lo, hi: st.floats(min_value=lo, max_value=hi, allow_nan=False)  # noqa: E731
    raw: dict[str, Any] = {
        "initial_balance": draw(money(50.0, 1e6)),
        "flat_risk_amount": draw(money(0.5, 500.0)),
        "percent_risk": draw(money(0.0005, 0.05)),
        "default_qty_step": draw(st.sampled_from(STEPS)),
        "flat_risk_until": draw(money(0.0, 2e5)),
        "per_trade_risk_cap": draw(_maybe(money(0.0, 2_000.0))),
        "total_open_risk_cap": draw(_maybe(money(0.0, 5_000.0))),
        "max_concurrent_trades": draw(_maybe(st.integers(0, 6))),
        "max_leverage": draw(_maybe(money(0.0, 20.0))),
        "fee_bps_per_side": draw(st.sampled_from([0.0, 1.0, 2.5, 4.0, 7.5, 10.0]) | money(0.0, 50.0)),
        "fees_in_risk": draw(st.booleans()),
        "default_min_qty": draw(st.sampled_from([0.0, 0.001, 0.1, 1.0])),
        "default_min_notional": draw(st.sampled_from([0.0, 5.0, 100.0])),
        "symbol_overrides": {"B": {"qty_step": draw(st.sampled_from(STEPS)),
                                   "fee_bps_per_side": draw(money(0.0, 20.0))}},
    }
    return {k: v for k, v in raw.items() if v is not None}


def _case(e: RiskEngine, symbol: str, entry: float, stop: float) -> Case:
    """The engine's state at an entry, as the exact reference's input."""
    o, rules = e.overlay, e.overlay.rules_for(symbol)
    return Case(e.balance, o.percent_risk, entry, stop, rules.qty_step, o.flat_risk_until, o.flat_risk_amount,
                o.per_trade_risk_cap, o.total_open_risk_cap, e.total_open_risk, e.open_notional, o.max_leverage,
                rules.fee_bps, o.fees_in_risk, rules.min_qty, rules.min_notional)


@SETTINGS
@given(raw=overlays(), data=st.data())
def test_random_trade_sequences_keep_every_sizing_and_booking_invariant(
        raw: dict[str, Any], data: st.DataObject) -> None:
    """docs/engine.md §2.5-2.9 and §3, over random trade sequences:
    - every allocation (qty, risk_amount, notional, budget, or the skip reason) equals the exact
      Fraction reference of §2.5-2.8 at the engine's state (exact_reference.py);
    - qty is a whole multiple of the symbol's step and qty * per-unit risk <= budget, exactly;
    - with fees_in_risk a stop-out loses at most the budget including both fees (§1; the close
      formulas of §3 are float arithmetic, hence a 1e-12 relative slack);
    - total_open_risk == math.fsum of open positions' risk, always (engine choice);
    - balance == initial + the sequential sum of realized pnl_after_fees (§3)."""
    e = RiskEngine(config.validate("overlay", raw, "test"),  # type: ignore[arg-type]
                   config.validate("policy", {}, "test"))  # type: ignore[arg-type]
    expected_balance = raw["initial_balance"]
    ts, budgets = T0, {}
    for i in range(data.draw(st.integers(1, 30), label="events")):
        ts += data.draw(st.integers(0, 3 * 86_400_000), label="dt")
        if e.positions and data.draw(st.booleans(), label="close?"):
            tid = data.draw(st.sampled_from(sorted(e.positions)), label="close id")
            a = e.positions[tid].alloc
            at_stop = data.draw(st.booleans(), label="at stop?")
            exit_price = a.stop_price if at_stop else a.entry_price * data.draw(
                st.floats(0.5, 1.5), label="exit factor")
            r = e.close(tid, ts, exit_price)
            if at_stop and e.overlay.fees_in_risk:
                assert -r.pnl_after_fees <= budgets[tid] * (1 + 1e-12), (r, budgets[tid])
            expected_balance += r.pnl_after_fees
        else:
            symbol = data.draw(st.sampled_from(["A", "B"]), label="symbol")
            is_long = data.draw(st.booleans(), label="is_long")
            entry = data.draw(st.floats(0.01, 1e5), label="entry")
            frac = data.draw(st.floats(1e-4, 0.5), label="stop distance")
            stop = entry * (1 - frac) if is_long else entry * (1 + frac)
            case = _case(e, symbol, entry, stop)
            limit = e.overlay.max_concurrent_trades
            # sizing runs once the slots and the balance allow an entry (section 2 items 4-5)
            want = reference(case) if (limit is None or len(e.positions) < limit) and e.balance > 0 else None
            r = e.try_open(f"t{i}", symbol, is_long, ts, entry, stop)
            if want is not None:
                assert (r.qty, r.risk_amount, r.notional, r.budget, r.skipped_reason) == tuple(want), (r, want)
            if r.skipped_reason is None:
                step = Fraction(repr(case.step))
                assert Fraction(repr(r.qty)) % step == 0
                budgets[r.trade_id] = r.budget
            else:
                assert (r.qty, r.risk_amount) == (0.0, 0.0)
        assert e.total_open_risk == math.fsum(p.alloc.risk_amount for p in e.positions.values())
        assert e.balance == expected_balance


@SETTINGS
@given(data=st.data(), cap=st.floats(10.0, 500.0), risk=st.floats(0.002, 0.05),
       fee=st.sampled_from([0.0, 4.0, 10.0]))
def test_daily_loss_including_open_risk_keeps_every_days_worst_case_within_the_cap(
        data: st.DataObject, cap: float, risk: float, fee: float) -> None:
    """docs/engine.md 7 and 2.5: with daily_loss_includes_open_risk, right after every entry taken its
    day's realized loss plus the risk of every open position (each stopped out, both fees included)
    is within daily_loss_cap; and through the first day (every position opened that day) it stays so
    at every moment: a close at its stop moves risk into the loss, one at a profit lowers both. (A
    later day that starts with positions carried over can lose more: the rule counts today's pnl,
    so a winning day leaves room for more.)"""
    overlay = config.validate("overlay", {"initial_balance": 10_000.0, "flat_risk_amount": 1.0,
                                          "percent_risk": risk, "default_qty_step": 0.001,
                                          "fee_bps_per_side": fee}, "test")
    policy = config.validate("policy", {"daily_loss_cap": cap, "daily_loss_includes_open_risk": True}, "test")
    e = RiskEngine(overlay, policy)  # type: ignore[arg-type]
    day0 = T0 - T0 % 86_400_000
    ts = day0
    for i in range(data.draw(st.integers(1, 40), label="events")):
        ts += data.draw(st.integers(0, 4 * 3_600_000), label="dt")
        taken = False
        if e.positions and data.draw(st.booleans(), label="close?"):
            tid = data.draw(st.sampled_from(sorted(e.positions)), label="close id")
            a = e.positions[tid].alloc
            exit_price = a.stop_price if data.draw(st.booleans(), label="stopped?") else a.entry_price * 1.01
            e.close(tid, max(ts, a.entry_ts_ms), exit_price)
        else:
            entry = data.draw(st.floats(1.0, 1_000.0), label="entry")
            r = e.try_open(f"t{i}", "A", True, ts, entry, entry * (1 - data.draw(st.floats(0.001, 0.2), label="stop")))
            taken = r.skipped_reason is None
        if taken or ts < day0 + 86_400_000:
            worst = -e.today(ts).pnl + math.fsum(p.alloc.risk_amount for p in e.positions.values())
            assert worst <= cap * (1 + 1e-9), (worst, cap)
