"""The engine's cost per trade in the harness's replay loop, in CPU instructions (callgrind) or time.

Generates N deterministic trades (harness_bench's generator, its overlay and seed-rails policy),
reads them in-process and replays them through the very loop `tc1 harness` runs
(`tc1console/backtest/replay.py`, results handed to a sink that drops them), and prints the cost
of the replay per trade. With `--base DIR` (a checkout of another commit, e.g. the seed 4fe354a,
whose harness lived in `tc1console/engine/harness*.py`) the same CSV and configs are replayed
through that tree's own loop too, and the ratio is printed.

    python bench/engine_cost.py [--n 30000] [--base /tmp/perf-base] [--callgrind] [--rails seed|all|off]
                                [--profile] [--keep DIR] [--split]

`--callgrind` counts instructions under `valgrind --tool=callgrind` (deterministic, unlike wall
time on a shared machine): each tree runs twice, reading only and reading then replaying, and the
difference over N is the replay's instructions per trade. Without it, the replay's CPU time per
trade (best of 3, in-process). `--profile`: cProfile the replay of this tree, top functions.
`--split`: this tree once more with the seed's float sizing formula swapped in (in the child only;
its answers differ), to tell what exact sizing costs from what the rest of the engine costs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in a child, with the tree under test first on sys.path. Prints the replay's CPU seconds.
CHILD = r"""
import sys, time
root, csv_path, risk, policy, phase, sizing_kind = sys.argv[1:7]
sys.path.insert(0, root)
new = __import__("os").path.exists(root + "/tc1console/backtest/replay.py")
if new:
    from tc1console.backtest import read_trades, replay
    from tc1console.backtest.replay import chunks
    from tc1console.engine import RiskEngine, config
else:  # the seed (4fe354a): the harness lived in tc1console/engine/harness*.py
    from tc1console.engine import config, harness, harness_io
    from tc1console.engine.core import RiskEngine
    read_trades = harness_io.read_trades
assert __import__("tc1console").__file__.startswith(root), "the tree under test was not imported"
class NullSink:
    def start(self, ts, balance): pass
    def feed(self, batch): pass
    def finish(self): pass
if sizing_kind == "float":  # the seed's float formula in place of exact sizing (attribution only)
    import math
    from tc1console.engine import sizing
    def float_size(balance, caps, market, open_risk, open_notional, daily, entry, stop):
        budget = caps.flat_f if balance < caps.flat_until else balance * caps.percent_f
        if caps.per_trade_f is not None and caps.per_trade_f < budget:
            budget = caps.per_trade_f
        if caps.total_f is not None:
            head = caps.total_f - open_risk
            if head <= 0:
                return sizing._skip("total_open_risk_cap", "", budget)
            budget = min(budget, head)
        unit = abs(entry - stop) + (market.fee_rate * (entry + stop) if caps.fees_in_risk else 0.0)
        qty = math.floor(budget / unit / market.step_f) * market.step_f
        if caps.leverage_f is not None:
            qty = min(qty, math.floor((balance * caps.leverage_f - open_notional) / entry / market.step_f) * market.step_f)
        if qty <= 0 or qty < market.min_qty:
            return sizing._skip("below_min_qty", "", budget)
        if qty * entry < market.min_notional_f:
            return sizing._skip("below_min_notional", "", budget)
        return sizing._sized((qty, qty * unit, qty * entry, budget, None, ""))
    sizing.size = float_size
trades = read_trades(csv_path)
engine = RiskEngine(config.load_overlay(risk), config.load_policy(policy))
order = chunks(trades.replay_order()) if new else harness._chunks(trades.replay_order())
if phase == "read":
    raise SystemExit(0)
if phase == "profile":
    import cProfile, pstats
    prof = cProfile.Profile()
    prof.enable()
t0 = time.process_time()
if new:
    replay(engine, trades, NullSink(), order)
