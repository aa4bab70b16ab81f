"""RiskEngine.try_open: each numbered check of docs/engine.md §2, and the order they run in."""

from __future__ import annotations

import copy
import math
from fractions import Fraction
from typing import Any

import pytest

from tc1console.engine import config, core
from tc1console.engine.core import RiskEngine

BASE = {"initial_balance": 10_000.0, "flat_risk_amount": 25.0, "percent_risk": 0.01,
        "default_qty_step": 0.001}
T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
NOV_15 = 1_700_006_400_000  # 2023-11-15T00:00:00Z
DAY_MS = 86_400_000
ARGS = dict(trade_id="t1", symbol="BTCUSDT", is_long=True, entry_ts_ms=T0, entry_price=100.0,
            stop_price=95.0)


def make(policy: dict | None = None, balance: float | None = None, **overlay: Any) -> RiskEngine:
    ov = config.validate("overlay", {**BASE, **overlay}, "test")
    pol = config.validate("policy", policy or {}, "test")
    return RiskEngine(ov, pol, balance=balance)  # type: ignore[arg-type]


def reconfigure(e: RiskEngine, policy: dict | None = None, **overlay: Any) -> None:
    e.set_config(config.validate("overlay", {**BASE, **overlay}, "test"),  # type: ignore[arg-type]
                 config.validate("policy", policy or {}, "test"))  # type: ignore[arg-type]


def open_(e: RiskEngine, **kw: Any) -> core.OpenResult:
    return e.try_open(**{**ARGS, **kw})


def snapshot(e: RiskEngine) -> Any:
    return copy.deepcopy((e.balance, e.total_open_risk, e.open_notional, dict(e.positions),
                          e.days_state(), list(e.equity_points), dict(e.recent_closes)))


def test_skip_reasons_are_listed_in_check_order() -> None:
    """docs/engine.md §2: checks run in this order; the first that fails gives skipped_reason."""
    assert core.SKIP_REASONS == (
        "invalid_input", "duplicate_trade_id", "paused", "equity_floor", "max_drawdown", "daily_loss_cap",
        "weekly_loss_cap", "monthly_loss_cap", "max_trades_per_day", "loss_streak", "symbol_cooldown",
        "max_concurrent_trades", "total_open_risk_cap", "max_leverage", "below_min_qty", "below_min_notional")


# --- §2.1 input validation ---------------------------------------------------------------------------

INVALID = [
    ({"entry_price": math.nan}, "entry_price"),
    ({"entry_price": math.inf}, "entry_price"),
    ({"entry_price": 0.0}, "entry_price"),
    ({"entry_price": -100.0}, "entry_price"),
    ({"entry_price": "100"}, "entry_price"),
    ({"entry_price": True}, "entry_price"),
    ({"entry_price": 10**400}, "entry_price"),  # an int no float can hold
    ({"stop_price": math.nan}, "stop_price"),
    ({"stop_price": -math.inf}, "stop_price"),
    ({"stop_price": 0}, "stop_price"),
    ({"stop_price": None}, "stop_price"),
    ({"stop_price": 100.0}, "stop_price must differ from entry_price"),
    ({"stop_price": 100}, "stop_price must differ from entry_price"),
    ({"stop_price": 105.0}, "stop_price 105.0 must be below entry_price 100.0 for a long"),
    ({"is_long": False}, "stop_price 95.0 must be above entry_price 100.0 for a short"),
    ({"symbol": ""}, "symbol"),
    ({"symbol": None}, "symbol"),
    ({"trade_id": ""}, "trade_id"),
    ({"trade_id": 7}, "trade_id"),
    ({"is_long": 1}, "is_long"),
    ({"entry_ts_ms": 1_700_000_000}, "entry_ts_ms"),  # seconds by mistake
    ({"entry_ts_ms": 99_999_999_999}, "entry_ts_ms"),  # just below 1e11
    ({"entry_ts_ms": 1.7e12 + 0.5}, "entry_ts_ms"),  # not whole milliseconds
    ({"entry_ts_ms": math.nan}, "entry_ts_ms"),
    ({"entry_ts_ms": "1700000000000"}, "entry_ts_ms"),
    ({"entry_ts_ms": True}, "entry_ts_ms"),
    ({"entry_ts_ms": None}, "entry_ts_ms"),
    ({"entry_ts_ms": 253_402_300_800_000}, "entry_ts_ms"),  # 10000-01-01: no UTC day key exists
    ({"entry_ts_ms": 10**18}, "entry_ts_ms"),
    ({"entry_ts_ms": 1e300}, "entry_ts_ms"),
]


