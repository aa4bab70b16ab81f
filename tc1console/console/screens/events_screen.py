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
    EventRow > .event-when { width: 16; color: $text-muted; }
    EventRow > .event-text { width: 1fr; text-wrap: wrap; }
    """

    def __init__(self, event: EventLine) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        yield Static(styled(f"{self.event.when}  #{self.event.seq}", MUTED), classes="event-when")
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
                for event in self.events:
                    yield EventRow(event)
        yield Footer()

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.focus()
        self.call_after_refresh(scroll.scroll_end, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)
