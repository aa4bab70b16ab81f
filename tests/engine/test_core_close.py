"""RiskEngine.close: PnL, fees, R and the book after an exit (docs/engine.md §3), with hand-computed numbers."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from tc1console.engine import config, core
from tc1console.engine.core import RiskEngine
from tc1console.engine.errors import InvalidExitError, UnknownTradeError
from tc1console.engine.rails import day_key

BASE = {"initial_balance": 10_000.0, "flat_risk_amount": 25.0, "percent_risk": 0.01,
        "default_qty_step": 0.001}
T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
NOV_15 = 1_700_006_400_000  # 2023-11-15T00:00:00Z
DAY_MS = 86_400_000


def make(policy: dict | None = None, **overlay: Any) -> RiskEngine:
    return RiskEngine(config.validate("overlay", {**BASE, **overlay}, "test"),  # type: ignore[arg-type]
                      config.validate("policy", policy or {}, "test"))  # type: ignore[arg-type]


def snapshot(e: RiskEngine) -> Any:
    return copy.deepcopy((e.balance, e.total_open_risk, e.open_notional, dict(e.positions),
                          e.days_state(), list(e.equity_points), dict(e.recent_closes)))


def opened(is_long: bool = True, **overlay: Any) -> RiskEngine:
    """Budget 100 on a 5-wide stop with 10 bps fees not in risk: qty 20 at 100."""
    e = make(**{"fee_bps_per_side": 10, "fees_in_risk": False, **overlay})
    r = e.try_open("t1", "BTCUSDT", is_long, T0, 100.0, 95.0 if is_long else 105.0)
    assert (r.skipped_reason, r.qty, r.risk_amount) == (None, 20.0, 100.0)
    return e


def test_long_close_books_gross_fees_pnl_r_and_balance() -> None:
    """docs/engine.md §3: gross = (exit - entry) * qty for a long; fees = fee_rate * qty * (entry + exit);
    pnl_after_fees = gross - fees; R = pnl / risk_amount; balance_after."""
    e = opened()
    r = e.close("t1", T0 + 60_000, 110.0)
    # gross 10 * 20 = 200; fees 0.001 * 20 * 210 = 4.2; pnl 195.8; R 195.8 / 100 = 1.958
    assert r.as_dict() == {
        "trade_id": "t1", "symbol": "BTCUSDT", "is_long": True, "qty": 20.0, "entry_price": 100.0,
        "exit_price": 110.0, "entry_ts_ms": T0, "exit_ts_ms": T0 + 60_000, "risk_amount": 100.0,
        "gross_pnl": 200.0, "fees": pytest.approx(4.2, abs=1e-12),
        "pnl_after_fees": pytest.approx(195.8, abs=1e-12), "R_multiple": pytest.approx(1.958, abs=1e-12),
        "balance_after": pytest.approx(10_195.8, abs=1e-9)}
    assert e.balance == r.balance_after


def test_short_close_gross_is_entry_minus_exit() -> None:
    """docs/engine.md §3: gross = (entry - exit) * qty for a short."""
    r = opened(is_long=False).close("t1", T0 + 1, 90.0)
    # gross 10 * 20 = 200; fees 0.001 * 20 * 190 = 3.8; pnl 196.2; R 1.962
    assert r.gross_pnl == 200.0
    assert (r.fees, r.pnl_after_fees, r.R_multiple) == pytest.approx((3.8, 196.2, 1.962), abs=1e-12)


def test_losing_close_without_fees_in_risk_loses_more_than_one_r() -> None:
    """docs/engine.md §3 with §2.6: fees not in risk, a stop-out costs the budget plus both fees."""
    r = opened().close("t1", T0 + 1, 95.0)
    # gross -5 * 20 = -100; fees 0.001 * 20 * 195 = 3.9; pnl -103.9; R -1.039
    assert r.gross_pnl == -100.0
    assert (r.fees, r.pnl_after_fees, r.R_multiple, r.balance_after) == pytest.approx(
        (3.9, -103.9, -1.039, 9_896.1), abs=1e-9)


def test_stop_out_with_fees_in_risk_loses_exactly_the_allocated_risk() -> None:
    """docs/engine.md §1 fees_in_risk / §3: a stop-out loses at most the budget including both fees."""
    e = make(fee_bps_per_side=10)  # qty 19.249, risk 19.249 * 5.195 = 99.998555
    e.try_open("t1", "BTCUSDT", True, T0, 100.0, 95.0)
    r = e.close("t1", T0 + 1, 95.0)
    # gross -5 * 19.249 = -96.245; fees 0.001 * 19.249 * 195 = 3.753555; pnl -99.998555; R -1
    assert (r.gross_pnl, r.fees, r.pnl_after_fees) == pytest.approx((-96.245, 3.753555, -99.998555),
                                                                   abs=1e-9)
    assert r.R_multiple == pytest.approx(-1.0, abs=1e-12)
    assert -r.pnl_after_fees <= 100.0


def test_close_updates_open_risk_equity_points_and_the_exit_days_bucket() -> None:
    """docs/engine.md §3: total_open_risk -= risk_amount; an equity point (exit_ts_ms, balance); the exit
    day's bucket (not the entry day's) gets pnl += pnl_after_fees."""
    e = opened()
    r = e.close("t1", NOV_15 + 5, 110.0)
    assert e.positions == {} and e.total_open_risk == 0.0 and e.open_notional == 0.0
    assert list(e.equity_points) == [(NOV_15 + 5, r.balance_after)]
    assert e.days_state() == {"2023-11-14": {"entries": 1, "pnl": 0.0},
                              "2023-11-15": {"entries": 0, "pnl": r.pnl_after_fees}}
    assert e.recent_closes["t1"] == r


def test_daily_loss_is_todays_net_realized_pnl() -> None:
    """Engine choice: the daily loss is today's net realized PnL when negative (wins offset losses)."""
    e = make()  # no fees: qty 20 per trade at 100 with a 95 stop
    for tid in ("win", "loss"):
        e.try_open(tid, "BTCUSDT", True, T0, 100.0, 95.0)
    e.close("win", T0 + 1, 102.5)  # +50
    e.close("loss", T0 + 2, 92.5)  # -150
    assert e.today(T0).pnl == -100.0 and e.today(T0).loss == 100.0
    e.set_config(e.overlay, config.validate("policy", {"daily_loss_cap": 100.01}, "t"))  # type: ignore[arg-type]
    assert e.try_open("n1", "BTCUSDT", True, T0 + 3, 100.0, 95.0).skipped_reason is None
    e.set_config(e.overlay, config.validate("policy", {"daily_loss_cap": 100.0}, "t"))  # type: ignore[arg-type]
    assert e.try_open("n2", "BTCUSDT", True, T0 + 4, 100.0, 95.0).skipped_reason == "daily_loss_cap"


