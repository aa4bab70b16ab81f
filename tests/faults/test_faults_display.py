"""Hostile ids (issue 19 item 5; docs/console.md): a trade id with an unmatched `[`, markup, an ANSI
escape, a lone surrogate, a bidi override or a newline is shown as text everywhere: the API gives
a clear error for an id that is not a string, `tc1 dashboard` prints it with control characters
dropped and no traceback, and the console (a real Pilot) draws it, escaped, in the Events panel
and the events in full, without a MarkupError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_tools import shown, showing, wait_until
from textual.geometry import Region
from textual.widgets import Static

from cli_tools import tc1
from live_tools import make_root
from tc1console.console.fixtures import FIXED_NOW_MS
from tc1console.console.screens.events_screen import EventRow, EventsScreen
from tc1console.console.screenshots import demo_app
from tc1console.console.widgets.events_panel import EventsPanel
from tc1console.engine.errors import InputError, InvalidExitError
from tc1console.engine.live import LiveRisk

HOSTILE = {"t[1": "t[1", "[bold]x[/bold]": "[bold]x[/bold]", "\x1b[31mred\x1b[0m": "[31mred[0m",
           "lone\ud800": "lone?", "a\u202eb": "ab", "x\ny": "xy"}  # id -> as shown
NOT_STRINGS = [["t1"], {"a": 1}, ("t", 1), None, 7]
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
T = FIXED_NOW_MS - 3_600_000


def hostile_root(path: Path) -> Path:
    root = make_root(path)
    live = LiveRisk(root)
    for i, tid in enumerate(HOSTILE):
        assert live.try_open(trade_id=tid, entry_ts_ms=T + i, **OPEN)["skipped_reason"] is None
    live.try_open(trade_id=["t1"], entry_ts_ms=T + 10, **OPEN)  # a skip whose detail quotes it
    live.close(trade_id="t[1", exit_ts_ms=T + 20, exit_price=3_010.0)
    live.try_open(trade_id="[red]s", entry_ts_ms=T + 30, **{**OPEN, "symbol": "[b]ETH\x1b[2J"})
    return root


@pytest.mark.parametrize("tid", NOT_STRINGS, ids=repr)
def test_an_id_that_is_not_a_string_is_a_clear_error_in_the_api(tmp_path: Path, tid) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    opened = live.try_open(trade_id=tid, entry_ts_ms=T, **OPEN)
    assert opened["skipped_reason"] == "invalid_input" and "trade_id must be a non-empty string" in opened["detail"]
    with pytest.raises(InvalidExitError, match="trade_id must be a non-empty string"):
        live.close(trade_id=tid, exit_ts_ms=T + 1, exit_price=3_010.0)
    for call in (lambda: live.cancel(tid), lambda: live.fill(tid, 0.01)):
        with pytest.raises(InputError, match="trade_id must be a non-empty string"):
            call()


def test_the_dashboard_prints_hostile_ids_as_plain_text(tmp_path: Path) -> None:
    root = hostile_root(tmp_path / "root")
    done = tc1("dashboard", root=root)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    for tid, text in HOSTILE.items():
        if tid != "t[1":  # closed: not in the positions table
            assert text in done.stdout, text


def _painted(widget) -> str:
    width, height = widget.size
    return "".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


@pytest.mark.anyio
async def test_the_console_shows_hostile_ids_escaped_in_the_events(tmp_path: Path) -> None:
    root = hostile_root(tmp_path / "root")
    app = demo_app(root)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        panel = app.main.query_one(EventsPanel)
        await wait_until(pilot, lambda: "close t[1" in shown(panel.query_one(Static)), "the events panel")
        text = shown(panel.query_one(Static))
        for tid in (*HOSTILE.values(), "[red]s [b]ETH[2J", "got ['t1']"):
            assert tid in text, tid
        assert "\x1b" not in text and "\u202e" not in text and "\ud800" not in text
        panel.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: showing(app, EventsScreen, "EventRow"), "the events in full")
        full = re.sub(r"\s+", "", "".join(_painted(row.query_one(".event-text")) for row in app.screen.query(EventRow)))
        for tid in HOSTILE.values():
            assert re.sub(r"\s+", "", tid) in full, tid
        assert "\x1b" not in full
    assert app.return_code in (None, 0)
