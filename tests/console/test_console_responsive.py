"""500 open positions marked every 100 ms keep the console responsive (docs/console.md: "Large accounts stay
smooth: 500 open positions ... render and update without lag"; issue 18 item 6).

A real feed process marks every position's symbol ten times a second while the operator moves the
cursor, pages, opens and closes the help screen and the trade history: each key is handled, and the
marks keep reaching the table in between. Nothing here is timed (bench/console_bench.py measures
the CPU and the latency); the test only needs a few seconds of marks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from console_tools import wait_until

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, LARGE_SYMBOLS, write_large_state
from tc1console.console.screens.help_screen import HelpScreen
from tc1console.console.screens.history_screen import HistoryScreen
from tc1console.console.widgets.positions_table import PositionsTable

pytestmark = pytest.mark.anyio
WRITER = Path(__file__).resolve().parent / "marks_writer_child.py"
N = 500


async def test_keys_are_handled_while_500_positions_are_marked_every_100_ms(fresh_root):
    write_large_state(fresh_root, range(N), balance=100_000.0)
    feed = subprocess.Popen([sys.executable, str(WRITER), str(fresh_root), "0.1",
                             *(f"{symbol}={price}" for symbol, price, _step in LARGE_SYMBOLS)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert feed.stdout.readline().strip() == "marking"
        app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")
        app.animation_level = "none"
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.main.query_one(PositionsTable)
            await wait_until(pilot, lambda: table.row_count == N and table.get_cell("p0000", "mark").plain != "-",
                             "500 positions at their marks")

            async def marks_move() -> None:
                """Wait for the next marks to reach the table (the feed moves every price each tick)."""
                before = table.get_cell("p0000", "mark").plain
                await wait_until(pilot, lambda: table.get_cell("p0000", "mark").plain != before, "new marks")

            table.focus()
            for expected in (1, 2, 3):
                await pilot.press("down")
                assert table.cursor_row == expected
            await marks_move()
            await pilot.press("pagedown")
            assert table.cursor_row > 3
            await pilot.press("end")
            assert table.cursor_row == N - 1 and table.scroll_y > 0
            await marks_move()
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
            await marks_move()  # the dashboard under the help screen kept its marks flowing
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), "the trade history")
            await pilot.press("escape")
            await pilot.press("home")
            assert app.screen is app.main and table.cursor_row == 0
            await marks_move()
            assert table.trade_ids[table.cursor_row] == "p0000"
    finally:
        (fresh_root / "STOP").write_text("")
        try:
            feed.wait(10)
        except subprocess.TimeoutExpired:
            feed.kill()
