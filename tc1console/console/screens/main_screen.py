"""The dashboard: cards, rails, headroom, equity, the positions table and the events tail."""

from __future__ import annotations

import time

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from ...engine.marks import BookMarks
from ...engine.rails import MS_PER_DAY
from .. import format as fmt
from ..marks_view import CardMarks, card_marks, note
from ..messages import Problem
from ..snapshot import Snapshot
from ..widgets.base import styled
from ..widgets.equity_panel import EquityPanel
from ..widgets.events_panel import EventsPanel
from ..widgets.headroom_panel import HeadroomPanel
from ..widgets.positions_table import PositionsTable
from ..widgets.problem_banner import ProblemBanner
from ..widgets.rails_panel import RailsPanel
from ..widgets.summary_cards import BalanceCard, OpenRiskCard, SlotsCard, StatusCard
from ..widgets.title_bar import TitleBar
from .events_screen import EventsScreen

CARDS_MARKS_EVERY_S = 1.0  # the cards follow the marks at most this often (the table at once)
SHORT_BELOW = 34  # rows: below this the panels shrink to their most important lines
NARROW_BELOW = 100  # columns


class MainScreen(Screen[None]):
    _marks: BookMarks | None = None  # the last snapshot's: the note under the table ages with the clock
    _count = 0
    # The cards' share of the marks: repainting them on every marks tick costs a quarter of the
    # console's CPU at 10 ticks a second (Textual repaints every widget between them and the
    # table), so they take new marks once a second, and at once when the book itself changed.
    _card_marks: CardMarks | None = None
    _cards_dirty = False
    _cards_at = 0.0
    _cards_seq: int | None = None

    class Ready(Message):
        """The panels exist: the app may start reading into them."""

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield ProblemBanner(id="banner")
        with Horizontal(id="cards"):
            yield self._titled(BalanceCard(id="balance", classes="panel"), "Balance")
            yield self._titled(OpenRiskCard(id="open-risk", classes="panel"), "Open risk")
            yield self._titled(SlotsCard(id="slots", classes="panel"), "Positions")
            yield self._titled(StatusCard(id="status", classes="panel"), "Status")
        with Horizontal(id="panels"):
            yield self._titled(RailsPanel(id="rails", classes="panel"), "Safety rails")
            yield self._titled(HeadroomPanel(id="headroom", classes="panel"), "Headroom today")
            yield self._titled(EquityPanel(id="equity", classes="panel"), "Equity")
        yield self._titled(PositionsTable(id="positions", classes="panel"), "Open positions")
        yield self._titled(EventsPanel(id="events", classes="panel"), "Events")
        yield Footer()

    @staticmethod
    def _titled(widget, title: str):
        widget.border_title = title
        return widget

    def on_screen_resume(self) -> None:
        # Back from a dialog or another screen: events that came meanwhile were laid out only now.
        self.query_one(EventsPanel).follow()

    def on_events_panel_read_requested(self, message: EventsPanel.ReadRequested) -> None:
        self.app.push_screen(EventsScreen(message.events))

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_BELOW, "-short")
        narrow = event.size.width < NARROW_BELOW
        self.set_class(narrow, "-narrow")
        footer = self.query_one(Footer)  # narrow: every key still fits (the palette is in the help)
        footer.compact = narrow
        footer.show_command_palette = not narrow

    # --- what the app calls -----------------------------------------------------------------------

    def show_snapshot(self, snap: Snapshot, now_ms: int) -> None:
        """Render `snap`; each panel repaints only if its piece changed."""
        with self.app.batch_update():
            title = self.query_one(TitleBar)
            title.seq = snap.seq
            title.note = "no state yet: showing initial_balance" if snap.fresh else (
                f"not journaled yet ({snap.note})" if snap.note else "")
            self.query_one(BalanceCard).info = snap.balance
            self.query_one(OpenRiskCard).info = snap.open_risk
            self._card_marks, self._cards_dirty = card_marks(snap.marks), True
            if snap.seq != self._cards_seq or snap.fresh:
                self._cards_seq = snap.seq
                self._cards_at = 0.0  # the book changed: now
            self.query_one(SlotsCard).info = snap.slots
            self.query_one(StatusCard).info = snap.rails
            rails = self.query_one(RailsPanel)
            rails.info = snap.rails
            rails.set_class(snap.rails.blocked_by is not None, "-blocked")
            self.query_one(StatusCard).set_class(snap.rails.blocked_by is not None, "-blocked")
            self.query_one(HeadroomPanel).info = snap.headroom
            self.query_one(EquityPanel).info = snap.equity
            table = self.query_one(PositionsTable)
            table.show(snap.positions, now_ms)
            self._marks, self._count = snap.marks, len(snap.positions)
            self.query_one(EventsPanel).show(snap.events)
            self.tick(now_ms)

    def tick(self, now_ms: int) -> None:
        """Once a second: the clock, the rollover countdown and the age cells, where their text changed."""
        self.query_one(TitleBar).clock = _utc_minute(now_ms)
        self.query_one(HeadroomPanel).rollover = fmt.countdown(MS_PER_DAY - now_ms % MS_PER_DAY)
        if self._cards_dirty and time.monotonic() - self._cards_at >= CARDS_MARKS_EVERY_S:
            self._cards_dirty, self._cards_at = False, time.monotonic()
            self.query_one(BalanceCard).marks = self.query_one(OpenRiskCard).marks = self._card_marks
        table = self.query_one(PositionsTable)
        table.tick(now_ms)
        text, tone = note(self._marks, now_ms)
        subtitle = f"{self._count:,} open · {styled(text, tone)}"
        if table.border_subtitle != subtitle:
            table.border_subtitle = subtitle

    def show_problem(self, problem: Problem | None, since: str = "", *, has_view: bool = True) -> None:
        banner = self.query_one(ProblemBanner)
        banner.since = since
        banner.has_view = has_view
        banner.problem = problem

    def set_mode(self, text: str) -> None:
        self.query_one(TitleBar).mode = text

    def set_root_label(self, text: str) -> None:
        self.query_one(TitleBar).root_label = text


def _utc_minute(now_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now_ms / 1000))
