"""Safety rails over UTC-day buckets (ENGINE.md §1 policy table, §2.3)."""

from __future__ import annotations

import pytest

from tc1console.engine import core
from tc1console.engine.config import PolicyConfig
from tc1console.engine.rails import (DailyLossCap, DayBucket, EquityFloor, MaxTradesPerDay, build_rails,
                                     day_index, day_key, first_block)

DAY_MS = 86_400_000
NOV_15_2023 = 1_700_006_400_000  # 2023-11-15T00:00:00Z


@pytest.mark.parametrize(("ts", "key"), [
    (0, "1970-01-01"),
    (DAY_MS - 1, "1970-01-01"),
    (DAY_MS, "1970-01-02"),
    (1_700_000_000_000, "2023-11-14"),  # 2023-11-14T22:13:20Z
    (NOV_15_2023 - 1, "2023-11-14"),
    (NOV_15_2023, "2023-11-15"),
    (951_782_400_000, "2000-02-29"),  # leap day
    (253_402_300_799_999, "9999-12-31"),
])
def test_day_key_is_the_utc_calendar_day_of_the_timestamp(ts: int, key: str) -> None:
    """ENGINE.md §1: "today" is the UTC day of the event's own timestamp; buckets keyed YYYY-MM-DD."""
    assert day_key(ts) == key


def test_day_index_inverts_day_key() -> None:
    """ENGINE.md §1: day keys map back to whole UTC days."""
    assert day_index("1970-01-01") == 0
    assert day_index("2023-11-15") == NOV_15_2023 // DAY_MS == 19_676
    assert day_key(day_index("2024-02-29") * DAY_MS) == "2024-02-29"


def test_daily_loss_is_todays_net_realized_pnl_when_negative() -> None:
    """Engine choice: the day's loss is -pnl when the day's net realized PnL is negative, else 0."""
    assert DayBucket(entries=3, pnl=-120.5).loss == 120.5
    assert DayBucket(entries=3, pnl=40.0).loss == 0.0
    assert DayBucket().loss == 0.0


def test_equity_floor_blocks_while_balance_is_at_or_below_the_floor() -> None:
    """ENGINE.md §1: equity_floor blocks new entries while balance <= floor."""
    rail = EquityFloor(8_000.0)
    assert rail.blocks(8_000.0, DayBucket()) is True
    assert rail.blocks(7_999.0, DayBucket()) is True
    assert rail.blocks(8_000.01, DayBucket()) is False


def test_daily_loss_cap_blocks_once_todays_loss_reaches_the_cap() -> None:
    """ENGINE.md §1: daily_loss_cap blocks once today's realized loss >= cap."""
    rail = DailyLossCap(200.0)
    assert rail.blocks(10_000.0, DayBucket(pnl=-200.0)) is True
    assert rail.blocks(10_000.0, DayBucket(pnl=-199.99)) is False
    assert rail.blocks(10_000.0, DayBucket(pnl=500.0)) is False


def test_daily_loss_cap_of_zero_blocks_every_entry() -> None:
    """Engine choice: a cap of 0 acts as a kill switch (a loss of 0 already reaches it)."""
    assert DailyLossCap(0.0).blocks(10_000.0, DayBucket(pnl=50.0)) is True


def test_max_trades_per_day_blocks_after_n_opens() -> None:
    """ENGINE.md §1: max_trades_per_day blocks new entries after N opens in the same UTC day."""
    rail = MaxTradesPerDay(3)
    assert rail.blocks(10_000.0, DayBucket(entries=2)) is False
    assert rail.blocks(10_000.0, DayBucket(entries=3)) is True
    assert MaxTradesPerDay(0).blocks(10_000.0, DayBucket()) is True


def test_rails_are_built_in_contract_order_and_only_when_set() -> None:
    """ENGINE.md §2.3: equity_floor -> daily_loss_cap -> max_trades_per_day."""
    assert build_rails(PolicyConfig()) == ()
    names = [r.name for r in build_rails(PolicyConfig(equity_floor=1.0, daily_loss_cap=2.0,
                                                      max_trades_per_day=3))]
    assert names == ["equity_floor", "daily_loss_cap", "max_trades_per_day"]
    assert [r.name for r in build_rails(PolicyConfig(max_trades_per_day=1))] == ["max_trades_per_day"]


def test_first_block_reports_the_first_rail_in_order() -> None:
    """ENGINE.md §2.3: the first rail that fails gives skipped_reason."""
    rails = build_rails(PolicyConfig(equity_floor=9_000.0, daily_loss_cap=100.0, max_trades_per_day=2))
    everything_bad = DayBucket(entries=5, pnl=-500.0)
    assert first_block(rails, 8_000.0, everything_bad) == "equity_floor"
    assert first_block(rails, 10_000.0, everything_bad) == "daily_loss_cap"
    assert first_block(rails, 10_000.0, DayBucket(entries=5, pnl=10.0)) == "max_trades_per_day"
    assert first_block(rails, 10_000.0, DayBucket(entries=1, pnl=-99.0)) is None


def test_rail_names_are_the_engine_skip_reasons() -> None:
    """ENGINE.md §2.3: a rail's name is its skipped_reason."""
    assert (EquityFloor.name, DailyLossCap.name, MaxTradesPerDay.name) == (
        core.EQUITY_FLOOR, core.DAILY_LOSS_CAP, core.MAX_TRADES_PER_DAY)
