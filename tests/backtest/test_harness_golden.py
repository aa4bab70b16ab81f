"""Golden runs of the backtest harness (docs/harness.md): tiny CSVs, every expected number worked out by hand.

Config SIMPLE: balance 10,000, risk 1% of balance per trade, qty step 1, no fees, no caps.
"""

from __future__ import annotations

import pytest

from harness_tools import Run
from tc1console.engine.core import SKIP_REASONS

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MIN = 60_000

# Three overlapping trades (ISO times, 'Z' = UTC):
#   A long  BTC  entry 100 stop 98 at 00:00, exit 104  at 00:10
#   B short ETH  entry 50  stop 51 at 00:05, exit 52   at 00:20
#   C long  SOL  entry 20  stop 19 at 00:15, exit 20.5 at 00:30
THREE = (
    "BTC,long,2024-01-01T00:00:00Z,100,98,2024-01-01T00:10:00Z,104",
    "ETH,short,2024-01-01T00:05:00Z,50,51,2024-01-01T00:20:00Z,52",
    "SOL,long,2024-01-01T00:15:00Z,20,19,2024-01-01T00:30:00Z,20.5",
)


def test_golden_three_overlapping_trades_allocations(tmp_path):
    """docs/harness.md + §2 sizing, by hand."""
    run = Run(tmp_path, *THREE)
    a, b, c = run.opens
    # 00:00 A: budget = 10,000 * 1% = 100; unit risk |100 - 98| = 2; qty = 100 / 2 = 50.
    assert (a["trade_id"], a["qty"], a["risk_amount"], a["notional"], a["budget"]) == \
        (f"BTC_{T0}", "50.0", "100.0", "5000.0", "100.0")
    # 00:05 B: A still open, balance still 10,000: budget 100; unit |50 - 51| = 1; qty 100.
    assert (b["qty"], b["risk_amount"], b["notional"], b["is_long"]) == ("100.0", "100.0", "5000.0", "False")
    # 00:10 A closes before C opens: balance 10,200, so C's budget is 10,200 * 1% = 102;
    # unit |20 - 19| = 1 -> qty 102, notional 102 * 20 = 2,040.
    assert (c["qty"], c["risk_amount"], c["notional"], c["budget"]) == ("102.0", "102.0", "2040.0", "102.0")
    assert [r["line"] for r in run.opens] == ["2", "3", "4"]
    assert all(r["skipped_reason"] == "" for r in run.opens)


def test_golden_three_overlapping_trades_closes_and_equity(tmp_path):
    """docs/engine.md §3 booking and §5 equity curve, by hand."""
    run = Run(tmp_path, *THREE)
    # Close order: A at 00:10, B at 00:20, C at 00:30.
    assert [r["trade_id"] for r in run.closes] == [f"BTC_{T0}", f"ETH_{T0 + 5 * MIN}", f"SOL_{T0 + 15 * MIN}"]
    a, b, c = run.closes
    # A: (104 - 100) * 50 = 200; R = 200 / 100 = 2; balance 10,000 + 200 = 10,200.
    assert (float(a["gross_pnl"]), float(a["pnl_after_fees"]), float(a["R_multiple"]),
            float(a["balance_after"])) == (200.0, 200.0, 2.0, 10_200.0)
    # B (short): (50 - 52) * 100 = -200; R = -200 / 100 = -2; balance 10,000.
    assert (float(b["pnl_after_fees"]), float(b["R_multiple"]), float(b["balance_after"])) == \
        (-200.0, -2.0, 10_000.0)
    # C: (20.5 - 20) * 102 = 51; R = 51 / 102 = 0.5; balance 10,051.
    assert (float(c["pnl_after_fees"]), float(c["R_multiple"]), float(c["balance_after"])) == \
        (51.0, 0.5, 10_051.0)
    assert float(a["fees"]) == 0.0
    # Start point at the first event (A's entry) with the initial balance, then one per close.
    assert run.equity == [(T0, 10_000.0), (T0 + 10 * MIN, 10_200.0), (T0 + 20 * MIN, 10_000.0),
                          (T0 + 30 * MIN, 10_051.0)]


