"""A bot's price feed run as a real process beside the console (not a test module).

    python marks_writer_child.py ROOT INTERVAL_S SYMBOL=PRICE ...

Marks every symbol through the bot API's writer (runtime/marks.json) every INTERVAL_S seconds, each
price on a random walk, stamped with the wall clock, until the file ROOT/STOP exists; prints one
line after the first write so the parent knows the feed is up.
"""

import math
import random
import sys
import time
from pathlib import Path

from tc1console.engine.marks import MarkWriter


def main():
    root, interval = Path(sys.argv[1]), float(sys.argv[2])
    prices = {s: float(p) for s, p in (a.split("=") for a in sys.argv[3:])}
    writer = MarkWriter(root / "runtime")
    rng = random.Random(3)
    start, tick = time.monotonic(), 0
    while not (root / "STOP").exists():
        for s in prices:
            prices[s] *= math.exp(rng.gauss(0, 0.002))
        writer.write(prices)
        if tick == 0:
            print("marking", flush=True)
        tick += 1
        time.sleep(max(0.0, start + tick * interval - time.monotonic()))


if __name__ == "__main__":
    main()
