"""The `?` help screen: every key, built from the live bindings, and what each panel shows."""

from __future__ import annotations

from typing import Sequence

from textual.content import Content
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..snapshot import MUTED
from ..widgets.base import lines, styled

PANELS: tuple[tuple[str, str], ...] = (
    ("Balance", "the account balance; equity = balance + unrealized PnL at the bot's marks; today = "
                "realized PnL after fees of today's (UTC) closes; since start = balance - starting balance"),
    ("Open risk", "summed risk of the open positions against total_open_risk_cap, and as % of balance; "
                  "stops = what every stop hit would book (fees included), live = unrealized PnL at the marks"),
    ("Positions", "open positions against max_concurrent_trades, and the slots left"),
    ("Status", "ACTIVE when a new entry may open now; else BLOCKED, the first reason in the "
               "engine's order and why, and how many other reasons there are"),
    ("Safety rails", "balance vs equity_floor, today's realized loss vs daily_loss_cap, today's "
                     "entries vs max_trades_per_day"),
    ("Headroom", "what is left today: loss, open-risk budget, trades, distance to the floor, "
                 "position slots, the next trade's risk budget, and the time to the UTC rollover "
                 "that resets the day's counters"),
    ("Equity", "balance after each close in the kept window, with its low / high range"),
    ("Open positions", "trade, symbol, side, qty (at the symbol's step), entry, the bot's mark, unrealized "
                       "PnL after both fees (what a close at the mark would book), R now, stop, distance to "
                       "the stop in % of the mark, risk $, risk % of balance, age; updated in place, so the "
                       "cursor stays put. Below it: how old the marks are (no marks, stale or unreadable "
                       "marks are named there; marks are display only)"),
    ("Events", "the journal's tail: opens, skips with their reason, closes with R and PnL "
               "(losses in red), resets and config changes; enter on it shows every line in full"),
)

TABLE_KEYS = "↑ ↓ PgUp PgDn Home End: move in the positions table;  Tab: next panel"


def help_text(keys: Sequence[tuple[str, str, str]]) -> Content:
    """The help screen's body: keys (key, description, tooltip) then panels."""
    width = max((len(k) for k, _, _ in keys), default=3) + 2
    out = [styled("Keys", bold=True)]
    for key, description, tooltip in keys:
        out.append(styled(key.ljust(width), "warn", bold=True) + styled(description, bold=True)
                   + (styled(f"  {tooltip}", MUTED) if tooltip else ""))
    out.append(styled(TABLE_KEYS, MUTED))
    out.append("")
    out.append(styled("Panels", bold=True))
    label = max(len(name) for name, _ in PANELS) + 2
    for name, text in PANELS:
        out.append(styled(name.ljust(label), bold=True) + styled(text, MUTED))
    out.append("")
    out.append(styled("Everything updates by itself when runtime/ or configs/ change. A file that cannot "
                      "be read keeps the last good view under a red banner naming the file.", MUTED))
    return lines(out)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: round $accent; border-title-color: $accent; background: $surface; padding: 0 1;
    }
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", key_display="esc", id="help.close"),
    ]

    def __init__(self, keys: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Help"
            box.border_subtitle = "esc / ? closes"
            with VerticalScroll():
                yield Static(help_text(self.keys), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)


def keys_of(bindings: Sequence[tuple[Binding, str]]) -> list[tuple[str, str, str]]:
    """(key shown, description, tooltip) for each binding with a description, first one per action."""
    seen: set[str] = set()
    out = []
    for binding, shown in bindings:
        if not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        out.append((shown, binding.description, binding.tooltip))
    return out
