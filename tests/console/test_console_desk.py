"""The desk's screens by key and palette (docs/console.md, keys: "trade history, the daily table, ... and two
harness runs side by side"; issue 18 items 2-4): what each shows of the real files, and that they
follow the state while open."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from console_tools import wait_until
from textual.widgets import DataTable

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import DEMO_RUN, DEMO_RUN_B, FIXED_NOW_MS, MINUTE
from tc1console.console.runs import runs_dir
from tc1console.console.screens.compare_screen import CompareScreen
from tc1console.console.screens.daily_screen import DailyScreen
from tc1console.console.screens.harness_screen import HarnessScreen
from tc1console.console.screens.history_screen import HistoryScreen
from tc1console.console.screens.story_screen import StoryScreen
from tc1console.console.screenshots import demo_app
from tc1console.console.widgets.line_chart import LineChart
from tc1console.console.widgets.runs_table import RunsTable
from tc1console.engine.live import LiveRisk
from tc1console.engine.store import read_state

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def watching_app(root) -> Tc1ConsoleApp:
    app = Tc1ConsoleApp(root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    return app


def column(table: DataTable, key: str) -> list[str]:
    return [table.get_cell(row, key).plain.strip() for row in [r.key for r in table.ordered_rows]]


async def palette(pilot, query: str) -> None:
    """Run a command from the command palette by typing its name."""
    await pilot.press("ctrl+p")
    await pilot.press(*query)
    await pilot.pause(0.3)  # the palette searches in a worker
    await pilot.press("enter")


async def test_history_lists_the_kept_closes_newest_first_and_filters_by_symbol_and_day(demo_root):
    closes = list(read_state(demo_root)[2].engine.recent_closes.values())
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.shown, "the history")
        table = app.screen.query_one("#history-table", DataTable)
        newest = sorted(closes, key=lambda c: c.exit_ts_ms, reverse=True)
        assert column(table, "trade") == [c.trade_id for c in newest]
        first = newest[0]
        assert column(table, "pnl")[0] == f"{first.pnl_after_fees:+,.2f}"
        assert column(table, "r")[0] == f"{first.R_multiple:+.2f}R"

        await pilot.press("s", "enter", "down", "enter")  # the first symbol in the list: BTCUSDT
        await wait_until(pilot, lambda: set(column(table, "symbol")) == {"BTCUSDT"}, "the symbol filter")
        assert len(column(table, "trade")) == sum(1 for c in closes if c.symbol == "BTCUSDT")
        await pilot.press("d", "enter", "down", "enter")  # the newest day: today
        await wait_until(pilot, lambda: app.screen.day == "2024-11-19", "the day filter")
        assert column(table, "trade") == [c.trade_id for c in newest if c.symbol == "BTCUSDT"
                                          and c.exit_ts_ms >= FIXED_NOW_MS - FIXED_NOW_MS % 86_400_000]


async def test_enter_on_a_trade_tells_its_journal_story_with_who_did_what(demo_root):
    # The newest close: opened by the bot, filled in part by an exchange sync, closed by hand.
    live = LiveRisk(demo_root)
    live.try_open("story-1", "ETHUSDT", True, FIXED_NOW_MS - 5 * MINUTE, 3_000.0, 2_970.0)
    live.fill("story-1", 0.5, by="exchange-sync")
    live.close("story-1", FIXED_NOW_MS - MINUTE, 3_030.0, by="cli", reason="closed on the exchange")
    newest = read_state(demo_root)[2].engine.recent_closes["story-1"]
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.shown, "the history")
        await pilot.press("enter")  # the newest close
        await wait_until(pilot, lambda: isinstance(app.screen, StoryScreen) and app.screen.loaded, "the story")
        text = str(app.screen.query_one("#story-text").render())
        lines = text.splitlines()
        assert len(lines) == 3
        assert " bot " in lines[0] and "open   story-1" in lines[0].replace("open  ", "open   ")
        assert "exchange-sync" in lines[1] and "fill" in lines[1] and "filled 0.50 of" in lines[1]
        assert " cli " in lines[2] and "close story-1" in lines[2] and f"{newest.R_multiple:+.2f}R" in lines[2]
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_history_follows_a_close_made_while_it_is_open(fresh_root):
    live = LiveRisk(fresh_root)
    for tid, minutes in (("a", 30), ("b", 20)):
        live.try_open(trade_id=tid, symbol="ETHUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - minutes * MINUTE,
                      entry_price=3_000.0, stop_price=2_970.0)
    live.close(trade_id="a", exit_ts_ms=FIXED_NOW_MS - 10 * MINUTE, exit_price=3_030.0)
    app = watching_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.shown, "the history")
        table = app.screen.query_one("#history-table", DataTable)
        assert column(table, "trade") == ["a"]
        live.close(trade_id="b", exit_ts_ms=FIXED_NOW_MS - 5 * MINUTE, exit_price=2_990.0)
        await wait_until(pilot, lambda: column(table, "trade") == ["b", "a"], "the new close on top")


async def test_the_daily_screen_and_tc1_daily_show_the_same_rows(demo_root):
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await palette(pilot, "Daily table")
        await wait_until(pilot, lambda: isinstance(app.screen, DailyScreen) and app.screen.loads, "the daily table")
        rows = [r.as_dict() for r in app.screen.rows]
        table = app.screen.query_one(DataTable)
        assert column(table, "day") == ["2024-11-19", "2024-11-18"]  # newest first, from the first known day
    out = subprocess.run([sys.executable, "-m", "tc1console", "daily", "--root", str(demo_root), "--days", "30",
                          "--until", "2024-11-19", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["days"] == rows
    assert rows[-1]["closes"] == 7 and rows[-1]["balance"] == read_state(demo_root)[2].engine.balance


async def test_the_daily_screen_reads_again_when_the_journal_grows(fresh_root):
    live = LiveRisk(fresh_root)
    app = watching_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DailyScreen) and app.screen.loads, "the daily table")
        screen = app.screen
        assert screen.rows[-1].closes == 0
        live.try_open(trade_id="a", symbol="ETHUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - 30 * MINUTE,
                      entry_price=3_000.0, stop_price=2_970.0)
        done = live.close(trade_id="a", exit_ts_ms=FIXED_NOW_MS - 10 * MINUTE, exit_price=2_970.0)
        await wait_until(pilot, lambda: screen.rows and screen.rows[-1].closes == 1, "the close in today's row")
        assert screen.rows[-1].pnl == done["pnl_after_fees"] and screen.rows[-1].balance == done["balance_after"]


async def test_two_marked_runs_open_side_by_side_with_both_curves(demo_pair_root):
    app = demo_app(demo_pair_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await palette(pilot, "Compare two harness runs")  # from the dashboard: the launcher, on its list
        await wait_until(pilot, lambda: isinstance(app.screen, HarnessScreen) and app.screen.query(RunsTable),
                         "the run list")
        table = app.screen.query_one(RunsTable)
        assert table.has_focus
        await pilot.press("v")  # nothing marked yet: a hint, no comparison
        await pilot.pause()
        assert isinstance(app.screen, HarnessScreen)
        for name in (DEMO_RUN, DEMO_RUN_B):
            table.move_cursor(row=table.get_row_index(str(runs_dir(demo_pair_root) / name)))
            await pilot.press("m")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        screen = app.screen
        rows = {r.key: r for r in screen.rows}
        summaries = [json.loads((runs_dir(demo_pair_root) / n / "summary.json").read_text()) for n in (DEMO_RUN,
                                                                                                     DEMO_RUN_B)]
        assert rows["final_balance"].differs and rows["risk_config"].differs
        assert not rows["trades_in"].differs and not rows["skipped_by_reason.invalid_input"].differs
        delta = summaries[1]["trades_taken"] - summaries[0]["trades_taken"]
        assert rows["trades_taken"].delta == f"{delta:+,}"
        assert set(rows) >= {f"skipped_by_reason.{k}" for k in summaries[0]["skipped_by_reason"]}
        chart = screen.query_one(LineChart)
        assert [s.label for s in chart.series] == ["A", "B"]
        assert chart.series[0].points[-1][1] == summaries[0]["final_balance"]
        assert chart.series[1].points[-1][1] == summaries[1]["final_balance"]