def test_golden_three_overlapping_trades_summary(tmp_path):
    """docs/harness.md summary figures, by hand."""
    run = Run(tmp_path, *THREE)
    s = run.summary
    assert s == run.summary_file  # the returned summary is what summary.json holds
    assert s["initial_balance"] == 10_000.0
    assert s["final_balance"] == 10_051.0
    assert s["return_pct"] == pytest.approx(0.51)  # 51 / 10,000 * 100
    assert (s["trades_in"], s["trades_taken"], s["trades_closed"]) == (3, 3, 3)
    assert s["skipped_by_reason"] == dict.fromkeys(SKIP_REASONS, 0)
    assert list(s["skipped_by_reason"]) == list(SKIP_REASONS)
    # Peak 10,200 after A, trough 10,000 after B: 200 $, 200 / 10,200 = 1.96 %.
    assert s["max_drawdown"] == 200.0
    assert s["max_drawdown_pct"] == pytest.approx(200 / 10_200 * 100)
    assert s["win_rate"] == pytest.approx(2 / 3)  # A and C win, B loses
    assert s["total_R"] == 0.5  # 2 - 2 + 0.5
    assert s["avg_R"] == pytest.approx(0.5 / 3)
    assert s["profit_factor"] == pytest.approx((200 + 51) / 200)
    assert s["total_fees"] == 0.0
    # A and B open together (2), then B and C (2); open risk peaks at 00:15: B 100 + C 102.
    assert s["peak_concurrency"] == 2
    assert s["peak_open_risk"] == 202.0
    assert s["still_open"] == []
    assert s["risk_config"] == str(run.risk.resolve()) and s["policy_config"] is None


# A again, with both exits blank: still open at the end of the data (docs/harness.md).
A_OPEN = "BTC,long,2024-01-01T00:00:00Z,100,98,,"


def test_golden_a_trade_with_both_exits_blank_is_still_open_at_the_end(tmp_path):
    """docs/harness.md: a row whose exit_time and exit_price are both blank is a trade still open at
    the end of the data: sized and counted like any other, never closed, listed in still_open."""
    run = Run(tmp_path, A_OPEN, *THREE[1:])
    a, b, c = run.opens
    # A is sized as before (budget 100, unit 2, qty 50); it never closes, so at 00:15 the balance
    # is still 10,000 and C's budget is 100: qty 100 (102 when A had closed at a profit).
    assert (a["trade_id"], a["qty"], a["risk_amount"], a["skipped_reason"]) == (f"BTC_{T0}", "50.0", "100.0", "")
    assert (c["qty"], c["budget"]) == ("100.0", "100.0")
    # B: (50 - 52) * 100 = -200 -> 9,800 at 00:20; C: (20.5 - 20) * 100 = 50 -> 9,850 at 00:30.
    assert [r["trade_id"] for r in run.closes] == [f"ETH_{T0 + 5 * MIN}", f"SOL_{T0 + 15 * MIN}"]
    assert run.equity == [(T0, 10_000.0), (T0 + 20 * MIN, 9_800.0), (T0 + 30 * MIN, 9_850.0)]
    s = run.summary
    assert s["still_open"] == run.summary_file["still_open"] == [f"BTC_{T0}"]
    assert (s["trades_in"], s["trades_taken"], s["trades_skipped"], s["trades_closed"]) == (3, 3, 0, 2)
    # At 00:15 A, B and C are open: 100 + 100 + 100 of risk.
    assert (s["peak_concurrency"], s["peak_open_risk"], s["final_balance"]) == (3, 300.0, 9_850.0)


def test_golden_a_trade_still_open_keeps_its_slot_to_the_end(tmp_path):
    """docs/harness.md: counted like any other: with max_concurrent_trades 1, the trade still open
    holds the one slot, so every later entry is skipped."""
    run = Run(tmp_path, A_OPEN, *THREE[1:], overlay={"max_concurrent_trades": 1})
    assert [r["skipped_reason"] for r in run.opens] == ["", "max_concurrent_trades", "max_concurrent_trades"]
    assert run.closes == [] and run.equity == [(T0, 10_000.0)]
    assert run.summary["still_open"] == [f"BTC_{T0}"]


