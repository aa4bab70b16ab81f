"""Reports read from the journal (docs/console.md: trade history, the daily table, `tc1 daily`; issue 18
items 2 and 3): a trade's story, and PnL by UTC day, tolerant of entry kinds they do not know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tc1console.engine import config
from tc1console.engine.ledger import (DayRow, daily_table, journal_backward, read_daily, trade_story,
                                      window)
from tc1console.engine.live import LiveRisk
from tc1console.engine.rails import MS_PER_DAY

DAY = 1_764_028_800_000  # 2025-11-25T00:00:00Z
HOUR = 3_600_000


def root_with_configs(tmp_path: Path, **policy) -> Path:
    root = tmp_path / "root"
    (root / "configs").mkdir(parents=True)
    overlay = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 50, "total_open_risk_cap": 10_000.0,
               "max_leverage": 1_000.0}
    (root / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", overlay))
    (root / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", policy))
    return root


def write_journal(root: Path, entries: list[dict], *, torn: bytes = b"") -> Path:
    path = root / "runtime" / "journal.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in entries) + torn)
    return path


def test_backward_read_is_the_journal_reversed_and_skips_a_line_still_being_written(tmp_path: Path) -> None:
    # Lines of many sizes, some longer than a read chunk, so lines cross chunk boundaries.
    entries = [{"seq": i, "type": "note", "pad": "x" * ((i * 7919) % 90_000)} for i in range(60)]
    write_journal(tmp_path, entries, torn=b'{"seq": 60, "type": "op')
    assert [e["seq"] for e in journal_backward(tmp_path)] == list(range(59, -1, -1))
    write_journal(tmp_path, [], torn=b'{"seq": 0')
    assert list(journal_backward(tmp_path)) == []
    assert list(journal_backward(tmp_path / "nowhere")) == []


def test_a_trades_story_is_its_own_entries_from_the_open_on(tmp_path: Path) -> None:
    root = root_with_configs(tmp_path)
    live = LiveRisk(root)
    others = []
    for i in range(30):  # other trades around it
        if not live.try_open(trade_id=f"o{i}", symbol="ETHUSDT", is_long=True, entry_ts_ms=DAY + i,
                             entry_price=3_000.0, stop_price=2_900.0)["skipped_reason"]:
            others.append(f"o{i}")
    live.try_open(trade_id="t1", symbol="BTCUSDT", is_long=True, entry_ts_ms=DAY + 100, entry_price=60_000.0,
                  stop_price=59_000.0)
    live.try_open(trade_id="t1", symbol="BTCUSDT", is_long=True, entry_ts_ms=DAY + 100, entry_price=60_000.0,
                  stop_price=58_000.0)  # the same id with other arguments: a duplicate skip
    assert len(others) > 3
    for i, tid in enumerate(others):
        live.close(trade_id=tid, exit_ts_ms=DAY + 200 + i, exit_price=3_001.0)
    live.close(trade_id="t1", exit_ts_ms=DAY + HOUR, exit_price=60_500.0)
    # A kind this module does not know yet, about the trade, written by another tool.
    path = root / "runtime" / "journal.jsonl"
    with open(path, "ab") as f:
        f.write(json.dumps({"seq": 999, "at_ms": DAY + 2 * HOUR, "type": "annotate", "trade_id": "t1",
                            "note": "closed by hand on the exchange", "by": "ops"}).encode() + b"\n")
    story = trade_story(root, "t1")
    assert [e["type"] for e in story] == ["open", "skip", "close", "annotate"]
    assert story[1]["result"]["skipped_reason"] == "duplicate_trade_id"
    assert story[-1]["by"] == "ops"
    assert trade_story(root, "never") == []


def close(seq: int, tid: str, ts: int, pnl: float, r: float, fee: float, balance: float) -> dict:
    return {"seq": seq, "at_ms": ts, "type": "close", "trade_id": tid,
            "result": {"trade_id": tid, "exit_ts_ms": ts, "pnl_after_fees": pnl, "R_multiple": r, "fees": fee,
                       "balance_after": balance}}


def opened(seq: int, tid: str, ts: int) -> dict:
    return {"seq": seq, "at_ms": ts, "type": "open", "trade_id": tid, "position": {"trade_id": tid, "entry_ts_ms": ts}}


def skip(seq: int, ts: int, reason: str) -> dict:
    return {"seq": seq, "at_ms": ts, "type": "skip", "trade_id": f"s{seq}",
            "result": {"entry_ts_ms": ts, "skipped_reason": reason}}


def test_daily_rows_count_trades_wins_pnl_r_fees_balance_and_rail_hits_by_day() -> None:
    d0, d1, d2 = DAY - MS_PER_DAY, DAY, DAY + MS_PER_DAY
    entries = [
        {"seq": 1, "at_ms": d0 - 2 * MS_PER_DAY, "type": "adopt", "book": {"balance": 1_000.0}},
        opened(2, "a", d0 + HOUR), close(3, "a", d0 + 2 * HOUR, 10.0, 0.5, 1.0, 1_010.0),
        opened(4, "b", d1 + HOUR), close(5, "b", d1 + 2 * HOUR, -20.0, -1.0, 1.5, 990.0),
        opened(6, "c", d1 + 3 * HOUR), close(7, "c", d1 + 4 * HOUR, 30.0, 1.5, 2.0, 1_020.0),
        skip(8, d1 + 5 * HOUR, "daily_loss_cap"), skip(9, d1 + 6 * HOUR, "daily_loss_cap"),
        skip(10, d1 + 7 * HOUR, "below_min_qty"),  # market rules: not a rail
        # Kinds this code does not know: a cash flow moves the balance, and is no trade.
        {"seq": 11, "at_ms": d1 + 8 * HOUR, "type": "flow", "amount": 500.0, "balance_after": 1_520.0},
        {"seq": 12, "at_ms": d1 + 9 * HOUR, "type": "pause", "reason": "lunch", "by": "ops"},
        skip(13, d2 + HOUR, "max_drawdown"),
    ]
    rows = daily_table(entries, "2025-11-26", 4)
    assert [r.day for r in rows] == ["2025-11-23", "2025-11-24", "2025-11-25", "2025-11-26"]
    assert rows[0] == DayRow("2025-11-23", balance=1_000.0)  # quiet: the adopted balance carried in
    assert rows[1] == DayRow("2025-11-24", 1, 1, 1, 10.0, 0.5, 1.0, 1_010.0, {}, "journal")
    assert rows[2] == DayRow("2025-11-25", 2, 2, 1, 10.0, 0.5, 3.5, 1_520.0, {"daily_loss_cap": 2}, "journal")
    assert rows[2].hits == 2
    assert rows[3] == DayRow("2025-11-26", 0, 0, 0, 0.0, 0.0, 0.0, 1_520.0, {"max_drawdown": 1}, "journal")


def test_days_only_the_state_buckets_hold_show_their_counters_and_nothing_else() -> None:
    rows = daily_table([], "2025-11-25", 2, buckets={"2025-11-24": {"entries": 3, "pnl": -40.0}})
    assert rows[0] == DayRow("2025-11-24", 3, None, None, -40.0, None, None, None, {}, "buckets")
    assert rows[1] == DayRow("2025-11-25")


def test_days_before_the_account_knew_anything_are_left_out() -> None:
    rows = daily_table([opened(1, "a", DAY + HOUR)], "2025-11-27", 30)
    assert [r.day for r in rows] == ["2025-11-25", "2025-11-26", "2025-11-27"]
    assert [r.day for r in daily_table([], "2025-11-27", 30)] == ["2025-11-27"]  # today, always
    fresh = daily_table([], "2025-11-27", 30, balance_now=10_000.0)  # a fresh root: no journal yet
    assert fresh == [DayRow("2025-11-27", balance=10_000.0)]


def test_a_window_is_the_last_n_utc_days_ending_today() -> None:
    assert window("2025-03-01", 3) == ["2025-02-27", "2025-02-28", "2025-03-01"]
    assert window("2025-03-01", 0) == ["2025-03-01"]


@pytest.mark.parametrize("today,days", [("2025-12-06", 1), ("2025-12-06", 3), ("2025-12-06", 12),
                                         ("2025-12-02", 2), ("2025-11-26", 1)])
def test_reading_back_only_as_far_as_the_window_needs_gives_the_whole_journals_answer(
        tmp_path: Path, today: str, days: int) -> None:
    # Twelve days from 2025-11-25, committed as they happen (at_ms = the event's time), with a quiet
    # stretch (11-29 to 12-03) whose balance must come from before it; one close is committed six
    # hours late, and one entry is committed before midnight but stamped after it.
    entries, seq, balance = [], 0, 1_000.0
    for day in range(12):
        if 4 <= day <= 8:
            continue
        for k in range(3):
            seq += 1
            ts = DAY + day * MS_PER_DAY + k * 4 * HOUR
            balance += (seq % 5 - 2) * 7.0
            entries.append(opened(seq, f"t{seq}", ts))
            seq += 1
            entries.append(close(seq, f"t{seq - 1}", ts + HOUR, (seq % 5 - 2) * 7.0, 0.1, 0.5, balance))
        seq += 1
        entries.append(skip(seq, DAY + day * MS_PER_DAY + 13 * HOUR, "max_trades_per_day"))
        if day == 10:  # late on 12-05: an entry stamped for 12-06 02:00, then a close of 12-05
            night = DAY + 11 * MS_PER_DAY
            seq += 1
            entries.append({**opened(seq, "early", night + 2 * HOUR), "at_ms": night - 3 * HOUR})
            seq += 1
            balance += 1.0
            entries.append(close(seq, "x", night - 2 * HOUR, 1.0, 0.1, 0.5, balance))
    entries[5]["at_ms"] += 6 * HOUR
    write_journal(tmp_path, entries)
    expected = daily_table(entries, today, days)
    assert read_daily(tmp_path, today, days) == expected
    assert all(r.balance is not None for r in expected)


def test_a_days_balance_is_the_latest_booking_stamped_by_then_even_when_the_journal_started_later() -> None:
    # A journal begun today (the adopt carries the wall clock) holding trades stamped days ago, as a
    # backfill or the console's demo root has: today's balance is the trades', not the adopt's.
    later = DAY + 10 * MS_PER_DAY
    entries = [{"seq": 1, "at_ms": later, "type": "adopt", "book": {"balance": 1_000.0}},
               opened(2, "a", DAY + HOUR), close(3, "a", DAY + 2 * HOUR, 25.0, 1.0, 1.0, 1_025.0)]
    rows = daily_table(entries, "2025-12-05", 2)
    assert [(r.day, r.balance) for r in rows] == [("2025-12-04", 1_025.0), ("2025-12-05", 1_025.0)]
    assert daily_table(entries, "2025-11-25", 1)[0].balance == 1_025.0
