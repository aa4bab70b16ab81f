"""Write SVG screenshots of the console from the fixed demo state: `python -m tc1console.console.screenshots`.

    python -m tc1console.console.screenshots [--out screenshots/]

Builds the demo root (and two finished harness runs of the fixed demo trades, under the shipped and
wider caps) in a temporary folder, runs the app headless at a fixed clock with no watcher, and saves
the main screen at 120x40 and 80x24, the help screen, the banner a corrupt file shows, every event
line in full, each operator action (the reset confirmations, the cap editor valid and refusing an
invalid field, the harness launcher and a run's result view, the pause, cash flow, close and cancel
forms and a close's confirmation, the sweep form and a sweep's results), at 80x24 also a blocked dashboard, a close form,
the events in full and a run's result view, and the desk's screens at both sizes: trade history, a
trade's story, the daily table and two runs compared. The snapshot tests drive the app with the same
steps (show_* below).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Awaitable, Callable

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from ..engine import config as cfg  # noqa: E402
from .app import Tc1ConsoleApp  # noqa: E402 - after the environment is set
from .fixtures import (DEMO_LIVE_RUN, DEMO_RUN, DEMO_RUN_B, build_demo_live_run, build_demo_root, build_demo_run,  # noqa: E402
                       build_demo_run_pair, fixed_clock)
from .runs import runs_dir  # noqa: E402
from .screens.caps_screen import CapsScreen  # noqa: E402
from .screens.compare_screen import CompareScreen  # noqa: E402
from .screens.confirm_screen import ConfirmScreen  # noqa: E402
from .screens.events_screen import EventsScreen  # noqa: E402
from .screens.form_screen import FormScreen  # noqa: E402
from .screens.daily_screen import DailyScreen  # noqa: E402
from .screens.harness_screen import HarnessScreen  # noqa: E402
from .screens.history_screen import HistoryScreen  # noqa: E402
from .screens.run_screen import RunScreen  # noqa: E402
from .widgets.events_panel import EventsPanel  # noqa: E402
from .widgets.positions_table import PositionsTable  # noqa: E402
from .screens.story_screen import StoryScreen  # noqa: E402
from .screens.sweep_result_screen import SweepResultScreen  # noqa: E402
from .screens.sweep_screen import SweepScreen  # noqa: E402
from .widgets.runs_table import RunsTable  # noqa: E402

DEMO_LABEL = "~/tc1-demo"
WAIT_S = 10.0
Steps = Callable[[Pilot], Awaitable[None]]


async def until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition()` holds (a worker finished, a screen opened)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > WAIT_S:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


def showing(pilot: Pilot, screen_type: type, selector: str) -> bool:
    """`screen_type` is active, composed down to `selector` and past its own on_mount (it is active
    before it is mounted, and its widgets exist before its on_mount ran)."""
    screen = pilot.app.screen
    return isinstance(screen, screen_type) and screen.is_mounted and bool(screen.query(selector))


async def _press_until(pilot: Pilot, key: str, screen_type: type, selector: str, what: str) -> None:
    await show_main(pilot)  # the first read, laid out (not a pause that a loaded machine outruns)
    await pilot.press(key)
    await until(pilot, lambda: showing(pilot, screen_type, selector), what)


async def show_reset_today(pilot: Pilot) -> None:
    await _press_until(pilot, "t", ConfirmScreen, "#confirm-yes", "the reset-today confirmation")


async def show_reset_all(pilot: Pilot) -> None:
    await _press_until(pilot, "T", ConfirmScreen, "#confirm-yes", "the reset-all confirmation")


async def show_main(pilot: Pilot) -> None:
    """The dashboard after its first read, the Events panel scrolled to the newest line (it follows
    the tail once laid out; a screenshot taken before that would show the oldest lines)."""
    app = pilot.app
    assert isinstance(app, Tc1ConsoleApp)
    await until(pilot, lambda: app.snapshot is not None, "the first read")
    panel = app.screen.query_one(EventsPanel)
    await until(pilot, lambda: (panel.virtual_size.height >= len(app.snapshot.events)
                                and panel.scroll_y >= panel.max_scroll_y), "the newest event line laid out")


async def _form(pilot: Pilot, key: str, first_field: str) -> None:
    await show_main(pilot)
    await pilot.press(key)
    await until(pilot, lambda: showing(pilot, FormScreen, f"#form-{first_field}"), "the form")


async def show_pause(pilot: Pilot) -> None:
    """p: the pause form (a reason for the journal)."""
    await _form(pilot, "p", "reason")


async def show_flow(pilot: Pilot) -> None:
    """f: the cash flow form with a deposit typed."""
    await _form(pilot, "f", "flow")
    await pilot.press(*"+500")


async def _on_position(pilot: Pilot, key: str, first_field: str) -> None:
    """The positions table's first row selected, then `key` on it."""
    await show_main(pilot)
    pilot.app.screen.query_one(PositionsTable).focus()
    await pilot.press(key)
    await until(pilot, lambda: showing(pilot, FormScreen, f"#form-{first_field}"), "the form")