@pytest.mark.parametrize(("bad", "named"), INVALID)
def test_invalid_input_is_skipped_with_a_detail_naming_the_field(bad: dict, named: str) -> None:
    """docs/engine.md §2.1: non-finite or <= 0 prices, stop == entry, stop on the wrong side, empty symbol
    or trade_id, timestamp not an integer ms epoch (>= 1e11; engine choice) -> invalid_input."""
    e = make(policy={"max_trades_per_day": 5})
    before = snapshot(e)
    r = open_(e, **bad)
    assert r.skipped_reason == "invalid_input"
    assert named in r.detail
    assert (r.qty, r.risk_amount, r.notional) == (0.0, 0.0, 0.0)
    assert snapshot(e) == before


@pytest.mark.parametrize(("ts", "stored"), [
    (100_000_000_000, 100_000_000_000),  # exactly 1e11 is a ms epoch
    (1.7e12, 1_700_000_000_000),  # an integral float is accepted and stored as an int
    (253_402_300_799_999, 253_402_300_799_999),  # the last ms of 9999-12-31
])
def test_integer_ms_timestamps_are_accepted_including_integral_floats(ts: Any, stored: int) -> None:
    """docs/engine.md §2.1 (engine choice): an integer ms epoch >= 1e11; integral floats count as integers."""
    e = make()
    r = open_(e, entry_ts_ms=ts)
    assert r.skipped_reason is None
    assert r.entry_ts_ms == stored and type(r.entry_ts_ms) is int


# --- §2.2 duplicate trade ids ------------------------------------------------------------------------

def test_retried_open_with_equal_arguments_returns_the_existing_allocation() -> None:
    """docs/engine.md §2.2: a retried call after a crash is harmless: the same allocation, nothing counted."""
    e = make()
    first = open_(e)
    after_first = snapshot(e)
    again = open_(e, entry_price=100, entry_ts_ms=float(T0))  # equal values, other number types
    assert again == first and again.skipped_reason is None and again.qty == 20.0
    assert snapshot(e) == after_first
    assert e.days_state() == {"2023-11-14": {"entries": 1, "pnl": 0.0}}


@pytest.mark.parametrize("change", [{"stop_price": 96.0}, {"entry_price": 101.0}, {"symbol": "ETHUSDT"},
                                    {"entry_ts_ms": T0 + 1}, {"is_long": False, "stop_price": 105.0}])
def test_open_trade_id_with_other_arguments_is_duplicate_trade_id(change: dict) -> None:
    """docs/engine.md §2.2: trade_id already open with any argument different -> duplicate_trade_id."""
    e = make()
    open_(e)
    before = snapshot(e)
    r = open_(e, **change)
    assert (r.skipped_reason, r.qty) == ("duplicate_trade_id", 0.0)
    assert "'t1'" in r.detail
    assert snapshot(e) == before


def test_closed_trade_id_is_duplicate_trade_id() -> None:
    """docs/engine.md §2.2: a trade_id that was already closed (within the kept history) -> duplicate."""
    e = make()
    open_(e)
    e.close("t1", T0 + 1, 101.0)
    before = snapshot(e)
    r = open_(e, entry_ts_ms=T0 + 2)
    assert (r.skipped_reason, r.detail) == ("duplicate_trade_id", "trade_id 't1' was already closed")
    assert snapshot(e) == before


# --- §2.3 rails --------------------------------------------------------------------------------------

def test_equity_floor_blocks_entries_while_balance_is_at_or_below_it() -> None:
    """docs/engine.md §2.3 / §1: equity_floor blocks new entries while balance <= floor."""
    e = make(policy={"equity_floor": 10_000.0})
    r = open_(e)
    assert (r.skipped_reason, r.qty) == ("equity_floor", 0.0)
    assert r.detail == "balance 10,000.00 <= equity floor 10,000.00"  # money, not a float repr (issue 12)
    assert open_(make(policy={"equity_floor": 9_999.99})).skipped_reason is None


@pytest.mark.parametrize("balance", [0.0, -250.0])
def test_balance_at_or_below_zero_blocks_entries_without_a_configured_floor(balance: float) -> None:
    """Engine choice (contract silent): a balance <= 0 blocks entries with reason equity_floor."""
    e = make(balance=balance)
    before = snapshot(e)
    assert open_(e).skipped_reason == "equity_floor"
    assert snapshot(e) == before


