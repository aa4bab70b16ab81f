"""A fault at each step of the commit, injected by real means into a bot that retries
(docs/live.md; issue 19 items 1 and 6): every call is all or nothing. A failure before the
journal's fsync raises NotRecordedError and leaves nothing, on disk or in memory, so the retry is
a new call; a failure after it (a state file) is logged and the call returns, its files rewritten
by the next call. After each attack the invariants of faults_tools.check_invariants hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from faults_tools import check_invariants, finish, run_until_done, start_faulty_bot
from live_tools import make_root

CALLS = 14  # opens; with the closes 25 calls (0-24), a fault in calls 6, 9, ..., 21
FAULTED = 6

# Where the fault lands, and whether the bot must see NotRecordedError (before the commit point)
# or nothing at all (after it).
BEFORE_COMMIT = {
    "write:1": "before the journal write: no byte of the line written (ENOSPC)",
    "short": "during the journal write: half the line written, then ENOSPC",
    "fsync:1": "the journal's fsync fails (EIO): the line is cut back",
    "nofile:0": "RLIMIT_NOFILE: the lock file cannot be opened",
    "nofile:1": "RLIMIT_NOFILE: the lock is taken, the journal cannot be opened",
    "fsize:0": "RLIMIT_FSIZE at the journal's size: EFBIG before a byte is written",
    "fsize:10": "RLIMIT_FSIZE 10 bytes past it: a real short write, then EFBIG",
}
AFTER_COMMIT = {
    "write:2": "after the journal's fsync: the book file's write fails",
    "replace:1": "after the journal's fsync: the book file's rename fails",
    "write:3": "between the state files: the day buckets' write fails",
    "replace:2": "between the state files: the day buckets' rename fails",
}


def _attack(tmp_path: Path, mode: str, seed: int = 7) -> tuple[dict, str]:
    root = make_root(tmp_path / "root")
    proc = start_faulty_bot(root, CALLS, seed, mode)
    try:
        lines = run_until_done(proc)
        counts = check_invariants(root, lines)  # while the bot is alive and idle
    except BaseException:
        proc.kill()
        raise
    return counts, finish(proc)


@pytest.mark.parametrize("mode", sorted(BEFORE_COMMIT))
def test_a_fault_before_the_commit_point_is_not_recorded_and_the_retry_counts_once(tmp_path: Path, mode: str) -> None:
    """Each faulted call raises NotRecordedError once (nothing of it kept), then its retry is
    journaled exactly once; no other call raises."""
    counts, _log = _attack(tmp_path, mode)
    assert counts["raised"] == {"NotRecordedError": FAULTED}, (BEFORE_COMMIT[mode], counts)
    assert counts["armed_raised"] == FAULTED and counts["replayed"] == 0


@pytest.mark.parametrize("mode", sorted(AFTER_COMMIT))
def test_a_fault_after_the_commit_point_returns_and_the_next_call_writes_the_files(tmp_path: Path, mode: str) -> None:
    """The journal line is durable: the call returns its result, the failed state-file write is
    logged, and the next transaction (or any load) writes the files from the journal."""
    counts, log = _attack(tmp_path, mode)
    assert not counts["raised"], (AFTER_COMMIT[mode], counts)
    assert counts["armed_acks"] == FAULTED
    assert log.count("state files not written") == FAULTED


def test_a_short_write_is_completed_not_taken_for_the_whole(tmp_path: Path) -> None:
    """os.write may write fewer bytes than asked: the rest is written, nothing raises."""
    counts, log = _attack(tmp_path, "shortok")
    assert not counts["raised"] and counts["armed_acks"] == FAULTED
    assert "not written" not in log


def test_a_watchdog_interrupting_calls_at_random_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """SIGALRM from the bot's watchdog (signal.setitimer) at a few hundred microseconds into
    each attempt, its handler raising: in the lock wait, mid-commit, or after it. The handler is
    held back while the lock is held, so no commit is torn and the lock is never left held; a
    call interrupted after its commit is retried and answered as a replay."""
    counts, _log = _attack(tmp_path, "alarm", seed=11)
    assert set(counts["raised"]) <= {"Watchdog"}
    assert counts["raised"]["Watchdog"] > 0  # the attack landed


def test_two_bots_with_watchdogs_never_leave_the_lock_held(tmp_path: Path) -> None:
    """Two bots on one root, each with a watchdog: an interrupt now also lands while a call waits
    for the lock the other holds (the wait lets the handler run: nothing is held then). Neither
    idle bot holds the lock afterwards, and the journal has each call exactly once."""
    root = make_root(tmp_path / "root")
    procs = [start_faulty_bot(root, CALLS, seed, "alarm", "--prefix", prefix)
             for seed, prefix in ((21, "a"), (22, "b"))]
    try:
        bots = [run_until_done(p) for p in procs]
        counts = check_invariants(root, *bots)
    except BaseException:
        for p in procs:
            p.kill()
        raise
    for p in procs:
        finish(p)
    assert set(counts["raised"]) <= {"Watchdog"} and counts["acks"] == 2 * 25
