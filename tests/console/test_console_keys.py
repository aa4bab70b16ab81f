"""Keys and the demo bot: the help screen is built from the bindings, reload re-reads, the demo moves and stops."""

from __future__ import annotations

import pytest
from console_tools import WAIT_S, wait_until

from tc1console.console.app import DemoBot, Tc1ConsoleApp
from tc1console.console.bindings import APP_BINDINGS, parse_keymap
from tc1console.console.screens.help_screen import HelpScreen
from tc1console.console.screenshots import demo_app
from tc1console.console.widgets.events_panel import EventsPanel
from tc1console.console.widgets.title_bar import TitleBar

pytestmark = pytest.mark.anyio


async def test_help_screen_lists_every_binding_and_closes(demo_root):
    app = demo_app(demo_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for binding in APP_BINDINGS:
            assert binding.description in text and binding.tooltip in text.replace("\n", " ")
        assert "Headroom" in text and "palette" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_reload_key_reads_the_files_again(demo_root):
    app = demo_app(demo_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        loads = app.loads
        await pilot.press("r")
        await wait_until(pilot, lambda: app.loads == loads + 1, "a second read")


async def test_demo_bot_trades_into_the_root_and_stops_with_the_console(fresh_root):
    bot = DemoBot(fresh_root)
    app = Tc1ConsoleApp(fresh_root, demo=bot, label="root")
    app.animation_level = "none"
    bot.start()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            events = app.main.query_one(EventsPanel)
            await wait_until(pilot, lambda: any(e.kind == "open" for e in (events._shown or ())),
                             "the demo bot's first open")
            assert "demo bot trading" in TitleBar.render(app.main.query_one(TitleBar)).plain
            assert not bot.error
    finally:
        bot.shutdown(timeout=WAIT_S)  # it stops at its next tick; the bound is only for a failure
    assert not bot.thread.is_alive()


async def test_a_keymap_rebinds_by_binding_id(demo_root):
    app = Tc1ConsoleApp(demo_root, watch=False, label="root", keymap=parse_keymap("reload=f5, help=f1"))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        loads = app.loads
        await pilot.press("f5")
        assert app.loads == loads + 1
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "f5" in str(app.screen.query_one("#help-text").render())


def test_keymap_text_names_a_bad_entry():
    with pytest.raises(ValueError, match="TC1_CONSOLE_KEYMAP: 'nope=x'"):
        parse_keymap("help=f1,nope=x")