def test_daily_loss_cap_blocks_entries_once_todays_realized_loss_reaches_it() -> None:
    """docs/engine.md §2.3 / §1: daily_loss_cap blocks once today's (the entry's UTC day) loss >= cap."""
    e = make(policy={"daily_loss_cap": 100.0})
    open_(e)  # qty 20, stop 5 away: a stop-out loses exactly 100
    e.close("t1", T0 + 1_000, 95.0)
    r = open_(e, trade_id="t2", entry_ts_ms=T0 + 2_000)
    assert r.skipped_reason == "daily_loss_cap"
    assert r.detail == "today's loss 100.00 >= daily loss cap 100.00"
    assert open_(e, trade_id="t3", entry_ts_ms=NOV_15).skipped_reason is None  # a new UTC day


def test_max_trades_per_day_blocks_entries_after_n_opens_in_the_utc_day() -> None:
    """docs/engine.md §2.3 / §1: after N opens in the same UTC day of entry_ts_ms, block new entries."""
    e = make(policy={"max_trades_per_day": 2})
    assert open_(e, trade_id="a").skipped_reason is None
    assert open_(e, trade_id="b", entry_ts_ms=NOV_15 - 1).skipped_reason is None  # 23:59:59.999
    r = open_(e, trade_id="c", entry_ts_ms=NOV_15 - 1)
    assert (r.skipped_reason, r.detail) == ("max_trades_per_day", "2 entries today, max 2")
    assert open_(e, trade_id="d", entry_ts_ms=NOV_15).skipped_reason is None
    assert e.days_state() == {"2023-11-14": {"entries": 2, "pnl": 0.0},
                              "2023-11-15": {"entries": 1, "pnl": 0.0}}


# --- §2.4 concurrency --------------------------------------------------------------------------------

def test_max_concurrent_trades_blocks_when_that_many_are_open() -> None:
    """docs/engine.md §2.4: max_concurrent_trades."""
    e = make(max_concurrent_trades=2)
    open_(e, trade_id="a")
    open_(e, trade_id="b")
    r = open_(e, trade_id="c")
    assert (r.skipped_reason, r.detail) == ("max_concurrent_trades", "2 open, max 2")
    e.close("a", T0 + 1, 100.0)
    assert open_(e, trade_id="c", entry_ts_ms=T0 + 2).skipped_reason is None


# --- §2.5 risk budget --------------------------------------------------------------------------------

def test_budget_is_flat_amount_below_flat_risk_until() -> None:
    """docs/engine.md §2.5: flat_risk_amount if balance < flat_risk_until."""
    r = open_(make(balance=4_999.0, flat_risk_until=5_000.0))
    assert (r.budget, r.qty, r.risk_amount) == (25.0, 5.0, 25.0)


def test_budget_is_percent_of_balance_at_flat_risk_until() -> None:
    """docs/engine.md §2.5: else balance * percent_risk (at the threshold counts as at-or-above)."""
    r = open_(make(balance=5_000.0, flat_risk_until=5_000.0))
    assert (r.budget, r.qty, r.risk_amount) == (50.0, 10.0, 50.0)


def test_budget_is_capped_by_per_trade_risk_cap() -> None:
    """docs/engine.md §2.5: then min(budget, per_trade_risk_cap)."""
    r = open_(make(per_trade_risk_cap=40.0))
    assert (r.budget, r.qty, r.risk_amount) == (40.0, 8.0, 40.0)


def test_budget_is_limited_to_total_open_risk_headroom() -> None:
    """docs/engine.md §2.5: headroom = cap - total_open_risk; budget = min(budget, headroom)."""
    e = make(total_open_risk_cap=150.0)
    assert open_(e, trade_id="a").risk_amount == 100.0
    r = open_(e, trade_id="b")
    assert (r.budget, r.qty, r.risk_amount) == (50.0, 10.0, 50.0)
    assert e.total_open_risk == 150.0


def test_no_total_open_risk_headroom_is_total_open_risk_cap() -> None:
    """docs/engine.md §2.5: headroom <= 0 -> total_open_risk_cap."""
    e = make(total_open_risk_cap=100.0)
    open_(e, trade_id="a")
    before = snapshot(e)
    r = open_(e, trade_id="b")
    assert (r.skipped_reason, r.qty) == ("total_open_risk_cap", 0.0)
    assert r.detail == "open risk 100.00 already at cap 100.00"
    assert snapshot(e) == before