else:
    harness._replay(engine, trades, NullSink(), lambda done: None, order)
t1 = time.process_time()
if phase == "profile":
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
print(t1 - t0, engine.balance.hex(), len(engine.positions))
"""


def _child(root: Path, files: list[str], phase: str, callgrind: bool, sizing: str = "exact") -> tuple[int | None, str]:
    """(instructions or None, stdout) of one child run."""
    cmd = [sys.executable, "-c", CHILD, str(root), *files, phase, sizing]
    if callgrind:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tempfile.gettempdir(), env=env)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(cmd[-6:])}\n{proc.stderr[-3000:]}")
    if not callgrind:
        return None, proc.stdout
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in callgrind's output:\n{proc.stderr[-2000:]}")
    return int(found.group(1)), proc.stdout


def cost(root: Path, files: list[str], n: int, callgrind: bool, sizing: str = "exact") -> tuple[float, str]:
    """(per-trade cost, the final state's fingerprint): instructions, or microseconds of CPU."""
    if callgrind:
        read, _ = _child(root, files, "read", True, sizing)
        full, out = _child(root, files, "replay", True, sizing)
        return (full - read) / n, out.split(maxsplit=1)[1].strip()
    runs = [_child(root, files, "replay", False, sizing)[1] for _ in range(3)]
    return min(float(r.split()[0]) for r in runs) / n * 1e6, runs[0].split(maxsplit=1)[1].strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30_000, help="trades to generate and replay")
    ap.add_argument("--base", help="a checkout of another commit to replay the same trades through")
    ap.add_argument("--callgrind", action="store_true", help="count instructions with valgrind's callgrind")
    ap.add_argument("--rails", choices=("seed", "all", "off"), default="seed", help="harness_bench's policies")
    ap.add_argument("--profile", action="store_true", help="cProfile this tree's replay, top functions")
    ap.add_argument("--keep", help="folder for the generated files (kept); default: a temp folder")
    ap.add_argument("--split", action="store_true",
                    help="also replay this tree with the seed's float sizing formula in place of exact sizing "
                         "(its answers differ): what exact sizing costs, and what the rest costs")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    import harness_bench as hb
    from tc1console.engine import config

    with tempfile.TemporaryDirectory(prefix="tc1cost_") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / f"trades_{args.n}.csv"
        if not csv_path.exists():
            hb.generate(csv_path, args.n)
        risk, policy = work / "risk_overlay.toml", work / f"risk_policy_{args.rails}.toml"
        risk.write_text(config.dump_toml("overlay", hb.OVERLAY), encoding="utf-8")
        policy.write_text(config.dump_toml("policy", hb.POLICIES[args.rails]), encoding="utf-8")
        files = [str(csv_path), str(risk), str(policy)]
        if args.profile:
            print(_child(ROOT, files, "profile", False)[1])
            return 0
        unit = "instructions" if args.callgrind else "us CPU"
        here, state = cost(ROOT, files, args.n, args.callgrind)
        print(f"this tree ({ROOT.name}): {here:,.0f} {unit} per trade" if args.callgrind
              else f"this tree ({ROOT.name}): {here:.2f} {unit} per trade")
        print(f"  final balance, open positions: {state}")
        if args.split:
            flo, _ = cost(ROOT, files, args.n, args.callgrind, "float")
            print(f"this tree with the seed's float sizing: {flo:,.{0 if args.callgrind else 2}f} {unit} per trade; "
                  f"exact sizing adds {here - flo:,.{0 if args.callgrind else 2}f}")
        if args.base:
            base, base_state = cost(Path(args.base).resolve(), files, args.n, args.callgrind)
            print(f"base ({args.base}): {base:,.{0 if args.callgrind else 2}f} {unit} per trade")
            print(f"  final balance, open positions: {base_state}")
            print(f"ratio this / base: {here / base:.3f}")
            if args.split:
                print(f"ratio this with float sizing / base: {flo / base:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
