"""`tc1 harness`: the backtest's flags, a progress bar on stderr and the summary on one screen.

tc1console/cli.py owns the command (its parser, `--root`, the error prefix); this module is what
it calls, so the harness has one entry point.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from ..engine.errors import Tc1Error
from .runner import run_harness


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The harness's flags, on `tc1 harness`'s parser."""
    parser.add_argument("--trades_csv", "--trades-csv", dest="trades_csv", required=True, metavar="FILE",
                        help="trades CSV: symbol, side, timestamp, entry_price, sl_price (or stop_price), "
                             "exit_time, exit_price[, trade_id]; both exits blank: still open at the end")
    parser.add_argument("--risk_config", "--risk-config", dest="risk_config", required=True,
                        metavar="FILE", help="overlay config (.toml or .json)")
    parser.add_argument("--policy_config", "--policy-config", dest="policy_config", metavar="FILE",
                        help="policy config with the safety rails (.toml or .json); none: no rails")
    parser.add_argument("--out_dir", "--out-dir", dest="out_dir", required=True, metavar="DIR",
                        help="folder for the outputs (created if missing)")


class _Bar:
    """Progress on stderr: one line redrawn with \\r on a terminal, else a line per quarter."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quarter = 0

    def __call__(self, done: int, total: int) -> None:
        frac = done / total if total else 1.0
        if self.tty:
            full = int(frac * self.WIDTH)
            self.stream.write(f"\rharness [{'#' * full}{'.' * (self.WIDTH - full)}] {frac:6.1%}")
            self.stream.flush()
        elif frac * 4 >= self.quarter + 1:
            self.quarter = int(frac * 4)
            self.stream.write(f"harness: {self.quarter * 25}% done\n")
            self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (self.WIDTH + 20) + "\r")
            self.stream.flush()


def format_summary(s: dict[str, Any], out_dir: str | os.PathLike[str]) -> str:
    """The summary as aligned `key: value` lines that fit one screen."""
    def num(x: Any, fmt: str) -> str:
        return "n/a" if x is None else format(x, fmt)
    skips = ", ".join(f"{k} {v:,}" for k, v in s["skipped_by_reason"].items() if v) or "none"
    rows = [
        ("trades in", f"{s['trades_in']:,}"),
        ("taken", f"{s['trades_taken']:,}"),
        ("skipped", f"{s['trades_skipped']:,} ({skips})"),
        ("closed", f"{s['trades_closed']:,}" + (f", still open {len(s['still_open'])}"
                                                 if s["still_open"] else "")),
        ("initial balance", num(s["initial_balance"], ",.2f")),
        ("final balance", num(s["final_balance"], ",.2f")),
        ("return", num(s["return_pct"], ".2f") + " %"),
        ("max drawdown", f"{num(s['max_drawdown'], ',.2f')} ({num(s['max_drawdown_pct'], '.2f')} %)"),
        ("win rate", num(None if s["win_rate"] is None else s["win_rate"] * 100, ".1f") + " %"),
        ("avg R / total R", f"{num(s['avg_R'], '.3f')} / {num(s['total_R'], '.2f')}"),
        ("profit factor", num(s["profit_factor"], ".3f")),
        ("total fees", num(s["total_fees"], ",.2f")),
        ("peak concurrency", str(s["peak_concurrency"])),
        ("peak open risk", num(s["peak_open_risk"], ",.2f")),
        ("outputs", str(out_dir)),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}} : {v}" for k, v in rows)


def one_line_errors(bar: Any, what: str, interrupted: str, run: Callable[[], Any],
                    report: Callable[[Any], str]) -> int:
    """Run a long backtest command with its progress `bar`: print `report(result)` and return 0, or
    end the bar and print one `tc1: error:` line: exit 130 on Ctrl-C (`interrupted` says what was
    kept), 2 on a refusal or a bug (named as one, with `what` ran)."""
    try:
        result = run()
    except KeyboardInterrupt:
        bar.end()
        print(f"tc1: error: {interrupted}", file=sys.stderr)
        return 130
    except Tc1Error as exc:
        bar.end()
        print(f"tc1: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug (or a worker process killed): still one line, and a way to report it
        bar.end()
        print(f"tc1: error: internal error in the {what}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    bar.end()
    print(report(result))
    return 0


def main_from_args(args: argparse.Namespace) -> int:
    """Run with parsed flags; print the summary. Errors: one `tc1: error:` line, exit code 2."""
    bar = _Bar(sys.stderr)
    return one_line_errors(
        bar, "harness", "interrupted; no outputs were kept",
        lambda: run_harness(args.trades_csv, args.risk_config, args.out_dir, args.policy_config, progress=bar),
        lambda summary: format_summary(summary, args.out_dir))


# --- tc1 parity and tc1 journal export ---------------------------------------------------------------

def add_parity_arguments(parser: argparse.ArgumentParser) -> None:
    """`tc1 parity`'s flags: the journal check, or with --trades_csv the lineup of a backtest input."""
    parser.add_argument("--trades_csv", "--trades-csv", dest="trades_csv", metavar="FILE",
                        help="line up this backtest trades CSV with the live trades instead: trades on one "
                             "side only, price, time and fee differences, and the PnL gap by class")
    parser.add_argument("--risk_config", "--risk-config", dest="risk_config", metavar="FILE",
                        help="with --trades_csv: the overlay config the backtest ran with (default: the root's)")
    parser.add_argument("--policy_config", "--policy-config", dest="policy_config", metavar="FILE",
                        help="with --trades_csv: the policy config the backtest ran with (default: the root's)")
    parser.add_argument("--tolerance", type=float, default=60.0, metavar="SECONDS",
                        help="with --trades_csv, for trades not paired by trade_id: how far apart two entry times of "
                             "one symbol and side may be to be the same trade (default 60)")


def parity_main(args: argparse.Namespace) -> int:
    """`tc1 parity`: 0 when the replay agrees to the bit, 1 at a difference, 2 for bad input."""
    try:
        if args.trades_csv is None:
            from .parity import check_journal, format_report

            report = check_journal(args.root)
            print(format_report(report))
            return 0 if report.ok else 1
        from .lineup import format_lineup, line_up

        lineup = line_up(args.root, args.trades_csv, risk_config=args.risk_config,
                         policy_config=args.policy_config, tolerance_s=args.tolerance)
        print(format_lineup(lineup))
        return 0 if lineup.ok else 1
    except Tc1Error as exc:
        print(f"tc1: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """`tc1 journal export`'s flags."""
    parser.add_argument("--trades_csv", "--trades-csv", dest="trades_csv", required=True, metavar="FILE",
                        help="the CSV to write: the harness's columns plus trade_id")
    parser.add_argument("--from", dest="since", metavar="TIME",
                        help="only trades entered at or after TIME (ISO 8601, naive = UTC, or epoch)")
    parser.add_argument("--to", dest="until", metavar="TIME", help="only trades entered before TIME")


def export_main(args: argparse.Namespace) -> int:
    """`tc1 journal export`: the live trade set as a harness input."""
    from .export import export_trades, format_export

    try:
        done = export_trades(args.root, args.trades_csv, since=args.since, until=args.until)
    except Tc1Error as exc:
        print(f"tc1: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(format_export(done))
    return 0
