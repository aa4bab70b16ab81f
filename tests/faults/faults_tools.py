"""Helpers for the fault tests: run the retrying bot child, and the invariants every attack must keep.

The invariants (issue 19, docs/live.md), checked after each attack:
- the journal's seq numbers are contiguous from 1;
- every acknowledged call is journaled exactly once, with the result the bot was given, and the
  journal holds no open or close the bot was not told about;
- no raised call is counted: the retry after a NotRecordedError is never a replay;
- the state a load gives (files + journal tail), the bot's own in-memory engine and a replay of
  the journal are the same, and `Store.rebuild` (what `tc1 state rebuild` runs) finds no difference;
- the lock is free: another process takes it at once, while the bot is still alive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from live_tools import assert_files_equal_replay, essentials, journal
from tc1console.engine import store

HERE = Path(__file__).resolve().parent
FAULTS_CHILD = HERE / "faults_bot_child.py"
POSITION_KEYS = ("symbol", "is_long", "entry_ts_ms", "entry_price", "stop_price", "qty", "risk_amount", "notional")


def start_faulty_bot(root: Path, n: int, seed: int, mode: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(FAULTS_CHILD), str(root), str(n), str(seed), mode, *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1)


def run_until_done(proc: subprocess.Popen) -> list[dict[str, Any]]:
    """The child's lines up to its "done" (it then idles with the lock released)."""
    lines = []
    for line in proc.stdout:
        lines.append(json.loads(line))
        if lines[-1].get("ack") == "done":
            return lines
    proc.wait(timeout=30)
    raise AssertionError(f"the bot stopped early (exit {proc.returncode}): {proc.stderr.read()[-3000:]}")


def finish(proc: subprocess.Popen) -> str:
    """Let the idle child exit; its stderr (the store's log). It must exit 0 without a traceback."""
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return err


def lock_is_free(root: Path) -> bool:
    """Whether another process can take the store's lock at once (no waiting)."""
    code = ("import sys; from filelock import FileLock, Timeout\n"
            "try:\n    FileLock(sys.argv[1], timeout=0).acquire()\nexcept Timeout:\n    sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", code, str(root / "runtime" / store.LOCK_FILE)],
                          timeout=30).returncode == 0


def check_invariants(root: Path, *bots: list[dict[str, Any]]) -> dict[str, Any]:
    """Assert the invariants above from the lines of each bot that wrote to `root` and from the
    files; a few counts for the caller. The bot's memory is compared when there is one bot (with
    several, one that finished first no longer holds the latest state)."""
    lines = [ln for bot in bots for ln in bot]
    entries = journal(root)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)), "seq not contiguous"

    acks = [ln for ln in lines if ln.get("ack") in ("open", "skip", "close")]
    raised = [ln for ln in lines if "raised" in ln]
    j_open = Counter(e["trade_id"] for e in entries if e["type"] == "open")
    j_close = Counter(e["trade_id"] for e in entries if e["type"] == "close")
    opens = {e["trade_id"]: e["position"] for e in entries if e["type"] == "open"}
    closes = {e["trade_id"]: e["result"] for e in entries if e["type"] == "close"}
    assert all(c == 1 for c in j_open.values()) and all(c == 1 for c in j_close.values()), "journaled twice"
    acked_opens = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "open"}
    acked_closes = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "close"}
    assert set(opens) == set(acked_opens), "an acknowledged open is missing, or one journaled was never acknowledged"
    assert set(closes) == set(acked_closes), "an acknowledged close is missing, or one journaled was never acknowledged"
    for tid, result in acked_opens.items():
        assert {k: opens[tid][k] for k in POSITION_KEYS} == {k: result[k] for k in POSITION_KEYS}, tid
    for tid, result in acked_closes.items():
        assert closes[tid] == result, tid

    # No raised call counted: a call that raised NotRecordedError left nothing, so its retry is new.
    not_recorded = {(r["call"], r["trade_id"]) for r in raised if r["raised"] == "NotRecordedError"}
    for a in acks:
        if (a["ack"] if a["ack"] != "skip" else "open", a["trade_id"]) in not_recorded:
            assert not a["replayed"], f"{a['trade_id']}: raised NotRecordedError, yet counted"

    # Files + journal tail == replay == the bot's own memory; rebuild finds nothing to change.
    loaded = assert_files_equal_replay(root)
    done = next(ln for ln in lines if ln.get("ack") == "done")
    assert len(bots) > 1 or done["memory"] == json.loads(json.dumps(essentials(loaded.engine))), "the bot's memory differs"
    assert lock_is_free(root), "the lock is held by an idle bot"
    rebuilt = store.Store(root).rebuild()
    assert rebuilt["differences"] == [] and rebuilt["seq"] == len(entries)
    assert not list((root / "runtime").glob(".*.tmp")), "a temporary file was left behind"
    return {"raised": Counter(r["raised"] for r in raised), "acks": len(acks),
            "armed_raised": sum(1 for r in raised if r["armed"]),
            "armed_acks": sum(1 for a in acks if a["armed"]), "replayed": sum(1 for a in acks if a["replayed"])}
