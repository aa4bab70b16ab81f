"""The sweep screen (CONSOLE.md, Keys: "sweeps (grid builder, progress, sortable results, apply a row
through the cap editor's save)"; issue 16 item 5). A real root, a real Pilot, the sweep a real child
process (sweep_runner -> backtest/sweep.py); sweep.json, the config files and the journal are checked
on disk.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from console_tools import write_long_csv, run_from_palette, showing, toasts, tree_bytes, wait_until
from textual.widgets import Button, DataTable, Input
from textual.widgets.data_table import ColumnKey

from tc1console.backtest.sweep import SWEEP_JSON
from tc1console.console.screens.confirm_screen import ConfirmScreen
from tc1console.console.screens.main_screen import MainScreen
from tc1console.console.screens.sweep_result_screen import SweepResultScreen
from tc1console.console.screens.sweep_screen import SweepRow, SweepScreen
from tc1console.console.fixtures import build_demo_run
from tc1console.console.screenshots import demo_app, show_sweep, show_sweep_results
from tc1console.engine import config, store

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
SWEEP_DIR = "runtime/sweeps/20241119-143000"  # the app clock is fixed at 2024-11-19 14:30:00 UTC
BIG_ROWS = 200_000


def journal(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()]


def table_column(table: DataTable, key: str) -> list[str]:
    return [str(cell).strip() for cell in table.get_column(key)]


async def open_form(pilot) -> SweepScreen:
    await pilot.pause()
    await pilot.press("w")
    await wait_until(pilot, lambda: showing(pilot.app, SweepScreen, "#s-workers"), "the sweep form")
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.checks >= 1, "the first check of the form")
    return screen


def set_value(screen: SweepScreen, input_id: str, text: str) -> None:
    screen.query_one(f"#{input_id}", Input).value = text


async def checked(pilot, screen: SweepScreen) -> str:
    """The status once the fields as they are now have been checked (off the UI thread)."""
    await wait_until(pilot, lambda: screen.check is not None and screen.checked_values == screen.values(),
                     "the check of the fields")
    return str(screen.query_one("#sweep-status").render())


async def test_a_2x2_sweep_runs_lists_sorts_and_applies_a_row(demo_run_root):
    """Issue 16 item 5: the grid from the cap fields (2 x 2 = 4 configs), run in a child process, the
    results table holds sweep.json's rows; sorting by a column; "apply" after a confirmation naming
    old -> new saves through the cap editor's save: the file in its own format, a journal config
    event by the console (ENGINE.md section 6: config changes are journaled old -> new)."""
    root = demo_run_root
    app = demo_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)
        await show_sweep(pilot)
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        assert screen.query_one("#s-trades", Input).value == "trades/demo-trades.csv"  # the launcher's last
        assert "2 x 2 = 4 configs" in await checked(pilot, screen)
        assert not screen.query_one("#sweep-run", Button).disabled
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.runs >= 1, "the sweep to end")
        assert screen.last_outcome.status == "done", screen.last_outcome.text
        assert screen.progress_seen >= 1
        await wait_until(pilot, lambda: showing(app, SweepResultScreen, "#sweep-lines")
                         and app.screen.query_one(DataTable).row_count > 0, "the results, filled on mount")
        view = app.screen
        doc = json.loads((root / SWEEP_DIR / SWEEP_JSON).read_text())
        table = view.query_one(DataTable)
        assert table.row_count == doc["configs"] == 4
        # The table's rows are sweep.json's, in its rank order, each key and figure shown.
        assert table_column(table, "rank") == [str(r["rank"]) for r in doc["rows"]]
        assert table_column(table, "percent_risk") == [str(r["values"]["percent_risk"]) for r in doc["rows"]]
        assert table_column(table, "max_concurrent_trades") == [
            str(r["values"]["max_concurrent_trades"]) for r in doc["rows"]]
        assert table_column(table, "return_pct") == [f"{r['return_pct']:+.2f}%" for r in doc["rows"]]
        assert table_column(table, "trades_taken") == [f"{r['trades_taken']:,}" for r in doc["rows"]]
        assert view.result.base is not None and view.result.curves.keys() == {1, 2, 3, 4}

        # Sort: `s` moves to the next column (the first grid key), `o` flips; a header click sorts by it.
        await pilot.press("s")
        first_key = view.result.keys[0]
        want = [str(r["values"][first_key]) for r in sorted(doc["rows"], key=lambda r: (r["values"][first_key], r["rank"]))]
        assert table_column(table, first_key) == want
        await pilot.press("o")
        assert table_column(table, first_key) == sorted(want, key=float, reverse=True)
        column = table.columns[ColumnKey("max_drawdown_pct")]
        table.post_message(DataTable.HeaderSelected(table, column.key, table.get_column_index(column.key),
                                                    column.label))  # what a click on the header sends
        lowest_dd_first = [str(r["rank"]) for r in sorted(doc["rows"], key=lambda r: (r["max_drawdown_pct"], r["rank"]))]
        await wait_until(pilot, lambda: table_column(table, "rank") == lowest_dd_first, "the sort by max DD")

        # Apply the row with percent_risk 0.01 and max_concurrent_trades 3 (the base is 0.005 and 5).
        pick = next(r for r in doc["rows"] if r["values"] == {"max_concurrent_trades": 3, "percent_risk": 0.01})
        table.move_cursor(row=table.get_row_index(str(pick["config"])))
        await pilot.pause()
        assert f"#{pick['rank']} " in str(view.query_one("#sweep-legend").render())
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        body = str(app.screen.query_one("#confirm-body").render())
        assert "percent_risk  0.005 -> 0.01" in body and "max_concurrent_trades  5 -> 3" in body
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.applied >= 1, "the save")
        assert any("percent_risk 0.005 -> 0.01" in t for t in toasts(app))
    overlay = config.load_overlay(root / "configs" / "risk_overlay.toml")
    assert (overlay.percent_risk, overlay.max_concurrent_trades) == (0.01, 3)
    events = [e for e in journal(root) if e["type"] == "config" and e["by"] == "console"]
    assert len(events) == 1
    assert events[0]["changes"]["percent_risk"] == [0.005, 0.01]
    assert events[0]["changes"]["max_concurrent_trades"] == [5, 3]


async def test_applying_can_be_cancelled_and_writes_nothing(demo_run_root):
    """The confirmation's esc: nothing written (the files and runtime/ byte for byte)."""
    root = demo_run_root
    app = demo_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await show_sweep_results(pilot)
        view = app.screen
        table = view.query_one(DataTable)
        pick = next(r for r in view.result.rows if r["values"]["percent_risk"] == 0.01)
        table.move_cursor(row=table.get_row_index(str(pick["config"])))
        before = tree_bytes(root)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not view.applying, "the answer")
        assert tree_bytes(root) == before


