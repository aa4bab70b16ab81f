"""Benchmark the console under a bot that marks 500 open positions ten times a second.

A root with 500 positions open (opened through the live API, across 50 symbols) is watched by the
console, run headless in this process with its file watch, while a separate writer process calls
the bot API's `mark` every 100 ms with a random walk of all 50 prices, each write stamped with the
wall clock. The console's own CPU time (every thread of this process; the writer is another
process) is measured over the run, and for every marks write that reaches the screen the time from
the write to the refresh that painted it (watch -> read -> snapshot -> message -> widgets -> paint).

    python bench/console_bench.py [--seconds 60] [--positions 500] [--symbols 50] [--interval 0.1]

Prints CPU seconds per minute (and as % of one core), the watch-to-screen latency p50 / p99 / max,
and how many writes were shown (a write the next one overtook before it was painted is skipped,
not queued). Targets: p99 <= 250 ms, CPU <= 20% of one core. The headless driver paints to no
terminal; a real terminal adds the cost of its output.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tc1console.engine import config  # noqa: E402
from tc1console.engine.live import LiveRisk  # noqa: E402

OVERLAY = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 10_000, "max_leverage": None,
           "total_open_risk_cap": None, "per_trade_risk_cap": None, "symbol_overrides": {}}
POLICY: dict = {}
TARGET_P99_MS = 250.0
TARGET_CPU = 0.20
SIZE = (160, 50)  # the terminal the console is drawn for (the positions table shows ~20 rows)


def symbols(n: int) -> list[str]:
    return [f"S{i:02d}USDT" for i in range(n)]


def start_price(i: int) -> float:
    return 10.0 * (1 + i % 17) * (1 + i // 17)


def build_root(path: Path, positions: int, n_symbols: int) -> Path:
    (path / "configs").mkdir(parents=True)
    (path / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", OVERLAY))
    (path / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", POLICY))
    live = LiveRisk(path)
    now = int(time.time() * 1000)
    names = symbols(n_symbols)
    for i in range(positions):
        k = i % n_symbols
        price = start_price(k)
        is_long = i % 2 == 0
        a = live.try_open(trade_id=f"p{i:04d}", symbol=names[k], is_long=is_long,
                          entry_ts_ms=now - (positions - i) * 1000, entry_price=price,
                          stop_price=price * (0.98 if is_long else 1.02))
        if a["skipped_reason"]:
            raise SystemExit(f"building the root: p{i:04d} skipped: {a['skipped_reason']} {a['detail']}")
    return path


def writer(root: Path, n_symbols: int, interval: float, seconds: float) -> None:
    """The bot's side: all prices marked every `interval` seconds, on a fixed schedule."""
    live = LiveRisk(root)
    rng = random.Random(1)
    names = symbols(n_symbols)
    prices = {s: start_price(i) for i, s in enumerate(names)}
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        for s in prices:
            prices[s] *= math.exp(rng.gauss(0, 0.002))
        live.mark(prices)
        tick += 1
        time.sleep(max(0.0, start + tick * interval - time.monotonic()))


def run_console(root: Path, seconds: float) -> dict:
    from tc1console.console.app import Tc1ConsoleApp
    from tc1console.console.snapshot import Snapshot

    latencies: list[float] = []
    shown: set[int] = set()

    class BenchApp(Tc1ConsoleApp):
        CSS_PATH = str(Path(sys.modules[Tc1ConsoleApp.__module__].__file__).parent / Tc1ConsoleApp.CSS_PATH)

        def _show(self, snap: Snapshot) -> None:
            super()._show(snap)
            ts = snap.marks.mark_ts_ms if snap.marks is not None else None
            if ts is not None and ts not in shown:
                shown.add(ts)
                self.call_after_refresh(lambda: latencies.append(time.time() * 1000 - ts))

    app = BenchApp(root, label="bench")
    app.animation_level = "none"
    measured: dict = {}

    def begin() -> None:  # after the first read and a settling second: the steady state only
        usage = resource.getrusage(resource.RUSAGE_SELF)
        measured["cpu0"] = usage.ru_utime + usage.ru_stime
        measured["t0"] = time.monotonic()
        latencies.clear()
        shown.clear()
        app.set_timer(seconds, finish)

    def finish() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        measured["cpu"] = usage.ru_utime + usage.ru_stime - measured["cpu0"]
        measured["wall"] = time.monotonic() - measured["t0"]
        measured["latencies"] = list(latencies)
        measured["rows"] = app.main.query_one("#positions").row_count
        app.exit()

    app.call_later(lambda: app.set_timer(2.0, begin))
    app.run(headless=True, size=SIZE)
    return measured


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--positions", type=int, default=500)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--writer", metavar="ROOT", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.writer:
        writer(Path(args.writer), args.symbols, args.interval, args.seconds)
        return 0

    with tempfile.TemporaryDirectory(prefix="tc1-console-bench-") as tmp:
        root = build_root(Path(tmp) / "root", args.positions, args.symbols)
        child = subprocess.Popen([sys.executable, __file__, "--writer", str(root), "--symbols", str(args.symbols),
                                  "--interval", str(args.interval), "--seconds", str(args.seconds + 10)])
        try:
            m = run_console(root, args.seconds)
        finally:
            child.terminate()
            child.wait(10)
    lat = m["latencies"]
    writes = m["wall"] / args.interval
    cpu_per_min = m["cpu"] / m["wall"] * 60
    share = m["cpu"] / m["wall"]
    print(f"console bench: {m['rows']} positions in the table, {args.symbols} symbols marked every "
          f"{args.interval * 1000:.0f} ms, measured for {m['wall']:.1f} s")
    print(f"  CPU      {cpu_per_min:.2f} s per minute = {share * 100:.1f}% of one core "
          f"(target <= {TARGET_CPU * 100:.0f}%: {'ok' if share <= TARGET_CPU else 'MISSED'})")
    if lat:
        p50, p99 = percentile(lat, 0.50), percentile(lat, 0.99)
        print(f"  latency  write -> screen p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(lat):.0f} ms "
              f"(target p99 <= {TARGET_P99_MS:.0f} ms: {'ok' if p99 <= TARGET_P99_MS else 'MISSED'})")
        print(f"  shown    {len(lat)} of ~{writes:.0f} writes ({len(lat) / writes * 100:.0f}%); "
              f"mean {statistics.fmean(lat):.0f} ms")
    else:
        print("  latency  no marks reached the screen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
