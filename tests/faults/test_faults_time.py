"""Time (docs/live.md; issue 19 item 3): in the live API an entry or exit more than a day
ahead of the wall clock is refused as invalid, so one far-future stamp cannot prune the day buckets
(today's included) and silently reset a day already blocked by its loss cap. The harness has no
wall clock: it accepts any time, and its window never drops a bucket later events use."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from live_tools import OVERLAY, files, journal, make_root
from tc1console.backtest import run_harness
from tc1console.engine import config, store
from tc1console.engine.core import DAY_WINDOW
from tc1console.engine.errors import InputError, InvalidExitError
from tc1console.engine.live import LiveRisk, now_ms
from tc1console.engine.rails import MS_PER_DAY, day_key

Y2100 = 4_102_444_800_000  # 2100-01-01T00:00:00Z
POLICY = {"equity_floor": 1_000.0, "daily_loss_cap": 50.0}
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def test_a_far_future_stamp_is_refused_live_and_a_blocked_day_stays_blocked(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", OVERLAY, POLICY)
    # Event time, not the wall clock, names the day: the start of the current UTC day is always in
    # the past, whenever the test runs. A full window of day buckets, that day's loss over its cap.
    today = now_ms() // MS_PER_DAY * MS_PER_DAY
    days = {day_key(today - i * MS_PER_DAY): {"entries": 1, "pnl": -1.0} for i in range(1, DAY_WINDOW)}
    days[day_key(today)] = {"entries": 2, "pnl": -80.0}
    (root / "runtime").mkdir()
    (root / "runtime" / store.STATE_FILE).write_text(json.dumps(
        {"balance": 10_000.0, "total_open_risk": 0.0, "open_positions": {}, "equity_points": []}))
    (root / "runtime" / store.POLICY_FILE).write_text(json.dumps(days))
    live = LiveRisk(root)
    assert live.try_open(trade_id="a", entry_ts_ms=today, **OPEN)["skipped_reason"] == "daily_loss_cap"

    far = live.try_open(trade_id="far", entry_ts_ms=Y2100, **OPEN)
    assert far["skipped_reason"] == "invalid_input" and "more than a day ahead" in far["detail"]
    assert live.try_open(trade_id="b", entry_ts_ms=today + 1, **OPEN)["skipped_reason"] == "daily_loss_cap"
    opened = live.try_open(trade_id="c", entry_ts_ms=today - MS_PER_DAY, **OPEN)  # yesterday: under its cap
    assert opened["skipped_reason"] is None
    before = files(root)
    with pytest.raises(InvalidExitError, match="more than a day ahead"):
        live.close(trade_id="c", exit_ts_ms=Y2100, exit_price=3_010.0)
    with pytest.raises(InputError, match="no more than a day ahead"):
        live.adjust_balance(100.0, ts_ms=Y2100)
    assert files(root) == before
    with live.store.transaction() as tx:
        assert tx.engine.days_state()[day_key(today)] == {"entries": 2, "pnl": -80.0}
        assert len(tx.engine.days) == DAY_WINDOW
    assert not any(str(Y2100) in json.dumps(e) for e in journal(root) if e["type"] != "skip")


def _trades_csv(path: Path, far: bool) -> Path:
    """Seventy UTC days of two trades each (more days than the window holds); on day 66 a loss over
    the daily cap, then an entry that cap must refuse. With `far`, a trade in 2100 heads the file."""
    rows = [["trade_id", "symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price"]]
    if far:
        rows.append(["far", "ETHUSDT", "long", "2100-01-01T00:00:00Z", "3000", "2970", "2100-01-01T01:00:00Z", "3010"])
    for day in range(70):
        date = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}"
        rows.append([f"d{day}a", "ETHUSDT", "long", f"{date}T08:00:00Z", "3000", "2970", f"{date}T09:00:00Z", "3003"])
        if day == 66:
            rows.append(["loss", "ETHUSDT", "long", f"{date}T09:30:00Z", "3000", "2970", f"{date}T10:00:00Z", "2960"])
            rows.append(["blocked", "ETHUSDT", "long", f"{date}T11:00:00Z", "3000", "2970", f"{date}T12:00:00Z", "3050"])
        rows.append([f"d{day}b", "ETHUSDT", "short", f"{date}T13:00:00Z", "3000", "3030", f"{date}T14:00:00Z", "2999"])
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _rows(out: Path, name: str) -> dict[str, dict[str, str]]:
    """An output's rows by trade_id, without the input line number (one more line holds "far")."""
    with (out / name).open() as f:
        return {r["trade_id"]: {k: v for k, v in r.items() if k != "line"} for r in csv.DictReader(f)}


def test_the_harness_takes_any_time_and_never_drops_a_bucket_later_events_use(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", OVERLAY, POLICY)
    overlay, policy = (config.find_config(root, kind) for kind in ("overlay", "policy"))
    runs = {}
    for far in (False, True):
        out = tmp_path / f"out-{far}"
        run_harness(_trades_csv(tmp_path / f"trades-{far}.csv", far), overlay, out, policy, workers=1)
        runs[far] = out
    for name in ("open_allocations.csv", "realized_pnl.csv"):
        plain, with_far = _rows(runs[False], name), _rows(runs[True], name)
        assert "far" in with_far  # accepted: the harness has no clock
        assert {k: v for k, v in with_far.items() if k != "far"} == plain, name
    allocations = _rows(runs[True], "open_allocations.csv")
    assert allocations["blocked"]["skipped_reason"] == "daily_loss_cap"