def test_fee_rate_captured_at_entry_is_used_at_exit() -> None:
    """Engine choice: open positions keep the fee rate they were sized with, even after a config edit."""
    e = opened()
    e.set_config(config.validate("overlay", {**BASE, "fee_bps_per_side": 0}, "t"), e.policy)  # type: ignore[arg-type]
    r = e.close("t1", T0 + 1, 110.0)
    assert r.fees == pytest.approx(4.2, abs=1e-12)  # 10 bps, not 0


def test_symbol_override_fee_is_charged_at_exit() -> None:
    """docs/engine.md §1: a symbol's fee_bps_per_side override applies to both sides."""
    e = make(fees_in_risk=False, symbol_overrides={"ETHUSDT": {"fee_bps_per_side": 5}})
    e.try_open("eth", "ETHUSDT", True, T0, 100.0, 95.0)
    assert e.close("eth", T0 + 1, 110.0).fees == pytest.approx(2.1, abs=1e-12)  # 0.0005 * 20 * 210


def test_repeated_close_returns_the_recorded_result_and_counts_nothing_twice() -> None:
    """docs/engine.md §3: a trade_id that was already closed -> the recorded close result again."""
    e = opened()
    first = e.close("t1", T0 + 1, 110.0)
    after = snapshot(e)
    assert e.close("t1", T0 + 1, 110.0) == first
    assert e.close("t1", T0 + 999, 50.0) == first  # even with other arguments
    assert snapshot(e) == after


def test_close_of_unknown_trade_id_raises_unknown_trade_error() -> None:
    """docs/engine.md §3: unknown trade_id -> a clear error (its own exception type), state untouched."""
    e = opened()
    before = snapshot(e)
    with pytest.raises(UnknownTradeError) as err:
        e.close("nope", T0 + 1, 110.0)
    assert "'nope'" in str(err.value)
    assert isinstance(err.value, KeyError)  # callers catching KeyError keep working
    assert snapshot(e) == before


@pytest.mark.parametrize("trade_id", ["", None, ["t1"], {"t": 1}, 7])
def test_close_with_a_trade_id_that_is_not_a_string_is_a_clear_error(trade_id: Any) -> None:
    """Issue 19 item 5: a list or dict as the trade id is a clear InvalidExitError, not a TypeError or
    RecursionError; state untouched."""
    e = opened()
    before = snapshot(e)
    with pytest.raises(InvalidExitError, match="trade_id must be a non-empty string"):
        e.close(trade_id, T0 + 1, 110.0)
    assert snapshot(e) == before


def test_close_of_a_skipped_trade_raises_unknown_trade_error() -> None:
    """docs/engine.md §3: a skipped entry was never opened, so closing it is an unknown trade_id."""
    e = make(max_concurrent_trades=0)
    assert e.try_open("s", "BTCUSDT", True, T0, 100.0, 95.0).skipped_reason == "max_concurrent_trades"
    with pytest.raises(UnknownTradeError):
        e.close("s", T0 + 1, 100.0)


def test_exit_before_entry_raises_invalid_exit_error_state_untouched() -> None:
    """docs/engine.md §3: an exit before the entry -> a clear error, state untouched."""
    e = opened()
    before = snapshot(e)
    with pytest.raises(InvalidExitError, match=f"exit_ts_ms {T0 - 1} is before entry_ts_ms {T0}"):
        e.close("t1", T0 - 1, 110.0)
    assert snapshot(e) == before


