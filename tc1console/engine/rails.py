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


EQUITY_FLOOR = "equity_floor"
DAILY_LOSS_CAP = "daily_loss_cap"
MAX_TRADES_PER_DAY = "max_trades_per_day"


class Rails:
    """The configured rails, checked in the contract's order: floor, daily loss, trades per day.

    An unset rail is a limit no finite value reaches (-inf floor, inf caps), so a check is one
    comparison per rail and one call per entry: the engine asks on every entry.
    """

    __slots__ = ("active", "floor", "loss_cap", "max_entries")

    def __init__(self, policy: PolicyConfig) -> None:
        inf = float("inf")
        self.floor = -inf if policy.equity_floor is None else policy.equity_floor
        self.loss_cap = inf if policy.daily_loss_cap is None else policy.daily_loss_cap
        self.max_entries = inf if policy.max_trades_per_day is None else policy.max_trades_per_day
        self.active = (policy.equity_floor is not None or policy.daily_loss_cap is not None
                       or policy.max_trades_per_day is not None)

    def first_block(self, balance: float, today: DayBucket | None) -> str | None:
        """The name of the first rail that blocks a new entry (`today`: None for a day with
        nothing booked yet), or None when all allow it."""
        if balance <= self.floor:
            return EQUITY_FLOOR
        if today is None:
            entries, pnl = 0, 0.0
        else:
            entries, pnl = today.entries, today.pnl
        if (-pnl if pnl < 0 else 0.0) >= self.loss_cap:  # today's loss, as DayBucket.loss
            return DAILY_LOSS_CAP
        if entries >= self.max_entries:
            return MAX_TRADES_PER_DAY
        return None
