"""The harness launcher (docs/console.md, Keys: "launch a harness run: pick a trades CSV (default: the last
used), config and output folder; runs in a worker with a progress bar and a cancel key; shows the
run's summary and equity curve when done; earlier runs stay listed"). The run is a real child process
(harness_runner) on real files; the outputs are checked on disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from console_tools import write_long_csv, showing, toasts, wait_until
from textual.widgets import DataTable, Input

from tc1console.backtest import EQUITY_CURVE, OPEN_ALLOCATIONS, REALIZED_PNL, SUMMARY
from tc1console.console.fixtures import DEMO_RUN, write_demo_trades
from tc1console.console.runs import STATE_FILE, remember
from tc1console.console.screens.confirm_screen import ConfirmScreen
from tc1console.console.screens.harness_screen import HarnessScreen
from tc1console.console.screens.main_screen import MainScreen
from tc1console.console.screens.run_screen import RunScreen
from tc1console.console.screenshots import demo_app
from tc1console.engine import config
from tc1console.engine.live import LiveRisk

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
OUTPUTS = {OPEN_ALLOCATIONS, REALIZED_PNL, EQUITY_CURVE, SUMMARY}
DEFAULT_OUT = "runtime/runs/20241119-143000"  # the app clock is fixed at 2024-11-19 14:30:00 UTC
BIG_ROWS = 300_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """A trades CSV long enough (a few seconds of harness work) to cancel mid-run."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    return write_long_csv(path, BIG_ROWS)


async def open_launcher(pilot) -> HarnessScreen:
    await pilot.press("h")
    await wait_until(pilot, lambda: showing(pilot.app, HarnessScreen, "#harness-runs"), "the launcher")
    return pilot.app.screen


def value(screen: HarnessScreen, input_id: str) -> str:
    return screen.query_one(f"#{input_id}", Input).value


def set_value(screen: HarnessScreen, input_id: str, text: str) -> None:
    screen.query_one(f"#{input_id}", Input).value = text


def status(screen: HarnessScreen) -> str:
    return str(screen.query_one("#harness-status").render())


async def checked(pilot, screen: HarnessScreen) -> str:
    """The status once the fields as they are now have been checked (the check runs in a thread)."""
    await wait_until(pilot, lambda: screen.ready is not None and screen.values() == screen.checked_values,
                     "the check of the fields")
    return status(screen)


async def run_and_wait(pilot, screen: HarnessScreen, timeout: float = 30.0) -> None:
    runs = screen.run_count
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: screen.run_count > runs, "the run to end", timeout=timeout)


async def test_a_run_shows_progress_then_its_summary_and_equity_and_writes_all_four_outputs(demo_root):
    """docs/console.md: runs with a progress bar (in a child process); when done, the run's summary and
    equity curve; the run folder holds the four outputs; the CSV becomes the default next time."""
    trades = write_demo_trades(demo_root / "trades" / "small.csv", n=40)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_launcher(pilot)
        assert value(screen, "h-trades") == ""  # nothing used yet
        assert (value(screen, "h-risk"), value(screen, "h-policy")) == (
            "configs/risk_overlay.toml", "configs/risk_policy.toml")
        assert value(screen, "h-out") == DEFAULT_OUT
        set_value(screen, "h-trades", "trades/small.csv")
        await run_and_wait(pilot, screen)
        assert screen.last_outcome.status == "done" and screen.progress_seen >= 1
        await wait_until(pilot, lambda: showing(app, RunScreen, "#run-range"), "the result view")

        out = demo_root / DEFAULT_OUT
        assert {p.name for p in out.iterdir()} == OUTPUTS
        summary = json.loads((out / SUMMARY).read_text())
        view = app.screen
        text = str(view.query_one("#run-summary").render())
        assert f"{summary['final_balance']:,.2f}" in text and f"{summary['return_pct']:+.2f}%" in text
        assert f"{summary['trades_in']} in, {summary['trades_taken']} taken" in text
        assert f"{summary['max_drawdown']:,.2f}" in text and f"{summary['total_fees']:,.2f}" in text
        assert view.result.closes == summary["trades_closed"]
        assert view.result.curve[0] == summary["initial_balance"]
        assert view.result.curve[-1] == summary["final_balance"]
        assert "range" in str(view.query_one("#run-range").render())
        # The view says the run finished; no toast sits on its summary or its chart.
        assert "finished" in str(view.query_one("#run-title").render())
        assert toasts(app) == []

        await pilot.press("escape")  # back to the launcher: the run is listed, the CSV remembered
        assert app.screen is screen
        assert screen.query_one(DataTable).get_row_at(0)[0].strip() == "20241119-143000"  # (a mark goes left)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        again = await open_launcher(pilot)
        assert value(again, "h-trades") == "trades/small.csv"
    assert json.loads((demo_root / "runtime" / STATE_FILE).read_text())["last_trades_csv"] == str(trades)


