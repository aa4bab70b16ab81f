"""The safety rails: one small class per rail, each answering "may a new trade start now, and if not, why?".

A rail knows its policy keys (with the comments the config writer puts above them), its check at an
entry (a skip reason and a detail in words), its status for an operator (value against limit, a
bar, the headroom left) and its label. The engine, the harness summary, `tc1 policy show`, the
dashboard and the console all iterate `RAILS`, so a new rail is one new class here (plus its tests).

Every check uses the event's own timestamp, never the wall clock, so a backtest and a live run of
the same events decide the same (docs/engine.md sections 1 and 7). The state the rails read beyond the
day buckets (the peak, the loss streak, each symbol's last losing close) is `RailState`, which
the engine keeps beside its book and updates on each close, flow and reset.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping

from .numbers import money
from .schema import Field

if TYPE_CHECKING:  # the engine, duck-typed here: rails read balance, days, rail_state and total_open_risk
    from .core import RiskEngine

MS_PER_MINUTE = 60_000
MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SYMBOLS_KEPT = 1_000  # symbols whose last losing close is remembered (bounded state)


# --- UTC days, ISO weeks and months of event timestamps ---------------------------------------------

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


@lru_cache(maxsize=256)
def week_days(day: int) -> tuple[str, ...]:
    """The day keys of the UTC ISO week (Monday first) holding day index `day` (1970-01-01 was a Thursday)."""
    monday = day - (day + 3) % 7
    return tuple(day_key_of_index(d) for d in range(monday, monday + 7))


@lru_cache(maxsize=256)
def month_days(day: int) -> tuple[str, ...]:
    """The day keys of the UTC calendar month holding day index `day`."""
    d = date.fromordinal(_EPOCH_ORDINAL + day)
    first = d.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return tuple(day_key_of_index(i - _EPOCH_ORDINAL) for i in range(first.toordinal(), nxt.toordinal()))


@dataclass(slots=True)
class DayBucket:
    """What one UTC day has seen: entries taken and realized PnL after fees."""

    entries: int = 0
    pnl: float = 0.0

    @property
    def loss(self) -> float:
        """The day's realized loss as a positive number (0 on a day that is up)."""
        return -self.pnl if self.pnl < 0 else 0.0


def period_loss(days: Mapping[str, DayBucket], keys: Iterable[str]) -> float:
    """The realized loss (positive, or 0) of the day buckets named by `keys`: their net PnL, fsum'd so
    the answer is the same however the buckets were built."""
    pnl = math.fsum(b.pnl for k in keys if (b := days.get(k)) is not None)
    return -pnl if pnl < 0 else 0.0


# --- the state the rails keep beyond the day buckets ------------------------------------------------

