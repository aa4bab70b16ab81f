"""An operator process for the concurrency test (not a test module): resets day counters and edits
caps through the Store, the way the console and `tc1 policy reset` do, N times.

    python live_admin_child.py ROOT N SEED TICKS_FD DAY_KEY...

Before each operation it waits until the bot has committed a call since its previous one (the bot
writes a byte to the inherited pipe TICKS_FD after each call), so the two surely interleave while
both still contend for the lock. Prints one JSON line per operation after it returned, then
{"done": true}.
"""

import json
import os
import random
import sys

from tc1console.engine.live import LiveRisk


def wait_for_bot(ticks):
    """Return once a bot call that began after now has returned. The ticks already written are
    drained; the next one may still come from a call committed before ours, the one after it
    cannot."""
    os.set_blocking(ticks, False)
    try:
        while os.read(ticks, 4096):
            pass
    except BlockingIOError:
        pass
    os.set_blocking(ticks, True)
    need = 2
    while need:
        got = os.read(ticks, need)
        if not got:
            sys.exit("the bot stopped before the operator was done")
        need -= len(got)


def main():
    root, n, seed, ticks, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
    rng = random.Random(seed)
    live = LiveRisk(root, check=False)
    s = live.store
    for i in range(n):
        wait_for_bot(ticks)
        op = rng.choice(("reset_today", "reset_all", "overlay", "policy"))
        if op == "reset_today":
            out = sorted(live.reset("today", today_key=rng.choice(days), by="admin")["days"])
        elif op == "reset_all":
            out = sorted(live.reset("all", by="admin")["days"])
        elif op == "overlay":
            out = s.save_config("overlay", {"total_open_risk_cap": float(rng.randrange(100, 600))}, by="admin")
        else:
            out = s.save_config("policy", {"daily_loss_cap": float(rng.randrange(50, 400)),
                                           "max_trades_per_day": rng.randrange(5, 200)}, by="admin")
        print(json.dumps({"op": op, "out": out}), flush=True)
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main()
