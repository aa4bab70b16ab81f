"""Replay order of the harness (docs/harness.md): time order, exits before entries at an equal time,
an exit at its own entry time right after that entry, otherwise input order."""

from __future__ import annotations

from harness_tools import Run

ONE_AT_A_TIME = {"max_concurrent_trades": 1}


def test_entries_replay_in_time_order_but_rows_stay_in_input_order(tmp_path):
    """docs/harness.md: events in time order; open_allocations.csv keeps input order."""
    run = Run(tmp_path,
              "LATE,long,2024-01-01T02:00:00Z,100,98,2024-01-01T03:00:00Z,101",
              "EARLY,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,101",
              overlay=ONE_AT_A_TIME)
    assert [r["symbol"] for r in run.opens] == ["LATE", "EARLY"]
    assert [r["line"] for r in run.opens] == ["2", "3"]
    # EARLY ran first (it closed before LATE opened, so both were taken under the limit of one).
    assert [r["symbol"] for r in run.closes] == ["EARLY", "LATE"]
    assert run.summary["trades_taken"] == 2


def test_exit_before_entry_at_an_equal_timestamp(tmp_path):
    """docs/harness.md: at an equal timestamp exits come before entries."""
    run = Run(tmp_path,
              "A,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,101",
              "B,long,2024-01-01T01:00:00Z,100,98,2024-01-01T02:00:00Z,101",  # enters as A exits
              overlay=ONE_AT_A_TIME)
    assert [r["skipped_reason"] for r in run.opens] == ["", ""]
    # B was sized on the balance after A's close: 1% of 10,050 = 100.5 -> qty 50 (floored).
    assert run.closes[0]["balance_after"] == "10050.0"
    assert run.opens[1]["budget"] == "100.5"


def test_entry_after_exit_one_ms_later_is_blocked(tmp_path):
    """docs/harness.md (the contrast): an exit 1 ms after the entry comes after it."""
    run = Run(tmp_path,
              "A,long,1704067200000,100,98,1704070800001,101",
              "B,long,1704070800000,100,98,1704074400000,101",
              overlay=ONE_AT_A_TIME)
    assert [r["skipped_reason"] for r in run.opens] == ["", "max_concurrent_trades"]


def test_exit_at_own_entry_time_closes_before_later_entries_of_that_time(tmp_path):
    """docs/harness.md: an exit stamped at its own entry time closes right after that entry,
    before later entries of the same timestamp."""
    run = Run(tmp_path,
              "A,long,2024-01-01T00:00:00Z,100,98,2024-01-01T00:00:00Z,101",
              "B,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,101",
              overlay=ONE_AT_A_TIME)
    assert [r["skipped_reason"] for r in run.opens] == ["", ""]
    assert [r["symbol"] for r in run.closes] == ["A", "B"]
    assert run.equity[0] == (1_704_067_200_000, 10_000.0)
    assert run.equity[1] == (1_704_067_200_000, 10_050.0)  # A's close, at its entry time


def test_equal_entry_times_go_in_input_order(tmp_path):
    """docs/harness.md: otherwise input order: of two entries at one time the first row goes first."""
    run = Run(tmp_path,
              "SECOND_IN_TIME,long,2024-01-01T05:00:00Z,100,98,2024-01-01T06:00:00Z,101",
              "X,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,101",
              "Y,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,101",
              overlay=ONE_AT_A_TIME)
    assert [r["skipped_reason"] for r in run.opens] == ["", "", "max_concurrent_trades"]


def test_equal_exit_times_close_in_input_order(tmp_path):
    """docs/harness.md: exits at one timestamp close in input order, whatever order they opened in."""
    run = Run(tmp_path,
              "P,long,2024-01-01T00:30:00Z,100,98,2024-01-01T02:00:00Z,101",
              "Q,long,2024-01-01T00:00:00Z,100,98,2024-01-01T02:00:00Z,99",
              "R,long,2024-01-01T00:10:00Z,100,98,2024-01-01T01:00:00Z,102")
    assert [r["symbol"] for r in run.closes] == ["R", "P", "Q"]
    assert [ts for ts, _ in run.equity] == [1_704_067_200_000, 1_704_070_800_000, 1_704_074_400_000,
                                           1_704_074_400_000]


def test_skipped_trade_has_no_exit(tmp_path):
    """docs/harness.md: only a taken entry's exit becomes due."""
    run = Run(tmp_path,
              "A,long,2024-01-01T00:00:00Z,100,98,2024-01-01T03:00:00Z,101",
              "B,long,2024-01-01T01:00:00Z,100,98,2024-01-01T02:00:00Z,101",
              overlay=ONE_AT_A_TIME)
    assert [r["symbol"] for r in run.closes] == ["A"]
    assert len(run.equity) == 2


def test_exits_left_at_the_end_are_drained_in_time_order(tmp_path):
    run = Run(tmp_path,
              "A,long,2024-01-01T00:00:00Z,100,98,2024-01-05T00:00:00Z,101",
              "B,long,2024-01-01T00:10:00Z,100,98,2024-01-03T00:00:00Z,101",
              "C,long,2024-01-01T00:20:00Z,100,98,2024-01-04T00:00:00Z,101")
    assert [r["symbol"] for r in run.closes] == ["B", "C", "A"]
    assert run.summary["still_open"] == [] and run.summary["peak_concurrency"] == 3
