"""Snapshot tests of each screen from the fixed demo state (docs/console.md, Screenshots and tests: "each
screen has a pytest-textual-snapshot test, deterministic (fixed clock, fixed data, fixed terminal
size)"): fixed clock, no watcher, fixed sizes.

Update with `pytest tests/console --snapshot-update` only after looking at the report.
"""

from __future__ import annotations

import pytest

from tc1console.console.screenshots import (corrupt_state, demo_app, show_blocked, show_compare, show_daily,
                                            show_events, show_history, show_main, show_story)

from console_tools import wait_until


def test_main_screen_120x40(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40), run_before=show_main)


def test_main_screen_80x24(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(80, 24), run_before=show_main)


def test_help_screen_lists_every_key(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40), run_before=show_main,
                        press=["question_mark"])


def test_corrupt_state_file_banner(snap_compare, demo_root):
    async def corrupt(pilot):
        await wait_until(pilot, lambda: pilot.app.loads >= 1, "the first, good read")
        corrupt_state(demo_root)
        pilot.app.action_reload()

    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40), run_before=corrupt)


def test_fresh_root_main_screen(snap_compare, fresh_root):
    assert snap_compare(demo_app(fresh_root), terminal_size=(120, 40))


def test_main_screen_blocked_80x24(snap_compare, demo_root):
    """Two rails blocking at 80x24: the Status card and the rails say why without cutting a word."""
    assert snap_compare(demo_app(demo_root), terminal_size=(80, 24), run_before=show_blocked)


def test_events_in_full_120x40(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40), run_before=show_events)


def test_events_in_full_80x24(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(80, 24), run_before=show_events)


# --- the desk's screens (issue 18): trade history, a trade's story, the daily table, two runs ------

SIZES = [(120, 40), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trade_history(snap_compare, demo_root, size):
    assert snap_compare(demo_app(demo_root), terminal_size=size, run_before=show_history)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trade_story(snap_compare, demo_root, size):
    assert snap_compare(demo_app(demo_root), terminal_size=size, run_before=show_story)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_daily_table(snap_compare, demo_root, size):
    assert snap_compare(demo_app(demo_root), terminal_size=size, run_before=show_daily)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_two_runs_compared(snap_compare, demo_pair_root, size):
    assert snap_compare(demo_app(demo_pair_root), terminal_size=size, run_before=show_compare)
