"""Safety rails over UTC-day buckets (ENGINE.md §1 policy table, §2.3)."""

from __future__ import annotations

import pytest

from tc1console.engine.config import PolicyConfig
from tc1console.engine.rails import DayBucket, Rails, day_index, day_key

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


def block(balance: float, today: DayBucket | None, **policy: float) -> str | None:
    return Rails(PolicyConfig(**policy)).first_block(balance, today)


def test_equity_floor_blocks_while_balance_is_at_or_below_the_floor() -> None:
    """ENGINE.md §1: equity_floor blocks new entries while balance <= floor."""
    assert block(8_000.0, None, equity_floor=8_000.0) == "equity_floor"
    assert block(7_999.0, DayBucket(), equity_floor=8_000.0) == "equity_floor"
    assert block(8_000.01, None, equity_floor=8_000.0) is None


def test_daily_loss_cap_blocks_once_todays_loss_reaches_the_cap() -> None:
    """ENGINE.md §1: daily_loss_cap blocks once today's realized loss >= cap."""
    assert block(10_000.0, DayBucket(pnl=-200.0), daily_loss_cap=200.0) == "daily_loss_cap"
    assert block(10_000.0, DayBucket(pnl=-199.99), daily_loss_cap=200.0) is None
    assert block(10_000.0, DayBucket(pnl=500.0), daily_loss_cap=200.0) is None
    assert block(10_000.0, None, daily_loss_cap=200.0) is None  # nothing booked today


def test_daily_loss_cap_of_zero_blocks_every_entry() -> None:
    """Engine choice: a cap of 0 acts as a kill switch (a loss of 0 already reaches it)."""
    assert block(10_000.0, DayBucket(pnl=50.0), daily_loss_cap=0.0) == "daily_loss_cap"
    assert block(10_000.0, None, daily_loss_cap=0.0) == "daily_loss_cap"


def test_max_trades_per_day_blocks_after_n_opens() -> None:
    """ENGINE.md §1: max_trades_per_day blocks new entries after N opens in the same UTC day."""
    assert block(10_000.0, DayBucket(entries=2), max_trades_per_day=3) is None
    assert block(10_000.0, DayBucket(entries=3), max_trades_per_day=3) == "max_trades_per_day"
    assert block(10_000.0, None, max_trades_per_day=0) == "max_trades_per_day"


def test_unset_rails_never_block() -> None:
    """ENGINE.md §1: a rail left unset (null) is off; with none set the rails are inactive."""
    rails = Rails(PolicyConfig())
    assert rails.active is False
    assert rails.first_block(-1e300, DayBucket(entries=10**9, pnl=-1e300)) is None
    assert Rails(PolicyConfig(max_trades_per_day=1)).active is True
    assert block(-1e300, DayBucket(entries=0, pnl=-1e300), max_trades_per_day=1) is None


def test_first_block_reports_the_first_rail_in_order() -> None:
    """ENGINE.md §2.3: equity_floor -> daily_loss_cap -> max_trades_per_day; the first rail
    that fails gives skipped_reason."""
    rails = dict(equity_floor=9_000.0, daily_loss_cap=100.0, max_trades_per_day=2)
    everything_bad = DayBucket(entries=5, pnl=-500.0)
    assert block(8_000.0, everything_bad, **rails) == "equity_floor"
    assert block(10_000.0, everything_bad, **rails) == "daily_loss_cap"
    assert block(10_000.0, DayBucket(entries=5, pnl=10.0), **rails) == "max_trades_per_day"
    assert block(10_000.0, DayBucket(entries=1, pnl=-99.0), **rails) is None

