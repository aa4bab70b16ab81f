"""A bot that retries, with a fault injected into some of its calls (not a test module).

    python faults_bot_child.py ROOT N SEED MODE [--every K] [--filler PATH] [--prefix P]

Calls init_risk, then for i in 0..N-1 opens `{P}-{i}` (P is "f" by default) and, once more than 3 are open, closes the
oldest (the call pattern of tests/live/live_bot_child.py). Every call is retried until it returns,
as the README tells a bot to do with NotRecordedError; each attempt that raised prints
{"raised": ERROR, "call", "trade_id", "armed", "error"}, each call that returned prints the ack
line of live_bot_child plus "attempts" and "armed". At the end it prints {"ack": "done",
"memory": ...} (the engine as this process holds it) and waits, idle, until its stdin closes, so
the parent can check that the lock is free while the bot is still alive.

Faults are injected by real means, on the first attempt of every K-th call (K = --every, 3 by
default) from call 4 on, never on the last two calls (so the files are settled at the end):

- `write:N`, `fsync:N`, `replace:N`: the N-th `os.write` / `os.fsync` / `os.replace` of the call
  raises OSError (ENOSPC, EIO, EIO). A commit writes the journal (write 1, fsync 1), then the book
  (write 2, fsync 2 and 3 for the folder, replace 1), then the day buckets (write 3, replace 2).
- `short`: the journal write writes half its bytes (a real, short `os.write`) and the next write
  raises ENOSPC, as a disk filling up mid-line does. `shortok`: half, then the rest succeeds.
- `nofile:K`: RLIMIT_NOFILE set to the open descriptors + K for the call (0: the lock cannot be
  opened; 1: the lock can, the journal cannot).
- `fsize:K`: RLIMIT_FSIZE set to the journal's size + K bytes (0: no byte fits; 10: a real short
  write, then EFBIG).
- `alarm`: a watchdog (SIGALRM from `signal.setitimer`) whose handler raises, armed for every
  attempt but the sixth onwards at a few hundred microseconds.
- `tmpfs`: nothing armed; the root is on a small, full file system. On NotRecordedError the bot
  shrinks --filler by 4 KiB (an operator freeing space) and retries; before the last two calls it
  removes the filler.

The wrappers patch the `os` module (the operating system's side), never tc1console's modules.
"""

import errno
import json
import os
import random
import resource
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))

from live_bot_child import SYMBOLS, T0, ack  # noqa: E402
from live_tools import essentials  # noqa: E402
from tc1console.engine.errors import NotRecordedError, Tc1Error  # noqa: E402
from tc1console.engine.live import init_risk, risk_close, risk_try_open  # noqa: E402

MAX_ATTEMPTS = 40


class Watchdog(Exception):
    """What the bot's own SIGALRM handler raises: the call took too long."""


