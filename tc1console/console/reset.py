"""Resetting day counters from the console: what a reset would clear (for the confirmation) and what it did.

Pure apart from the one read in `plan_reset`; the reset itself is `LiveRisk.reset`, the same locked
transaction the bot and `tc1 policy reset` use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from ..engine import store
from ..engine.events import cleared_lines
from . import format as fmt

LISTED = 8  # day buckets named one by one in the confirmation; more are summarised


@dataclass(frozen=True, slots=True)
class DayCount:
    key: str  # YYYY-MM-DD (UTC)
    entries: int
    pnl: float  # realized PnL after fees of that day's closes


@dataclass(frozen=True, slots=True)
class ResetPlan:
    """What a reset of `scope` ("today" or "all") clears, as read just before asking."""

    scope: str
    today: str  # the console clock's UTC day
    days: tuple[DayCount, ...]  # the buckets it clears, oldest first (today's alone, or every one)

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.days]

    @property
    def entries(self) -> int:
        return sum(d.entries for d in self.days)

    @property
    def pnl(self) -> float:
        return sum(d.pnl for d in self.days)


def plan_reset(root: str | os.PathLike[str], scope: str, today: str) -> ResetPlan:
    """Read the day buckets now (no lock, no write). Raises ConfigError / StateError naming the file."""
    if scope not in ("today", "all"):
        raise ValueError(f"scope must be 'today' or 'all', not {scope!r}")
    _overlay, _policy, loaded = store.read_state(root)
    buckets = loaded.engine.days
    keys = sorted(buckets) if scope == "all" else [k for k in (today,) if k in buckets]
    return ResetPlan(scope, today, tuple(DayCount(k, buckets[k].entries, buckets[k].pnl) for k in keys))


def _entries(n: int) -> str:
    return f"{n:,} entr{'y' if n == 1 else 'ies'}"


def _buckets(n: int) -> str:
    return f"{n:,} day bucket{'' if n == 1 else 's'}"


def nothing_text(plan: ResetPlan) -> str:
    """Why no confirmation is asked: there is nothing to clear."""
    if plan.scope == "today":
        return f"nothing to reset: no counters for today ({plan.today} UTC) yet"
    return "nothing to reset: there are no day counters yet"


def confirm_title(plan: ResetPlan) -> str:
    return "Reset today's counters" if plan.scope == "today" else "Reset all day counters"


def confirm_lines(plan: ResetPlan) -> list[tuple[str, str]]:
    """The confirmation's body as (text, tone) lines: exactly what will be cleared, and what will not."""
    out: list[tuple[str, str]] = []
    if not plan.days:  # cleared by someone else while the question was up
        out.append((nothing_text(plan), "bold"))
    elif plan.scope == "today":
        day = plan.days[0]
        out.append((f"Day {day.key} (UTC, today)", "bold"))
        out.append((f"  entries today        {day.entries:>10,}", ""))
        out.append((f"  realized PnL today   {fmt.signed_money(day.pnl):>10}", "pnl"))
        out.append(("", ""))
        out.append(("Clears this day's entry count and realized PnL, so max_trades_per_day and "
                    "daily_loss_cap count from zero again for the rest of the day.", "muted"))
    else:
        out.append((f"{_buckets(len(plan.days))}, {_entries(plan.entries)}, "
                    f"{fmt.signed_money(plan.pnl)} realized PnL in all", "bold"))
        shown = plan.days if len(plan.days) <= LISTED else plan.days[-LISTED:]
        if len(shown) < len(plan.days):
            out.append((f"  ... {len(plan.days) - len(shown)} older day"
                        f"{'s' if len(plan.days) - len(shown) != 1 else ''} "
                        f"({plan.days[0].key} to {plan.days[-len(shown) - 1].key})", "muted"))
        for day in shown:
            mark = "  (today)" if day.key == plan.today else ""
            out.append((f"  {day.key}   {_entries(day.entries):>14}   {fmt.signed_money(day.pnl):>10}{mark}", ""))
        out.append(("", ""))
        out.append(("Clears every day's entry count and realized PnL: the rails count from zero "
                    "again, today included.", "muted"))
    out.append(("Balance, open positions and equity are not touched. The reset is journaled "
                "(by console) in the same locked transaction the bot uses.", "muted"))
    return out


def done_text(plan: ResetPlan, cleared: Mapping[str, Any]) -> str:
    """The toast after the reset: what it actually cleared, counted when it ran (the bot may have
    traded while the dialog was up: then it says so)."""
    days = cleared.get("days") or {}
    lines = cleared_lines(cleared, plan.scope, plan.today)
    if sorted(days) != plan.keys or any(days[d.key]["entries"] != d.entries or days[d.key]["pnl"] != d.pnl
                                        for d in plan.days if d.key in days):
        lines.append("(the counters changed after the confirmation was shown: these are what it cleared)")
    return "\n".join(lines)
