"""The safety rails (docs/engine.md section 1 policy table, 2.4 and 7): each trips and lifts by its exact rule.

Every rail is driven through a real RiskEngine's try_open / close, with event timestamps (never the
wall clock); the order of the checks and the registry itself (keys, comments, labels) are checked too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tc1console.engine import config
from tc1console.engine.core import SKIP_REASONS, RiskEngine
from tc1console.engine.errors import ConfigError
from tc1console.engine.rails import (RAILS, DayBucket, RailState, day_index, day_key, month_days, week_days)

DAY_MS = 86_400_000
MIN_MS = 60_000
NOV_15_2023 = 1_700_006_400_000  # 2023-11-15T00:00:00Z, a Wednesday
# A flat $100 budget at every balance: each trade below risks 100 units of 1.0, so 1R is $100 exactly.
BASE = {"initial_balance": 10_000.0, "flat_risk_until": 1e12, "flat_risk_amount": 100.0, "percent_risk": 0.01,
        "default_qty_step": 0.001, "fee_bps_per_side": 0.0}


def engine(**policy: Any) -> RiskEngine:
    return RiskEngine(config.validate("overlay", BASE, "test"),  # type: ignore[arg-type]
                      config.validate("policy", policy, "test"))  # type: ignore[arg-type]


_n = iter(range(10**9))


def enter(e: RiskEngine, ts: int, symbol: str = "BTC") -> str | None:
    """An entry at ts; its skip reason (None when taken)."""
    return e.try_open(f"t{next(_n)}", symbol, True, ts, 100.0, 99.0).skipped_reason


def trade(e: RiskEngine, ts: int, pnl_r: float, symbol: str = "BTC", hold_ms: int = 0) -> None:
    """A trade entered at ts and closed hold_ms later at pnl_r R (risk 100: 100 units of 1.0)."""
    tid = f"t{next(_n)}"
    r = e.try_open(tid, symbol, True, ts, 100.0, 99.0)
    assert r.skipped_reason is None, r
    e.close(tid, ts + hold_ms, 100.0 + pnl_r)


# --- days, weeks and months of event timestamps ------------------------------------------------------

@pytest.mark.parametrize(("ts", "key"), [
    (0, "1970-01-01"), (DAY_MS - 1, "1970-01-01"), (DAY_MS, "1970-01-02"),
    (1_700_000_000_000, "2023-11-14"), (NOV_15_2023 - 1, "2023-11-14"), (NOV_15_2023, "2023-11-15"),
    (951_782_400_000, "2000-02-29"), (253_402_300_799_999, "9999-12-31"),
])
def test_day_key_is_the_utc_calendar_day_of_the_timestamp(ts: int, key: str) -> None:
    """docs/engine.md 1: "today" is the UTC day of the event's own timestamp; buckets keyed YYYY-MM-DD."""
    assert day_key(ts) == key


def test_day_index_inverts_day_key() -> None:
    """docs/engine.md 1: day keys map back to whole UTC days."""
    assert day_index("1970-01-01") == 0
    assert day_index("2023-11-15") == NOV_15_2023 // DAY_MS == 19_676
    assert day_key(day_index("2024-02-29") * DAY_MS) == "2024-02-29"


def test_the_week_is_the_iso_week_from_monday_and_the_month_the_calendar_month() -> None:
    """docs/engine.md 7: the UTC ISO week (Monday 00:00) and the UTC calendar month of a timestamp."""
    wed = NOV_15_2023 // DAY_MS
    assert week_days(wed) == tuple(f"2023-11-{d}" for d in range(13, 20))
    assert week_days(day_index("2024-01-01"))[0] == "2024-01-01"  # a Monday
    assert week_days(day_index("2023-12-31"))[0] == "2023-12-25"  # a Sunday belongs to the week before
    assert month_days(day_index("2024-02-10")) == tuple(f"2024-02-{d:02d}" for d in range(1, 30))
    assert len(month_days(day_index("2023-12-31"))) == 31


def test_daily_loss_is_todays_net_realized_pnl_when_negative() -> None:
    """Engine choice: the day's loss is -pnl when the day's net realized PnL is negative, else 0."""
    assert DayBucket(entries=3, pnl=-120.5).loss == 120.5
    assert DayBucket(entries=3, pnl=40.0).loss == 0.0


# --- each rail trips and lifts --------------------------------------------------------------------------