class OsFaults:
    """Counts os.write / os.fsync / os.replace while armed and fails the planned one."""

    ERRNO = {"write": errno.ENOSPC, "fsync": errno.EIO, "replace": errno.EIO}

    def __init__(self) -> None:
        self.real = {name: getattr(os, name) for name in self.ERRNO}
        self.plan: tuple[str, int] | None = None
        self.counts: dict[str, int] = {}
        self.fail_next_write = False
        for name in self.ERRNO:
            setattr(os, name, self._wrapper(name))

    def arm(self, how: str, nth: int) -> None:
        self.plan, self.counts, self.fail_next_write = (how, nth), dict.fromkeys(self.ERRNO, 0), False

    def disarm(self) -> None:
        self.plan, self.fail_next_write = None, False

    def _wrapper(self, name: str):
        real = self.real[name]

        def wrapped(*args):
            if self.plan is None:
                return real(*args)
            self.counts[name] += 1
            how, nth = self.plan
            if name == "write" and self.fail_next_write:
                self.fail_next_write = False
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if name == "write" and how in ("short", "shortok") and self.counts["write"] == nth:
                fd, data = args
                self.fail_next_write = how == "short"
                return real(fd, bytes(data)[:max(1, len(data) // 2)])
            if how == name and self.counts[name] == nth:
                code = self.ERRNO[name]
                raise OSError(code, os.strerror(code))
            return real(*args)

        return wrapped


def main() -> None:
    root, n, seed, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    opts = sys.argv[5:]
    every = int(opts[opts.index("--every") + 1]) if "--every" in opts else 3
    filler = opts[opts.index("--filler") + 1] if "--filler" in opts else None
    prefix = opts[opts.index("--prefix") + 1] if "--prefix" in opts else "f"
    how, _, arg = mode.partition(":")
    rng = random.Random(seed)
    faults = OsFaults() if how in ("write", "fsync", "replace", "short", "shortok") else None
    journal = Path(root) / "runtime" / "journal.jsonl"
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    fsize = resource.getrlimit(resource.RLIMIT_FSIZE)
    state = {"armed": False}

    def on_alarm(_signum, _frame):
        if state["armed"]:
            state["armed"] = False
            raise Watchdog("the call took too long")

    if how == "alarm":
        signal.signal(signal.SIGALRM, on_alarm)

    def arm(index: int, attempt: int) -> bool:
        """Set this attempt's fault; whether one was set."""
        if how == "alarm" and attempt < 5:
            state["armed"] = True
            signal.setitimer(signal.ITIMER_REAL, rng.choice((50, 150, 300, 600, 1200, 2500)) / 1e6)
            return True
        if attempt or index < 4 or index % every or index >= last - 1 or how in ("none", "alarm", "tmpfs"):
            return False
        if faults is not None:
            faults.arm(how, int(arg or 1))
        elif how == "nofile":
            used = len(os.listdir("/proc/self/fd")) - 1  # less the one listdir itself had open
            resource.setrlimit(resource.RLIMIT_NOFILE, (used + int(arg), nofile[1]))
        elif how == "fsize":
            resource.setrlimit(resource.RLIMIT_FSIZE, (journal.stat().st_size + int(arg), fsize[1]))
        return True

    def disarm() -> None:
        state["armed"] = False
        if how == "alarm":
            signal.setitimer(signal.ITIMER_REAL, 0)
        if faults is not None:
            faults.disarm()
        resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
        resource.setrlimit(resource.RLIMIT_FSIZE, fsize)

    calls = [0]

    def call(kind: str, trade_id: str, fn, *args):
        index = calls[0]
        calls[0] += 1
        if filler and index == last - 1:
            os.unlink(filler)
        for attempt in range(MAX_ATTEMPTS):
            armed = False
            try:
                armed = arm(index, attempt)  # inside the try: a watchdog may fire at once
                result = fn(*args)
                state["armed"] = False
            except (Tc1Error, Watchdog) as exc:
                disarm()
                print(json.dumps({"raised": type(exc).__name__, "call": kind, "trade_id": trade_id,
                                  "armed": armed, "error": str(exc)}), flush=True)
                if isinstance(exc, NotRecordedError) and filler and os.path.exists(filler):
                    os.truncate(filler, max(0, os.path.getsize(filler) - 4096))
                continue
            disarm()
            result = dict(result)
            replayed = result.pop("replayed", False)
            print(json.dumps({"ack": kind if kind == "close" or result["skipped_reason"] is None else "skip",
                              "trade_id": trade_id, "result": result, "replayed": replayed,
                              "attempts": attempt + 1, "armed": armed}), flush=True)
            return {**result, "replayed": replayed}
        sys.exit(f"{kind} {trade_id}: still failing after {MAX_ATTEMPTS} attempts")

    live = init_risk(root)
    ack("ready", None, {})
    held = []
    opens = n
    last = opens + max(0, opens - 3)  # the number of calls the loop below makes
    for i in range(opens):
        symbol = rng.choice(list(SYMBOLS))
        price = round(SYMBOLS[symbol] * rng.uniform(0.97, 1.03), 2)
        is_long = rng.random() < 0.5
        dist = price * rng.uniform(0.003, 0.01)
        stop = round(price - dist if is_long else price + dist, 2)
        tid, ts = f"{prefix}-{i}", T0 + 1_000 * (i + 1)
        res = call("open", tid, risk_try_open, tid, symbol, is_long, ts, price, stop)
        if res["skipped_reason"] is None:
            held.append((tid, price))
        if len(held) > 3:
            tid, entry = held.pop(0)
            call("close", tid, risk_close, tid, ts + 500, round(entry * rng.uniform(0.985, 1.018), 2))
    with live.store.transaction() as tx:
        memory = json.loads(json.dumps(essentials(tx.engine)))
    print(json.dumps({"ack": "done", "calls": calls[0], "memory": memory}), flush=True)
    sys.stdin.read()  # idle, lock released, until the parent is done looking


if __name__ == "__main__":
    main()
