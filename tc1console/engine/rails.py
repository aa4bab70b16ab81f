"""Safety rails over UTC-day buckets: each rail answers "may a new trade start now, and if not, why?".

A day is the UTC calendar day of the event's own timestamp, never the wall clock, so a backtest
and a live run of the same events make the same decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .config import PolicyConfig

MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1024)
def day_key_of_index(day_index: int) -> str:
    """The `YYYY-MM-DD` key of a day counted from 1970-01-01 (cached: the engine asks per event)."""
    return date.fromordinal(_EPOCH_ORDINAL + day_index).isoformat()


def day_key(ts_ms: int) -> str:
    """The `YYYY-MM-DD` UTC day of a millisecond epoch timestamp."""
    return day_key_of_index(ts_ms // MS_PER_DAY)


def day_index(key: str) -> int:
    """Days since 1970-01-01 of a `YYYY-MM-DD` key (the inverse of `day_key` on day starts)."""
    return date.fromisoformat(key).toordinal() - _EPOCH_ORDINAL


@dataclass(slots=True)
class DayBucket:
    """What one UTC day has seen: entries taken and realized PnL after fees."""

    entries: int = 0
    pnl: float = 0.0

    @property
    def loss(self) -> float:
        """Today's realized loss as a positive number (0 on a day that is up)."""
        return -self.pnl if self.pnl < 0 else 0.0


class EquityFloor:
    name = "equity_floor"

    def __init__(self, floor: float) -> None:
        self.floor = floor

    def blocks(self, balance: float, today: DayBucket) -> bool:
        return balance <= self.floor


class DailyLossCap:
    name = "daily_loss_cap"

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def blocks(self, balance: float, today: DayBucket) -> bool:
        pnl = today.pnl  # today.loss, without a property call on every entry
        return (-pnl if pnl < 0 else 0.0) >= self.cap


class MaxTradesPerDay:
    name = "max_trades_per_day"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def blocks(self, balance: float, today: DayBucket) -> bool:
        return today.entries >= self.limit


Rail = EquityFloor | DailyLossCap | MaxTradesPerDay


def build_rails(policy: PolicyConfig) -> tuple[Rail, ...]:
    """The configured rails in the contract's order: floor, daily loss, trades per day."""
    rails: list[Rail] = []
    if policy.equity_floor is not None:
        rails.append(EquityFloor(policy.equity_floor))
    if policy.daily_loss_cap is not None:
        rails.append(DailyLossCap(policy.daily_loss_cap))
    if policy.max_trades_per_day is not None:
        rails.append(MaxTradesPerDay(policy.max_trades_per_day))
    return tuple(rails)


def first_block(rails: tuple[Rail, ...], balance: float, today: DayBucket) -> str | None:
    """The name of the first rail that blocks a new entry, or None when all allow it."""
    for rail in rails:
        if rail.blocks(balance, today):
            return rail.name
    return None