@pytest.mark.parametrize(("policy", "overlay", "reason"), [
    ({}, {"per_trade_risk_cap": 0}, "below_min_qty"),  # budget 0 buys nothing
    ({}, {"total_open_risk_cap": 0}, "total_open_risk_cap"),
    ({}, {"max_concurrent_trades": 0}, "max_concurrent_trades"),
    ({}, {"max_leverage": 0}, "max_leverage"),
    ({"max_trades_per_day": 0}, {}, "max_trades_per_day"),
    ({"daily_loss_cap": 0}, {}, "daily_loss_cap"),
])
def test_a_cap_of_zero_blocks_every_entry(policy: dict, overlay: dict, reason: str) -> None:
    """Engine choice (contract silent): caps may be 0, which acts as a kill switch."""
    e = make(policy=policy, **overlay)
    r = open_(e)
    assert (r.skipped_reason, r.qty) == (reason, 0.0)
    assert e.positions == {} and e.days_state() == {}


# --- §2.6 per-unit risk ------------------------------------------------------------------------------

def test_per_unit_risk_includes_both_fees_when_fees_in_risk() -> None:
    """docs/engine.md §2.6: per-unit risk = |entry - stop| + fee_rate * (entry + stop); raw = budget / it."""
    # unit = 5 + 0.001 * 195 = 5.195; raw = 100 / 5.195 = 19.2492...; qty = 19.249
    r = open_(make(fee_bps_per_side=10))
    assert (r.budget, r.qty) == (100.0, 19.249)
    assert r.risk_amount == pytest.approx(99.998555, abs=1e-9)  # 19.249 * 5.195
    assert r.notional == pytest.approx(1924.9, abs=1e-9)


def test_per_unit_risk_of_a_short_includes_both_fees() -> None:
    """docs/engine.md §2.6: |entry - stop| is the distance on either side."""
    # unit = 5 + 0.0004 * 205 = 5.082; raw = 100 / 5.082 = 19.6772...; qty = 19.677
    r = open_(make(fee_bps_per_side=4), is_long=False, stop_price=105.0)
    assert r.qty == 19.677
    assert r.risk_amount == pytest.approx(99.998514, abs=1e-9)  # 19.677 * 5.082


def test_per_unit_risk_is_the_stop_distance_when_fees_are_not_in_risk() -> None:
    """docs/engine.md §2.6: fees are added to per-unit risk only when fees_in_risk."""
    r = open_(make(fee_bps_per_side=10, fees_in_risk=False))
    assert (r.qty, r.risk_amount) == (20.0, 100.0)


def test_symbol_override_fee_is_used_for_sizing() -> None:
    """docs/engine.md §1: symbol_overrides may set fee_bps_per_side for one symbol."""
    e = make(symbol_overrides={"ETHUSDT": {"fee_bps_per_side": 10}})
    assert open_(e, trade_id="btc").qty == 20.0
    assert open_(e, trade_id="eth", symbol="ETHUSDT").qty == 19.249


# --- §2.7 step flooring and leverage -----------------------------------------------------------------

def test_qty_rounds_down_to_step_never_up() -> None:
    """docs/engine.md §2.7: 0.3 with step 0.1 gives 0.3, not 0.2; and 14.2857... with step 0.01 gives 14.28."""
    e = make(balance=300.0, default_qty_step=0.1)  # budget 3, unit 10: raw 0.3
    assert open_(e, stop_price=90.0).qty == 0.3
    e = make(default_qty_step=0.01)  # budget 100, unit 7: raw 14.2857...
    r = open_(e, stop_price=93.0)
    assert (r.qty, r.risk_amount) == (14.28, pytest.approx(99.96, abs=1e-9))



def test_qty_is_the_exact_decimal_floor_where_binary_floats_went_astray() -> None:
    """docs/engine.md §2.6-2.7: qty * per-unit risk <= budget, exactly in decimal. Binary floats read
    0.1250125 - 0.125 as 1.2500000000001e-05 and sized 17562835.8851111 (found by Hypothesis when the
    engine floored a float quotient); the exact quotient is 17562835.88510917..."""
    e = make(initial_balance=62_227.0, percent_risk=0.003527977382227404, default_qty_step=1e-8)
    r = open_(e, is_long=False, entry_price=0.125, stop_price=0.1250125)
    assert r.budget == 219.53544856386466
    assert r.qty == 17562835.88510917
    assert Fraction(repr(r.qty)) * (Fraction("0.1250125") - Fraction("0.125")) <= \
        Fraction("62227") * Fraction("0.003527977382227404")


