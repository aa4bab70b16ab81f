"""Snapshot tests of the operator actions' screens (docs/console.md, Screenshots and tests: "each screen has a
pytest-textual-snapshot test, deterministic (fixed clock, fixed data, fixed terminal size)").

The fixed demo state and demo run, the app's clock fixed, no watcher; each capture waits until the
worker that opens the screen has finished, so nothing runs at capture. The steps are the ones
`python -m tc1console.console.screenshots` uses. Update with `--snapshot-update` only after looking.
"""

from __future__ import annotations

import pytest

from tc1console.console.screenshots import (demo_app, show_cancel, show_caps, show_caps_invalid, show_close,
                                            show_close_confirm, show_flow, show_harness, show_live_run,
                                            show_pause, show_reset_all, show_reset_today, show_run)

SIZE = (120, 40)


def test_reset_today_confirmation(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=SIZE, run_before=show_reset_today)


def test_reset_all_confirmation(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=SIZE, run_before=show_reset_all)


def test_cap_editor(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=SIZE, run_before=show_caps)


def test_cap_editor_refuses_an_invalid_field(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=SIZE, run_before=show_caps_invalid)


def test_harness_launcher_with_an_earlier_run(snap_compare, demo_run_root):
    assert snap_compare(demo_app(demo_run_root), terminal_size=SIZE, run_before=show_harness)


def test_harness_result_view(snap_compare, demo_run_root):
    assert snap_compare(demo_app(demo_run_root), terminal_size=SIZE, run_before=show_run)


def test_harness_result_view_80x24(snap_compare, demo_run_root):
    """The run's summary at 80x24: asides on their own line, nothing cut."""
    assert snap_compare(demo_app(demo_run_root), terminal_size=(80, 24), run_before=show_run)


def test_harness_live_rerun_view(snap_compare, demo_live_run_root):
    """Issue 15 item 3: a re-run of the live trades of the last 7 days, the live equity (A) and the
    re-run's (B) on one chart with both final balances."""
    assert snap_compare(demo_app(demo_live_run_root), terminal_size=SIZE, run_before=show_live_run)


def test_harness_live_rerun_view_80x24(snap_compare, demo_live_run_root):
    assert snap_compare(demo_app(demo_live_run_root), terminal_size=(80, 24), run_before=show_live_run)


@pytest.mark.parametrize("steps", [show_pause, show_flow, show_close, show_close_confirm, show_cancel],
                         ids=["pause", "cash_flow", "close", "close_confirm", "cancel"])
def test_operator_action_forms(snap_compare, demo_root, steps):
    """docs/live.md section 6 from the console: each action's form (a close's price filled in from the
    mark) and a close's confirmation naming the PnL and balance it will book."""
    assert snap_compare(demo_app(demo_root), terminal_size=SIZE, run_before=steps)


def test_close_form_80x24(snap_compare, demo_root):
    assert snap_compare(demo_app(demo_root), terminal_size=(80, 24), run_before=show_close)
