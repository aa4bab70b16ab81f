"""Benchmark the console on a large account: how long the screen takes against the read behind it.

Runs the real Textual app headless (`run_test`, 120x40) on a root written by the same fixtures as
tests/console/test_console_scale.py, and times, from the moment the change is made to the moment
the widget shows it:

- the first show of 500 open positions, and an update of them in place (10 closed, 5 stops moved,
  5 new, the balance moved) noticed by the file watch;
- 10,000 equity points handed to the app, until the sparkline shows them;
- five trades committed through the live API, each until its row appears (the file-watch latency).

The positions are also given as a ratio to `load_snapshot` of the same files, timed in the same
round: the read the app does in a worker thread before it draws, so the ratio is what the screen
adds on top of reading. Medians over `--repeat` rounds, each in a new root and a new app, with
each figure's target beside it.

    python bench/console_scale_bench.py [--repeat 5]

Targets (docs/console.md "Large accounts stay smooth"): 500 positions shown and updated within 3 s,
10,000 points within 2 s, a committed trade on screen within about 0.25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tc1console.console.app import Tc1ConsoleApp  # noqa: E402
from tc1console.console.fixtures import (FIXED_NOW_MS, MINUTE, write_default_configs,  # noqa: E402
                                         write_large_state)
from tc1console.console.messages import SnapshotLoaded  # noqa: E402
from tc1console.console.snapshot import EquityInfo, load_snapshot  # noqa: E402
from tc1console.console.widgets.positions_table import PositionsTable  # noqa: E402
from tc1console.engine.live import LiveRisk  # noqa: E402

SIZE = (120, 40)
GIVE_UP_S = 60.0
TARGETS_S = {"first show of 500 positions": 3.0, "update of 500 in place": 3.0,
             "10,000 equity points shown": 2.0, "committed trade on screen (median of 5)": 0.25}


async def until(pilot, condition: Callable[[], bool], start: float) -> float:
    """Seconds from `start` until `condition()` holds, letting the app run meanwhile."""
    while not condition():
        if time.perf_counter() - start > GIVE_UP_S:
            raise SystemExit(f"gave up after {GIVE_UP_S:.0f}s: the console never showed the change")
        await pilot.pause(0.002)
    return time.perf_counter() - start


def read_time(root: Path) -> float:
    start = time.perf_counter()
    load_snapshot(root, FIXED_NOW_MS)
    return time.perf_counter() - start


def make_root(base: Path, name: str) -> Path:
    root = base / name
    write_default_configs(root)
    return root


def new_app(root: Path) -> Tc1ConsoleApp:
    app = Tc1ConsoleApp(root, clock=lambda: FIXED_NOW_MS, label="bench")
    app.animation_level = "none"
    return app


async def positions_round(root: Path) -> dict[str, float]:
    write_large_state(root, range(500), balance=100_000.0)
    read_first = read_time(root)
    app = new_app(root)
    start = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        first = await until(pilot, lambda: table.row_count == 500, start)
        ids = [i for i in range(500) if not 400 <= i < 410] + list(range(500, 505))
        start = time.perf_counter()
        write_large_state(root, ids, balance=90_000.0, shifted=frozenset(range(310, 315)))
        update = await until(pilot, lambda: table.row_count == 495, start)
    return {"first show of 500 positions": first, "first / read": first / read_first,
            "update of 500 in place": update, "update / read": update / read_time(root)}


async def equity_round(root: Path) -> dict[str, float]:
    write_large_state(root, range(3), balance=100_000.0)
    app = new_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.loads >= 1, time.perf_counter())
        values = tuple(100_000 + ((k * 7919) % 1000) - 500.0 + k / 10 for k in range(10_000))
        equity = EquityInfo(values, len(values), min(values), max(values), values[-1],
                            FIXED_NOW_MS - 10_000, FIXED_NOW_MS)
        start = time.perf_counter()
        app.post_message(SnapshotLoaded(dataclasses.replace(app.snapshot, equity=equity)))
        await until(pilot, lambda: app.snapshot.equity is equity, start)
        await pilot.pause()  # and drawn
        shown = time.perf_counter() - start
    return {"10,000 equity points shown": shown}


async def watch_round(root: Path) -> dict[str, float]:
    live = LiveRisk(root)
    app = new_app(root)
    latencies = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.loads >= 1, time.perf_counter())
        table = app.main.query_one(PositionsTable)
        for i in range(5):
            start = time.perf_counter()
            live.try_open(trade_id=f"b{i}", symbol="BTCUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - MINUTE,
                          entry_price=60_000.0, stop_price=59_400.0)
            latencies.append(await until(pilot, lambda: table.row_count == i + 1, start))
    return {"committed trade on screen (median of 5)": statistics.median(latencies)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds, each in a new root (default 5)")
    args = parser.parse_args()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="tc1-console-bench-") as tmp:
        for k in range(args.repeat):
            figures: dict[str, float] = {}
            for name, measure in (("positions", positions_round), ("equity", equity_round), ("watch", watch_round)):
                figures.update(asyncio.run(measure(make_root(Path(tmp), f"{name}-{k}"))))
            rounds.append(figures)
    print(f"console on a large account, {SIZE[0]}x{SIZE[1]}, median of {args.repeat} rounds (min .. max):")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        median = statistics.median(values)
        if key in TARGETS_S:
            target = TARGETS_S[key]
            verdict = f"target {target:g} s: {median / target:.2f} of it{'' if median <= target else '  OVER'}"
            print(f"  {key:<40} {median:7.3f} s   ({min(values):.3f} .. {max(values):.3f})   {verdict}")
        else:
            print(f"  {key:<40} {median:7.1f}x   ({min(values):.1f} .. {max(values):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