async def test_a_csv_missing_a_column_is_one_line_in_the_console(demo_root):
    """A bad CSV is the harness's one-line error, shown in the console (status and toast), not a crash;
    no summary.json, and the empty run folder is not left behind."""
    bad = demo_root / "bad.csv"
    bad.write_text("symbol,side,timestamp,entry_price,exit_time,exit_price\nBTCUSDT,long,1,2,3,4\n")
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "bad.csv")
        await run_and_wait(pilot, screen)
        assert screen.last_outcome.status == "error"
        assert "sl_price" in screen.last_outcome.text and "\n" not in screen.last_outcome.text
        assert "error: " in status(screen) and "sl_price" in status(screen)
        assert any("sl_price" in t for t in toasts(app))
        assert app.is_running and app.screen is screen
    assert not (demo_root / DEFAULT_OUT).exists()


@pytest.mark.parametrize("key", ["c", "escape"])
async def test_cancel_stops_a_long_run_and_leaves_no_summary(demo_root, big_csv, key):
    """docs/console.md: a cancel key. The child stops (SIGTERM: the harness deletes its partial files), the
    console says "cancelled", and there is no summary.json (nor an empty run folder)."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", str(big_csv))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.progress_seen >= 1, "the first progress report")
        assert screen.running and screen.query_one("#harness-progress").display
        await pilot.press(key)
        await wait_until(pilot, lambda: screen.run_count == 1, "the run to stop")
        assert screen.last_outcome.status == "cancelled"
        assert "cancelled" in status(screen)
        assert any("cancelled" in t for t in toasts(app))
        assert app.screen is screen  # escape cancelled the run; it did not leave the launcher
    out = demo_root / DEFAULT_OUT
    assert not (out / SUMMARY).exists() and not out.exists()


async def test_an_earlier_run_is_listed_and_reopens(demo_run_root):
    """docs/console.md: earlier runs stay listed (runtime/runs/), and open again with Enter."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 1 and [c.strip() for c in table.get_row_at(0)[:2]] == [DEMO_RUN, "demo-trades.csv"]
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: showing(app, RunScreen, "#run-range"), "the run to open")
        summary = json.loads((demo_run_root / "runtime" / "runs" / DEMO_RUN / SUMMARY).read_text())
        assert app.screen.result.summary == summary
        assert f"runtime/runs/{DEMO_RUN}" in str(app.screen.query_one("#run-title").render())
        detail = str(app.screen.query_one("#run-detail").render())
        for reason, count in summary["skipped_by_reason"].items():
            if count:
                assert reason in detail