class RailState:
    """The peak balance, the loss streak and its block, and each symbol's last losing close.

    Updated by `on_close` / `on_flow` whether or not a rail reads it, so a rail enabled later sees
    the true peak and streak. Only the streak's trip depends on the policy (its limit and cooldown):
    the journal's config events are replayed in order, so a rebuild trips where the live run did.
    """

    __slots__ = ("peak", "streak", "streak_until", "last_loss")

    def __init__(self) -> None:
        self.peak: float | None = None  # None until a close or flow: the balance at the first event
        self.streak = 0  # losing closes in a row since the last win, trip or reset
        self.streak_until: int | None = None  # entries stamped before this are skipped (loss_streak)
        self.last_loss: dict[str, int] = {}  # symbol -> exit_ts_ms of its latest losing close

    def on_close(self, balance_before: float, balance_after: float, pnl: float, symbol: str, exit_ts_ms: int,
                 streak_limit: int | None, cooldown_ms: int) -> None:
        peak = balance_before if self.peak is None else self.peak
        self.peak = balance_after if balance_after > peak else peak
        if pnl < 0:
            self.streak += 1
            if streak_limit is not None and self.streak >= streak_limit:
                until = exit_ts_ms + cooldown_ms
                if self.streak_until is None or until > self.streak_until:
                    self.streak_until = until
                self.streak = 0
            last = self.last_loss
            if exit_ts_ms > last.get(symbol, exit_ts_ms - 1):
                last[symbol] = exit_ts_ms
                if len(last) > SYMBOLS_KEPT:
                    del last[min(last, key=last.__getitem__)]
        else:
            self.streak = 0

    def on_flow(self, balance_before: float, amount: float) -> None:
        """A cash flow moves the peak by its amount (docs/engine.md section 7)."""
        self.peak = (balance_before if self.peak is None else self.peak) + amount

    def to_record(self) -> dict[str, Any]:
        return {"peak": self.peak, "streak": self.streak, "streak_until": self.streak_until,
                "last_loss": dict(self.last_loss)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "RailState":
        """Raises ValueError naming the bad field."""
        state = cls()
        peak = record.get("peak")
        if peak is not None:
            state.peak = _finite_positive(peak, "rails.peak")
        streak = record.get("streak", 0)
        if isinstance(streak, bool) or not isinstance(streak, int) or streak < 0:
            raise ValueError(f"rails.streak must be a whole number >= 0, got {streak!r}")
        state.streak = streak
        until = record.get("streak_until")
        if until is not None:
            state.streak_until = _whole(until, "rails.streak_until")
        last = record.get("last_loss", {})
        if not isinstance(last, Mapping):
            raise ValueError(f"rails.last_loss must be an object, got {type(last).__name__}")
        state.last_loss = {str(s): _whole(ts, f"rails.last_loss.{s}") for s, ts in last.items()}
        return state


def _finite_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number of ms, got {value!r}")
    return value


# --- what a rail shows an operator --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Headroom:
    """One "how much more" line: a key (its name in JSON), a label, its number (None when the cap
    or rail is unset) and its text. `rank` orders the lines on a short panel (the lowest first: the
    question asked most)."""

    key: str
    label: str
    value: float | int | None
    text: str
    rank: int = 50
    left: bool = True  # an amount left (none left is shown as a problem); False for a plain figure


@dataclass(frozen=True, slots=True)
class RailStatus:
    """A rail as an operator sees it at a clock reading: value against limit, and whether it blocks."""

    name: str
    label: str
    short: str  # the label where a panel is narrow
    configured: bool
    blocked: bool
    value: float | int | None
    limit: float | int | None
    text: str  # value / limit in words, e.g. "206.54 / 200.00"
    fraction: float | None  # how far along (for a bar); None when a bar means nothing
    detail: str  # why it blocks, in words ("" when it does not)
    headroom: tuple[Headroom, ...]


def _fraction(value: float, limit: float) -> float:
    return value / limit if limit > 0 else (1.0 if value > 0 else 0.0)


def duration(ms: int) -> str:
    """`3h05m12s`, `4m02s`, `9s`, `3d04h`: how long until something, for a countdown."""
    s = max(0, int(ms) // 1000)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h >= 48:
        return f"{h // 24}d{h % 24:02d}h"
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def utc_time(ts_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts_ms / 1000))


# --- the rails -----------------------------------------------------------------------------------------

class Rail:
    """A safety rail. Subclasses set the class attributes and `check` / `status`; `configured` is
    whether the policy sets its main key (an unset rail never blocks)."""

    name: ClassVar[str]  # the skip reason
    label: ClassVar[str]  # what its row measures ("today's loss")
    short: ClassVar[str]  # the same, where a panel is narrow
    block_label: ClassVar[str]  # what blocks, when it does ("daily loss cap")
    block_short: ClassVar[str]  # the same, where a panel is narrow ("loss cap")
    op: ClassVar[str] = ">="  # how its value meets its limit when it blocks
    fields: ClassVar[tuple[Field, ...]]

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.limit = getattr(policy, self.fields[0].key)
        self.configured = self.limit is not None

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        """"" when a new entry may start, else why not, in words. Only called when configured."""
        raise NotImplementedError

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        raise NotImplementedError

    @staticmethod
    def cross_check(values: Mapping[str, Any]) -> str:
        """A problem between this rail's keys in a config ("" when none): the loader's error text."""
        return ""

    def _status(self, blocked: bool, value: Any, text: str, fraction: float | None, detail: str,
                *headroom: Headroom) -> RailStatus:
        return RailStatus(self.name, self.label, self.short, self.configured, blocked, value, self.limit,
                          text, fraction, detail if blocked else "", headroom)

    def _unset(self, text: str = "no limit", *headroom: Headroom) -> RailStatus:
        return RailStatus(self.name, self.label, self.short, False, False, None, None, text, None, "", headroom)


class EquityFloor(Rail):
    name, label, short, block_label = "equity_floor", "equity floor", "floor", "equity floor"
    block_short, op = "floor", "<="
    fields = (Field("equity_floor", float, None, "nonneg",
                    "Block new entries while balance <= this $ floor; leave out for none.", "Equity floor $"),)

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        balance = engine.balance
        if balance > self.limit:
            return ""
        return f"balance {money(balance)} <= equity floor {money(self.limit)}"

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset("no floor", Headroom("distance_to_floor", "distance to floor", None, "no floor", 50))
        b = engine.balance
        return self._status(b <= self.limit, b, f"{money(b)} / {money(self.limit)}", None,
                            self.check(engine, now_ms, "", None),
                            Headroom("distance_to_floor", "distance to floor", b - self.limit, money(b - self.limit), 50))


class MaxDrawdown(Rail):
    name, label, short, block_label = "max_drawdown", "drawdown from peak", "drawdown", "max drawdown"
    block_short = "drawdown"
    fields = (Field("max_drawdown_pct", float, None, "fraction",
                    "Block new entries while balance <= peak * (1 - this): 0.1 = 10% below the highest "
                    "balance after a close; leave out for none.", "Max drawdown (fraction)"),)

    def floor(self, engine: "RiskEngine") -> tuple[float, float]:
        """(peak, the balance at or below which entries are blocked)."""
        peak = engine.rail_state.peak
        if peak is None:
            peak = engine.balance
        return peak, peak * (1 - self.limit)

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        peak, floor = self.floor(engine)
        if engine.balance > floor:
            return ""
        return (f"balance {money(engine.balance)} <= {money(floor)}, {self.limit:.2%} below the peak "
                f"{money(peak)}")

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset()
        peak, floor = self.floor(engine)
        drawdown, allowed = max(0.0, peak - engine.balance), peak * self.limit
        return self._status(engine.balance <= floor, drawdown, f"{money(drawdown)} / {money(allowed)}",
                            _fraction(drawdown, allowed), self.check(engine, now_ms, "", None),
                            Headroom("drawdown_left", "drawdown left", engine.balance - floor, money(engine.balance - floor), 52))


class DailyLossCap(Rail):
    name, label, short, block_label = "daily_loss_cap", "today's loss", "loss", "daily loss cap"
    block_short = "loss cap"
    fields = (
        Field("daily_loss_cap", float, None, "nonneg",
              "Block new entries once today's (UTC) realized loss reaches this $ amount; leave out for none.",
              "Daily loss cap $"),
        Field("daily_loss_includes_open_risk", bool, False, "",
              "Also count the open trades' risk and the new one's: a day's worst case (every open stop hit, "
              "fees included) stays within the daily loss cap; new budgets shrink to what is left.",
              "Day cap counts open risk"),
    )

    def __init__(self, policy: Any) -> None:
        super().__init__(policy)
        self.includes_open_risk = bool(policy.daily_loss_includes_open_risk) and self.configured

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        loss = 0.0 if today is None else today.loss
        if loss < self.limit:  # a cap of 0 blocks every entry: a kill switch
            return ""
        return f"today's loss {money(loss)} >= daily loss cap {money(self.limit)}"

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset("no cap", Headroom("daily_loss_left", "daily loss left", None, "no cap", 10))
        today = engine.days.get(day_key(now_ms)) or DayBucket()
        loss = today.loss
        lines = [Headroom("daily_loss_left", "daily loss left", max(0.0, self.limit - loss), money(max(0.0, self.limit - loss)), 10)]
        if self.includes_open_risk:
            worst = loss + engine.total_open_risk
            left = self.limit + today.pnl - engine.total_open_risk
            lines.append(Headroom("day_worst_case", "day's worst case", worst, f"{money(worst)} / {money(self.limit)}", 11, False))
            lines[0] = Headroom("daily_loss_left", "daily loss left", max(0.0, left), money(max(0.0, left)), 10)
        return self._status(loss >= self.limit, loss, f"{money(loss)} / {money(self.limit)}",
                            _fraction(loss, self.limit), self.check(engine, now_ms, "", today), *lines)


class _PeriodLossCap(Rail):
    period: ClassVar[str]
    rank: ClassVar[int]

    @staticmethod
    def days_of(day: int) -> tuple[str, ...]:
        raise NotImplementedError

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        loss = engine.period_loss(self.days_of(ts_ms // MS_PER_DAY))
        if loss < self.limit:
            return ""
        return f"this {self.period}'s loss {money(loss)} >= {self.block_label} {money(self.limit)}"

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset("no cap")
        loss = period_loss(engine.days, self.days_of(now_ms // MS_PER_DAY))
        left = max(0.0, self.limit - loss)
        return self._status(loss >= self.limit, loss, f"{money(loss)} / {money(self.limit)}",
                            _fraction(loss, self.limit), self.check(engine, now_ms, "", None),
                            Headroom(f"{self.period}ly_loss_left", f"{self.period} loss left", left, money(left), self.rank))


class WeeklyLossCap(_PeriodLossCap):
    name, label, short, period, rank = "weekly_loss_cap", "this week's loss", "week", "week", 54
    block_short = "week cap"
    block_label = "weekly loss cap"
    fields = (Field("weekly_loss_cap", float, None, "nonneg",
                    "Block new entries once the realized loss of the UTC ISO week (from Monday 00:00) "
                    "reaches this $ amount; leave out for none.", "Weekly loss cap $"),)
    days_of = staticmethod(week_days)


class MonthlyLossCap(_PeriodLossCap):
    name, label, short, period, rank = "monthly_loss_cap", "this month's loss", "month", "month", 56
    block_short = "month cap"
    block_label = "monthly loss cap"
    fields = (Field("monthly_loss_cap", float, None, "nonneg",
                    "Block new entries once the realized loss of the UTC calendar month reaches this $ "
                    "amount; leave out for none.", "Monthly loss cap $"),)
    days_of = staticmethod(month_days)


class MaxTradesPerDay(Rail):
    name, label, short, block_label = "max_trades_per_day", "today's trades", "trades", "trades per day"
    block_short = "trades/day"
    fields = (Field("max_trades_per_day", int, None, "nonneg",
                    "Block new entries after this many opens in one UTC day; leave out for no limit.",
                    "Max trades per day"),)

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        entries = 0 if today is None else today.entries
        if entries < self.limit:
            return ""
        return f"{entries} entries today, max {self.limit}"

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset("no limit", Headroom("trades_left_today", "trades left today", None, "no limit", 30))
        today = engine.days.get(day_key(now_ms))
        entries = 0 if today is None else today.entries
        left = max(0, self.limit - entries)
        return self._status(entries >= self.limit, entries, f"{entries} / {self.limit}",
                            _fraction(entries, self.limit), self.check(engine, now_ms, "", today),
                            Headroom("trades_left_today", "trades left today", left, f"{left:,}", 30))


class LossStreak(Rail):
    name, label, short, block_label = "loss_streak", "loss streak", "streak", "loss streak"
    block_short = "streak"
    fields = (
        Field("loss_streak_limit", int, None, "positive",
              "After this many losing closes in a row, block new entries for loss_streak_cooldown_minutes; "
              "leave out for none.", "Loss streak limit"),
        Field("loss_streak_cooldown_minutes", float, None, "positive",
              "How long (event time, after the losing close that completed the streak) new entries stay "
              "blocked; set with loss_streak_limit.", "Loss streak cooldown min"),
    )

    def __init__(self, policy: Any) -> None:
        super().__init__(policy)
        minutes = policy.loss_streak_cooldown_minutes
        self.cooldown_ms = 0 if minutes is None else round(minutes * MS_PER_MINUTE)

    @staticmethod
    def cross_check(values: Mapping[str, Any]) -> str:
        limit, minutes = values.get("loss_streak_limit"), values.get("loss_streak_cooldown_minutes")
        if (limit is None) != (minutes is None):
            given, missing = (("loss_streak_limit", "loss_streak_cooldown_minutes") if minutes is None
                              else ("loss_streak_cooldown_minutes", "loss_streak_limit"))
            return f"key {given!r} needs {missing!r} too (set both, or neither)"
        return ""

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        until = engine.rail_state.streak_until
        if until is None or ts_ms >= until:
            return ""
        return (f"{self.limit} losing closes in a row: entries blocked until {utc_time(until)} "
                f"({self.policy.loss_streak_cooldown_minutes:g} min cooldown)")

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset()
        state = engine.rail_state
        until = state.streak_until
        cooling = until is not None and now_ms < until
        lines = [Headroom("losses_in_a_row", "losses in a row", state.streak, f"{state.streak} of {self.limit}", 60, False)]
        if cooling:
            lines.insert(0, Headroom("streak_cooldown_ms", "streak cooldown ends in", until - now_ms, duration(until - now_ms), 15, False))
        return self._status(cooling, state.streak, f"{state.streak} / {self.limit}",
                            1.0 if cooling else _fraction(state.streak, self.limit),
                            self.check(engine, now_ms, "", None), *lines)


class SymbolCooldown(Rail):
    name, label, short, block_label = "symbol_cooldown", "symbol cooldown", "cooldown", "symbol cooldown"
    block_short = "cooldown"
    fields = (Field("symbol_cooldown_minutes", float, None, "positive",
                    "After a losing close on a symbol, block entries on that symbol for this many minutes "
                    "(event time); leave out for none.", "Symbol cooldown min"),)

    def __init__(self, policy: Any) -> None:
        super().__init__(policy)
        self.cooldown_ms = 0 if self.limit is None else round(self.limit * MS_PER_MINUTE)

    def check(self, engine: "RiskEngine", ts_ms: int, symbol: str, today: DayBucket | None) -> str:
        last = engine.rail_state.last_loss.get(symbol)
        if last is None or ts_ms >= last + self.cooldown_ms:
            return ""
        return (f"{symbol} lost at {utc_time(last)}: no entries on it until "
                f"{utc_time(last + self.cooldown_ms)} ({self.limit:g} min cooldown)")

    def cooling(self, engine: "RiskEngine", now_ms: int) -> list[tuple[str, int]]:
        """(symbol, when its cooldown ends) for each symbol still cooling down at `now_ms`, soonest first."""
        ends = [(s, ts + self.cooldown_ms) for s, ts in engine.rail_state.last_loss.items()]
        return sorted(((s, end) for s, end in ends if end > now_ms), key=lambda x: (x[1], x[0]))

    def status(self, engine: "RiskEngine", now_ms: int) -> RailStatus:
        if not self.configured:
            return self._unset()
        cooling = self.cooling(engine, now_ms)
        lines = [Headroom(f"cooldown_ms.{s}", f"{s} cooldown ends in", end - now_ms, duration(end - now_ms), 62, False)
                 for s, end in cooling]
        text = f"{len(cooling)} symbol{'s' if len(cooling) != 1 else ''} cooling" if cooling else "none cooling"
        return self._status(False, len(cooling), text, None, "", *lines)


# In the order docs/engine.md section 2.4 checks them.
RAILS: tuple[type[Rail], ...] = (EquityFloor, MaxDrawdown, DailyLossCap, WeeklyLossCap, MonthlyLossCap,
                                 MaxTradesPerDay, LossStreak, SymbolCooldown)
RAIL_NAMES: tuple[str, ...] = tuple(r.name for r in RAILS)
POLICY_FIELDS: tuple[Field, ...] = tuple(f for r in RAILS for f in r.fields)

EQUITY_FLOOR = EquityFloor.name
DAILY_LOSS_CAP = DailyLossCap.name
MAX_TRADES_PER_DAY = MaxTradesPerDay.name


class Rails:
    """The rails of one policy config: all of them (for status and state), and the configured ones
    in check order (what an entry goes through: one call each)."""

    __slots__ = ("all", "active", "daily")

    def __init__(self, policy: Any) -> None:
        self.all: tuple[Rail, ...] = tuple(rail(policy) for rail in RAILS)
        self.active: tuple[Rail, ...] = tuple(r for r in self.all if r.configured)
        daily = self.all[RAILS.index(DailyLossCap)]
        assert isinstance(daily, DailyLossCap)
        self.daily: DailyLossCap | None = daily if daily.includes_open_risk else None

    def statuses(self, engine: "RiskEngine", now_ms: int) -> list[RailStatus]:
        """Each rail's status at clock reading `now_ms`, in check order (unset rails included)."""
        return [rail.status(engine, now_ms) for rail in self.all]

    def get(self, name: str) -> Rail:
        return self.all[RAIL_NAMES.index(name)]

    def streak_rule(self) -> tuple[int | None, int]:
        """(loss_streak_limit, cooldown in ms): what RailState.on_close needs."""
        streak = self.get(LossStreak.name)
        assert isinstance(streak, LossStreak)
        return streak.limit, streak.cooldown_ms
