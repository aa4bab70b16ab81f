"""500 open positions and 10,000 equity points: rendered, and updated in place without losing the cursor.

docs/console.md "Large accounts stay smooth". How long each takes is measured by
`python bench/console_scale_bench.py`, never asserted here (a loaded machine would make it flaky).
"""

from __future__ import annotations

import dataclasses

import pytest
from console_tools import wait_until
from textual.widgets import Sparkline

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, large_position, write_large_state
from tc1console.console.messages import SnapshotLoaded
from tc1console.console.snapshot import EquityInfo
from tc1console.console.widgets.equity_panel import EquityPanel
from tc1console.console.widgets.positions_table import PositionsTable

pytestmark = pytest.mark.anyio


async def test_500_positions_render_and_update_in_place_keeping_cursor_and_scroll(fresh_root):
    write_large_state(fresh_root, range(500), balance=100_000.0)
    app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 500, "500 rows")
        assert table.trade_ids[:2] == ["p0000", "p0001"]

        def no_clear(*_args, **_kwargs):
            raise AssertionError("the table must be updated in place, never cleared")

        table.clear = no_clear
        table.focus()
        table.move_cursor(row=300)
        await pilot.pause()
        await wait_until(pilot, lambda: table.scroll_y > 0, "the table to scroll to the cursor")
        scroll_y, cursor_key = table.scroll_y, table.trade_ids[300]
        stop_before = table.get_cell("p0310", "stop").plain

        # Below the cursor: 10 closed, 5 stops moved, 5 new; and the balance moves every risk % cell.
        ids = [i for i in range(500) if not 400 <= i < 410] + list(range(500, 505))
        write_large_state(fresh_root, ids, balance=90_000.0, shifted=frozenset(range(310, 315)))
        await wait_until(pilot, lambda: table.row_count == 495, "the update")
        assert table.cursor_row == 300 and table.trade_ids[300] == cursor_key
        assert table.scroll_y == scroll_y
        assert table.get_cell("p0310", "stop").plain != stop_before
        assert table.trade_ids[-5:] == [f"p{i:04d}" for i in range(500, 505)]
        assert table.get_cell("p0000", "risk_pct").plain.strip() == f"{large_position(0)['risk_amount'] / 900:.2f}%"

        # Above the cursor: rows that go away do not slide the cursor onto another trade.
        write_large_state(fresh_root, [i for i in ids if i >= 100], balance=90_000.0)
        await wait_until(pilot, lambda: table.row_count == 395, "the second update")
        assert table.trade_ids[table.cursor_row] == cursor_key


async def test_10000_equity_points_are_downsampled_to_the_sparkline_width(fresh_root):
    write_large_state(fresh_root, range(3), balance=100_000.0)
    app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        # The engine keeps a window of equity points in its files; the panel must cope with far more.
        values = tuple(100_000 + ((k * 7919) % 1000) - 500.0 + k / 10 for k in range(10_000))
        equity = EquityInfo(values, len(values), min(values), max(values), values[-1], FIXED_NOW_MS - 10_000, FIXED_NOW_MS)
        app.post_message(SnapshotLoaded(dataclasses.replace(app.snapshot, equity=equity)))
        spark = app.main.query_one(Sparkline)
        # The state's own 1,000 points are on screen already: wait for this snapshot to be shown.
        await wait_until(pilot, lambda: app.snapshot.equity is equity, "the new curve")
        await pilot.pause()
        width = spark.content_size.width
        assert 0 < len(spark.data) <= width
        assert spark.data[-1] == values[-1]  # the last point is always the last close
        panel = app.main.query_one(EquityPanel)
        assert f"{min(values):,.2f}" in str(panel.query_one("#equity-range").render())
