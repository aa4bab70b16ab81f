"""SIGKILL a real bot process at random instants (docs/live.md: a crash at any instant leaves the
old or the new state, the journal line is the commit point, and nothing acknowledged is lost)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from live_tools import (T0, assert_files_equal_replay, journal, make_root, read_ack, start_bot)
from tc1console.engine import store
from tc1console.engine.live import LiveRisk

KILLS = 30
SEED = 20251124


def _window(root: Path) -> str:
    """Where the kill landed, judged from the files it left: which of them were written."""
    book = json.loads((root / "runtime" / store.STATE_FILE).read_bytes())
    days = json.loads((root / "runtime" / store.POLICY_FILE).read_bytes())
    last = journal(root)[-1]["seq"]
    if book["seq"] != days["seq"]:
        return "between the two state files"
    if book["seq"] < last:
        return "after the journal commit, before the state files"
    return "outside the commit"


def _check(root: Path, opens: dict[str, dict[str, Any]], closes: dict[str, dict[str, Any]]) -> None:
    loaded = assert_files_equal_replay(root)
    entries = journal(root)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    j_open = {e["trade_id"]: e["position"] for e in entries if e["type"] == "open"}
    j_close = {e["trade_id"]: e["result"] for e in entries if e["type"] == "close"}
    for tid, alloc in opens.items():
        rec = j_open[tid]  # an acknowledged open is in the journal, with the allocation the bot got
        assert {k: rec[k] for k in ("qty", "risk_amount", "entry_price", "stop_price", "entry_ts_ms")} == \
               {k: alloc[k] for k in ("qty", "risk_amount", "entry_price", "stop_price", "entry_ts_ms")}
    for tid, result in closes.items():
        assert j_close[tid] == result
    # The loaded book: exactly the journaled opens not journaled as closed; the balance is the
    # initial balance plus every journaled close, in order (the same float operations).
    assert set(loaded.engine.positions) == set(j_open) - set(j_close)
    balance = entries[0]["book"]["balance"]
    for e in entries:
        if e["type"] == "close":
            balance += e["result"]["pnl_after_fees"]
    assert loaded.engine.balance == balance
    # And the live API starts on it (under the lock, with repair), seeing the same book.
    live = LiveRisk(root)
    with live.store.transaction() as tx:
        assert tx.engine.balance == balance
        assert set(tx.engine.positions) == set(j_open) - set(j_close)


def test_sigkill_at_random_instants_keeps_state_equal_to_journal_and_every_ack(tmp_path: Path) -> None:
    """docs/live.md: kill -9 a bot mid-loop 30 times at random and 4 times at the two instants a
    crash is most dangerous (after a journal commit, before and between the state files); after
    each, the state loads, equals a replay of the journal, and holds every open and close the bot
    was told had happened."""
    root = make_root(tmp_path)
    rng = random.Random(SEED)
    opens: dict[str, dict[str, Any]] = {}
    closes: dict[str, dict[str, Any]] = {}
    windows: dict[str, int] = {}

    def note(ack: dict[str, Any] | None) -> None:
        if ack and ack["ack"] == "open":
            opens[ack["trade_id"]] = ack["result"]
        elif ack and ack["ack"] == "close":
            closes[ack["trade_id"]] = ack["result"]

    for run in range(KILLS):
        widen = run % 2 == 1  # every other run pauses before each state-file write
        proc = start_bot(root, run, 10_000, SEED, extra=["--widen"] if widen else [])
        try:
            ready = read_ack(proc)
            assert ready == {"ack": "ready"}, proc.stderr.read()
            for _ in range(rng.randint(0, 20)):
                note(read_ack(proc))
            # Let the next transaction get under way, then kill it at a random instant inside it.
            time.sleep(rng.uniform(0.0, 0.008 if widen else 0.004))
        finally:
            proc.kill()
            proc.wait()
        for line in proc.stdout:  # acks already printed when it died were acknowledged too
            note(json.loads(line))
        proc.stdout.close()
        proc.stderr.close()
        windows[_window(root)] = windows.get(_window(root), 0) + 1
        _check(root, opens, closes)

    # And the two dangerous instants for certain, whatever the random ones hit: the bot stops
    # itself just before its k-th state-file write, after that call's journal commit, and says so.
    for run, k in enumerate((rng.randrange(3, 20, 2), rng.randrange(4, 20, 2), rng.randrange(3, 20, 2),
                             rng.randrange(4, 20, 2)), start=KILLS):
        proc = start_bot(root, run, 10_000, SEED, extra=["--stall-at-write", str(k)])
        try:
            while (ack := read_ack(proc)) is not None and ack["ack"] != "stalled":
                note(ack)
            assert ack is not None and ack["write"] == k, proc.stderr.read()
        finally:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        window = _window(root)
        assert window == ("between the two state files" if k % 2 == 0
                          else "after the journal commit, before the state files"), (k, window)
        windows[window] = windows.get(window, 0) + 1
        _check(root, opens, closes)

    assert len(opens) > KILLS and len(closes) > KILLS // 2
    print(f"kills by window: {windows}; {len(opens)} acknowledged opens, {len(closes)} closes")


def test_bot_killed_right_after_start_resumes(tmp_path: Path) -> None:
    """docs/live.md: kills during start-up (the first transaction on a fresh root included) leave a
    root the next process starts on."""
    rng = random.Random(SEED + 1)
    for attempt in range(6):
        root = make_root(tmp_path / f"r{attempt}")
        proc = start_bot(root, 0, 50, SEED, extra=["--widen"])
        time.sleep(rng.uniform(0.05, 0.4))  # somewhere in interpreter start, imports or the first calls
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        live = LiveRisk(root)  # must not refuse to start
        if (root / "runtime" / store.JOURNAL_FILE).exists():
            assert_files_equal_replay(root)
        with live.store.transaction() as tx:
            assert tx.engine.balance > 0
    assert T0  # timestamps of the child are fixed: the test is about instants, not dates
