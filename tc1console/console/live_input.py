"""The harness launcher's other input: the live trades of the last N days (`live:N` in its trades field).

A run of it is `tc1 journal export --from <now - N days>` into the run folder (trades.csv), then the
harness on that file with the chosen configs, as for any CSV. Next to the harness's outputs the
run folder keeps what the result view compares the re-run with: input.json (which input it was:
the window, the count, the live balances) and live_equity.csv (the live balance over the window,
ts_ms,balance like equity_curve.csv). No Textual here: the launcher's field check, the harness
child (harness_runner) and the result view share these functions.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..backtest import EQUITY_CURVE
from ..backtest.export import export_trades, in_window, live_equity, live_trades
from ..engine.errors import InputError
from ..engine.rails import MS_PER_DAY
from ..engine.store import atomic_write

PREFIX = "live:"  # what the trades field holds for this input: live:7
MAX_DAYS = 3650
INPUT_FILE = "input.json"  # which input a run had; absent: a trades CSV the operator picked
LIVE_TRADES = "trades.csv"  # the export, the harness's input
LIVE_EQUITY = "live_equity.csv"
WRITTEN = (LIVE_TRADES, LIVE_EQUITY, INPUT_FILE)  # what a live run adds to the harness's outputs


def live_days(text: str) -> int | None:
    """N of a trades field holding `live:N`, None for anything else (a path). Raises ValueError
    with the reason for a `live:` whose N is not a whole number of days in 1..MAX_DAYS."""
    text = text.strip()
    if not text.lower().startswith(PREFIX):
        return None
    n = text[len(PREFIX):].strip()
    if not n.isdigit() or not 1 <= int(n) <= MAX_DAYS:
        raise ValueError(f"live:{n or 'N'}: N is the number of days back, a whole number from 1 to {MAX_DAYS}")
    return int(n)


def since_ms(now_ms: int, days: int) -> int:
    return now_ms - days * MS_PER_DAY


def window_words(days: int) -> str:
    return f"live trades of the last {days} day{'s' if days != 1 else ''}"


def count_live(root: Path, days: int, now_ms: int) -> int:
    """How many trades an export of the last `days` days holds. Raises InputError (no journal...)."""
    rows, _left = in_window(live_trades(root), since_ms(now_ms, days), None)
    return len(rows)


def no_trades(days: int) -> str:
    return f"no {window_words(days)} in runtime/journal.jsonl: nothing to re-run (try a larger N)"


def prepare(root: Path, out_dir: Path, days: int, now_ms: int) -> dict[str, Any]:
    """Export the window into out_dir/trades.csv and write live_equity.csv and input.json beside it.
    Returns input.json's content. Raises InputError (nothing left behind) for a window without
    trades or a journal that cannot be read."""
    lo = since_ms(now_ms, days)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = export_trades(root, out_dir / LIVE_TRADES, since=str(lo))
        if done.rows == 0:
            raise InputError(no_trades(days))
        start, points = live_equity(root, lo)
        final = points[-1][1] if points else start
        first = min(_entry_times(out_dir / LIVE_TRADES), default=lo)
        with open(out_dir / LIVE_EQUITY, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("ts_ms", "balance"))
            if start is not None:
                w.writerow((min(first, points[0][0]) if points else first, repr(start)))
            w.writerows((ts, repr(b)) for ts, b in points)
        meta = {"input": "live", "days": days, "from_ms": lo, "now_ms": now_ms, "trades": done.rows,
                "closed": done.closed, "still_open": done.still_open, "skipped": done.skipped,
                "live_start_balance": start, "live_final_balance": final, "live_closes": len(points),
                "operator": done.operator}
        atomic_write(out_dir / INPUT_FILE, (json.dumps(meta, indent=2) + "\n").encode())
    except BaseException:
        discard(out_dir)
        raise
    return meta


def _entry_times(path: Path) -> list[int]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return [int(row["timestamp"]) for row in reader]


def discard(out_dir: Path) -> None:
    """Remove what `prepare` wrote (the run did not finish: the harness kept nothing either)."""
    for name in WRITTEN:
        try:
            os.unlink(out_dir / name)
        except OSError:
            pass


# --- a finished live run, read back for the result view --------------------------------------------

@dataclass(frozen=True, slots=True)
class LiveRun:
    """What a run of the live trades is compared with: the live balance over its window."""

    days: int
    from_ms: int
    trades: int
    start: float | None  # the live balance when the window opened
    final: float | None  # the live balance at its end
    closes: int  # closes and cash flows booked live in the window
    operator: Mapping[str, int]  # operator actions the journal holds (a re-run has no event for them)
    curve: tuple[tuple[int, float], ...]  # live: (ts_ms, balance)
    rerun: tuple[tuple[int, float], ...]  # the harness's equity_curve.csv: (ts_ms, balance)

    @property
    def words(self) -> str:
        return window_words(self.days)


def read_input(folder: Path) -> dict[str, Any] | None:
    """input.json of a run folder, None when absent (a run of a CSV) or unreadable."""
    try:
        doc = json.loads((Path(folder) / INPUT_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def load_live(folder: Path) -> LiveRun | None:
    """The live side of a finished run of live trades, None for a run of a CSV. Raises OSError /
    ValueError when its files are unreadable."""
    from .compare import read_curve  # compare reads runs, which reads this module

    meta = read_input(folder)
    if meta is None or meta.get("input") != "live":
        return None
    folder = Path(folder)
    operator = meta.get("operator")
    try:
        return LiveRun(int(meta["days"]), int(meta["from_ms"]), int(meta["trades"]),
                       _float(meta.get("live_start_balance")), _float(meta.get("live_final_balance")),
                       int(meta.get("live_closes") or 0),
                       {str(k): int(v) for k, v in operator.items()} if isinstance(operator, dict) else {},
                       read_curve(folder / LIVE_EQUITY), read_curve(folder / EQUITY_CURVE))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{folder / INPUT_FILE}: not what a live run writes (missing or bad {exc})") from None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
