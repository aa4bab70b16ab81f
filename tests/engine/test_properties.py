"""Invariants over random configs and trade sequences (ENGINE.md §2-§3), checked with Hypothesis."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tc1console.engine import config
from tc1console.engine.core import OpenResult, Position, RiskEngine
from tc1console.engine.sizing import Step

T0 = 1_700_000_000_000
STEPS = [0.001, 0.01, 0.1, 1.0, 0.5, 0.25, 0.05, 0.0001, 1e-8, 5.0, 0.3, 0.007]
SETTINGS = settings(max_examples=200, deadline=None)


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


def _dec(x: float) -> Decimal:
    return Decimal(repr(x))


def _is_step_multiple(qty: float, step: float) -> bool:
    with localcontext() as ctx:
        ctx.prec = 700
        return _dec(qty) % _dec(step) == 0


def _decimal_floor(x: float, step: float) -> float:
    with localcontext() as ctx:
        ctx.prec = 700
        return float((_dec(x) // _dec(step)) * _dec(step))


def _expected_budget(e: RiskEngine) -> float:
    o = e.overlay
    budget = o.flat_risk_amount if e.balance < o.flat_risk_until else e.balance * o.percent_risk
    if o.per_trade_risk_cap is not None:
        budget = min(budget, o.per_trade_risk_cap)
    if o.total_open_risk_cap is not None:
        budget = min(budget, o.total_open_risk_cap - e.total_open_risk)
    return budget


@SETTINGS
@given(raw=overlays(), data=st.data())
def test_random_trade_sequences_keep_every_sizing_and_booking_invariant(
        raw: dict[str, Any], data: st.DataObject) -> None:
    """ENGINE.md §2.5-2.9 and §3, over random trade sequences:
    - qty is a whole multiple of the symbol's step (checked in decimal) and never above the decimal
      floor of budget / per-unit risk (§2.7);
    - allocated risk == qty * per-unit risk <= budget (§2.6, §2.9);
    - with fees_in_risk a stop-out loses at most the budget including both fees (§1; the close
      formulas of §3 evaluate in another order than qty * unit risk, hence a 1e-12 relative slack);
    - open notional stays <= balance * max_leverage (§2.7, same slack);
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
            budget = _expected_budget(e)
            rules = e.overlay.rules_for(symbol)
            r = e.try_open(f"t{i}", symbol, is_long, ts, entry, stop)
            if r.skipped_reason is None:
                unit = abs(entry - stop) + (rules.fee_rate * (entry + stop) if e.overlay.fees_in_risk else 0.0)
                assert r.budget == budget
                assert _is_step_multiple(r.qty, rules.qty_step), (r.qty, rules.qty_step)
                assert 0 < r.qty <= _decimal_floor(budget / unit, rules.qty_step)
                assert r.risk_amount == r.qty * unit
                assert r.risk_amount <= budget, (r.risk_amount, budget)
                budgets[r.trade_id] = budget
                if e.overlay.max_leverage is not None:  # §2.7: exposure stays <= balance * lev
                    assert e.open_notional <= e.balance * e.overlay.max_leverage * (1 + 1e-12)
            else:
                assert (r.qty, r.risk_amount) == (0.0, 0.0)
        assert e.total_open_risk == math.fsum(p.alloc.risk_amount for p in e.positions.values())
        assert e.balance == expected_balance


@SETTINGS
@given(x=st.floats(), step=st.floats(min_value=0.0, exclude_min=True, allow_infinity=False))
def test_step_floor_fast_path_equals_the_decimal_reference(x: float, step: float) -> None:
    """ENGINE.md §2.7: `Step.floor` (float fast path) == `Step.floor_decimal` for any float and step,
    and the result is never above x (never rounds up)."""
    s = Step(step)
    got = s.floor(x)
    assert got == s.floor_decimal(x) or (math.isnan(got) and math.isnan(s.floor_decimal(x)))
    if x > 0:
        assert got <= x


@SETTINGS
@given(x=st.floats(min_value=0.0, max_value=1e9), step=st.sampled_from(STEPS))
def test_step_floor_is_the_largest_multiple_not_above_x_in_decimal(x: float, step: float) -> None:
    """ENGINE.md §2.7: a whole multiple of the step, in decimal over shortest reprs, never up."""
    got = Step(step).floor(x)
    assert _is_step_multiple(got, step)
    with localcontext() as ctx:
        ctx.prec = 700
        assert _dec(got) <= _dec(x) < _dec(got) + _dec(step)


def _reference_floor(x: float, step: float, price: float, limit: float) -> float:
    """ENGINE.md §2.7 taken literally: the decimal floor of x to the step, then one step down at a
    time while qty * price (a float product, as booked) would exceed `limit`."""
    s = Step(step)
    qty = s.floor_decimal(x)
    while qty > 0 and qty * price > limit:
        qty = s.floor_decimal(math.nextafter(qty, 0.0))
    return qty


@SETTINGS
@given(balance=st.floats(100.0, 1e6), lev=st.floats(0.01, 5.0), open_frac=st.floats(0.0, 0.99),
       entry=st.floats(0.001, 1e5), fit=st.floats(0.999, 1.001) | st.floats(0.2, 5.0),
       step=st.sampled_from(STEPS), risk=st.floats(0.001, 0.05))
def test_leverage_caps_qty_at_exactly_the_floor_of_the_room(balance: float, lev: float, open_frac: float,
                                                             entry: float, fit: float, step: float,
                                                             risk: float) -> None:
    """ENGINE.md §2.7: qty == min(floor(budget / unit risk), floor(room / entry)), each floored to
    the step in decimal, exactly, whether leverage binds or not. The engine skips the second floor
    when qty already fits the room; `fit` (the budget's qty over the room's) puts many cases right
    at that edge, to pin the shortcut to the literal rule."""
    raw = {"initial_balance": balance, "flat_risk_until": 0.0, "flat_risk_amount": 1.0, "percent_risk": risk,
           "max_leverage": lev, "default_qty_step": step, "default_min_qty": 0.0,
           "default_min_notional": 0.0, "fee_bps_per_side": 0.0}
    e = RiskEngine(config.validate("overlay", raw, "test"),  # type: ignore[arg-type]
                   config.validate("policy", {}, "test"))  # type: ignore[arg-type]
    held = balance * lev * open_frac  # an open position's notional, booked as a journal replay would
    if held > 0:
        e.apply_open(Position(OpenResult("held", "A", True, T0, 1.0, 0.5, held, 0.0, held, 0.0, None, ""), 0.0))
    budget, room = _expected_budget(e), e.balance * lev - e.open_notional
    stop = entry - budget / (room / entry * fit)  # so that budget / unit risk ~ fit * room / entry
    assume(0 < stop < entry)
    r = e.try_open("new", "A", True, T0, entry, stop)
    unit = entry - stop
    want = min(_reference_floor(budget / unit, step, unit, budget),
               _reference_floor(room / entry, step, entry, room))
    assert r.qty == want or (want == 0.0 and r.skipped_reason is not None), (r, want)
