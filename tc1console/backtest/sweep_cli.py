"""`tc1 sweep`: the sweep's flags, progress with an ETA on stderr, the best rows on stdout.

tc1console/cli.py owns the command; this module is what it calls (as backtest/cli.py is for the harness).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from .cli import one_line_errors
from .sweep import DEFAULT_OBJECTIVE, FIGURES, SCHEDULER_ENV, run_sweep

SHOWN = 5  # best rows printed at the end


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sweep's flags, on `tc1 sweep`'s parser."""
    def flag(name: str, **kw: Any) -> None:
        parser.add_argument(f"--{name}", f"--{name.replace('_', '-')}", dest=name, **kw)
    flag("trades_csv", required=True, metavar="FILE", help="trades CSV, as for `tc1 harness`")
    flag("risk_config", required=True, metavar="FILE", help="base overlay config (.toml or .json)")
    flag("policy_config", metavar="FILE", help="base policy config (default: no rails)")
    flag("grid", required=True, action="append", metavar="KEY=SPEC",
         help="a key to vary: KEY=a,b,c or KEY=start:stop:step (stop included); none unsets an optional "
              "key; KEY is any overlay or policy key, or symbol_overrides.SYMBOL.KEY; repeat for more keys")
    flag("random", type=int, metavar="N", help="run N configs drawn from the grid instead of all of them")
    flag("seed", type=int, default=0, metavar="S", help="seed for --random (default 0)")
    flag("out_dir", required=True, metavar="DIR", help="folder for sweep.csv, sweep.json, best_*.toml, curves/")
    flag("objective", default=DEFAULT_OBJECTIVE, choices=FIGURES, metavar="NAME",
         help=f"what ranks the rows (default {DEFAULT_OBJECTIVE}; one of {', '.join(FIGURES)})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help=f"run on a Dask distributed cluster (default: ${SCHEDULER_ENV} when set)")
    flag("keep_curves", type=int, default=0, metavar="K", help="keep the equity curves of the top K in curves/")


class _Progress:
    """One line redrawn with \\r on a terminal, else a line per tenth: configs done, rate, ETA."""

    WIDTH = 24

    def __init__(self, stream: Any) -> None:
        self.stream, self.tty = stream, stream.isatty()
        self.t0 = time.monotonic()
        self.tenth = 0

    def started(self, configs: int, trades: int, where: str) -> None:
        self.t0 = time.monotonic()
        self.stream.write(f"sweep: {configs:,} configs over {trades:,} trades on {where}\n")
        self.stream.flush()

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = _clock((total - done) / rate) if rate else "?"
        frac = done / total if total else 1.0
        text = f"{done:,}/{total:,} configs {frac:6.1%}  {rate:,.1f}/s  ETA {eta}"
        if self.tty:
            full = int(frac * self.WIDTH)
            self.stream.write(f"\rsweep [{'#' * full}{'.' * (self.WIDTH - full)}] {text}\x1b[K")
        elif frac * 10 >= self.tenth + 1:
            self.tenth = int(frac * 10)
            self.stream.write(f"sweep: {text}\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _num(x: Any) -> str:
    return "n/a" if x is None else f"{x:,.4g}" if isinstance(x, float) else f"{x:,}"


def format_best(result: dict[str, Any], out_dir: str | os.PathLike[str]) -> str:
    """The best rows as a small table, then where the outputs are."""
    keys = list(result["grid"])
    cols = ["rank", *keys, "return_pct", "max_drawdown_pct", "return_over_max_dd", "profit_factor", "trades_taken"]
    table = [cols] + [[_num(r["rank"]), *("unset" if r["values"][k] is None else str(r["values"][k]) for k in keys),
                       *(_num(r[c]) for c in cols[1 + len(keys):])] for r in result["rows"][:SHOWN]]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in table]
    return "\n".join([f"{result['configs']:,} configs, best by {result['objective']}:", *lines,
                      f"outputs: {out_dir}"])


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main_from_args(args: argparse.Namespace) -> int:
    """Run with parsed flags. Errors: one `tc1: error:` line, exit 2; Ctrl-C: exit 130, no outputs."""
    bar = _Progress(sys.stderr)
    signal.signal(signal.SIGTERM, _interrupt)  # a job killed by its scheduler stops its workers too
    return one_line_errors(
        bar, "sweep", "sweep interrupted; no outputs were written",
        lambda: run_sweep(args.trades_csv, args.risk_config, args.out_dir, args.grid, args.policy_config,
                          random_n=args.random, seed=args.seed, objective=args.objective,
                          workers=args.workers, scheduler=args.scheduler, keep_curves=args.keep_curves,
                          progress=bar, started=bar.started),
        lambda result: format_best(result, args.out_dir))
