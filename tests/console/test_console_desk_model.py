"""The desk's pure parts, without the UI (issue 18): history rows and filters, a story's words for
kinds the console does not know, the run comparison's rows and thinned curves, the two-series chart."""

from __future__ import annotations

from pathlib import Path

from tc1console.console.compare import compare_rows, flatten, read_curve
from tc1console.console.history import ALL, filter_rows, history_rows, story_lines, totals
from tc1console.console.widgets.line_chart import DOT, Series, chart_lines, raster
from tc1console.engine import config
from tc1console.engine.core import CloseResult

OVERLAY = config.validate("overlay", config.DEFAULTS["overlay"], "overlay")
DAY = 1_764_028_800_000  # 2025-11-25T00:00:00Z
HOUR = 3_600_000


def closed(tid: str, symbol: str, exit_ts: int, pnl: float) -> CloseResult:
    return CloseResult(tid, symbol, True, 0.5, 100.0, 101.0, exit_ts - HOUR, exit_ts, 10.0, pnl + 1, 1.0, pnl,
                       pnl / 10, 1_000 + pnl)


def test_history_is_newest_first_and_filters_by_symbol_and_exit_day() -> None:
    closes = [closed("a", "BTCUSDT", DAY + HOUR, 5.0), closed("b", "ETHUSDT", DAY - HOUR, -3.0),
              closed("c", "BTCUSDT", DAY + 2 * HOUR, -1.0), closed("d", "BTCUSDT", DAY - 2 * HOUR, 2.0)]
    rows = history_rows(closes, OVERLAY)
    assert [r.trade_id for r in rows] == ["c", "a", "b", "d"]
    assert [r.trade_id for r in filter_rows(rows, "BTCUSDT", ALL)] == ["c", "a", "d"]
    assert [r.trade_id for r in filter_rows(rows, ALL, "2025-11-24")] == ["b", "d"]
    assert [r.trade_id for r in filter_rows(rows, "BTCUSDT", "2025-11-25")] == ["c", "a"]
    assert totals(filter_rows(rows, "BTCUSDT", "2025-11-25")) == "2 trades, 1 won, PnL +4.00, R +0.40, fees 2.00"
    cells = dict(zip(("time", "trade", "symbol", "side", "qty", "entry", "exit", "r", "pnl", "fees", "held"),
                     (t for t, _tone in rows[0].cells)))
    assert cells["pnl"] == "-1.00" and cells["r"] == "-0.10R" and cells["held"] == "1h00m"


def test_a_story_tells_kinds_the_console_does_not_know_with_their_fields_and_who() -> None:
    entries = [{"seq": 3, "at_ms": DAY, "type": "open", "trade_id": "t",
                "position": {"trade_id": "t", "symbol": "BTCUSDT", "is_long": True, "qty": 0.5,
                             "entry_price": 100.0, "stop_price": 99.0, "risk_amount": 0.5, "entry_ts_ms": DAY}},
               {"seq": 4, "at_ms": DAY + 5, "type": "fill", "trade_id": "t", "filled_qty": 0.25,
                "detail": {"nested": 1}, "by": "exchange"}]
    lines = story_lines(entries, OVERLAY, "2025-11-25")
    assert [line.who for line in lines] == ["bot", "exchange"]
    assert lines[0].when == "2025-11-25 00:00:00"
    text = "".join(t for t, _tone in lines[1].parts)
    assert "fill" in text and "filled_qty=0.25" in text and "nested" not in text


def test_comparing_runs_lists_every_key_and_marks_the_differences_with_b_minus_a() -> None:
    a = {"final_balance": 11_000.0, "trades_taken": 113, "win_rate": 0.5, "skipped_by_reason": {"daily_loss_cap": 2},
         "still_open": [], "trades_csv": "/x/t.csv", "only_a": 1}
    b = {"final_balance": 10_950.5, "trades_taken": 88, "win_rate": 0.5, "skipped_by_reason": {"daily_loss_cap": 15},
         "still_open": ["t9"], "trades_csv": "/x/t.csv", "only_b": None}
    assert list(flatten(a)) == ["final_balance", "trades_taken", "win_rate", "skipped_by_reason.daily_loss_cap",
                                "still_open", "trades_csv", "only_a"]
    rows = {r.key: r for r in compare_rows(a, b)}
    assert list(rows)[-1] == "only_b"
    assert rows["final_balance"].differs and rows["final_balance"].delta == "-49.50"
    assert rows["trades_taken"].delta == "-25" and rows["skipped_by_reason.daily_loss_cap"].delta == "+13"
    assert not rows["win_rate"].differs and rows["win_rate"].delta == "" and rows["win_rate"].a == "50.0%"
    assert rows["still_open"].differs and rows["still_open"].b == "1: t9"
    assert rows["trades_csv"].a == "t.csv" and not rows["trades_csv"].differs
    assert rows["only_a"].b == "-" and rows["only_a"].differs


def test_a_thinned_curve_keeps_every_low_and_high_and_the_exact_end(tmp_path: Path) -> None:
    path = tmp_path / "equity_curve.csv"
    values = [10_000.0 + ((k * 7919) % 1000) - 500 + k / 10 for k in range(20_000)]
    values[12_345] = 5_000.0  # a deep drawdown inside one slice
    path.write_text("ts_ms,balance\n" + "".join(f"{DAY + k},{v!r}\n" for k, v in enumerate(values)))
    curve = read_curve(path, points=200)
    assert len(curve) <= 201
    assert curve[-1] == (DAY + 19_999, values[-1]) and curve[0][0] == DAY
    assert (DAY + 12_345, 5_000.0) in curve
    assert max(b for _t, b in curve) == max(values)
    assert [t for t, _b in curve] == sorted(t for t, _b in curve)


def test_the_chart_draws_both_series_on_the_same_axes_in_their_colours() -> None:
    a = Series("A", ((0, 0.0), (10, 10.0)), "$primary")
    b = Series("B", ((0, 10.0), (10, 0.0)), "$accent")
    grid = raster([a, b], cols=6, rows=3, box=(0, 10, 0.0, 10.0))
    # A starts at the bottom left, B at the top left; each ends in the opposite corner.
    assert grid[2][0][0] & DOT[3][0] and grid[0][0][1] & DOT[0][0]
    assert grid[0][5][0] & DOT[0][1] and grid[2][5][1] & DOT[3][1]
    lines = chart_lines([a, b], width=30, height=6)
    assert len(lines) == 6
    assert "[$primary]" in "".join(lines) and "[$accent]" in "".join(lines)
    assert lines[-1].endswith("UTC[/]")