async def show_close(pilot: Pilot) -> None:
    """c on a position: the close form, its price filled in from the mark."""
    await _on_position(pilot, "c", "price")


async def show_close_confirm(pilot: Pilot) -> None:
    """The close form sent on: the confirmation with the PnL and the balance it will book."""
    await show_close(pilot)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the confirmation")


async def show_cancel(pilot: Pilot) -> None:
    """x on a position: cancel an entry that never filled."""
    await _on_position(pilot, "x", "reason")


async def show_caps(pilot: Pilot) -> None:
    await _press_until(pilot, "e", CapsScreen, "#cap-max_trades_per_day", "the cap editor")


async def show_caps_invalid(pilot: Pilot) -> None:
    """The cap editor after typing percent_risk 1.5 and trying to save: the reason, twice."""
    await show_caps(pilot)
    field = pilot.app.screen.query_one("#cap-percent_risk", Input)
    field.focus()
    await pilot.pause()
    field.select_all()
    await pilot.press("1", "full_stop", "5", "ctrl+s")


async def show_harness(pilot: Pilot) -> None:
    await _press_until(pilot, "h", HarnessScreen, "#harness-runs", "the harness launcher")
    screen = pilot.app.screen
    assert isinstance(screen, HarnessScreen)
    await until(pilot, lambda: screen.checks >= 1, "the check of the launcher's fields")


async def _open_run(pilot: Pilot, name: str, selector: str, what: str) -> None:
    """The result view of the run `name`, opened from the launcher's list of earlier runs."""
    await show_harness(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HarnessScreen)
    screen.open_run(runs_dir(screen.root) / name)
    await until(pilot, lambda: showing(pilot, RunScreen, selector), what)


async def show_run(pilot: Pilot) -> None:
    """The result view of the demo run (DEMO_RUN)."""
    await _open_run(pilot, DEMO_RUN, "#run-range", "the run's result view")


async def show_live_run(pilot: Pilot) -> None:
    """The result view of the demo's re-run of its live trades (DEMO_LIVE_RUN): both equity curves."""
    await _open_run(pilot, DEMO_LIVE_RUN, "#run-lines", "the live re-run's result view")


async def show_blocked(pilot: Pilot) -> None:
    """The dashboard with two rails blocking: today's loss (74.67) over a 50.00 cap, and 10 entries
    of 10 (the policy file rewritten, as an operator's edit would)."""
    await show_main(pilot)  # the first read, laid out (not a pause that a loaded machine outruns)
    app = pilot.app
    assert isinstance(app, Tc1ConsoleApp)
    policy = {**cfg.DEFAULTS["policy"], "daily_loss_cap": 50.0, "max_trades_per_day": 10}
    (app.root / "configs" / "risk_policy.toml").write_text(cfg.dump_toml("policy", policy), encoding="utf-8")
    app.action_reload()
    await until(pilot, lambda: app.snapshot is not None and app.snapshot.rails.blocked_by is not None,
                "the blocked view")


