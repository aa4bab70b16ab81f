"""Bad files and bad calls (docs/live.md): a state file that cannot be used stops start-up with a
message naming it and how to recover, and leaves every file on disk byte-identical; odd but valid
hand-written state loads; bad calls change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from live_tools import T0, assert_files_equal_replay, essentials, files, journal, make_root
from tc1console.engine import config, store
from tc1console.engine.errors import InvalidExitError, StateError, UnknownTradeError
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


@pytest.fixture
def traded(tmp_path: Path) -> Path:
    """A root with a little history: two closed trades and one open position."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    for i in range(2):
        live.try_open(trade_id=f"c{i}", entry_ts_ms=T0 + i, **OPEN)
        live.close(trade_id=f"c{i}", exit_ts_ms=T0 + 100 + i, exit_price=3_010.0 - 20 * i)
    live.try_open(trade_id="open1", entry_ts_ms=T0 + 200, **OPEN)
    return root


def _edit_json(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "runtime" / name
        doc = json.loads(path.read_bytes())
        change(doc)
        path.write_text(json.dumps(doc))
    return apply


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / "runtime" / name).write_bytes(data)


def _truncate(name: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "runtime" / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return apply


def _delete(name: str) -> Callable[[Path], None]:
    return lambda root: (root / "runtime" / name).unlink()


S, P = store.STATE_FILE, store.POLICY_FILE
BAD_FILES = {
    "corrupt-json-book": (_write(S, b'{"balance": 10000.0, "open_positions": {{'), S, "not valid JSON"),
    "corrupt-json-days": (_write(P, b"\x00\x01garbage"), P, "not valid JSON"),
    "truncated-book": (_truncate(S), S, "not valid JSON"),
    "truncated-days": (_truncate(P), P, "not valid JSON"),
    "empty-book": (_write(S, b""), S, "not valid JSON"),
    "missing-days": (_delete(P), P, "missing"),
    "missing-book": (_delete(S), S, "missing"),
    "balance-is-text": (_edit_json(S, lambda d: d.update(balance="lots")), S, "balance"),
    "balance-is-null": (_edit_json(S, lambda d: d.update(balance=None)), S, "balance"),
    "positions-is-a-list": (_edit_json(S, lambda d: d.update(open_positions=[])), S, "open_positions"),
    "position-missing-qty": (_edit_json(S, lambda d: d["open_positions"]["open1"].pop("qty")), S, "open1"),
    "equity-point-bad": (_edit_json(S, lambda d: d.update(equity_points=[[1, 2, 3]])), S, "equity_points"),
    "seq-is-text": (_edit_json(S, lambda d: d.update(seq="7")), S, "seq"),
    "book-is-a-list": (_write(S, b"[1, 2]"), S, "JSON object"),
    "nan-balance": (_write(S, b'{"balance": NaN, "seq": 1, "journal_offset": 0}'), S, "NaN"),
    "infinite-day-pnl": (_write(P, b'{"seq": 1, "journal_offset": 0, "days": {"2025-11-24": '
                                   b'{"entries": 1, "pnl": -Infinity}}}'), P, "Infinity"),
    "entries-is-text": (_edit_json(P, lambda d: d["days"]["2025-11-24"].update(entries="3")), P, "entries"),
    "day-key-not-a-date": (_edit_json(P, lambda d: d["days"].update({"2025-13-40": {"entries": 1}})), P, "2025-13-40"),
    "stray-key-in-days-file": (_write(P, b'{"seq": 1, "journal_offset": 0, "tomorrow": {}}'), P, "tomorrow"),
    "days-file-is-a-list": (_write(P, b"[]"), P, "JSON object"),
    "corrupt-journal-entry": (lambda root: _corrupt_journal(root), store.JOURNAL_FILE, "corrupt entry"),
    # Valid JSON of the wrong shape in the line to replay: the same one-line error, no traceback.
    **{f"journal-{name}": (lambda root, edit=edit: _corrupt_journal(root, edit), store.JOURNAL_FILE, "corrupt open")
       for name, edit in {
           "open-without-position": lambda e: e.pop("position"),
           "open-position-is-a-list": lambda e: e.update(position=[1, 2]),
           "open-qty-is-text": lambda e: e["position"].update(qty="lots"),
           "open-missing-trade-id": lambda e: e["position"].pop("trade_id"),
       }.items()},
}


def _corrupt_journal(root: Path, edit: Callable[[dict], object] | None = None) -> None:
    """Make the state files lag the journal, then corrupt the journal line they must replay
    (the last one, an open): not JSON at all, or JSON changed by `edit`."""
    path = root / "runtime" / store.JOURNAL_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    for name in (S, P):
        doc = json.loads((root / "runtime" / name).read_bytes())
        doc["seq"] -= 1
        doc["journal_offset"] -= len(lines[-1])
        (root / "runtime" / name).write_text(json.dumps(doc))
    if edit is None:
        last = b"{this is not json}\n"
    else:
        entry = json.loads(lines[-1])
        edit(entry)
        last = json.dumps(entry).encode() + b"\n"
    path.write_bytes(b"".join(lines[:-1]) + last)


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_unusable_state_file_stops_start_up_naming_it_and_leaves_files_untouched(traded: Path, case: str) -> None:
    """docs/live.md: a state file that cannot be parsed (or holds wrong types, NaN, a missing
    partner) stops start-up with a message naming the file and the way to recover."""
    damage, name, fragment = BAD_FILES[case]
    damage(traded)
    before = files(traded)
    for attempt in (lambda: LiveRisk(traded), lambda: store.read_state(traded)):
        with pytest.raises(StateError) as err:
            attempt()
        message = str(err.value)
        assert name in message and fragment in message
        assert "\n" not in message
        if name != store.JOURNAL_FILE:
            assert "tc1 state rebuild" in message
    assert files(traded) == before  # byte-identical: nothing rewritten, nothing reset


def test_unknown_trade_id_on_close_is_an_error_and_changes_nothing(traded: Path) -> None:
    """docs/engine.md §3: closing an unknown trade_id raises its own error; state untouched."""
    live = LiveRisk(traded)
    before = files(traded)
    with pytest.raises(UnknownTradeError, match="nope"):
        live.close(trade_id="nope", exit_ts_ms=T0 + 1_000, exit_price=3_000.0)
    for bad in (dict(exit_ts_ms=T0 + 1_000, exit_price=float("nan")), dict(exit_ts_ms=T0 - 1, exit_price=3_000.0),
                dict(exit_ts_ms="soon", exit_price=3_000.0), dict(exit_ts_ms=T0 + 1_000, exit_price=-1.0)):
        with pytest.raises(InvalidExitError):
            live.close(trade_id="open1", **bad)
    assert files(traded) == before


def test_duplicate_trade_id_is_refused_and_an_identical_retry_is_harmless(traded: Path) -> None:
    """docs/engine.md §2 step 2: same id and arguments returns the existing allocation and journals
    nothing; other arguments, or an id already closed, is `duplicate_trade_id` and books nothing."""
    live = LiveRisk(traded)
    first = dict(journal(traded)[-1]["position"])
    before = files(traded)
    again = live.try_open(trade_id="open1", entry_ts_ms=T0 + 200, **OPEN)
    assert again["skipped_reason"] is None and again["qty"] == first["qty"]
    assert files(traded) == before
    state = essentials(store.load(traded, *_configs(live)).engine)
    for args in ({**OPEN, "entry_price": 3_001.0}, OPEN):
        tid = "open1" if args is not OPEN else "c0"  # c0 was closed earlier
        r = live.try_open(trade_id=tid, entry_ts_ms=T0 + 300, **args)
        assert r["skipped_reason"] == "duplicate_trade_id" and r["qty"] == 0
    assert essentials(store.load(traded, *_configs(live)).engine) == state
    assert [e["type"] for e in journal(traded)[-2:]] == ["skip", "skip"]


@pytest.mark.parametrize("bad", [
    dict(entry_price=float("nan")), dict(stop_price=float("inf")), dict(stop_price=3_100.0),
    dict(entry_ts_ms=1_764_000_000), dict(symbol=""), dict(is_long="yes"), dict(entry_price=True),
], ids=["nan-entry", "inf-stop", "stop-wrong-side", "seconds-not-ms", "empty-symbol", "is-long-text",
        "bool-price"])
def test_invalid_open_inputs_are_skips_with_a_detail_and_book_nothing(traded: Path, bad: dict) -> None:
    """docs/engine.md §2 step 1: bad input is `invalid_input` naming the field, never an exception."""
    live = LiveRisk(traded)
    state = essentials(store.load(traded, *_configs(live)).engine)
    r = live.try_open(trade_id="x", **{**OPEN, "entry_ts_ms": T0 + 500, **bad})
    assert r["skipped_reason"] == "invalid_input" and r["qty"] == 0 and r["detail"]
    assert essentials(store.load(traded, *_configs(live)).engine) == state
    assert journal(traded)[-1]["type"] == "skip"  # the skip is journaled, and the line is valid JSON


def _configs(live: LiveRisk):
    c = live.store.configs()
    return c.overlay, c.policy


SEED = {"balance": 2500.0, "total_open_risk": 0.0, "open_positions": {}, "equity_points": []}


@pytest.mark.parametrize("days", [None, {"2025-11-24": {"entries": 3, "pnl": -50.0}}],
                         ids=["seed-alone", "seed-with-bare-days"])
def test_hand_written_seed_and_bare_day_mapping_load_and_are_adopted(tmp_path: Path, days) -> None:
    """docs/live.md: the hand-written seed loads; so does a bare mapping of days as a person would
    write it. The first transaction journals them as an `adopt` base."""
    root = make_root(tmp_path, overlay=config.DEFAULTS["overlay"], policy={"max_trades_per_day": 4})
    (root / "runtime").mkdir()
    (root / "runtime" / store.STATE_FILE).write_text(json.dumps(SEED))
    if days is not None:
        (root / "runtime" / store.POLICY_FILE).write_text(json.dumps(days))
    _, _, loaded = store.read_state(root)
    assert loaded.engine.balance == 2500.0 and loaded.needs_adopt
    live = LiveRisk(root)
    adopt = journal(root)[0]
    assert adopt["type"] == "adopt" and adopt["book"]["balance"] == 2500.0
    r = live.try_open(trade_id="s1", entry_ts_ms=T0, **OPEN)
    assert r["skipped_reason"] is None and r["budget"] == 25.0  # below flat_risk_until: the flat amount
    r2 = live.try_open(trade_id="s2", entry_ts_ms=T0 + 1, **OPEN)
    if days is None:
        assert r2["skipped_reason"] is None
    else:  # 3 entries from the hand-written day + s1 = the max of 4
        assert r2["skipped_reason"] == "max_trades_per_day"
    assert_files_equal_replay(root)
