"""Marks in the console (docs/console.md: "Marks from the bot (runtime/marks.json, display only) add mark,
unrealized PnL, R now and distance to stop to the positions table, and equity including unrealized to
the Balance card; no marks, stale marks or a corrupt marks file is shown as such and never blocks
anything"). A real bot process' API writes the files; the watcher runs."""

from __future__ import annotations

import pytest
from console_tools import shown, wait_until

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, MINUTE
from tc1console.console.widgets.positions_table import PositionsTable
from tc1console.console.widgets.problem_banner import ProblemBanner
from tc1console.console.widgets.summary_cards import BalanceCard, OpenRiskCard
from tc1console.engine.live import LiveRisk
from tc1console.engine.marks import MARKS_FILE

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def make_app(root) -> Tc1ConsoleApp:
    app = Tc1ConsoleApp(root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    return app


def cell(table: PositionsTable, trade: str, column: str) -> str:
    return table.get_cell(trade, column).plain.strip()


def subtitle(table: PositionsTable) -> str:
    return str(table.border_subtitle)


async def test_marks_fill_the_table_and_the_cards_and_follow_each_tick(fresh_root):
    live = LiveRisk(fresh_root)
    alloc = live.try_open(trade_id="b1", symbol="BTCUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - 5 * MINUTE,
                          entry_price=60_000.0, stop_price=59_400.0)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the position")
        assert cell(table, "b1", "mark") == "-" and "no marks" in subtitle(table)
        assert "no marks" in shown(app.main.query_one(BalanceCard))

        live.mark({"BTCUSDT": 60_300.0}, ts_ms=FIXED_NOW_MS - 2_000)
        await wait_until(pilot, lambda: cell(table, "b1", "mark") == "60,300.00", "the first mark")
        # What a close at 60,300 would book: the engine's own arithmetic (both fees).
        fee = 4 / 10_000 * alloc["qty"] * (60_000.0 + 60_300.0)
        pnl = 300.0 * alloc["qty"] - fee
        assert cell(table, "b1", "unrl") == f"{pnl:+,.2f}"
        assert cell(table, "b1", "r_now") == f"{pnl / alloc['risk_amount']:+.2f}R"
        assert cell(table, "b1", "to_stop") == f"{(60_300 - 59_400) / 60_300 * 100:.2f}%"
        assert "marks 2s old" in subtitle(table)
        # The cards follow the marks within a second (the table at once).
        card = app.main.query_one(BalanceCard)
        await wait_until(pilot, lambda: f"{10_000 + pnl:,.2f}" in shown(card), "equity including the unrealized")
        risk = shown(app.main.query_one(OpenRiskCard))
        assert f"live {pnl:+,.2f}" in risk and "stops -" in risk

        for price in (60_100.0, 59_350.0):  # each tick shows; the last is through the stop
            live.mark({"BTCUSDT": price}, ts_ms=FIXED_NOW_MS - 1_000)
            await wait_until(pilot, lambda: cell(table, "b1", "mark") == f"{price:,.2f}", f"the mark {price}")
        assert cell(table, "b1", "to_stop").startswith("-")


async def test_stale_missing_and_corrupt_marks_are_named_and_block_nothing(fresh_root):
    live = LiveRisk(fresh_root)
    live.try_open(trade_id="b1", symbol="BTCUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - 9 * MINUTE,
                  entry_price=60_000.0, stop_price=59_400.0)
    live.mark({"BTCUSDT": 60_100.0}, ts_ms=FIXED_NOW_MS - 5 * MINUTE)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        banner = app.main.query_one(ProblemBanner)
        await wait_until(pilot, lambda: table.row_count == 1, "the position")
        assert "marks 5 min old" in subtitle(table)
        assert cell(table, "b1", "mark") == "60,100.00"  # stale marks are still shown, flagged

        path = fresh_root / "runtime" / MARKS_FILE
        path.write_text('{"ts_ms": 1732026')  # half-written by hand
        await wait_until(pilot, lambda: "marks unreadable" in subtitle(table), "the corrupt-marks note")
        assert "not valid JSON" in subtitle(table)
        assert not banner.display and app.problem is None  # the state is fine: no banner
        assert cell(table, "b1", "mark") == "-"

        # The console keeps following the state meanwhile, and the bot keeps trading.
        live.try_open(trade_id="e1", symbol="ETHUSDT", is_long=False, entry_ts_ms=FIXED_NOW_MS - MINUTE,
                      entry_price=3_000.0, stop_price=3_030.0)
        await wait_until(pilot, lambda: table.row_count == 2, "the new position")

        path.unlink()
        await wait_until(pilot, lambda: "no marks" in subtitle(table), "the missing-marks note")
        live.mark({"BTCUSDT": 60_050.0, "ETHUSDT": 2_990.0}, ts_ms=FIXED_NOW_MS)
        await wait_until(pilot, lambda: "marks 0s old" in subtitle(table), "fresh marks again")
        assert cell(table, "e1", "mark") == "2,990.00"


async def test_the_demo_bot_marks_its_positions_and_the_table_moves(fresh_root):
    """Issue 18, done when: with `tc1 console --demo` the positions table shows marks and unrealized
    PnL that move."""
    from tc1console.console.app import DemoBot

    bot = DemoBot(fresh_root)
    app = Tc1ConsoleApp(fresh_root, demo=bot, label="root")
    app.animation_level = "none"
    bot.start()
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = app.main.query_one(PositionsTable)
            await wait_until(pilot, lambda: table.row_count and cell(table, table.trade_ids[0], "mark") != "-",
                             "a marked position")
            first = table.trade_ids[0]
            seen = {cell(table, first, "unrl")}

            def moved() -> bool:
                if first not in table.trade_ids:
                    return True  # its stop or target was hit meanwhile: the marks moved it there
                seen.add(cell(table, first, "unrl"))
                return len(seen) > 1

            await wait_until(pilot, moved, "the unrealized PnL to move")
            assert not bot.error
    finally:
        bot.shutdown()


async def test_columns_stay_aligned_with_their_header_when_a_mark_makes_a_cell_wider(fresh_root):
    live = LiveRisk(fresh_root)
    live.try_open(trade_id="b1", symbol="BTCUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - 5 * MINUTE,
                  entry_price=60_000.0, stop_price=59_400.0)
    live.mark({"BTCUSDT": 60_010.0}, ts_ms=FIXED_NOW_MS)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and cell(table, "b1", "mark") == "60,010.00",
                         "the first mark")

        def right_edges() -> tuple[int, int]:
            """Where the unrealized column ends in the header line and in the row's line, as drawn."""
            header, row = table.render_line(0).text, table.render_line(1).text
            value = cell(table, "b1", "unrl")
            return header.index("unrl PnL") + len("unrl PnL"), row.index(value) + len(value)

        narrow = right_edges()
        assert narrow[0] == narrow[1]
        live.mark({"BTCUSDT": 6_000_000.0}, ts_ms=FIXED_NOW_MS)  # a value far wider than the column
        await wait_until(pilot, lambda: cell(table, "b1", "mark") == "6,000,000.00", "the wide mark")
        await pilot.pause()
        wide = right_edges()
        assert wide[0] == wide[1] and wide[0] > narrow[0]