async def show_events(pilot: Pilot) -> None:
    """Every event line in full: Enter on the Events panel."""
    await show_main(pilot)  # the first read, laid out (not a pause that a loaded machine outruns)
    pilot.app.screen.query_one(EventsPanel).focus()
    await pilot.press("enter")
    await until(pilot, lambda: showing(pilot, EventsScreen, "EventRow"), "the events in full")
    scroll = pilot.app.screen.query_one("#events-full")
    await until(pilot, lambda: scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y,
                "the newest event at the bottom")
async def show_history(pilot: Pilot) -> None:
    await _press_until(pilot, "l", HistoryScreen, "#history-table", "the trade history")
    await until(pilot, lambda: pilot.app.screen.query_one("#history-table").row_count > 0, "its rows")


async def show_story(pilot: Pilot) -> None:
    """The story of the second newest close (a loss: its open, then its close)."""
    await show_history(pilot)
    await pilot.press("down", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, StoryScreen) and pilot.app.screen.loaded, "the story")


async def show_daily(pilot: Pilot) -> None:
    await _press_until(pilot, "d", DailyScreen, "#daily-table", "the daily table")
    await until(pilot, lambda: isinstance(pilot.app.screen, DailyScreen) and pilot.app.screen.loads > 0,
                "its rows")


async def show_compare(pilot: Pilot) -> None:
    """DEMO_RUN (A) and DEMO_RUN_B (B), marked in the launcher's list in that order, side by side."""
    await _press_until(pilot, "v", HarnessScreen, "#harness-runs", "the run list")
    table = pilot.app.screen.query_one(RunsTable)
    for name in (DEMO_RUN, DEMO_RUN_B):
        table.move_cursor(row=table.get_row_index(str(runs_dir(pilot.app.root) / name)))
        await pilot.press("m")
    await pilot.press("v")
    await until(pilot, lambda: showing(pilot, CompareScreen, "#compare-lines"), "the comparison")


# The sweep the screenshots and tests type: 2 x 2 configs of the demo trades, in the console's process's
# one worker (no fork: the same rows either way).
DEMO_GRID = {"s-percent_risk": "0.005,0.01", "s-max_concurrent_trades": "3,5", "s-workers": "1"}


async def show_sweep(pilot: Pilot) -> None:
    """w: the sweep form with a 2 x 2 grid typed, checked and ready (the demo trades as the last used)."""
    await _press_until(pilot, "w", SweepScreen, "#s-workers", "the sweep form")
    screen = pilot.app.screen
    assert isinstance(screen, SweepScreen)
    for input_id, text in DEMO_GRID.items():
        screen.query_one(f"#{input_id}", Input).value = text
    await until(pilot, lambda: screen.ready, "the grid checked")


async def show_sweep_results(pilot: Pilot) -> None:
    """The demo grid run (a real child process), its results ranked, row 1 beside the base."""
    await show_sweep(pilot)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: showing(pilot, SweepResultScreen, "#sweep-lines")
                and pilot.app.screen.query_one("#sweep-table").row_count > 0, "the sweep's results")