def test_symbol_override_step_is_used_for_flooring() -> None:
    """docs/engine.md §1 / §2.7: the symbol's qty step (override) else default_qty_step."""
    e = make(symbol_overrides={"SOLUSDT": {"qty_step": 0.1}})
    assert open_(e, symbol="SOLUSDT", stop_price=93.0).qty == 14.2
    assert open_(e, trade_id="t2", stop_price=93.0).qty == 14.285


def test_max_leverage_caps_qty_of_a_tight_stop() -> None:
    """docs/engine.md §2.7: qty = min(qty, floor-to-step(room / entry)); a tight stop must not buy 40x."""
    e = make(max_leverage=2.0)
    r = open_(e, stop_price=99.9)  # raw qty ~1000 (100 000 notional): room 20 000 / 100 = 200
    assert (r.qty, r.notional) == (200.0, 20_000.0)
    assert r.risk_amount == pytest.approx(20.0, abs=1e-9)


def test_max_leverage_room_counts_open_notional() -> None:
    """docs/engine.md §2.7: room = balance * max_leverage - notional of open positions."""
    e = make(max_leverage=3.0)
    assert open_(e, trade_id="a").notional == 2_000.0  # 20 @ 100
    r = open_(e, trade_id="b", entry_price=50.0, stop_price=49.95)  # raw ~2000; room 28 000 / 50
    assert (r.qty, r.notional) == (560.0, 28_000.0)


def test_no_leverage_room_is_max_leverage() -> None:
    """docs/engine.md §2.7: room <= 0 -> max_leverage."""
    e = make(max_leverage=0.2)
    assert open_(e, trade_id="a").notional == 2_000.0  # uses all of 10 000 * 0.2
    before = snapshot(e)
    r = open_(e, trade_id="b")
    assert (r.skipped_reason, r.qty, r.budget) == ("max_leverage", 0.0, 100.0)
    assert snapshot(e) == before


# --- §2.8 market minimums ----------------------------------------------------------------------------

def test_qty_of_zero_is_below_min_qty() -> None:
    """docs/engine.md §2.8: qty == 0 -> below_min_qty (even with no min_qty set)."""
    r = open_(make(balance=300.0, default_qty_step=1.0), stop_price=90.0)  # raw 0.3, step 1
    assert (r.skipped_reason, r.qty, r.budget) == ("below_min_qty", 0.0, 3.0)


def test_qty_under_min_qty_is_below_min_qty() -> None:
    """docs/engine.md §2.8: qty < min_qty -> below_min_qty; qty == min_qty is taken."""
    r = open_(make(balance=300.0, default_qty_step=0.1, default_min_qty=0.4), stop_price=90.0)
    assert r.skipped_reason == "below_min_qty"
    assert r.detail == "qty 0.3 below min qty 0.4 (step 0.1)"
    r = open_(make(balance=300.0, default_qty_step=0.1, default_min_qty=0.3), stop_price=90.0)
    assert (r.skipped_reason, r.qty) == (None, 0.3)


def test_notional_under_min_notional_is_below_min_notional() -> None:
    """docs/engine.md §2.8: qty * entry < min_notional -> below_min_notional; equal is taken."""
    e = make(balance=500.0, default_qty_step=0.1,
             symbol_overrides={"BTCUSDT": {"min_notional": 50.01}, "ETHUSDT": {"min_notional": 50.0}})
    r = open_(e, stop_price=90.0)  # budget 5, unit 10: qty 0.5, notional 50
    assert r.skipped_reason == "below_min_notional"
    assert r.detail == "notional 50.00 below min notional 50.01"
    assert open_(e, symbol="ETHUSDT", stop_price=90.0).notional == 50.0


# --- §2.9 accept -------------------------------------------------------------------------------------

