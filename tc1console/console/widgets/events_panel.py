"""The tail of the journal: opens, skips with their reasons, closes with R and PnL (newest at the bottom).

Its lines are cut at the panel's width; Enter on the panel asks for them in full (EventsScreen).
"""

from __future__ import annotations

from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ..snapshot import MUTED, EventLine

from .base import lines, styled


NO_EVENTS = "no events yet: runtime/journal.jsonl is empty or missing"


def event_markup(e: EventLine) -> Content:
    """What happened, in colour, without the time (Content: an id is shown as it is, never parsed)."""
    return Content("").join([styled(text, tone) for text, tone in e.parts])


def render_events(events: Sequence[EventLine]) -> Content:
    if not events:
        return styled(NO_EVENTS, MUTED)
    return lines(styled(e.when, MUTED) + "  " + event_markup(e) for e in events)


class EventsPanel(VerticalScroll):
    BINDINGS = [
        Binding("enter", "read_in_full", "In full", id="events.read",
                tooltip="Every event line in full, wrapped (the panel cuts long lines at its width)"),
    ]

    class ReadRequested(Message):
        """The operator asked to read the events shown, in full."""

        def __init__(self, events: tuple[EventLine, ...]) -> None:
            super().__init__()
            self.events = events

    DEFAULT_CSS = """
    EventsPanel { height: 10; }
    EventsPanel > Static { width: auto; min-width: 100%; text-wrap: nowrap; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[EventLine, ...] | None = None
        # Follow the tail until the operator scrolls up to read; scrolling back down follows again.
        # A flag, not a position check at each update: the position says "not at the end" whenever
        # the last scroll to the end ran before the new lines were laid out (a dialog over the
        # dashboard, a resize), and the panel then stopped following for good.
        self.following = True

    def compose(self) -> ComposeResult:
        yield Static(styled("no data yet", MUTED), id="events-text")

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.following = new_value >= self.max_scroll_y

    def show(self, events: tuple[EventLine, ...]) -> None:
        if events == self._shown:
            return  # nothing new: no re-render
        self._shown = events
        self.query_one("#events-text", Static).update(render_events(events))
        self.follow()

    def follow(self) -> None:
        """Scroll to the newest line once laid out, unless the operator scrolled up."""
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def on_resize(self) -> None:
        self.follow()

    def action_read_in_full(self) -> None:
        self.post_message(self.ReadRequested(self._shown or ()))
