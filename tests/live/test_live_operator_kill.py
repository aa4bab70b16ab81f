"""Each operator action survives a restart and a SIGKILL mid-action (docs/live.md: "a call
either returns and its journal line is durable, or raises and nothing of it remains"; section 6: each
action is one locked, journaled transaction). A real `tc1` process is killed at an instant it has
announced (live_cli_child.py): waiting for the lock a test holds, just before its journal line, just
after it, and between the two state files. The root it leaves starts, equals the replay of its
journal, and holds the whole action or none of it: the state of a clean run, or the state before.
Then the same command run again books it exactly once (a reset, which is not idempotent, is not
retried), and `tc1 state rebuild` finds no difference: found here, a kill after the journal line left
the state files behind it until some later call recorded something; a restart or a retry answered
from the record now writes them (docs/engine.md 4: "redone by the next transaction or load")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
from filelock import FileLock

from live_tools import (T0, account, assert_books_balance, assert_files_equal_replay, journal, make_root,
                        start_tc1, tc1)
from tc1console.engine import store
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
POINTS = ("lock", "journal", "state1", "state2")
COMMITTED = {"lock": False, "journal": False, "state1": True, "state2": True}


def _pause(live: LiveRisk) -> None:
    live.pause("before the test", by="ops", ts_ms=T0 + 50)


ACTIONS: dict[str, tuple[list[str], str, bool, Callable[[LiveRisk], Any] | None]] = {
    # name: (tc1 arguments, the journal event it adds, retried, what the root needs first)
    "deposit": (["balance", "deposit", "100", "--flow-id", "k-dep"], "flow", True, None),
    "withdraw": (["balance", "withdraw", "50.25", "--flow-id", "k-wd"], "flow", True, None),
    "set": (["balance", "set", "12000", "--flow-id", "k-set"], "flow", True, None),
    "pause": (["pause", "--reason", "incident"], "pause", True, None),
    "resume": (["resume"], "resume", True, _pause),
    "cancel": (["cancel", "k-cancel", "--reason", "rejected"], "cancel", True, None),
    "fill": (["fill", "k-fill", "0.5"], "fill", True, None),
    "close": (["close", "k-close", "--price", "3010", "--reason", "by hand"], "close", True, None),
    "reset-peak": (["policy", "reset", "--peak"], "reset", False, None),
    "reset-streak": (["policy", "reset", "--streak"], "reset", False, None),
    "reset-today": (["policy", "reset", "--today"], "reset", False, None),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A loss closed (a streak, a peak, a day bucket) and three positions open for the actions."""
    root = make_root(tmp_path_factory.mktemp("kill") / "template")
    live = LiveRisk(root)
    live.try_open(trade_id="lost", entry_ts_ms=T0, **OPEN)
    live.close(trade_id="lost", exit_ts_ms=T0 + 10, exit_price=2_980.0)
    for k, tid in enumerate(("k-cancel", "k-fill", "k-close")):
        live.try_open(trade_id=tid, entry_ts_ms=T0 + 20 + k, **OPEN)
    return root


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(store.LOCK_FILE))
    return dst


def _count(root: Path, kind: str) -> int:
    return sum(e["type"] == kind for e in journal(root))


def _state(root: Path) -> dict[str, Any]:
    return account(assert_files_equal_replay(root).engine)


def _kill_at(root: Path, point: str, args: list[str]) -> None:
    """Start `tc1 ARGS`, wait for it to say it stopped at `point`, SIGKILL it there."""
    lock = FileLock(str(root / "runtime" / store.LOCK_FILE))
    if point == "lock":
        lock.acquire()  # the tc1 process waits for it, as it would behind a busy bot
    try:
        proc = start_tc1(root, point, *args)
        line = proc.stdout.readline()
        assert f'"at": "{point}"' in line, (line, proc.stderr.read() if proc.poll() is not None else "")
        proc.kill()
        proc.wait(timeout=60)
    finally:
        if lock.is_locked:
            lock.release()


@pytest.mark.parametrize("name", list(ACTIONS), ids=list(ACTIONS))
def test_a_tc1_action_killed_at_any_instant_is_all_or_nothing_and_a_retry_books_it_once(
        template: Path, tmp_path: Path, name: str) -> None:
    args, kind, retried, prep = ACTIONS[name]
    start = _copy(template, tmp_path / "start")
    if prep is not None:
        prep(LiveRisk(start, check=False))
    before, events_before = _state(start), _count(start, kind)
    clean = _copy(start, tmp_path / "clean")
    proc = tc1(clean, *args)
    assert proc.returncode == 0, proc.stderr
    after = _state(clean)
    assert after != before and _count(clean, kind) == events_before + 1

    for point in POINTS:
        root = _copy(start, tmp_path / point)
        _kill_at(root, point, args)
        # The restart: a bot starts on it (under the lock, repairing what the kill left) ...
        LiveRisk(root)
        # ... and it holds the whole action, or none of it.
        committed = COMMITTED[point]
        assert _state(root) == (after if committed else before), point
        assert _count(root, kind) == events_before + committed, point
        if retried:
            again = tc1(root, *args)
            assert again.returncode == 0, again.stderr
            assert _state(root) == after and _count(root, kind) == events_before + 1, point
        assert_books_balance(root)