def test_golden_fees_in_risk(tmp_path):
    """docs/engine.md §2 step 6 and §3 fees through the harness: 10 bps per side, fees_in_risk."""
    run = Run(tmp_path, "BTC,long,2024-01-01T00:00:00Z,100,98,2024-01-01T01:00:00Z,104",
              overlay={"fee_bps_per_side": 10.0})
    o, c = run.opens[0], run.closes[0]
    # unit risk = |100 - 98| + 0.001 * (100 + 98) = 2.198; qty = floor(100 / 2.198 = 45.49...) = 45.
    assert float(o["qty"]) == 45.0
    assert float(o["risk_amount"]) == pytest.approx(45 * 2.198)  # 98.91
    # gross = 4 * 45 = 180; fees = 0.001 * 45 * (100 + 104) = 9.18; pnl = 170.82.
    assert float(c["gross_pnl"]) == 180.0
    assert float(c["fees"]) == pytest.approx(9.18)
    assert float(c["pnl_after_fees"]) == pytest.approx(170.82)
    assert float(c["R_multiple"]) == pytest.approx(170.82 / 98.91)
    assert run.summary["total_fees"] == pytest.approx(9.18)
    assert run.summary["final_balance"] == pytest.approx(10_170.82)
    assert run.summary["profit_factor"] is None  # no losing trade: no gross loss to divide by


def test_golden_rails_from_policy_file(tmp_path):
    """docs/engine.md §1 policy + §5: max_trades_per_day counts opens per UTC day of the event."""
    run = Run(tmp_path,
              "BTC,long,2024-01-01T00:00:00Z,100,98,2024-01-01T00:10:00Z,104",
              "BTC,long,2024-01-01T01:00:00Z,100,98,2024-01-01T01:10:00Z,104",  # 2nd open that day
              "BTC,long,2024-01-02T00:00:00Z,100,98,2024-01-02T00:10:00Z,104",  # a new UTC day
              policy={"max_trades_per_day": 1})
    assert [r["skipped_reason"] for r in run.opens] == ["", "max_trades_per_day", ""]
    assert run.summary["skipped_by_reason"]["max_trades_per_day"] == 1
    assert run.summary["trades_taken"] == 2


def test_no_policy_means_no_rails(tmp_path):
    """docs/harness.md: without --policy_config no rail ever blocks."""
    rows = [f"BTC,long,2024-01-01T0{h}:00:00Z,100,98,2024-01-01T0{h}:10:00Z,104" for h in range(5)]
    run = Run(tmp_path, *rows)
    assert run.summary["trades_taken"] == 5


def test_golden_losses_drawdown_and_skips(tmp_path):
    """docs/harness.md: drawdown on the equity curve, skip counts by reason, max_concurrent_trades."""
    run = Run(tmp_path,
              # A: stopped out: (98 - 100) * 50 = -100 -> 9,900.
              "BTC,long,2024-01-01T00:00:00Z,100,98,2024-01-01T00:10:00Z,98",
              # B: overlaps A while one trade is the limit -> max_concurrent_trades.
              "BTC,long,2024-01-01T00:05:00Z,100,98,2024-01-01T00:20:00Z,98",
              # C: after A closed: budget 99 (1% of 9,900), unit 2 -> qty 49 (floored), risk 98;
              #    stopped out: -98 -> 9,802.
              "BTC,long,2024-01-01T00:30:00Z,100,98,2024-01-01T00:40:00Z,98",
              overlay={"max_concurrent_trades": 1})
    assert [r["skipped_reason"] for r in run.opens] == ["", "max_concurrent_trades", ""]
    assert float(run.opens[2]["qty"]) == 49.0
    s = run.summary
    assert s["final_balance"] == 9_802.0
    assert s["max_drawdown"] == 198.0  # 10,000 peak -> 9,802
    assert s["max_drawdown_pct"] == pytest.approx(1.98)
    assert s["win_rate"] == 0.0
    assert s["profit_factor"] == 0.0  # no gross profit over 198 of losses
    assert s["skipped_by_reason"]["max_concurrent_trades"] == 1
    assert s["trades_skipped"] == 1
