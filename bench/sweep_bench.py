"""Benchmark `tc1 sweep` (issue 16): scaling over local workers, parse-once, memory, per-config cost.

Prints, from one run, as ratios:
  1. configs/s on 2 local workers / on 1 (target >= 1.7 on an idle 2-core machine);
  2. one `tc1 harness` process per config / one `tc1 sweep --workers 1` process, same grid, wall
     time (target >= 1.5);
  3. peak RSS of a sweep worker process at --big trades (target <= 400 MB at 1,000,000): ru_maxrss,
     which counts the pages shared with the parent through fork too, so an upper bound;
  4. one config inside a sweep / the replay part of a standalone harness run (run_harness with one
     process minus read_trades alone; target <= 1.1).

    python bench/sweep_bench.py [--trades 20000] [--configs 8] [--big 200000] [--repeat 3]

The trades are bench/harness_bench.py's generator (deterministic). Use --big 1000000 for the issue's
memory figure (a minute or so of generating and parsing).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness_bench import OVERLAY, POLICY, generate  # noqa: E402
from tc1console.backtest import read_trades, run_harness  # noqa: E402
from tc1console.backtest.sweep import run_config, run_sweep  # noqa: E402
from tc1console.engine import config  # noqa: E402


def write_configs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    risk, pol = folder / "risk_overlay.toml", folder / "risk_policy.toml"
    risk.write_text(config.dump_toml("overlay", OVERLAY), encoding="utf-8")
    pol.write_text(config.dump_toml("policy", POLICY), encoding="utf-8")
    return risk, pol


def grid_of(configs: int) -> list[str]:
    """`configs` values of percent_risk (0.001 apart from 0.002), one axis: easy to redo by hand."""
    return [f"percent_risk=0.002:{0.002 + 0.001 * (configs - 1):.3f}:0.001"]


def timed_sweep(trades: Path, risk: Path, pol: Path, out: Path, grid: list[str], workers: int) -> tuple[float, float]:
    """Seconds from the first config started to the last one done (the parse and the writing are
    left out: the same for any worker count), and the CPU seconds of this process and its workers
    over the whole sweep."""
    marks: dict[str, float] = {}
    before = os.times()
    run_sweep(trades, risk, out, grid, pol, workers=workers,
              started=lambda *_: marks.__setitem__("start", time.perf_counter()),
              progress=lambda done, total: marks.__setitem__("end", time.perf_counter()))
    after = os.times()
    cpu = sum(after[k] - before[k] for k in range(4))  # user and system, own and waited-for children
    return marks["end"] - marks["start"], cpu


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def rss_child(trades: str, risk: str, pol: str, out: str) -> None:
    """(run as a separate process) a two-worker sweep of two configs; print the workers' peak RSS
    and this process's, in MB, as JSON."""
    run_sweep(trades, risk, out, grid_of(2), pol, workers=2)
    print(json.dumps({"worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trades", type=int, default=20_000, help="trades for ratios 1, 2 and 4")
    ap.add_argument("--configs", type=int, default=8, help="configs in the grid for ratios 1 and 2")
    ap.add_argument("--big", type=int, default=200_000, help="trades for the memory figure (3)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many for ratio 4")
    ap.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return 0

    with tempfile.TemporaryDirectory(prefix="tc1-sweep-bench-") as tmp_name:
        tmp = Path(tmp_name)
        risk, pol = write_configs(tmp / "configs")
        trades = tmp / "trades.csv"
        generate(trades, args.trades)
        grid = grid_of(args.configs)
        print(f"{args.trades:,} trades, {args.configs} configs ({grid[0]}), {os.cpu_count()} CPUs")

        one, one_cpu = timed_sweep(trades, risk, pol, tmp / "w1", grid, 1)
        two, two_cpu = timed_sweep(trades, risk, pol, tmp / "w2", grid, 2)
        print(f"1. configs/s: 1 worker {args.configs / one:.2f}, 2 workers {args.configs / two:.2f}; "
              f"scaling {one / two:.2f}x (target >= 1.7); CPU seconds 2 workers / 1: "
              f"{two_cpu / one_cpu:.2f} (1.0: no per-worker overhead, so the wall-time scaling is "
              f"what the free cores allow; load average now {os.getloadavg()[0]:.1f})")

        tc1 = [sys.executable, "-m", "tc1console"]
        sweep_s = wall([*tc1, "sweep", "--trades_csv", str(trades), "--risk_config", str(risk), "--policy_config",
                        str(pol), "--grid", grid[0], "--workers", "1", "--out_dir", str(tmp / "cli")])
        result = json.loads((tmp / "cli" / "sweep.json").read_text())
        harness_s = 0.0
        for k, value in enumerate(result["grid"]["percent_risk"]):
            folder = tmp / f"h{k}"
            folder.mkdir()
            one_risk = folder / "risk_overlay.toml"
            one_risk.write_text(config.dump_toml("overlay", {**OVERLAY, "percent_risk": value}), encoding="utf-8")
            harness_s += wall([*tc1, "harness", "--trades_csv", str(trades), "--risk_config", str(one_risk),
                               "--policy_config", str(pol), "--out_dir", str(folder / "out")])
        print(f"2. one tc1 harness per config {harness_s:.2f} s, one tc1 sweep --workers 1 {sweep_s:.2f} s: "
              f"parse once is {harness_s / sweep_s:.2f}x faster (target >= 1.5)")

        big = tmp / "big.csv"
        generate(big, args.big)
        proc = subprocess.run([sys.executable, __file__, "--rss-child", str(big), str(risk), str(pol),
                               str(tmp / "rss")], check=True, capture_output=True, text=True)
        rss = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"3. peak RSS at {args.big:,} trades: a worker {rss['worker_mb']:.0f} MB (shared pages "
              f"included; target <= 400 MB at 1M), the sweep's parent {rss['parent_mb']:.0f} MB")

        t = read_trades(trades)
        overlay, policy = config.load_overlay(risk), config.load_policy(pol)
        in_sweep = harness_replay = float("inf")
        for k in range(args.repeat):
            t0 = time.perf_counter()
            run_config(t, overlay, policy)
            in_sweep = min(in_sweep, time.perf_counter() - t0)
            t0 = time.perf_counter()
            read_trades(trades)
            parse = time.perf_counter() - t0
            t0 = time.perf_counter()
            run_harness(trades, risk, tmp / f"alone{k}", pol, workers=1)
            harness_replay = min(harness_replay, time.perf_counter() - t0 - parse)
        print(f"4. one config in a sweep {in_sweep * 1000:.0f} ms, the replay part of a harness run "
              f"{harness_replay * 1000:.0f} ms: ratio {in_sweep / harness_replay:.2f} (target <= 1.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
