"""An operator process for the concurrency test (not a test module): resets day counters and edits
caps through the Store, the way the console and `tc1 policy reset` do, N times.

    python live_admin_child.py ROOT N SEED PAUSE DAY_KEY...

Prints one JSON line per operation after it returned, then {"done": true}.
"""

import json
import random
import sys
import time

from tc1console.engine.live import LiveRisk


def main():
    root, n, seed, pause, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
    rng = random.Random(seed)
    live = LiveRisk(root, check=False)
    s = live.store
    for i in range(n):
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
        time.sleep(pause)  # an operator (or the console) is not a tight loop either
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main()
