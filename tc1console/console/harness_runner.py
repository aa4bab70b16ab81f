"""The harness in a child process for the console: progress and the outcome as JSON lines on stdout.

    python -m tc1console.console.harness_runner --trades-csv F --risk-config F [--policy-config F] --out-dir D
    python -m tc1console.console.harness_runner --live-root R --live-days N --now-ms T --risk-config F ... --out-dir D

The second form re-runs the live trades of the last N days before T: it exports them from R's
journal into D/trades.csv first (live_input.prepare, the same export as `tc1 journal export`), and
removes that again when the run does not finish.

Prints `{"done": n, "total": m}` lines while it runs, then one last line: `{"summary": {...}}`,
`{"error": "one line"}` or `{"cancelled": "..."}`. SIGTERM (what the console's cancel key sends)
sets the harness's cancel event: it stops within a few thousand rows, deletes its partial files and
writes no summary.json. A CPU-heavy run in its own process leaves the console's GIL alone.
Imports only the engine and the backtest (no Textual): it starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..engine.errors import Tc1Error
from ..backtest import HarnessCancelled, run_harness
from . import live_input

EXIT_OK, EXIT_CANCELLED, EXIT_ERROR = 0, 1, 2


def emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tc1console.console.harness_runner",
                                     description="Run the harness, reporting progress as JSON lines.")
    parser.add_argument("--trades-csv")
    parser.add_argument("--live-root")
    parser.add_argument("--live-days", type=int)
    parser.add_argument("--now-ms", type=int)
    parser.add_argument("--risk-config", required=True)
    parser.add_argument("--policy-config")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args(argv)

    cancel = threading.Event()
    # The handler only sets the flag: the harness checks it between chunks and unwinds cleanly.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: cancel.set())
    signal.signal(signal.SIGINT, lambda _sig, _frame: cancel.set())

    def progress(done: int, total: int) -> None:
        emit({"done": done, "total": total})

    live = args.live_root is not None
    if not live and args.trades_csv is None:
        parser.error("--trades-csv or --live-root is required")
    out_dir = Path(args.out_dir)
    try:
        trades_csv = args.trades_csv
        if live:
            if args.live_days is None or args.now_ms is None:
                parser.error("--live-root needs --live-days and --now-ms")
            live_input.prepare(Path(args.live_root), out_dir, args.live_days, args.now_ms)
            trades_csv = out_dir / live_input.LIVE_TRADES
            if cancel.is_set():
                raise HarnessCancelled("harness run cancelled")
        summary = run_harness(trades_csv, args.risk_config, out_dir, args.policy_config,
                              progress=progress, cancel=cancel)
    except HarnessCancelled as exc:
        if live:
            live_input.discard(out_dir)
        emit({"cancelled": str(exc)})
        return EXIT_CANCELLED
    except Tc1Error as exc:
        if live:
            live_input.discard(out_dir)
        emit({"error": str(exc)})
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug: still one line the console can show
        if live:
            live_input.discard(out_dir)
        emit({"error": f"internal error in the harness: {type(exc).__name__}: {exc}"})
        return EXIT_ERROR
    emit({"summary": summary})
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
