"""The harness launcher's "live trades (last N days)" input (issue 15 item 3: "The console's harness
launcher offers 'live trades (last N days)' as an input, and its result view shows the live equity
and the re-run's side by side"). Real demo roots, the real harness child process, a real Pilot.

The export is `tc1 journal export --from <now - N days>` (ENGINE.md section 5 columns plus
trade_id); the re-run with the same configs reproduces the live closes when the window holds no
operator action (backtest/export.py), so its final balance is the live balance at the window's end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from console_tools import showing, wait_until
from test_console_actions_harness import DEFAULT_OUT, checked, open_launcher, run_and_wait, set_value, status, value
from textual.widgets import DataTable

from tc1console.backtest import EQUITY_CURVE, OPEN_ALLOCATIONS, REALIZED_PNL, SUMMARY
from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, write_demo_trades
from tc1console.console.harness_job import HarnessJob, HarnessRequest, LiveWindow
from tc1console.console.live_input import INPUT_FILE, LIVE_EQUITY, LIVE_TRADES
from tc1console.console.runs import STATE_FILE
from tc1console.console.screens.harness_screen import FormRow
from tc1console.console.screens.run_screen import RunScreen
from tc1console.console.screenshots import demo_app
from tc1console.console.widgets.line_chart import LineChart
from tc1console.engine import config
from tc1console.engine.rails import MS_PER_DAY

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
OUTPUTS = {OPEN_ALLOCATIONS, REALIZED_PNL, EQUITY_CURVE, SUMMARY}
LIVE_FILES = {LIVE_TRADES, LIVE_EQUITY, INPUT_FILE}


def journal(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "runtime" / "journal.jsonl").read_text().splitlines()]


def cli_export(root: Path, out: Path, since_ms: int) -> bytes:
    """`tc1 journal export --from` in its own process: the file the launcher's export must equal."""
    env = {k: v for k, v in os.environ.items() if k != "TC1_ROOT"}
    done = subprocess.run([sys.executable, "-m", "tc1console", "journal", "export", "--trades_csv", str(out),
                           "--from", str(since_ms), "--root", str(root)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def legend(screen: RunScreen) -> str:
    return str(screen.query_one("#run-legend").render())


async def result_view(pilot) -> RunScreen:
    """The result view of a live re-run, laid out (its legend's wording depends on its width)."""
    app = pilot.app
    await wait_until(pilot, lambda: showing(app, RunScreen, "#run-lines")
                     and app.screen.query_one("#run-legend").content_size.width > 0, "the result view with two curves")
    return app.screen


async def test_live_trades_of_the_last_7_days_rerun_to_the_live_balance_side_by_side(demo_root, tmp_path):
    """Issue 15 item 3: live:N exports the window into the run folder and re-runs it with the chosen
    configs; the result view draws the live equity (A) and the re-run's (B) on one chart with both
    final balances. No operator action in the demo's journal: the re-run ends on the live balance."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "trades/mine.csv")
        await pilot.press("ctrl+l")  # the live input; the field keeps what it held for ctrl+l again
        assert value(screen, "h-trades") == "live:7"
        # The status line says what will run: every entry of the demo's 38 hours, one of them a live skip.
        assert await checked(pilot, screen) == "ready: live trades of the last 7 days: 29 trades · ctrl+r starts the run"
        await pilot.press("ctrl+l")
        assert value(screen, "h-trades") == "trades/mine.csv"
        await pilot.press("ctrl+l")
        await checked(pilot, screen)
        await run_and_wait(pilot, screen)
        assert screen.last_outcome.status == "done", screen.last_outcome
        view = await result_view(pilot)
        out = demo_root / DEFAULT_OUT
        assert {p.name for p in out.iterdir()} == OUTPUTS | LIVE_FILES
        since = FIXED_NOW_MS - 7 * MS_PER_DAY
        assert (out / LIVE_TRADES).read_bytes() == cli_export(demo_root, tmp_path / "cli.csv", since)
        summary = json.loads((out / SUMMARY).read_text())
        closes = [e for e in journal(demo_root) if e["type"] == "close"]
        live_end = closes[-1]["result"]["balance_after"]
        # The re-run reproduces the live closes: the same count, and its final balance to the bit.
        assert summary["trades_closed"] == len(closes) == 25
        assert summary["final_balance"] == live_end
        assert summary["still_open"] == ["t026-btc", "t027-eth", "t028-sol"]

        live = view.result.live
        assert live is not None and live.days == 7 and live.trades == 29
        assert live.final == live_end and live.start == summary["initial_balance"] == 10_000.0
        assert live.curve[-1] == live.rerun[-1] == (closes[-1]["result"]["exit_ts_ms"], live_end)
        assert [s.label for s in view.query_one(LineChart).series] == ["A", "B"]
        text = legend(view)
        assert f"A live    final {live_end:,.2f}  (+125.42 from 10,000.00, 25 closes)" in text
        assert f"B re-run  final {live_end:,.2f}  (+125.42 from 10,000.00, 25 closes)   B - A 0.00" in text
        title = str(view.query_one("#run-title").render())
        assert "finished" in title and "replayed live trades of the last 7 days (29 trades)" in title

        # input.json says which input it was: re-opened from the list, the run shows the same view.
        assert json.loads((out / INPUT_FILE).read_text())["input"] == "live"
        await pilot.press("escape")
        assert app.screen is screen
        screen.query_one(DataTable).focus()
        await pilot.press("enter")  # the newest run, at the top
        assert legend(await result_view(pilot)) == text and app.screen is not view
        await pilot.press("escape", "escape")
        again = await open_launcher(pilot)  # live:7 is the default next time, with its hint
        assert value(again, "h-trades") == "live:7"
        assert "live:N = the live trades of the last N days" in str(
            again.query_one("#row-h-trades .form-hint").render())
    # live:7 is remembered as typed: the next launcher offers the same window back from its own now.
    assert json.loads((demo_root / "runtime" / STATE_FILE).read_text())["last_trades_csv"] == "live:7"


async def test_a_partial_window_compares_the_live_balance_from_where_it_stood(demo_root):
    """A window of 1 day starts the re-run at the configured initial balance and the live curve at
    the balance live had when the window opened: both changes over the window are shown."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "live:1")
        assert await checked(pilot, screen) == "ready: live trades of the last 1 day: 17 trades · ctrl+r starts the run"
        await run_and_wait(pilot, screen)
        view = await result_view(pilot)
        live = view.result.live
        since = FIXED_NOW_MS - MS_PER_DAY
        closes = [e["result"] for e in journal(demo_root) if e["type"] == "close"]
        before = [c["balance_after"] for c in closes if c["exit_ts_ms"] < since]
        assert live.start == before[-1] and live.final == closes[-1]["balance_after"]
        assert live.closes == len(closes) - len(before)
        assert f"from {before[-1]:,.2f}" in legend(view)


async def test_a_window_without_trades_says_so_and_starts_nothing(demo_root):
    """A window the journal has no trade in is refused as the field is typed and again at ctrl+r
    (the field marked in red); no run folder is made."""
    later = FIXED_NOW_MS + 30 * MS_PER_DAY  # a month after the demo's last trade
    app = Tc1ConsoleApp(demo_root, clock=lambda: later, watch=False)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "live:7")
        assert (await checked(pilot, screen)).startswith(
            "not ready: Trades: no live trades of the last 7 days in runtime/journal.jsonl")
        await pilot.press("ctrl+r")
        assert "not started: fix the fields marked in red" in status(screen) and screen.run_count == 0
        row = screen.query_one("#row-h-trades", FormRow)
        assert row.has_class("-invalid") and "try a larger N" in str(row.query_one(".form-error").render())
        set_value(screen, "h-trades", "live:60")  # a window that reaches back to the trades again
        assert (await checked(pilot, screen)).startswith("ready: live trades of the last 60 days: 29 trades")
    assert not (demo_root / "runtime" / "runs").exists()


def test_the_harness_child_refuses_an_empty_window_and_leaves_the_folder_empty(demo_root, tmp_path):
    """When ctrl+r comes before the field's check (the journal is never read on the UI thread), the
    child refuses the empty window itself, in the same words, keeping nothing."""
    out = tmp_path / "run"
    later = FIXED_NOW_MS + 30 * MS_PER_DAY
    job = HarnessJob(HarnessRequest(out / LIVE_TRADES, config.find_config(demo_root, "overlay"), None, out,
                                    LiveWindow(demo_root, 7, later)))
    job.start()
    for _progress in job.events():  # none: the export finds nothing before the harness starts
        pass
    outcome = job.wait()
    assert outcome.status == "error" and outcome.text.startswith("no live trades of the last 7 days")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("typed", ["live:0", "live:x", "live:-3", "live:", "live:1.5", "live:99999"])
async def test_a_bad_n_is_refused_in_the_form(demo_root, typed):
    """Bad input never starts anything: the reason names the field and what N must be."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", typed)
        assert (await checked(pilot, screen)).startswith(
            "not ready: Trades: live:") and "a whole number from 1 to 3650" in status(screen)
        await pilot.press("ctrl+r")
        assert screen.run_count == 0 and screen.query_one("#row-h-trades", FormRow).has_class("-invalid")
    assert not (demo_root / "runtime" / "runs").exists()


async def test_a_run_of_a_csv_has_no_live_side(demo_root):
    """A plain CSV's run looks as it did: one curve (the sparkline), no input.json."""
    write_demo_trades(demo_root / "trades" / "small.csv", n=30)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_launcher(pilot)
        set_value(screen, "h-trades", "trades/small.csv")
        await checked(pilot, screen)
        await run_and_wait(pilot, screen)
        await wait_until(pilot, lambda: showing(app, RunScreen, "#run-range"), "the result view")
        assert app.screen.result.live is None and not app.screen.query(LineChart)
    assert {p.name for p in (demo_root / DEFAULT_OUT).iterdir()} == OUTPUTS
