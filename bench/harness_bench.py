"""Benchmark the backtest harness against a bare csv.reader pass over the same trades file.

Generates 100,000 and 1,000,000 deterministic trades (a handful of symbols, ISO timestamps, mostly
in time order with some jitter), runs `tc1 harness` (as `python -m tc1console harness`) on each as a subprocess,
and a second subprocess that only iterates csv.reader over the file. Prints trades/second, peak RSS
of the harness process, the harness / bare-reader time ratio and the 1M / 100k per-trade cost ratio.

    python bench/harness_bench.py [--sizes 100000,1000000] [--keep DIR] [--repeat 3] [--profile]
                                  [--rails seed|all|off|both]

`--rails` picks the policy: `seed` (default) the three seed rails, `all` every rail of the registry
on (drawdown, week and month caps, loss streak, symbol cooldown, the daily cap counting open risk),
loose enough that most trades still reach sizing; `off` no rail at all; `both` runs seed and all in
one invocation and prints the per-trade cost with all rails on over the cost with the seed rails.

Targets (docs/harness.md, the harness brief): ratio <= 8, peak RSS <= 600 MB, cost linear in size;
issue 13: the seed-rails figure within noise of before, the all-rails figure printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tc1console.engine import config  # noqa: E402

# symbol, starting price, qty step, min qty, min notional
SYMBOLS = (
    ("BTCUSDT", 42_000.0), ("ETHUSDT", 2_300.0), ("SOLUSDT", 95.0),
    ("BNBUSDT", 310.0), ("XRPUSDT", 0.62), ("DOGEUSDT", 0.085),
)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)

OVERLAY = dict(config.DEFAULTS["overlay"])
OVERLAY["symbol_overrides"] = dict(OVERLAY["symbol_overrides"])
OVERLAY["symbol_overrides"]["XRPUSDT"] = {"qty_step": 1.0, "min_qty": 1.0, "min_notional": 5.0}
OVERLAY["symbol_overrides"]["DOGEUSDT"] = {"qty_step": 1.0, "min_qty": 1.0, "min_notional": 5.0}
# Rails loose enough that most trades reach the sizing code (the expensive path).
POLICY = {"equity_floor": 1_000.0, "daily_loss_cap": 2_000.0, "max_trades_per_day": 5_000}
# Every rail on, each checked on every entry, each tripping rarely: ~960 trades a day at 45%
# stop-outs, so a streak of 10 is rare and a symbol is traded about every 9 minutes (a 1-minute
# cooldown seldom blocks); the daily cap counts open risk, so each entry also computes what the day
# has left.
ALL_RAILS = {**POLICY, "max_drawdown_pct": 0.5, "daily_loss_includes_open_risk": True,
             "weekly_loss_cap": 10_000.0, "monthly_loss_cap": 30_000.0, "loss_streak_limit": 10,
             "loss_streak_cooldown_minutes": 5.0, "symbol_cooldown_minutes": 1.0}
POLICIES = {"seed": POLICY, "all": ALL_RAILS, "off": {}}  # off: no rail at all (issue 13's "all rails off")
# The skip reasons only a rail gives (what "most trades still reach sizing" is counted against).
RAIL_REASONS = ("equity_floor", "max_drawdown", "daily_loss_cap", "weekly_loss_cap", "monthly_loss_cap",
                "max_trades_per_day", "loss_streak", "symbol_cooldown")


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def generate(path: Path, n: int, seed: int = 20240101) -> None:
    """n trades: entries ~90 s apart with up to 2 min of jitter, holding 1-30 minutes."""
    rng = random.Random(seed)
    prices = {s: p for s, p in SYMBOLS}
    names = [s for s, _ in SYMBOLS]
    t = START
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price"])
        for _ in range(n):
            t += timedelta(milliseconds=rng.randint(30_000, 150_000))
            entry_t = t + timedelta(milliseconds=rng.randint(-120_000, 120_000))
            sym = rng.choice(names)
            p = prices[sym] = prices[sym] * (1 + rng.gauss(0, 0.002))
            long = rng.random() < 0.5
            dist = p * rng.uniform(0.004, 0.02)
            stop = p - dist if long else p + dist
            # Slightly positive expectancy: stop-outs (-1R) 45%, else somewhere up to +2.5R.
            r = -1.0 if rng.random() < 0.45 else rng.uniform(-0.3, 2.5)
            exit_p = p + r * dist if long else p - r * dist
            exit_t = entry_t + timedelta(seconds=rng.randint(60, 1_800))
            digits = 2 if p > 10 else 5
            w.writerow([sym, "long" if long else "short", _iso(entry_t), round(p, digits),
                        round(stop, digits), _iso(exit_t), round(exit_p, digits)])


def _run_child(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process.

    os.wait4 gives this child's own rusage, so each run's peak is its own (getrusage over
    RUSAGE_CHILDREN would report the maximum over every child so far).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"child failed ({proc.returncode}): {' '.join(cmd)}\n"
                             f"{err.read().decode(errors='replace')}")
        return wall, usage.ru_maxrss / 1024, out.read().decode(errors="replace")


BARE = "import csv,sys\nwith open(sys.argv[1], newline='', encoding='utf-8') as f:\n" \
       "    for row in csv.reader(f): pass\n"

# Where the time goes: reading alone, in one process (on two cores the harness's forked child
# does it beside the replay), then the replay with its results handed to a sink that drops them
# (so what remains is the engine's try_open/close plus the loop: the harness's critical path).
# The rest of the harness's time is what the second core did not hide: waiting for the first
# rows, taking the rows in, handing results over, the last rows' rendering.
BREAKDOWN = """
import sys, time
from tc1console.backtest import read_trades, replay
from tc1console.engine import RiskEngine, config
class NullSink:
    def start(self, ts, balance): pass
    def feed(self, batch): pass
