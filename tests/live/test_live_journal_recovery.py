"""The journal is the commit point (docs/live.md): entries past the state files are applied on
load, a torn last line is ignored and then cut off, and the first transaction is crash-safe too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from live_tools import T0, assert_files_equal_replay, essentials, files, journal, make_root
from tc1console.engine import store
from tc1console.engine.errors import StateError
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def _runtime(root: Path) -> Path:
    return root / "runtime"


def _state_bytes(root: Path) -> dict[str, bytes]:
    return {name: (_runtime(root) / name).read_bytes() for name in (store.STATE_FILE, store.POLICY_FILE)}


def _trade_some(live: LiveRisk, n: int = 3) -> None:
    for i in range(n):
        live.try_open(trade_id=f"w{i}", entry_ts_ms=T0 + i * 1000, **OPEN)
        live.close(trade_id=f"w{i}", exit_ts_ms=T0 + i * 1000 + 500, exit_price=3_000.0 + 10 * (i - 1))


@pytest.mark.parametrize("restore", [(store.STATE_FILE, store.POLICY_FILE), (store.POLICY_FILE,),
                                     (store.STATE_FILE,)],
                         ids=["both-files-old", "kill-between-the-two-files", "only-book-old"])
@pytest.mark.parametrize("action", ["open", "close"])
def test_journal_entry_past_a_state_files_seq_is_applied_once_on_load(tmp_path: Path, restore, action) -> None:
    """docs/live.md: a crash after the fsynced journal line but before (some of) the state file
    writes, simulated by restoring older copies of the files: the load applies the entry, once."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    _trade_some(live)
    live.try_open(trade_id="t", entry_ts_ms=T0 + 10_000, **OPEN)
    old = _state_bytes(root)
    if action == "open":
        live.try_open(trade_id="u", entry_ts_ms=T0 + 20_000, **OPEN)
    else:
        live.close(trade_id="t", exit_ts_ms=T0 + 20_000, exit_price=2_950.0)
    never_crashed = essentials(store.load(root, *live_configs(live)).engine)
    for name in restore:
        (_runtime(root) / name).write_bytes(old[name])
    assert json.loads((_runtime(root) / restore[0]).read_bytes())["seq"] < journal(root)[-1]["seq"]

    assert essentials(assert_files_equal_replay(root).engine) == never_crashed
    fresh = LiveRisk(root)  # a restarted bot
    with fresh.store.transaction() as tx:
        assert essentials(tx.engine) == never_crashed
    # The close is in the balance and in today's loss counter exactly once.
    day = never_crashed["days"]["2025-11-24"]
    assert day["entries"] == 5 if action == "open" else day["entries"] == 4


def live_configs(live: LiveRisk):
    c = live.store.configs()
    return c.overlay, c.policy


def test_torn_last_journal_line_is_ignored_and_cut_off_by_the_next_commit(tmp_path: Path) -> None:
    """docs/live.md: a half-written journal line (a crash mid-append, never acknowledged) does not
    count; loads ignore it, the next commit truncates it and the journal parses line by line."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    _trade_some(live)
    jpath = _runtime(root) / store.JOURNAL_FILE
    good = jpath.read_bytes()
    before = essentials(store.load(root, *live_configs(live)).engine)
    line = json.dumps({"seq": journal(root)[-1]["seq"] + 1, "at_ms": T0, "type": "close", "trade_id": "zz",
                       "result": {"pnl_after_fees": -1e6}}).encode()
    with open(jpath, "ab") as f:
        f.write(line[: len(line) // 2])  # no newline: the write a kill cut short

    assert essentials(assert_files_equal_replay(root).engine) == before
    assert store.tail_events(root, 5)[-1]["seq"] == journal(root)[-1]["seq"]
    snapshot = files(root)
    restarted = LiveRisk(root)  # loads, and with nothing to commit writes nothing
    assert files(root) == snapshot
    restarted.try_open(trade_id="next", entry_ts_ms=T0 + 60_000, **OPEN)

    data = jpath.read_bytes()
    assert data.startswith(good) and data.endswith(b"\n")
    entries = [json.loads(x) for x in data.splitlines()]  # every line parses
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[-1]["type"] == "open" and entries[-1]["trade_id"] == "next"
    assert_files_equal_replay(root)


@pytest.mark.parametrize("left", ["neither-state-file", "book-only"])
def test_kill_inside_the_first_transaction_leaves_a_root_that_starts(tmp_path: Path, left: str) -> None:
    """docs/live.md: the very first commit on a fresh root (adopt + configs) killed after its journal
    line but before both state files exist: the next start replays the journal instead of refusing."""
    root = make_root(tmp_path)
    LiveRisk(root)
    (_runtime(root) / store.POLICY_FILE).unlink()
    if left == "neither-state-file":
        (_runtime(root) / store.STATE_FILE).unlink()
    live = LiveRisk(root)
    with live.store.transaction() as tx:
        assert tx.engine.balance == 10_000.0 and tx.loaded.seq == 3
    live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)
    assert_files_equal_replay(root)
    assert [e["seq"] for e in journal(root)] == [1, 2, 3, 4]


def test_a_state_file_deleted_later_is_an_error_not_a_silent_restart(tmp_path: Path) -> None:
    """docs/live.md: never silently start over; a missing file with history asks for a rebuild."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    _trade_some(live)
    (_runtime(root) / store.STATE_FILE).unlink()
    (_runtime(root) / store.POLICY_FILE).unlink()
    with pytest.raises(StateError, match="state rebuild"):
        LiveRisk(root)
    result = store.Store(root).rebuild()
    assert result["seq"] == journal(root)[-1]["seq"]
    assert_files_equal_replay(root)