def test_equity_floor_blocks_while_balance_is_at_or_below_it() -> None:
    """docs/engine.md 1: equity_floor blocks new entries while balance <= floor; a win lifts it."""
    e = engine(equity_floor=9_900.0)
    trade(e, NOV_15_2023, -1.0)  # -100: balance 9,900
    assert enter(e, NOV_15_2023 + 1) == "equity_floor"
    assert e.try_open("x", "BTC", True, NOV_15_2023 + 2, 100.0, 99.0).detail == \
        "balance 9,900.00 <= equity floor 9,900.00"


def test_max_drawdown_blocks_at_the_peak_times_one_minus_pct_and_lifts_on_recovery_or_reset() -> None:
    """docs/engine.md 7: peak = highest balance after a close (start: the first event's balance); blocks
    while balance <= peak * (1 - pct); lifts when closes bring the balance back above, or a reset."""
    e = engine(max_drawdown_pct=0.02)
    trade(e, NOV_15_2023, 5.0)  # +500: peak 10,500
    assert e.rail_state.peak == 10_500.0
    trade(e, NOV_15_2023 + 1, -1.0)
    trade(e, NOV_15_2023 + 2, -1.05)  # 10,500 - 205 = 10,295 > 10,290: allowed
    assert enter(e, NOV_15_2023 + 3) is None
    trade(e, NOV_15_2023 + 4, -0.05)  # 10,290 = 10,500 * 0.98: blocked (<=)
    assert enter(e, NOV_15_2023 + 5) == "max_drawdown"
    e.apply_reset([], peak=e.balance)  # an operator resets the peak to the balance now
    assert enter(e, NOV_15_2023 + 6) is None


def test_max_drawdown_peak_starts_at_the_first_event_balance_and_moves_with_flows() -> None:
    """docs/engine.md 7: start at the first event's balance; cash flows move the peak by their amount."""
    e = engine(max_drawdown_pct=0.1)
    trade(e, NOV_15_2023, -1.0)  # the first close: peak = 10,000 (the balance before it)
    assert e.rail_state.peak == 10_000.0
    e.adjust_balance(1_000.0, kind="deposit", reason="", ts_ms=NOV_15_2023 + 1, flow_id="f1")
    assert e.rail_state.peak == 11_000.0 and e.balance == 10_900.0


def test_daily_loss_cap_blocks_once_todays_loss_reaches_it_and_a_new_day_lifts_it() -> None:
    """docs/engine.md 1: once today's realized loss >= cap; "today" is the entry's own UTC day."""
    e = engine(daily_loss_cap=150.0)
    trade(e, NOV_15_2023, -1.0)
    assert enter(e, NOV_15_2023 + 1) is None  # 100 < 150
    trade(e, NOV_15_2023 + 2, -0.5)
    assert enter(e, NOV_15_2023 + 3) == "daily_loss_cap"
    assert enter(e, NOV_15_2023 + DAY_MS) is None  # the next UTC day


def test_weekly_and_monthly_caps_sum_the_days_of_the_entrys_week_and_month() -> None:
    """docs/engine.md 7: the realized loss of the entry's UTC ISO week / calendar month, summed from the day
    buckets; a new week (Monday) or month lifts it."""
    e = engine(weekly_loss_cap=250.0)
    monday = day_index("2023-11-13") * DAY_MS
    trade(e, monday, -1.0)
    trade(e, monday + DAY_MS, -1.0)
    assert enter(e, monday + 2 * DAY_MS) is None  # 200 < 250
    trade(e, monday + 3 * DAY_MS, -0.5)  # 250
    assert enter(e, monday + 4 * DAY_MS) == "weekly_loss_cap"
    assert enter(e, monday + 7 * DAY_MS) is None  # the next Monday
    m = engine(monthly_loss_cap=250.0)
    start = day_index("2023-11-28") * DAY_MS
    for d in range(3):
        trade(m, start + d * DAY_MS, -1.0)
    assert enter(m, start + 2 * DAY_MS + 1) == "monthly_loss_cap"
    assert enter(m, day_index("2023-12-01") * DAY_MS) is None


def test_a_reset_day_clears_its_part_of_the_week() -> None:
    """docs/engine.md 7: a reset of a day also clears that day's part of its week and month."""
    e = engine(weekly_loss_cap=150.0)
    monday = day_index("2023-11-13") * DAY_MS
    trade(e, monday, -1.0)
    trade(e, monday + DAY_MS, -1.0)
    assert enter(e, monday + DAY_MS + 1) == "weekly_loss_cap"
    e.apply_reset([day_key(monday)])
    assert enter(e, monday + DAY_MS + 2) is None


def test_max_trades_per_day_blocks_after_n_opens() -> None:
    """docs/engine.md 1: after N opens in the same UTC day."""
    e = engine(max_trades_per_day=2)
    assert enter(e, NOV_15_2023) is None and enter(e, NOV_15_2023 + 1) is None
    assert enter(e, NOV_15_2023 + 2) == "max_trades_per_day"
    assert enter(e, NOV_15_2023 + DAY_MS) is None


