"""Reading an event line in full (docs/console.md panels: "a tail of recent events (opens, skips with
reasons, closes with R and PnL)"): the panel cuts long lines at its width, so Enter on it opens every
line wrapped. Found by a new user at 80x24, where a skip's reason and detail were cut off."""

from __future__ import annotations

import re

import pytest
from console_tools import showing, wait_until
from textual.geometry import Region

from tc1console.console.fixtures import FIXED_NOW_MS
from tc1console.console.screens.events_screen import EventRow, EventsScreen
from tc1console.console.screens.main_screen import MainScreen
from tc1console.console.screenshots import demo_app
from tc1console.console.snapshot import load_snapshot
from tc1console.console.widgets.events_panel import EventsPanel

pytestmark = pytest.mark.anyio


def _words(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _painted(widget) -> str:
    """The text a widget paints now, line by line, over its whole size."""
    width, height = widget.size
    return "".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


async def test_enter_on_the_events_panel_shows_every_line_in_full_and_escape_goes_back(demo_root):
    app = demo_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.main.query_one(EventsPanel)
        shown = load_snapshot(demo_root, FIXED_NOW_MS).events  # what the panel holds
        skip = shown[-1]
        full = "".join(text for text, _ in skip.parts)
        assert skip.kind == "skip" and len(full) > panel.size.width  # the panel cuts it
        panel.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: showing(app, EventsScreen, "EventRow"), "the events in full")
        rows = list(app.screen.query(EventRow))
        assert [row.event for row in rows] == list(shown)
        last = rows[-1].query_one(".event-text")
        assert _words(_painted(last)) == _words(full)  # wrapped, every word painted
        assert last.size.height > 1 and last.region.right <= app.screen.size.width
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
