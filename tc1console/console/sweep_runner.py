"""A config sweep in a child process for the console: progress and the outcome as JSON lines on stdout.

    python -m tc1console.console.sweep_runner --trades-csv F --risk-config F [--policy-config F]
        --out-dir D --grid KEY=SPEC [--grid ...] [--workers N] [--keep-curves K]

The harness_runner's protocol (harness_job.HarnessJob reads it): `{"done": n, "total": m}` lines
while it runs, then one last line: `{"sweep": {"out_dir": D, "configs": n}}`, `{"error": "one
line"}` or `{"cancelled": "..."}`. The sweep is backtest/sweep.py's run_sweep with the base
configs' curve kept too (curves/base.csv, what the console draws a row against). SIGTERM (the
console's cancel key) interrupts it as Ctrl-C interrupts `tc1 sweep`: the workers stop and no
output file is written. Imports only the engine and the backtest (no Textual).
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from ..backtest.sweep import run_sweep
from ..engine.errors import Tc1Error
from .harness_runner import EXIT_CANCELLED, EXIT_ERROR, EXIT_OK, emit

RESULT_KEY = "sweep"


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tc1console.console.sweep_runner",
                                     description="Run a config sweep, reporting progress as JSON lines.")
    parser.add_argument("--trades-csv", required=True)
    parser.add_argument("--risk-config", required=True)
    parser.add_argument("--policy-config")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--grid", action="append", required=True)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--keep-curves", type=int, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)

    def progress(done: int, total: int) -> None:
        emit({"done": done, "total": total})

    try:
        result = run_sweep(args.trades_csv, args.risk_config, args.out_dir, args.grid, args.policy_config,
                           workers=args.workers, keep_curves=args.keep_curves, base_curve=True,
                           progress=progress)
    except KeyboardInterrupt:
        emit({"cancelled": "sweep cancelled; no outputs were written"})
        return EXIT_CANCELLED
    except Tc1Error as exc:
        emit({"error": " ".join(str(exc).split())})
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug (or a worker killed): still one line the console can show
        emit({"error": f"internal error in the sweep: {type(exc).__name__}: {exc}"})
        return EXIT_ERROR
    emit({RESULT_KEY: {"out_dir": args.out_dir, "configs": result["configs"]}})
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
