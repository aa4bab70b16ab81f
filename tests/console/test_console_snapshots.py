"""Snapshot tests of each screen from the fixed demo state: fixed clock, no watcher, fixed sizes.

Update with `pytest tests/console --snapshot-update` only after looking at the report.
"""

from __future__ import annotations

from tc1console.console.screenshots import corrupt_state, demo_app, show_blocked, show_events


def test_main_screen_120x40(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40))


def test_main_screen_80x24(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(80, 24))


def test_help_screen_lists_every_key(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(120, 40), press=["question_mark"])


def test_corrupt_state_file_banner(snap_compare, demo_root):
    async def corrupt(pilot):
        await pilot.pause()  # the first, good read
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
