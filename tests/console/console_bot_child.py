"""A small trading bot run as a real process beside the console (not a test module).

    python console_bot_child.py ROOT N T0_MS

Until N trades or until the file ROOT/STOP exists, opens `c{i}` through LiveRisk (entries at T0_MS + i, so all on T0's UTC day, the day
the console calls "today"), closes the oldest once more than 3 are open, and prints one JSON ack line
after each call returns, so the parent knows exactly what was acknowledged.
"""

import json
import random
import sys
import time
from pathlib import Path

from tc1console.engine.live import LiveRisk

PRICES = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}


def ack(kind, trade_id, result):
    """One line per call; `replayed` (a retried call) apart from the result the journal records."""
    result = dict(result)
    replayed = result.pop("replayed", False)
    print(json.dumps({"ack": kind, "trade_id": trade_id, "result": result, "replayed": replayed}), flush=True)


def main():
    root, n, t0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(5)
    live = LiveRisk(root)
    print(json.dumps({"ack": "ready"}), flush=True)
    held = []
    stop_file = Path(root) / "STOP"
    for i in range(n):
        if stop_file.exists():
            break
        symbol = rng.choice(list(PRICES))
        price = round(PRICES[symbol] * rng.uniform(0.98, 1.02), 2)
        is_long = rng.random() < 0.5
        dist = price * rng.uniform(0.004, 0.01)
        stop = round(price - dist if is_long else price + dist, 2)
        tid = f"c{i}"
        res = live.try_open(trade_id=tid, symbol=symbol, is_long=is_long, entry_ts_ms=t0 + i,
                            entry_price=price, stop_price=stop)
        ack("open" if res["skipped_reason"] is None else "skip", tid, res)
        if res["skipped_reason"] is None:
            held.append((tid, price))
        if len(held) > 3:
            tid, entry = held.pop(0)
            ack("close", tid, live.close(trade_id=tid, exit_ts_ms=t0 + i, exit_price=round(entry * rng.uniform(0.99, 1.01), 2)))
        time.sleep(0.005)  # a bot waits on the exchange between calls
    print(json.dumps({"ack": "done"}), flush=True)


if __name__ == "__main__":
    main()
