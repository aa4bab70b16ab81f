"""`risk_mark` (docs/console.md, marks; issue 18 item 1): display only. It writes runtime/marks.json
atomically, takes no lock, journals nothing and changes no state file; bad prices and a failed write
never stop the bot; a missing or corrupt marks file never stops a read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from live_tools import T0, files, make_root

from tc1console.engine import InputError, Tc1Error, init_risk, risk_mark, risk_try_open
from tc1console.engine import live as live_api
from tc1console.engine.live import LiveRisk
from tc1console.engine.marks import CORRUPT, MARKS_FILE, MISSING, OK, read_marks


def test_risk_mark_writes_the_file_and_nothing_else(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    init_risk(root)
    risk_try_open(trade_id="a", symbol="BTCUSDT", is_long=True, entry_ts_ms=T0, entry_price=60_000.0,
                  stop_price=59_400.0)
    before = files(root)
    result = risk_mark({"BTCUSDT": 60_123.5}, ts_ms=T0 + 1_000)
    assert result == {"ts_ms": T0 + 1_000, "marked": 1, "ignored": {}, "error": ""}
    after = files(root)
    assert after.pop(f"runtime/{MARKS_FILE}")  # the one new file...
    assert after == before  # ...and the journal and state files byte for byte as they were
    assert read_marks(root).prices == {"BTCUSDT": (60_123.5, T0 + 1_000)}
    assert not [p.name for p in (root / "runtime").iterdir() if p.name.endswith(".tmp")]


def test_marks_merge_across_calls_and_a_bot_may_mark_a_few_symbols_at_a_time(tmp_path: Path) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    live.mark({"BTCUSDT": 60_000, "ETHUSDT": 3_000}, ts_ms=T0)
    live.mark({"ETHUSDT": 3_010.25}, ts_ms=T0 + 500)
    m = read_marks(live.root)
    assert m.status == OK and m.ts_ms == T0 + 500
    assert m.prices == {"BTCUSDT": (60_000.0, T0), "ETHUSDT": (3_010.25, T0 + 500)}


def test_bad_prices_are_left_out_and_named_without_raising(tmp_path: Path) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    result = live.mark({"BTCUSDT": float("nan"), "ETHUSDT": "3000", "SOLUSDT": 150.0, "": 1.0, "X": True},
                       ts_ms=T0)
    assert result["marked"] == 1
    assert set(result["ignored"]) == {"BTCUSDT", "ETHUSDT", "''", "X"}
    assert "finite number > 0" in result["ignored"]["BTCUSDT"]
    assert read_marks(live.root).prices == {"SOLUSDT": (150.0, T0)}


def test_a_call_wrong_as_a_whole_is_an_input_error(tmp_path: Path) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    with pytest.raises(InputError, match="mapping of symbol -> price"):
        live.mark([("BTCUSDT", 1.0)])
    with pytest.raises(InputError, match="ts_ms"):
        live.mark({"BTCUSDT": 1.0}, ts_ms="now")


def test_a_failed_write_is_returned_and_logged_never_raised(tmp_path: Path, caplog) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    (live.root / "runtime" / MARKS_FILE).mkdir()  # a folder where the file should go: the rename fails
    result = live.mark({"BTCUSDT": 60_000.0}, ts_ms=T0)
    assert "marks not written" in result["error"]
    assert "marks not written" in caplog.text
    assert not [p.name for p in (live.root / "runtime").iterdir() if p.name.endswith(".tmp")]


def test_risk_mark_before_init_risk_says_what_to_call(monkeypatch) -> None:
    monkeypatch.setattr(live_api, "_ENGINE", None)
    with pytest.raises(Tc1Error, match="init_risk"):
        risk_mark({"BTCUSDT": 1.0})


def test_a_missing_or_corrupt_marks_file_is_a_status_not_an_error(tmp_path: Path) -> None:
    live = LiveRisk(make_root(tmp_path / "root"))
    assert read_marks(live.root).status == MISSING
    path = live.root / "runtime" / MARKS_FILE
    path.write_bytes(b'{"ts_ms": 17640000')  # half-written by hand
    m = read_marks(live.root)
    assert m.status == CORRUPT and "not valid JSON" in m.problem
    # and the bot goes on trading and marking over it
    live.mark({"BTCUSDT": 1.0}, ts_ms=T0)
    assert json.loads(path.read_bytes())["marks"]["BTCUSDT"]["price"] == 1.0
    os.chmod(path, 0o000)
    try:
        if os.geteuid() != 0:  # root reads anything
            assert read_marks(live.root).status == CORRUPT
    finally:
        os.chmod(path, 0o644)
