"""A small trading bot run as a real process by the reliability tests (not a test module).

    python live_bot_child.py ROOT RUN N SEED HOLD [--widen] [--pause SECONDS] [--ticks FD] [--until FILE]
                             [--stall-at-write K] [--stdin]

Calls init_risk, then for i in 0..N-1 opens `r{RUN}-{i}` and, once more than HOLD are open, closes
the oldest. First it closes whatever an earlier (killed) run left open. After each call returns
it prints one JSON ack line and flushes, so the parent knows exactly what was acknowledged.
`--ticks FD` also writes one byte to the inherited pipe FD after each call (another process can
wait on the bot's progress); `--until FILE` stops before the next open once FILE exists;
`--stall-at-write K` stops for good just before its K-th state-file write and prints
{"ack": "stalled", ...} (for the parent to kill it at that known instant).
`--stdin` then trades a script instead (N 0): one JSON event a line on stdin (`apply_event`'s shape,
through `risk_try_open` / `risk_close`), acked as above, so the parent can act between two calls.
"""

import json
import os
import random
import sys
import threading
import time

from tc1console.engine.live import init_risk, risk_close, risk_try_open

T0 = 1_764_000_000_000
SYMBOLS = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}


def ack(kind, trade_id, result):
    """One line per call; `replayed` (a retried call) apart from the result the journal records."""
    result = dict(result)
    replayed = result.pop("replayed", False)
    print(json.dumps({"ack": kind, "trade_id": trade_id, "result": result, "replayed": replayed}), flush=True)


def widen_write_windows(pause_s):
    """Pause before each state-file write, so a kill often lands after the journal commit and
    between the two state files (the windows docs/live.md says must be safe). Timing only."""
    from tc1console.engine import store

    real = store.atomic_write

    def slow(path, data):
        time.sleep(pause_s)
        real(path, data)

    store.atomic_write = slow


def stall_at_write(k):
    """Stop for good just before the k-th write of a state file (either one) and say so. A commit
    appends its journal line, then writes the two state files: an odd k stops it between its
    journal commit and the first state file, an even k between the two state files."""
    from tc1console.engine import store

    real = store.atomic_write
    seen = 0

    def stalling(path, data):
        nonlocal seen
        if os.path.basename(path) in (store.STATE_FILE, store.POLICY_FILE):
            seen += 1
            if seen == k:
                print(json.dumps({"ack": "stalled", "write": k, "file": os.path.basename(path)}), flush=True)
                threading.Event().wait()
        real(path, data)

    store.atomic_write = stalling


def main():
    root, run, n, seed, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    opts = sys.argv[6:]
    if "--widen" in opts:
        widen_write_windows(0.003)
    if "--stall-at-write" in opts:
        stall_at_write(int(opts[opts.index("--stall-at-write") + 1]))
    # A real bot waits on the exchange between calls; a tight loop would hold the lock back to back.
    pause = float(opts[opts.index("--pause") + 1]) if "--pause" in opts else 0.0
    ticks = int(opts[opts.index("--ticks") + 1]) if "--ticks" in opts else None
    until = opts[opts.index("--until") + 1] if "--until" in opts else None

    def done(kind, trade_id, result):
        ack(kind, trade_id, result)
        if ticks is not None:
            os.write(ticks, b".")
    rng = random.Random(seed * 1_000 + run)
    live = init_risk(root)
    print(json.dumps({"ack": "ready"}), flush=True)
    base = T0 + run * 10_000_000
    with live.store.transaction() as tx:
        left = [(tid, p.alloc.entry_price) for tid, p in tx.engine.positions.items()]
    for tid, entry in left:
        done("close", tid, risk_close(trade_id=tid, exit_ts_ms=base, exit_price=round(entry * rng.uniform(0.99, 1.012), 2)))
    held = []
    for i in range(n):
        if until is not None and os.path.exists(until):
            break
        symbol = rng.choice(list(SYMBOLS))
        price = round(SYMBOLS[symbol] * rng.uniform(0.97, 1.03), 2)
        is_long = rng.random() < 0.5
        dist = price * rng.uniform(0.003, 0.01)
        stop = round(price - dist if is_long else price + dist, 2)
        tid = f"r{run}-{i}"
        ts = base + 1_000 * (i + 1)
        res = risk_try_open(trade_id=tid, symbol=symbol, is_long=is_long, entry_ts_ms=ts, entry_price=price,
                            stop_price=stop)
        done("open" if res["skipped_reason"] is None else "skip", tid, res)
        if pause:
            time.sleep(pause)
        if res["skipped_reason"] is None:
            held.append((tid, price, ts))
        if len(held) > hold:
            tid, entry, ets = held.pop(0)
            exit_price = round(entry * rng.uniform(0.985, 1.018), 2)
            done("close", tid, risk_close(trade_id=tid, exit_ts_ms=ts + 500, exit_price=exit_price))
    if "--stdin" in opts:
        for line in sys.stdin:
            ev = json.loads(line)
            args = {k: v for k, v in ev.items() if k != "op"}
            if ev["op"] == "open":
                res = risk_try_open(**args)
                done("open" if res["skipped_reason"] is None else "skip", ev["trade_id"], res)
            else:
                done("close", ev["trade_id"], risk_close(**args))
    print(json.dumps({"ack": "done"}), flush=True)


if __name__ == "__main__":
    main()
