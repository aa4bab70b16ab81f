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
        # Follow the tail until the operator scrolls up to read; scrolling back to the end follows
        # again. Only the operator's own scroll up stops it: the position alone says "not at the
        # end" whenever a layout ran after the last scroll to the end (a dialog over the
        # dashboard, a resize, the first read at 80x24), and the panel then stopped for good.
        self.following = True

    def compose(self) -> ComposeResult:
        yield Static(styled("no data yet", MUTED), id="events-text")

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y:
            self.following = True

    # The operator scrolling up (wheel, keys, the scrollbar): stop following to let them read.
    def on_mouse_scroll_up(self) -> None:
        self.following = False

    def on_scroll_up(self) -> None:
        self.following = False

    def on_scroll_to(self) -> None:
        self.following = False  # a drag on the scrollbar; back at the end, watch_scroll_y follows again

    def action_scroll_up(self) -> None:
        self.following = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.following = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.following = False
        super().action_scroll_home()

    def show(self, events: tuple[EventLine, ...]) -> None:
        if events == self._shown:
            return  # nothing new: no re-render
        self._shown = events
        self.query_one("#events-text", Static).update(render_events(events))
        self.call_after_refresh(self._relayout_then_follow)

    def _relayout_then_follow(self) -> None:
        # The text is laid out again once this refresh is done: the first read can land while the
        # screen's first layout is under way (at 80x24), and its new size was then never laid out
        # (the panel showed the oldest line, with nothing to scroll).
        self.query_one("#events-text", Static).refresh(layout=True)
        self.follow()

    def follow(self) -> None:
        """Scroll to the newest line once laid out, unless the operator scrolled up."""
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def on_resize(self) -> None:
        self.follow()

    def watch_virtual_size(self) -> None:
        self.follow()  # the text laid out at a new height (no Resize comes for that alone)

    def action_read_in_full(self) -> None:
        self.post_message(self.ReadRequested(self._shown or ()))