SHOTS: tuple[tuple[str, tuple[int, int], tuple[str, ...], bool, Steps | None], ...] = (
    # file name, terminal size, keys to press, corrupt the state file first, steps to run
    ("console-120x40.svg", (120, 40), (), False, show_main),
    ("console-80x24.svg", (80, 24), (), False, show_main),
    ("console-help-120x40.svg", (120, 40), ("question_mark",), False, show_main),
    ("console-banner-120x40.svg", (120, 40), (), True, None),
    ("console-reset-today-120x40.svg", (120, 40), (), False, show_reset_today),
    ("console-reset-all-120x40.svg", (120, 40), (), False, show_reset_all),
    ("console-caps-120x40.svg", (120, 40), (), False, show_caps),
    ("console-caps-invalid-120x40.svg", (120, 40), (), False, show_caps_invalid),
    ("console-harness-120x40.svg", (120, 40), (), False, show_harness),
    ("console-harness-run-120x40.svg", (120, 40), (), False, show_run),
    ("console-events-120x40.svg", (120, 40), (), False, show_events),
    ("console-blocked-80x24.svg", (80, 24), (), False, show_blocked),
    ("console-events-80x24.svg", (80, 24), (), False, show_events),
    ("console-harness-run-80x24.svg", (80, 24), (), False, show_run),
    ("console-history-120x40.svg", (120, 40), (), False, show_history),
    ("console-history-80x24.svg", (80, 24), (), False, show_history),
    ("console-story-120x40.svg", (120, 40), (), False, show_story),
    ("console-story-80x24.svg", (80, 24), (), False, show_story),
    ("console-daily-120x40.svg", (120, 40), (), False, show_daily),
    ("console-daily-80x24.svg", (80, 24), (), False, show_daily),
    ("console-compare-120x40.svg", (120, 40), (), False, show_compare),
    ("console-compare-80x24.svg", (80, 24), (), False, show_compare),
    ("console-pause-120x40.svg", (120, 40), (), False, show_pause),
    ("console-flow-120x40.svg", (120, 40), (), False, show_flow),
    ("console-close-120x40.svg", (120, 40), (), False, show_close),
    ("console-close-confirm-120x40.svg", (120, 40), (), False, show_close_confirm),
    ("console-cancel-120x40.svg", (120, 40), (), False, show_cancel),
    ("console-close-80x24.svg", (80, 24), (), False, show_close),
    ("console-live-rerun-120x40.svg", (120, 40), (), False, show_live_run),
    ("console-sweep-120x40.svg", (120, 40), (), False, show_sweep),
    ("console-sweep-results-120x40.svg", (120, 40), (), False, show_sweep_results),
    ("console-sweep-results-80x24.svg", (80, 24), (), False, show_sweep_results),
)


def demo_app(root: Path) -> Tc1ConsoleApp:
    """The app as the snapshot tests and screenshots see it: fixed clock, no watcher, no animation."""
    app = Tc1ConsoleApp(root, clock=fixed_clock, watch=False, label=DEMO_LABEL)
    app.animation_level = "none"
    return app


def corrupt_state(root: Path) -> None:
    """Leave runtime/risk_state.json half-written, as a crashed hand edit would."""
    path = Path(root) / "runtime" / "risk_state.json"
    path.write_bytes(path.read_bytes()[:200])


async def _shoot(root: Path, out: Path, name: str, size: tuple[int, int], keys: tuple[str, ...],
                 corrupt: bool, steps: Steps | None) -> Path:
    app = demo_app(root)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if steps is not None:
            await steps(pilot)
            await pilot.pause()
        if corrupt:
            corrupt_state(root)
            app.action_reload()
            await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        svg = app.export_screenshot(title="tc1 console")
    path = out / name
    path.write_text(svg, encoding="utf-8")
    return path


async def write_screenshots(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, keys, corrupt, steps in SHOTS:
        with tempfile.TemporaryDirectory(prefix="tc1-shots-") as tmp:
            root = build_demo_root(Path(tmp) / "tc1-demo")
            builder = {show_compare: build_demo_run_pair, show_live_run: build_demo_live_run}.get(steps)
            (builder or build_demo_run)(root)
            written.append(await _shoot(root, out, name, size, keys, corrupt, steps))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tc1console.console.screenshots",
                                     description="Write SVG screenshots of the console from a fixed demo state.")
    parser.add_argument("--out", default="screenshots", help="folder to write the SVGs into (default: screenshots/)")
    args = parser.parse_args(argv)
    for path in asyncio.run(write_screenshots(Path(args.out))):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