def test_accepted_entry_books_risk_day_entry_and_position() -> None:
    """docs/engine.md §2.9: allocated risk = qty * per-unit risk; total_open_risk += it; the entry day's
    bucket gets entries += 1; the position is stored; the result has every field."""
    e = make(fee_bps_per_side=10)
    r = open_(e)
    assert r.as_dict() == {
        "trade_id": "t1", "symbol": "BTCUSDT", "is_long": True, "entry_ts_ms": T0, "entry_price": 100.0,
        "stop_price": 95.0, "qty": 19.249, "risk_amount": 19.249 * (5.0 + 0.001 * 195.0),
        "notional": 1924.9, "budget": 100.0, "skipped_reason": None, "detail": ""}  # exactly 19.249 * 100
    assert e.positions["t1"].alloc == r and e.positions["t1"].fee_rate == 0.001
    assert e.total_open_risk == r.risk_amount
    assert e.days_state() == {"2023-11-14": {"entries": 1, "pnl": 0.0}}
    r2 = open_(e, trade_id="t2", is_long=False, stop_price=110.0)
    assert e.total_open_risk == math.fsum([r.risk_amount, r2.risk_amount])
    assert e.days_state()["2023-11-14"]["entries"] == 2
    assert e.balance == 10_000.0  # opening moves no money


# --- the order of checks -----------------------------------------------------------------------------

def test_order_input_validation_runs_before_duplicate_check() -> None:
    """docs/engine.md §2: check 1 (invalid_input) before check 2 (duplicate_trade_id)."""
    e = make()
    open_(e)
    assert open_(e, stop_price=math.nan).skipped_reason == "invalid_input"


def test_order_duplicate_check_runs_before_rails() -> None:
    """docs/engine.md §2: check 2 before check 3: a retry still gets its allocation after a rail trips."""
    e = make()
    first = open_(e)
    reconfigure(e, policy={"equity_floor": 20_000.0, "max_trades_per_day": 0})
    assert open_(e) == first
    assert open_(e, stop_price=94.0).skipped_reason == "duplicate_trade_id"
    assert open_(e, trade_id="new").skipped_reason == "equity_floor"


def test_order_rails_run_floor_then_daily_loss_then_trades_per_day() -> None:
    """docs/engine.md §2.3: equity_floor -> daily_loss_cap -> max_trades_per_day."""
    e = make()
    open_(e)
    e.close("t1", T0 + 1, 95.0)  # -100: balance 9 900, today's loss 100, 1 entry today
    all_three = {"equity_floor": 9_900.0, "daily_loss_cap": 100.0, "max_trades_per_day": 1}
    reconfigure(e, policy=all_three)
    assert open_(e, trade_id="n").skipped_reason == "equity_floor"
    reconfigure(e, policy={**all_three, "equity_floor": None})
    assert open_(e, trade_id="n").skipped_reason == "daily_loss_cap"
    reconfigure(e, policy={"max_trades_per_day": 1})
    assert open_(e, trade_id="n").skipped_reason == "max_trades_per_day"


def test_order_rails_run_before_max_concurrent_trades() -> None:
    """docs/engine.md §2: a trade failing both a rail (3) and concurrency (4) reports the rail."""
    e = make(policy={"max_trades_per_day": 1}, max_concurrent_trades=1)
    open_(e)
    assert open_(e, trade_id="t2").skipped_reason == "max_trades_per_day"


def test_order_max_concurrent_trades_runs_before_total_open_risk_cap() -> None:
    """docs/engine.md §2: check 4 before check 5."""
    e = make(max_concurrent_trades=1, total_open_risk_cap=100.0)
    open_(e)
    assert open_(e, trade_id="t2").skipped_reason == "max_concurrent_trades"


def test_order_total_open_risk_cap_runs_before_max_leverage() -> None:
    """docs/engine.md §2: check 5 before check 7."""
    e = make(total_open_risk_cap=100.0, max_leverage=0.2)
    open_(e)  # risk 100 and notional 2 000: both exhausted
    assert open_(e, trade_id="t2").skipped_reason == "total_open_risk_cap"


def test_order_max_leverage_runs_before_min_qty() -> None:
    """docs/engine.md §2: check 7 before check 8."""
    e = make(max_leverage=0, default_min_qty=1_000.0)
    assert open_(e).skipped_reason == "max_leverage"


def test_order_min_qty_runs_before_min_notional() -> None:
    """docs/engine.md §2.8: below_min_qty is checked before below_min_notional."""
    e = make(default_min_qty=1_000.0, default_min_notional=1e9)
    assert open_(e).skipped_reason == "below_min_qty"


def test_leverage_room_that_floors_to_zero_is_below_min_qty() -> None:
    """docs/engine.md §2.7-2.8: room > 0 but less than one step at this price -> qty 0 -> below_min_qty."""
    e = make(max_leverage=0.0001, default_qty_step=1.0)  # room $1 < one unit at $100
    assert open_(e).skipped_reason == "below_min_qty"