t0 = time.perf_counter()
trades = read_trades(sys.argv[1])
t1 = time.perf_counter()
engine = RiskEngine(config.load_overlay(sys.argv[2]), config.load_policy(sys.argv[3]))
replay(engine, trades, NullSink())
print(t1 - t0, time.perf_counter() - t1)
"""


def bench(workdir: Path, n: int, profile: bool, repeat: int, rails: str = "seed") -> dict[str, Any]:
    """Best of `repeat` runs of each child (the machine may be shared), peak RSS of the harness."""
    trades = workdir / f"trades_{n}.csv"
    if not trades.exists():
        generate(trades, n)
    risk, policy = workdir / "risk_overlay.toml", workdir / f"risk_policy_{rails}.toml"
    risk.write_text(config.dump_toml("overlay", OVERLAY), encoding="utf-8")
    policy.write_text(config.dump_toml("policy", POLICIES[rails]), encoding="utf-8")
    out = workdir / f"out_{n}_{rails}"
    cmd = [sys.executable, "-m", "tc1console", "harness", "--trades_csv", str(trades),
           "--risk_config", str(risk), "--policy_config", str(policy), "--out_dir", str(out)]
    if profile:
        prof = workdir / f"harness_{n}.prof"
        cmd[1:3] = ["-m", "cProfile", "-o", str(prof), "-m", "tc1console"]
    runs = [_run_child(cmd) for _ in range(1 if profile else repeat)]
    h_wall, h_rss, stdout = min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]
    bare = min(_run_child([sys.executable, "-c", BARE, str(trades)])[0] for _ in range(3))
    tiny = workdir / "trades_1.csv"
    generate(tiny, 1)
    fixed = min(_run_child([*cmd[:cmd.index("--trades_csv") + 1], str(tiny),
                            *cmd[cmd.index("--trades_csv") + 2:-1], str(workdir / f"out_1_{rails}")])[0]
                for _ in range(3))
    splits = [tuple(map(float, _run_child([sys.executable, "-c", BREAKDOWN, str(trades), str(risk),
                                           str(policy)])[2].split())) for _ in range(repeat)]
    parse_s, replay_s = min(p for p, _ in splits), min(r for _, r in splits)
    if profile:
        print(stdout)
    skipped = json.loads((out / "summary.json").read_text(encoding="utf-8"))["skipped_by_reason"]
    return {"n": n, "rails": rails, "harness_s": h_wall, "bare_s": bare, "fixed_s": fixed, "rss_mb": h_rss,
            "parse_s": parse_s, "replay_s": replay_s, "skipped": skipped}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--keep", help="folder for the generated files (kept); default: a temp folder")
    ap.add_argument("--profile", action="store_true", help="run the harness under cProfile")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    ap.add_argument("--rails", choices=("seed", "all", "off", "both"), default="seed",
                    help="policy: the seed rails (default), every rail on loosely, none, or seed and all compared")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = ["seed", "all"] if args.rails == "both" else [args.rails]
    with tempfile.TemporaryDirectory(prefix="tc1bench_") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        # Interleaved per size, so both policies meet the same machine load as far as possible.
        results = [bench(workdir, n, args.profile, args.repeat, mode) for n in sorted(sizes) for mode in modes]
    print(f"{'trades':>10} {'rails':>5} {'harness s':>10} {'trades/s':>10} {'csv.reader s':>13} {'ratio':>6} "
          f"{'peak MB':>8}   us/trade: {'read':>5} {'engine':>6} {'rest':>6}   rail skips")
    for r in results:
        us = 1e6 / r["n"]
        rest_s = r["harness_s"] - r["fixed_s"] - r["replay_s"]
        rail_skips = sum(r["skipped"].get(k, 0) for k in RAIL_REASONS)
        print(f"{r['n']:>10,} {r['rails']:>5} {r['harness_s']:>10.2f} {r['n'] / r['harness_s']:>10,.0f} "
              f"{r['bare_s']:>13.2f} {r['harness_s'] / r['bare_s']:>6.2f} {r['rss_mb']:>8.0f}"
              f"             {r['parse_s'] * us:>5.2f} {r['replay_s'] * us:>6.2f} {rest_s * us:>6.2f}"
              f"   {rail_skips / r['n']:.1%}")
    print("(read = reading in one process, which the forked child does beside the replay; engine = "
          "try_open/close and the replay loop, results dropped: the critical path; rest = the harness's "
          "time beyond the engine and its fixed cost; peak MB = the largest process; rail skips = the "
          "share of trades a rail refused)")
    for r in results:
        if r["rails"] == "all":
            print(f"rails all, skips by reason at {r['n']:,}: "
                  + (", ".join(f"{k} {v:,}" for k, v in r["skipped"].items() if v) or "none"))
    per = lambda r: (r["harness_s"] - r["fixed_s"]) / r["n"]  # noqa: E731
    if args.rails == "both":
        for seed, full in zip(results[0::2], results[1::2]):
            print(f"per-trade cost at {seed['n']:,}, all rails / seed rails: harness "
                  f"{per(full) * 1e6:.2f} / {per(seed) * 1e6:.2f} us = {per(full) / per(seed):.2f}, engine "
                  f"{full['replay_s'] / full['n'] * 1e6:.2f} / {seed['replay_s'] / seed['n'] * 1e6:.2f} us = "
                  f"{full['replay_s'] / seed['replay_s']:.2f}")
    by_size = [r for r in results if r["rails"] == modes[0]]
    if len(by_size) >= 2:
        small, big = by_size[0], by_size[-1]
        print(f"per-trade cost {big['n']:,} / {small['n']:,}: {per(big) / per(small):.2f} "
              f"(fixed cost of a 1-trade run, {small['fixed_s'] * 1000:.0f} ms, subtracted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