def test_exit_in_the_entry_millisecond_is_allowed() -> None:
    """docs/engine.md §3: only an exit *before* the entry is refused."""
    assert opened().close("t1", T0, 100.0).exit_ts_ms == T0


@pytest.mark.parametrize("price", [0, 0.0, -110.0, math.nan, math.inf, "110", True, None, 10**400])
def test_bad_exit_price_raises_invalid_exit_error_state_untouched(price: Any) -> None:
    """docs/engine.md §3: invalid exit price -> a clear error, state untouched."""
    e = opened()
    before = snapshot(e)
    with pytest.raises(InvalidExitError, match="exit_price must be a finite number > 0"):
        e.close("t1", T0 + 1, price)
    assert snapshot(e) == before


@pytest.mark.parametrize("ts", [1_700_000_100, T0 + 0.5, True, None, "1700000000001",
                                253_402_300_800_000, 10**18, 1e300])
def test_bad_exit_timestamp_raises_invalid_exit_error_state_untouched(ts: Any) -> None:
    """docs/engine.md §1-§3 (engine choice): exit_ts_ms must be an integer ms epoch with a UTC day."""
    e = opened()
    before = snapshot(e)
    with pytest.raises(InvalidExitError, match="exit_ts_ms must be an integer millisecond epoch"):
        e.close("t1", ts, 110.0)
    assert snapshot(e) == before


def test_integral_float_exit_timestamp_is_booked_as_an_int() -> None:
    """Engine choice: integral floats are accepted as timestamps."""
    r = opened().close("t1", float(T0 + 1_000), 110.0)
    assert r.exit_ts_ms == T0 + 1_000 and type(r.exit_ts_ms) is int


def test_total_open_risk_is_the_exact_fsum_of_open_risk_and_returns_to_zero() -> None:
    """Engine choice: total_open_risk is math.fsum of open positions' risk, so it never drifts."""
    e = make(fee_bps_per_side=7.5)
    stops = [99.3, 97.1, 93.7, 99.9, 91.3, 98.7, 96.1, 94.9, 99.7, 92.3]
    for i, stop in enumerate(stops):
        assert e.try_open(f"p{i}", "BTCUSDT", True, T0 + i, 100.0, stop).skipped_reason is None
    order = [3, 7, 0, 9, 5, 1, 8, 2, 6, 4]
    for j, i in enumerate(order):
        assert e.total_open_risk == math.fsum(p.alloc.risk_amount for p in e.positions.values())
        e.close(f"p{i}", T0 + 100 + j, 100.5)
    assert e.positions == {} and e.total_open_risk == 0.0 and e.open_notional == 0.0


def _cycle(e: RiskEngine, n: int, step_ms: int = 1_000) -> list[core.CloseResult]:
    closes = []
    for i in range(n):
        ts = T0 + i * step_ms
        assert e.try_open(f"c{i}", "BTCUSDT", i % 2 == 0, ts, 100.0, 95.0 if i % 2 == 0 else 105.0
                          ).skipped_reason is None
        closes.append(e.close(f"c{i}", ts, 100.0 + (i % 7) - 3))
    return closes


def test_equity_points_are_bounded_to_the_window() -> None:
    """docs/live.md (bounded state): the book keeps the last EQUITY_WINDOW equity points."""
    e = make()
    closes = _cycle(e, core.EQUITY_WINDOW + 3)
    assert len(e.equity_points) == core.EQUITY_WINDOW
    assert e.equity_points[-1] == (closes[-1].exit_ts_ms, closes[-1].balance_after) == (
        closes[-1].exit_ts_ms, e.balance)
    assert e.equity_points[0] == (closes[3].exit_ts_ms, closes[3].balance_after)


def test_close_history_is_bounded_and_a_forgotten_id_may_open_again() -> None:
    """docs/engine.md §2.2 / §3: duplicates and re-closes are judged within the kept history
    (CLOSE_HISTORY closes); an id older than that is unknown to close and free to open."""
    e = make()
    _cycle(e, core.CLOSE_HISTORY + 1)
    assert len(e.recent_closes) == core.CLOSE_HISTORY
    assert "c0" not in e.recent_closes and "c1" in e.recent_closes
    with pytest.raises(UnknownTradeError):
        e.close("c0", T0 + 10**9, 100.0)
    later = T0 + 10**9
    assert e.try_open("c1", "BTCUSDT", True, later, 100.0, 95.0).skipped_reason == "duplicate_trade_id"
    assert e.try_open("c0", "BTCUSDT", True, later, 100.0, 95.0).skipped_reason is None


def test_day_buckets_are_bounded_to_the_window() -> None:
    """docs/live.md (bounded state): day buckets are kept for DAY_WINDOW days back from the newest."""
    e = make()
    n = core.DAY_WINDOW + 5
    _cycle(e, n, step_ms=DAY_MS)
    keys = sorted(e.days_state())
    assert len(keys) == core.DAY_WINDOW
    assert keys[0] == day_key(T0 + 5 * DAY_MS) and keys[-1] == day_key(T0 + (n - 1) * DAY_MS)
