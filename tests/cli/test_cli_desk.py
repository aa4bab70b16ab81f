"""`tc1 daily` and the desk numbers of `tc1 dashboard` as real processes (docs/console.md command-line
table: "`tc1 daily` PnL by UTC day"; issue 18 items 3 and 5): the same numbers as the engine's own
functions, text and JSON, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1
from tc1console.engine.ledger import load_daily
from tc1console.engine.live import LiveRisk
from tc1console.engine.marks import MARKS_FILE
from tc1console.engine.rails import MS_PER_DAY, day_key

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
TODAY = day_key(NOW_MS)


@pytest.fixture
def traded(tmp_path: Path) -> Path:
    """A loss yesterday, a win today, one position open and marked 2 s ago (wall-clock stamps)."""
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    day = NOW_MS - NOW_MS % MS_PER_DAY
    live.try_open(trade_id="y1", entry_ts_ms=day - 3_600_000, **OPEN)
    live.close(trade_id="y1", exit_ts_ms=day - 1_800_000, exit_price=2_985.0)
    live.try_open(trade_id="t1", entry_ts_ms=max(day, NOW_MS - 60_000), **OPEN)
    live.close(trade_id="t1", exit_ts_ms=max(day, NOW_MS - 60_000) + 1, exit_price=3_030.0)
    live.try_open(trade_id="open1", entry_ts_ms=max(day, NOW_MS - 10_000), **OPEN)
    live.mark({"ETHUSDT": 3_012.0}, ts_ms=NOW_MS - 2_000)
    return root


def test_tc1_daily_json_is_the_engines_daily_table(traded: Path) -> None:
    proc = tc1("daily", "--json", "--days", "3", root=traded)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["until"] == TODAY
    assert doc["days"] == [r.as_dict() for r in load_daily(traded, TODAY, 3)]
    today, yesterday = doc["days"][-1], doc["days"][-2]
    assert (today["closes"], today["wins"], today["entries"]) == (1, 1, 2)
    assert (yesterday["closes"], yesterday["wins"]) == (1, 0) and yesterday["pnl"] < 0


def test_tc1_daily_text_lists_the_days_newest_first(traded: Path) -> None:
    proc = tc1("daily", "--days", "2", root=traded)
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[1].split()[:4] == ["day", "entries", "closed", "won"]
    assert lines[2].split()[0] == TODAY and lines[3].split()[0] == day_key(NOW_MS - MS_PER_DAY)
    assert lines[-1].startswith("2 days: 2 closed")


@pytest.mark.parametrize("args,fragment", [(("--days", "0"), "--days must be 1 or more"),
                                           (("--until", "2024-13-01"), "--until must be a date YYYY-MM-DD")])
def test_tc1_daily_refuses_bad_arguments_in_one_line(traded: Path, args, fragment) -> None:
    assert_one_line_error(tc1("daily", *args, root=traded), fragment)


def test_dashboard_shows_the_marks_and_the_daily_numbers(traded: Path) -> None:
    doc = json.loads(tc1("dashboard", "--json", root=traded).stdout)
    live = LiveRisk(traded)
    with live.store.transaction() as tx:
        pos = tx.engine.positions["open1"]
        balance = tx.engine.balance
    qty, fee_rate = pos.alloc.qty, pos.fee_rate
    unrealized = (3_012.0 - 3_000.0) * qty - fee_rate * qty * (3_000.0 + 3_012.0)
    row = doc["positions"]["rows"][0]
    assert row["mark"] == 3_012.0 and row["unrealized"] == pytest.approx(unrealized, abs=1e-9)
    assert row["r_now"] == pytest.approx(unrealized / pos.alloc.risk_amount)
    m = doc["marks"]
    assert m["status"] == "ok" and m["marked"] == 1 and m["note"].startswith("marks ")
    assert m["equity"] == pytest.approx(balance + unrealized) and m["worst_case"] < 0
    assert [d["day"] for d in doc["daily"]][-2:] == [day_key(NOW_MS - MS_PER_DAY), TODAY]
    assert doc["daily"][-1]["closes"] == 1

    text = tc1("dashboard", root=traded).stdout
    assert "Equity" in text and f"{balance + unrealized:,.2f}" in text and f"unrealized {unrealized:+,.2f}" in text
    assert "At stops" in text and "3,012.00" in text
    assert "Daily        the last" in text


def test_dashboard_says_no_marks_or_unreadable_marks_and_still_runs(traded: Path) -> None:
    path = traded / "runtime" / MARKS_FILE
    path.write_text("{not json")
    proc = tc1("dashboard", root=traded)
    assert proc.returncode == 0 and "marks unreadable" in proc.stdout
    path.unlink()
    doc = json.loads(tc1("dashboard", "--json", root=traded).stdout)
    assert doc["marks"]["status"] == "missing" and doc["marks"]["equity"] is None
    assert doc["positions"]["rows"][0]["mark"] is None