def test_loss_streak_blocks_until_the_cooldown_after_the_nth_loss_then_restarts() -> None:
    """docs/engine.md 7: the Nth losing close in a row blocks entries stamped before its exit + cooldown;
    the streak restarts from 0 at that close; a win sets it to 0."""
    e = engine(loss_streak_limit=2, loss_streak_cooldown_minutes=30)
    t = NOV_15_2023
    trade(e, t, -1.0)
    trade(e, t + 1, 0.5)  # a win: the streak is 0 again
    trade(e, t + 2, -1.0)
    assert e.rail_state.streak == 1
    trade(e, t + 3, -1.0, hold_ms=10)  # the second in a row, closed at t + 13
    assert e.rail_state.streak == 0 and e.rail_state.streak_until == t + 13 + 30 * MIN_MS
    assert enter(e, t + 13 + 30 * MIN_MS - 1) == "loss_streak"
    assert enter(e, t + 13 + 30 * MIN_MS) is None


def test_a_second_streak_trip_extends_the_block_to_its_own_exit() -> None:
    """docs/engine.md 7: losses of positions still open during the cooldown count toward the next streak."""
    e = engine(loss_streak_limit=1, loss_streak_cooldown_minutes=10)
    t = NOV_15_2023
    a, b = "held-a", "held-b"
    assert e.try_open(a, "BTC", True, t, 100.0, 99.0).skipped_reason is None
    assert e.try_open(b, "BTC", True, t, 100.0, 99.0).skipped_reason is None
    e.close(a, t + MIN_MS, 99.0)
    e.close(b, t + 5 * MIN_MS, 99.0)
    assert e.rail_state.streak_until == t + 15 * MIN_MS


def test_symbol_cooldown_blocks_only_that_symbol_after_its_latest_losing_close() -> None:
    """docs/engine.md 7: after a losing close on a symbol, entries on it with entry_ts < exit_ts + M minutes."""
    e = engine(symbol_cooldown_minutes=15)
    t = NOV_15_2023
    trade(e, t, -1.0, symbol="ETH", hold_ms=MIN_MS)
    assert enter(e, t + 2 * MIN_MS, "ETH") == "symbol_cooldown"
    assert enter(e, t + 2 * MIN_MS, "BTC") is None
    assert enter(e, t + 16 * MIN_MS, "ETH") is None
    trade(e, t + 20 * MIN_MS, 1.0, symbol="ETH")  # a win does not start a cooldown
    assert enter(e, t + 20 * MIN_MS + 1, "ETH") is None


def test_rails_are_checked_in_the_contracts_order() -> None:
    """docs/engine.md 2.4: equity_floor -> max_drawdown -> daily -> weekly -> monthly -> trades per day ->
    loss_streak -> symbol_cooldown: the first that fails gives skipped_reason."""
    e = engine(equity_floor=9_950.0, max_drawdown_pct=0.001, daily_loss_cap=1.0, weekly_loss_cap=1.0,
               monthly_loss_cap=1.0, max_trades_per_day=1, loss_streak_limit=1, loss_streak_cooldown_minutes=60,
               symbol_cooldown_minutes=60)
    trade(e, NOV_15_2023, -1.0)  # trips everything at once
    order = []
    for rail in RAILS:
        reason = enter(e, NOV_15_2023 + 1)
        order.append(reason)
        e.set_config(e.overlay, config.validate("policy", {k: v for k, v in _policy_without(e, reason).items()},
                                                "test"))  # type: ignore[arg-type]
    assert order == [r.name for r in RAILS]


def _policy_without(e: RiskEngine, name: str | None) -> dict[str, Any]:
    values = {f.key: getattr(e.policy, f.key) for r in RAILS for f in r.fields}
    for rail in RAILS:
        if rail.name == name:
            for f in rail.fields:
                values[f.key] = f.default
    return {k: v for k, v in values.items() if v is not None}


def test_unset_rails_never_block() -> None:
    """docs/engine.md 1: a rail left unset is off."""
    e = engine()
    for _ in range(5):
        trade(e, NOV_15_2023, -1.0)
    assert enter(e, NOV_15_2023 + 1) is None


# --- the registry ---------------------------------------------------------------------------------