async def test_the_palette_opens_the_sweep_screen(demo_run_root):
    """CONSOLE.md, Keys: every key is in the command palette too (bindings.py is its list)."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await run_from_palette(pilot, "Config sweep")
        await wait_until(pilot, lambda: showing(app, SweepScreen, "#s-workers"), "the sweep form")


@pytest.mark.parametrize("with_run", [False, True], ids=["no-harness-run-yet", "after-a-harness-run"])
async def test_the_form_opens_on_the_first_field_to_fill(demo_root, with_run):
    """docs/console.md 2.5.1: with no trades CSV remembered the cursor starts in the Trades CSV field
    (nothing runs without it); with the harness launcher's last CSV filled in, on the first key."""
    if with_run:
        build_demo_run(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        trades = screen.query_one("#s-trades", Input)
        assert bool(trades.value) is with_run
        assert app.focused is (screen.query_one("#s-per_trade_risk_cap", Input) if with_run else trades)


async def test_a_bad_spec_shows_its_reason_and_run_stays_off(demo_run_root):
    """A spec grid.py refuses shows the parser's reason under its field; a value the loader refuses
    (percent_risk 1.5) is named in the status; either way Run is disabled and ctrl+r starts nothing."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        set_value(screen, "s-max_trades_per_day", "5,x")
        await checked(pilot, screen)
        row = screen.query_one("#row-s-max_trades_per_day", SweepRow)
        assert row.has_class("-invalid")
        assert "'x' is not a number" in str(row.query_one(".sweep-error").render())
        assert screen.query_one("#sweep-run", Button).disabled
        set_value(screen, "s-max_trades_per_day", "5,10")
        set_value(screen, "s-percent_risk", "0.01,1.5")
        status = await checked(pilot, screen)
        assert not row.has_class("-invalid")
        assert "not ready" in status and "percent_risk" in status
        assert screen.query_one("#sweep-run", Button).disabled
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.job is None
        set_value(screen, "s-percent_risk", "")  # back to the base value: ready again
        assert "2 configs" in await checked(pilot, screen)
        assert not screen.query_one("#sweep-run", Button).disabled
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert not (demo_run_root / "runtime" / "sweeps").exists()


@pytest.fixture
def big_csv(tmp_path) -> Path:
    """A trades CSV long enough (seconds of sweep work) to cancel mid-run."""
    path = tmp_path / "big.csv"
    return write_long_csv(path, BIG_ROWS)


async def test_cancel_stops_the_sweep_and_leaves_no_output(demo_run_root, big_csv):
    """Issue 16 item 3 from the console: cancel stops the child and its workers; the sweep wrote
    nothing (no sweep.json, no folder left)."""
    root = demo_run_root
    app = demo_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_form(pilot)
        set_value(screen, "s-trades", str(big_csv))
        set_value(screen, "s-percent_risk", "0.001:0.02:0.001")
        set_value(screen, "s-workers", "1")
        assert "20 configs" in await checked(pilot, screen)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.job is not None and screen.job.proc is not None, "the child")
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.runs >= 1, "the sweep to stop")
        assert screen.last_outcome.status == "cancelled", screen.last_outcome.text
        assert "cancelled" in str(screen.query_one("#sweep-status").render())
        assert isinstance(app.screen, SweepScreen)
    sweeps = root / "runtime" / "sweeps"
    assert not sweeps.exists() or not any(sweeps.rglob("*.json"))
    assert not (root / SWEEP_DIR).exists()


# --- snapshots (CONSOLE.md, Screenshots and tests: fixed clock, fixed data, fixed size) --------------

@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_sweep_form_snapshot(snap_compare, demo_run_root, size):
    assert snap_compare(demo_app(demo_run_root), terminal_size=size, run_before=show_sweep)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_sweep_results_snapshot(snap_compare, demo_run_root, size):
    assert snap_compare(demo_app(demo_run_root), terminal_size=size, run_before=show_sweep_results)
