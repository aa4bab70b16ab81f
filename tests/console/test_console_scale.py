"""500 open positions and 10,000 equity points: rendered, and updated in place without losing the cursor."""

from __future__ import annotations

import dataclasses
import json
import os
import time

import pytest
from console_tools import wait_until
from textual.widgets import Sparkline

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, MINUTE
from tc1console.console.messages import SnapshotLoaded
from tc1console.console.snapshot import EquityInfo
from tc1console.console.widgets.equity_panel import EquityPanel
from tc1console.console.widgets.positions_table import PositionsTable

pytestmark = pytest.mark.anyio
SYMBOLS = (("BTCUSDT", 60_000.0, 0.001), ("ETHUSDT", 3_000.0, 0.01), ("SOLUSDT", 150.0, 0.1))


def position(i: int, *, stop_shift: float = 0.0) -> dict:
    symbol, price, step = SYMBOLS[i % 3]
    entry = price * (1 + (i % 17) / 1000)
    is_long = i % 2 == 0
    stop = entry * (0.99 if is_long else 1.01) + stop_shift
    qty = round(20 / abs(entry - stop) / step) * step
    return {"symbol": symbol, "is_long": is_long, "entry_ts_ms": FIXED_NOW_MS - (600 - i) * MINUTE,
            "entry_price": entry, "stop_price": stop, "qty": qty, "risk_amount": qty * abs(entry - stop),
            "notional": qty * entry, "budget": 20.0, "fee_rate": 0.0004}


def write_state(root, ids, *, balance: float, shifted: frozenset = frozenset(), points: int = 1000) -> None:
    """A hand-written state (as a person or another tool might leave it), replaced atomically."""
    runtime = root / "runtime"
    runtime.mkdir(exist_ok=True)
    book = {"balance": balance, "total_open_risk": 0.0,
            "open_positions": {f"p{i:04d}": position(i, stop_shift=1.0 if i in shifted else 0.0) for i in ids},
            "equity_points": [[FIXED_NOW_MS - (points - k) * MINUTE, 100_000 + (k % 97) * 10.0]
                              for k in range(points)]}
    tmp = runtime / ".risk_state.json.tmp"
    tmp.write_text(json.dumps(book))
    os.replace(tmp, runtime / "risk_state.json")


async def test_500_positions_render_and_update_in_place_keeping_cursor_and_scroll(fresh_root):
    write_state(fresh_root, range(500), balance=100_000.0)
    app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main.query_one(PositionsTable)
        took = await wait_until(pilot, lambda: table.row_count == 500, "500 rows")
        assert took < 3.0, f"first render of 500 positions took {took:.2f}s"
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
        write_state(fresh_root, ids, balance=90_000.0, shifted=frozenset(range(310, 315)))
        took = await wait_until(pilot, lambda: table.row_count == 495, "the update")
        assert took < 3.0, f"updating 500 positions took {took:.2f}s"
        assert table.cursor_row == 300 and table.trade_ids[300] == cursor_key
        assert table.scroll_y == scroll_y
        assert table.get_cell("p0310", "stop").plain != stop_before
        assert table.trade_ids[-5:] == [f"p{i:04d}" for i in range(500, 505)]
        assert table.get_cell("p0000", "risk_pct").plain.strip() == f"{position(0)['risk_amount'] / 900:.2f}%"

        # Above the cursor: rows that go away do not slide the cursor onto another trade.
        write_state(fresh_root, [i for i in ids if i >= 100], balance=90_000.0)
        await wait_until(pilot, lambda: table.row_count == 395, "the second update")
        assert table.trade_ids[table.cursor_row] == cursor_key


async def test_10000_equity_points_are_downsampled_to_the_sparkline_width(fresh_root):
    write_state(fresh_root, range(3), balance=100_000.0)
    app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        # The engine keeps a window of equity points in its files; the panel must cope with far more.
        values = tuple(100_000 + ((k * 7919) % 1000) - 500.0 + k / 10 for k in range(10_000))
        equity = EquityInfo(values, len(values), min(values), max(values), values[-1], FIXED_NOW_MS - 10_000, FIXED_NOW_MS)
        start = time.monotonic()
        app.post_message(SnapshotLoaded(dataclasses.replace(app.snapshot, equity=equity)))
        spark = app.main.query_one(Sparkline)
        await wait_until(pilot, lambda: spark.data is not None and len(spark.data) > 3, "the new curve")
        await pilot.pause()
        assert time.monotonic() - start < 2.0
        width = spark.content_size.width
        assert 0 < len(spark.data) <= width
        assert spark.data[-1] == values[-1]  # the last point is always the last close
        panel = app.main.query_one(EquityPanel)
        assert f"{min(values):,.2f}" in str(panel.query_one("#equity-range").render())
