"""Closed trades and their journal stories, as the trade history screen shows them. Pure, no Textual.

The rows come from the closes the state keeps (the engine's `recent_closes`, in every snapshot);
a story comes from the journal (`ledger.trade_story`, read off the UI thread) and is told in the
Events panel's own words (`engine.events.describe`), with who did each step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..engine.config import OverlayConfig
from ..engine.core import CloseResult
from ..engine.ledger import event_ts
from ..engine.rails import day_key
from . import format as fmt
from ..engine.events import describe as describe_event
from .snapshot import MUTED, PLAIN, tone_of

ALL = ""  # the filter value that keeps every row
# key, label, right-aligned
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("time", "closed (UTC)", False),
    ("trade", "trade", False),
    ("symbol", "symbol", False),
    ("side", "side", False),
    ("qty", "qty", True),
    ("entry", "entry", True),
    ("exit", "exit", True),
    ("r", "R", True),
    ("pnl", "PnL", True),
    ("fees", "fees", True),
    ("held", "held for", True),
)
# Who acted, for entries that do not say (the bot's own calls carry no `by`).
BOT_KINDS = frozenset({"open", "skip", "close"})
SKIP_DETAIL = frozenset({"seq", "at_ms", "type", "trade_id", "by"})


@dataclass(frozen=True, slots=True)
class HistoryRow:
    trade_id: str
    symbol: str
    day: str  # the UTC day of the exit
    cells: tuple[tuple[str, str], ...]  # (text, tone), in COLUMNS order
    close: CloseResult


def _when(ms: int) -> str:
    return time.strftime("%m-%d %H:%M", time.gmtime(ms / 1000))


def _qty(overlay: OverlayConfig | None, symbol: str, qty: float) -> str:
    if overlay is None:
        return f"{qty:g}"
    return fmt.qty(qty, overlay.rules_for(symbol).qty_step)


def history_rows(closes: Sequence[CloseResult], overlay: OverlayConfig | None) -> list[HistoryRow]:
    """Every kept close, newest first (by exit time; the later booking first at an equal time)."""
    order = sorted(range(len(closes)), key=lambda i: (closes[i].exit_ts_ms, i), reverse=True)
    rows = []
    for i in order:
        c = closes[i]
        rows.append(HistoryRow(str(c.trade_id), str(c.symbol), day_key(c.exit_ts_ms), (
            (_when(c.exit_ts_ms), MUTED), (str(c.trade_id), PLAIN), (str(c.symbol), PLAIN),
            ("long" if c.is_long else "short", PLAIN), (_qty(overlay, c.symbol, c.qty), PLAIN),
            (fmt.price(c.entry_price), PLAIN), (fmt.price(c.exit_price), PLAIN),
            (f"{c.R_multiple:+.2f}R", tone_of(c.R_multiple)),
            (fmt.signed_money(c.pnl_after_fees), tone_of(c.pnl_after_fees)),
            (fmt.money(c.fees), MUTED), (fmt.age(c.exit_ts_ms - c.entry_ts_ms), PLAIN)), c))
    return rows


def filter_rows(rows: Sequence[HistoryRow], symbol: str = ALL, day: str = ALL) -> list[HistoryRow]:
    return [r for r in rows if (symbol == ALL or r.symbol == symbol) and (day == ALL or r.day == day)]


def symbols_of(rows: Sequence[HistoryRow]) -> list[str]:
    return sorted({r.symbol for r in rows})


def days_of(rows: Sequence[HistoryRow]) -> list[str]:
    return sorted({r.day for r in rows}, reverse=True)


def totals(rows: Sequence[HistoryRow]) -> str:
    """`12 trades, 7 won, PnL +123.45, R +3.10, fees 8.20` over the rows shown."""
    if not rows:
        return "no trades"
    pnl = sum(r.close.pnl_after_fees for r in rows)
    wins = sum(1 for r in rows if r.close.pnl_after_fees > 0)
    return (f"{len(rows):,} trade{'s' if len(rows) != 1 else ''}, {wins:,} won, PnL {fmt.signed_money(pnl)}, "
            f"R {sum(r.close.R_multiple for r in rows):+.2f}, fees {fmt.money(sum(r.close.fees for r in rows))}")


# --- a trade's story ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoryLine:
    when: str  # the event's own UTC date and time
    who: str  # `bot`, `console`, `cli`, ... or `-` when the entry does not say
    parts: tuple[tuple[str, str], ...]  # (text, tone): the Events panel's words, then any details


def who_of(entry: Mapping[str, Any]) -> str:
    by = entry.get("by")
    if by is not None:
        return str(by)
    return "bot" if entry.get("type") in BOT_KINDS else "-"


def _details(entry: Mapping[str, Any]) -> str:
    """The plain fields of an entry this console does not describe (a kind newer than it)."""
    shown = []
    for key, value in entry.items():
        if key in SKIP_DETAIL or isinstance(value, (dict, list)):
            continue
        shown.append(f"{key}={value}")
    return "  " + " ".join(shown) if shown else ""


def story_lines(entries: Sequence[Mapping[str, Any]], overlay: OverlayConfig, today: str) -> list[StoryLine]:
    lines = []
    for entry in entries:
        ts = event_ts(entry)
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts / 1000)) if ts is not None else "?"
        event = describe_event(entry, overlay, today)
        parts = event.parts
        if event.kind not in ("open", "skip", "close", "reset", "config", "adopt"):
            parts = (*parts, (_details(entry), MUTED))
        lines.append(StoryLine(when, who_of(entry), parts))
    return lines
