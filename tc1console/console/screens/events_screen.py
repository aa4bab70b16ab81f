"""Every event line of the Events panel in full: wrapped under its time, newest at the bottom.

The panel cuts a long line (a skip's detail, a config change) at its width; Enter on it opens this.
It shows the events as they were when it opened; escape goes back to the live dashboard.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..snapshot import MUTED, EventLine
from ..widgets.base import styled
from ..widgets.events_panel import NO_EVENTS, event_markup


class EventRow(Horizontal):
    """One event: its time and journal seq in a column, what happened wrapped beside it."""

    DEFAULT_CSS = """
    EventRow { height: auto; }
    EventRow > .event-when { color: $text-muted; }
    EventRow > .event-text { width: 1fr; text-wrap: wrap; }
    """

    def __init__(self, event: EventLine, widths: tuple[int, int]) -> None:
        super().__init__()
        self.event = event
        self.widths = widths  # (time, seq) column widths, the same for every row so the texts line up

    def compose(self) -> ComposeResult:
        when_w, seq_w = self.widths
        when = Static(styled(f"{self.event.when:<{when_w}} {'#' + str(self.event.seq):<{seq_w}}", MUTED),
                      classes="event-when")
        when.styles.width = when_w + 1 + seq_w + 2
        yield when
        yield Static(event_markup(self.event), classes="event-text")


class EventsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > Vertical {
        width: 100%; max-width: 140; height: 100%;
        border: round $accent; border-title-color: $accent; border-title-style: bold;
        border-subtitle-color: $text-muted; background: $surface; padding: 0 1;
    }
    EventsScreen VerticalScroll { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape,enter,q", "close", "Close", key_display="esc", id="events.close",
                tooltip="Back to the dashboard"),
    ]

    def __init__(self, events: tuple[EventLine, ...]) -> None:
        super().__init__()
        self.events = events

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Events in full"
            box.border_subtitle = f"the last {len(self.events):,} journal entries, newest at the bottom · esc closes"
            with VerticalScroll(id="events-full"):
                if not self.events:
                    yield Static(styled(NO_EVENTS, MUTED))
                widths = (max((len(e.when) for e in self.events), default=0),
                          max((len(f"#{e.seq}") for e in self.events), default=0))
                for event in self.events:
                    yield EventRow(event, widths)
        yield Footer()

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.focus()
        self.call_after_refresh(scroll.scroll_end, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)