async def test_the_form_refuses_missing_files_and_a_finished_run_folder_without_starting(demo_run_root):
    """Each wrong field says why under it, and no process starts."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "nope.csv")
        set_value(screen, "h-policy", "")  # allowed: no rails
        set_value(screen, "h-out", f"runtime/runs/{DEMO_RUN}")
        await pilot.press("ctrl+r")
        assert not screen.running and screen.run_count == 0
        assert "nope.csv: not found" in str(screen.query_one("#row-h-trades .form-error").render())
        assert "already holds a finished run" in str(screen.query_one("#row-h-out .form-error").render())
        assert not screen.query_one("#row-h-policy").has_class("-invalid")


async def test_dashboard_keys_are_off_on_the_launcher_and_escape_goes_back(demo_root):
    """The operator keys act on the dashboard: on the launcher `t` does not ask to reset."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        screen.query_one(DataTable).focus()
        await pilot.press("t", "e")
        await pilot.pause()
        assert app.screen is screen and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_the_launcher_says_ready_only_when_every_field_is_valid(demo_run_root):
    """Found by a new user: with the Trades CSV empty the form said "ready". It says what is missing
    until the fields are valid, checking them as they are typed."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "")
        assert (await checked(pilot, screen)).startswith("not ready: Trades: a trades CSV is required")
        assert not screen.ready
        set_value(screen, "h-trades", "trades/demo-trades.csv")
        assert (await checked(pilot, screen)).startswith("ready: ctrl+r")
        set_value(screen, "h-out", f"runtime/runs/{DEMO_RUN}")
        assert "not ready: Output folder:" in await checked(pilot, screen) and "already holds a finished run" \
            in status(screen)
        set_value(screen, "h-out", "runtime/runs/next")
        set_value(screen, "h-risk", "configs/nope.toml")
        assert (await checked(pilot, screen)).startswith("not ready: Risk config: configs/nope.toml: not found")
        # Only a run attempt marks fields in red: typing is not an error.
        assert not screen.query_one("#row-h-risk").has_class("-invalid")


async def test_enter_moves_to_the_next_field_and_only_the_last_field_starts_a_run(demo_run_root):
    """Found by a new user: Enter in any field started a run (two 600k-row runs by accident). Enter
    moves to the next field; in the last one (Output folder) it starts the run."""
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        assert value(screen, "h-trades") == "trades/demo-trades.csv"  # the last used CSV: a valid form
        assert screen.focused.id == "h-trades"
        for next_id in ("h-risk", "h-policy", "h-out"):
            await pilot.press("enter")
            assert screen.focused.id == next_id and not screen.running and screen.run_count == 0
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.run_count == 1, "the run started from the last field")
        assert screen.last_outcome.status == "done"
    assert (demo_run_root / DEFAULT_OUT / SUMMARY).exists()


async def test_a_red_field_message_clears_as_soon_as_the_field_is_edited(demo_run_root):
    app = demo_app(demo_run_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "nope.csv")
        await pilot.press("ctrl+r")
        row = screen.query_one("#row-h-trades")
        assert row.has_class("-invalid") and "nope.csv: not found" in str(row.query_one(".form-error").render())
        screen.query_one("#h-trades", Input).focus()
        await pilot.press("end", "x")
        assert value(screen, "h-trades") == "nope.csvx"
        assert not row.has_class("-invalid") and str(row.query_one(".form-error").render()) == ""


def test_the_runner_reports_json_lines_and_imports_no_textual(demo_root):
    """The child the console starts: progress then the summary as JSON lines, and no UI imports."""
    trades = write_demo_trades(demo_root / "t.csv", n=20)
    proc = subprocess.run([sys.executable, "-m", "tc1console.console.harness_runner", "--trades-csv", str(trades),
                           "--risk-config", str(config.find_config(demo_root, "overlay")),
                           "--out-dir", str(demo_root / "out")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(set(x) == {"done", "total"} for x in lines[:-1]) and len(lines) > 1
    assert lines[-1]["summary"]["trades_in"] == 20
    probe = subprocess.run([sys.executable, "-c", "import sys, tc1console.console.harness_runner; "
                            "print(sorted(m for m in ('textual', 'rich', 'watchfiles') if m in sys.modules))"],
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "[]", probe.stderr


def test_the_consoles_own_temp_file_in_runtime_is_not_swept_by_a_bot(demo_root):
    """runtime/console_state.json is written atomically without the store's lock; a bot's
    transaction sweeps only the state files' leftover temp files, never the console's."""
    remember(demo_root, last_trades_csv="x.csv")
    runtime = demo_root / "runtime"
    theirs, ours = runtime / ".console_state.json.1.2.tmp", runtime / ".risk_state.json.1.2.tmp"
    theirs.write_text("{}")
    ours.write_text("{")
    LiveRisk(demo_root)  # a new store's first transaction loads the state, sweeping leftovers
    assert theirs.exists() and not ours.exists()


def test_a_long_equity_curve_is_thinned_keeping_its_start_and_its_end():
    """Found under tmux: the result view said "start 10,009.49" for a 400,000-close run (the first
    kept point was a slice's end, not the start balance)."""
    from tc1console.console.runs import curve_of

    series = [10_000.0 + i for i in range(400_001)]
    curve = curve_of(series, 600)
    assert len(curve) == 600 and curve[0] == 10_000.0 and curve[-1] == series[-1]
    assert list(curve) == sorted(curve)
    assert curve_of(series[:50], 600) == tuple(series[:50])