def test_every_rail_is_a_skip_reason_with_documented_keys_and_a_label() -> None:
    """Issue 13: one class per rail knows its keys (with the writer's comments), its label and its reason."""
    names = [r.name for r in RAILS]
    assert SKIP_REASONS[SKIP_REASONS.index("paused") + 1:][:len(names)] == tuple(names)
    keys = [f.key for r in RAILS for f in r.fields]
    assert [f.key for f in config.POLICY_FIELDS] == keys and len(set(keys)) == len(keys)
    assert all(r.label and r.short and all(f.comment for f in r.fields) for r in RAILS)
    text = config.dump_toml("policy", {})
    assert all(f"# {f.key} = (unset)" in text for f in config.POLICY_FIELDS if f.optional)


BAD_RAIL_VALUES = pytest.mark.parametrize(("policy", "key"), [
    ({"max_drawdown_pct": 1.0}, "max_drawdown_pct"), ({"max_drawdown_pct": 0.0}, "max_drawdown_pct"),
    ({"max_drawdown_pct": -0.1}, "max_drawdown_pct"), ({"max_drawdown_pct": 1.5}, "max_drawdown_pct"),
    ({"weekly_loss_cap": -1.0}, "weekly_loss_cap"), ({"monthly_loss_cap": -5}, "monthly_loss_cap"),
    ({"daily_loss_cap": -0.01}, "daily_loss_cap"),
    ({"loss_streak_limit": 3}, "loss_streak_limit"), ({"loss_streak_cooldown_minutes": 5.0}, "loss_streak_cooldown_minutes"),
    ({"loss_streak_limit": 0, "loss_streak_cooldown_minutes": 5.0}, "loss_streak_limit"),
    ({"loss_streak_limit": 2, "loss_streak_cooldown_minutes": -5.0}, "loss_streak_cooldown_minutes"),
    ({"symbol_cooldown_minutes": 0}, "symbol_cooldown_minutes"),
    ({"daily_loss_includes_open_risk": "yes"}, "daily_loss_includes_open_risk"),
])


@BAD_RAIL_VALUES
def test_bad_rail_values_are_a_load_error_naming_the_key(policy: dict[str, Any], key: str) -> None:
    """Issue 13 item 5: pct outside (0, 1), negative caps, a streak limit without a cooldown."""
    with pytest.raises(ConfigError, match=key):
        config.validate("policy", policy, "risk_policy.toml")


@pytest.mark.parametrize("fmt", ["toml", "json"])
@BAD_RAIL_VALUES
def test_bad_rail_values_in_a_toml_or_json_file_name_the_file_and_the_key(
        tmp_path: Path, policy: dict[str, Any], key: str, fmt: str) -> None:
    """Issue 13 "Done when": the new keys work in TOML and JSON configs; a bad value in either file
    is refused at load with one message naming the file and the key (docs/engine.md section 1)."""
    path = tmp_path / f"risk_policy.{fmt}"
    path.write_text((config.dump_json if fmt == "json" else config.dump_toml)("policy", policy))
    with pytest.raises(ConfigError) as err:
        config.load_policy(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and repr(key) in message and "\n" not in message


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_every_rail_key_loads_from_toml_and_json_alike(tmp_path: Path, fmt: str) -> None:
    """Issue 13 "Done when": every key of the registry, set, reads back the same from either format."""
    values = {"equity_floor": 8_000.0, "daily_loss_cap": 200.0, "daily_loss_includes_open_risk": True,
              "max_drawdown_pct": 0.1, "weekly_loss_cap": 500.0, "monthly_loss_cap": 1_500.0,
              "max_trades_per_day": 20, "loss_streak_limit": 3, "loss_streak_cooldown_minutes": 45.0,
              "symbol_cooldown_minutes": 30.0}
    assert set(values) == {f.key for f in config.POLICY_FIELDS}
    path = tmp_path / f"risk_policy.{fmt}"
    path.write_text((config.dump_json if fmt == "json" else config.dump_toml)("policy", values))
    loaded = config.load_policy(path)
    assert {k: getattr(loaded, k) for k in values} == values


def test_rail_state_round_trips_and_bad_fields_are_named() -> None:
    """docs/engine.md 7: the peak, the streak and the cooldowns are persisted like the day buckets."""
    state = RailState()
    state.on_close(10_000.0, 9_900.0, -100.0, "BTC", NOV_15_2023, 1, 60_000)
    again = RailState.from_record(state.to_record())
    assert again.to_record() == state.to_record() == {
        "peak": 10_000.0, "streak": 0, "streak_until": NOV_15_2023 + 60_000, "last_loss": {"BTC": NOV_15_2023}}
    with pytest.raises(ValueError, match="rails.peak"):
        RailState.from_record({"peak": float("inf")})
    with pytest.raises(ValueError, match="rails.streak"):
        RailState.from_record({"streak": -1})
