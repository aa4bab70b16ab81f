"""Harness runs as the console keeps them: runtime/runs/<YYYYmmdd-HHMMSS>/, the last used trades CSV,
and a finished run read back (summary.json and equity_curve.csv) for the result view.

No Textual here: the launcher, the result screen and the tests share these functions. A folder
holds a finished run exactly when it holds summary.json (the harness writes it last).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..backtest import EQUITY_CURVE, SUMMARY
from ..engine.store import atomic_write
from . import format as fmt
from .live_input import LiveRun, load_live

RUNS_DIR = "runs"  # under runtime/
STATE_FILE = "console_state.json"  # under runtime/: what the console remembers between starts
RUNS_LISTED = 200  # newest run folders the launcher lists
CURVE_POINTS = 600  # equity points kept for the sparkline (it draws one bar per column anyway)


def runs_dir(root: Path) -> Path:
    return Path(root) / "runtime" / RUNS_DIR


def new_run_dir(root: Path, now_ms: int, under: str = RUNS_DIR) -> Path:
    """A folder name for a new run at clock reading `now_ms` (UTC): runtime/runs/20241119-143000/
    (`under` another folder of runtime/: runtime/sweeps/20241119-143000/ for a sweep)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now_ms / 1000))
    folder = Path(root) / "runtime" / under
    path, n = folder / stamp, 1
    while path.exists():  # two runs in one second
        n += 1
        path = folder / f"{stamp}-{n}"
    return path


def shown_path(path: Path | str, root: Path) -> str:
    """A path as the console shows it: relative to the root when inside it."""
    path = Path(path)
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def resolve(text: str, root: Path) -> Path:
    """What a person typed into a path field: relative to the root unless absolute; `~` expands."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else Path(root) / path


# --- what the console remembers ---------------------------------------------------------------------

def read_console_state(root: Path) -> dict[str, Any]:
    """runtime/console_state.json, or {} when it is missing or unreadable (it only holds defaults)."""
    try:
        doc = json.loads((Path(root) / "runtime" / STATE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def remember(root: Path, **values: Any) -> None:
    """Merge `values` into runtime/console_state.json, written atomically."""
    doc = {**read_console_state(root), **values}
    folder = Path(root) / "runtime"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / STATE_FILE, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())


# --- runs ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RunInfo:
    """One finished run, as the launcher lists it."""

    path: Path
    name: str
    summary: Mapping[str, Any]


def read_summary(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((Path(folder) / SUMMARY).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def list_runs(root: Path, limit: int = RUNS_LISTED) -> list[RunInfo]:
    """Finished runs under runtime/runs/, newest first (folder names are UTC timestamps)."""
    try:
        folders = sorted((p for p in runs_dir(root).iterdir() if p.is_dir()), key=lambda p: p.name,
                         reverse=True)
    except OSError:
        return []
    out = []
    for folder in folders:
        summary = read_summary(folder)
        if summary is not None:
            out.append(RunInfo(folder, folder.name, summary))
            if len(out) >= limit:
                break
    return out


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run for the result view: its summary and its equity curve (downsampled)."""

    path: Path
    summary: Mapping[str, Any]
    curve: tuple[float, ...]  # balance from the start through every close, at most CURVE_POINTS
    closes: int  # equity points after the start point (one per close)
    low: float | None
    high: float | None
    first_ts_ms: int | None
    last_ts_ms: int | None
    live: LiveRun | None = None  # a re-run of the live trades: the live balance to compare with


def read_equity(path: Path) -> tuple[list[float], int | None, int | None]:
    """equity_curve.csv (ts_ms,balance) as its balances, with the first and last time."""
    values: list[float] = []
    first = last = None
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader, None)  # header
        for row in reader:
            if len(row) < 2:
                continue
            values.append(float(row[1]))
            ts = int(row[0])
            first = ts if first is None else first
            last = ts
    return values, first, last


def curve_of(series: list[float], points: int = CURVE_POINTS) -> tuple[float, ...]:
    """`series` thinned to `points` values: the first (the start balance) kept, then the last value
    of each of `points - 1` slices of the rest (so the end is exact too)."""
    n = len(series)
    if n <= points:
        return tuple(series)
    rest, slices = n - 1, points - 1
    return (series[0], *(series[1 + min(rest - 1, ((i + 1) * rest) // slices - 1)] for i in range(slices)))


def load_run(folder: Path) -> RunResult:
    """Read a finished run. Raises OSError / ValueError when its files are missing or unreadable.

    equity_curve.csv holds the start point (first event, initial balance) then one point per close.
    """
    folder = Path(folder)
    summary = read_summary(folder)
    if summary is None:
        raise ValueError(f"{folder}: no readable {SUMMARY} (the run did not finish)")
    series, first, last = read_equity(folder / EQUITY_CURVE)
    if not series:  # an empty trades file: no start point either
        series = [float(summary.get("initial_balance") or 0.0)]
    return RunResult(folder, summary, curve_of(series), max(0, len(series) - 1), min(series), max(series),
                     first, last, load_live(folder))


# --- the summary as the result view shows it --------------------------------------------------------

def _n(value: Any, render=fmt.money) -> str:
    return fmt.DASH if value is None else render(value)


def skip_lines(summary: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(reason, count) for every skip reason that occurred, most frequent first."""
    skipped = summary.get("skipped_by_reason") or {}
    return sorted(((str(k), int(v)) for k, v in skipped.items() if v), key=lambda kv: (-kv[1], kv[0]))


def summary_rows(s: Mapping[str, Any]) -> list[tuple[str, str, float | None]]:
    """(label, value, sign for the tone) rows of the result view, in reading order."""
    win = s.get("win_rate")
    closed = s.get("trades_closed") or 0
    still = len(s.get("still_open") or ())
    return [
        ("Final balance", f"{_n(s.get('final_balance'))}  (from {_n(s.get('initial_balance'))})", None),
        ("Return", f"{_n(s.get('return_pct'), lambda v: fmt.pct(v, signed=True))}  "
                   f"({_n(s.get('total_pnl'), fmt.signed_money)})", s.get("total_pnl")),
        ("Trades", f"{s.get('trades_in', 0):,} in, {s.get('trades_taken', 0):,} taken, "
                   f"{s.get('trades_skipped', 0):,} skipped", None),
        ("Closed", f"{closed:,}" + (f"  ({still:,} still open at the end)" if still else ""), None),
        ("Win rate", (f"{win * 100:.1f}%  ({s.get('wins', 0):,} won, {s.get('losses', 0):,} lost)"
                      if win is not None else fmt.DASH), None),
        ("Avg R / total R", f"{_n(s.get('avg_R'), lambda v: f'{v:+.3f}R')} / "
                            f"{_n(s.get('total_R'), lambda v: f'{v:+.2f}R')}", s.get("total_R")),
        ("Profit factor", _n(s.get("profit_factor"), lambda v: f"{v:.3f}") if s.get("profit_factor") is not None
         else ("no losing trade" if closed else fmt.DASH), None),
        ("Max drawdown", f"{_n(s.get('max_drawdown'))}  ({_n(s.get('max_drawdown_pct'), fmt.pct)} of peak)",
         -1.0 if s.get("max_drawdown") else None),
        ("Fees", _n(s.get("total_fees")), None),
        ("Peak concurrency", f"{s.get('peak_concurrency', 0):,} open at once", None),
        ("Peak open risk", _n(s.get("peak_open_risk")), None),
    ]


def run_label(info_summary: Mapping[str, Any]) -> str:
    """`trades.csv` of a summary: the input's file name (its folder is in summary.json)."""
    return Path(str(info_summary.get("trades_csv") or "?")).name
