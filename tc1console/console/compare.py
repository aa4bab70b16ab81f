"""Two finished harness runs side by side: every summary figure, the differences, both equity curves.

Pure reads of the run folders (summary.json, equity_curve.csv), no Textual: the comparison screen
and the tests share them.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..backtest import EQUITY_CURVE
from . import format as fmt
from .runs import read_summary

CURVE_POINTS = 2_000  # per run: the chart has far fewer columns; each slice keeps its low and high
PATH_KEYS = ("trades_csv", "risk_config", "policy_config")


@dataclass(frozen=True, slots=True)
class RunSide:
    path: Path
    name: str
    summary: Mapping[str, Any]
    curve: tuple[tuple[int, float], ...]  # (ts_ms, balance), thinned to CURVE_POINTS


@dataclass(frozen=True, slots=True)
class CompareRow:
    key: str  # a summary key; a nested one is `parent.child` (skipped_by_reason.daily_loss_cap)
    a: str
    b: str
    delta: str  # b - a for numbers that differ, else ""
    differs: bool


def flatten(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every summary key, nested mappings as `parent.child`, in the summary's own order."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def value_text(key: str, value: Any) -> str:
    if value is None:
        return fmt.DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        shown = ", ".join(map(str, value[:3]))
        return f"{len(value):,}" + (f": {shown}" + (", ..." if len(value) > 3 else "") if value else "")
    if key in PATH_KEYS:
        return Path(str(value)).name  # the folders are in the legend; a differing one is still marked
    if key.endswith("_ts_ms") and isinstance(value, int):
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(value / 1000))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if key.endswith("_pct"):
            return fmt.pct(value)
        if key == "win_rate":
            return f"{value * 100:.1f}%"
        if key.endswith("_R"):
            return f"{value:+.3f}R"
        return fmt.money(value) if abs(value) >= 1 or value == 0 else f"{value:.4g}"
    return str(value)


def _delta(key: str, a: Any, b: Any) -> str:
    if not (_number(a) and _number(b)) or a == b or key.endswith("_ts_ms"):
        return ""
    d = b - a
    if isinstance(d, int):
        return f"{d:+,}"
    if key.endswith("_pct"):
        return fmt.pct(d, signed=True)
    if key == "win_rate":
        return f"{d * 100:+.1f}%"
    if key.endswith("_R"):
        return f"{d:+.3f}R"
    return fmt.signed_money(d) if abs(d) >= 0.005 else f"{d:+.3g}"


def compare_rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[CompareRow]:
    """One row per key of either summary (a's order, then keys only b has), differences marked."""
    fa, fb = flatten(a), flatten(b)
    keys = [*fa, *(k for k in fb if k not in fa)]
    rows = []
    for key in keys:
        va, vb = fa.get(key), fb.get(key)
        rows.append(CompareRow(key, value_text(key, va), value_text(key, vb), _delta(key, va, vb),
                               va != vb))
    return rows


def read_curve(path: Path, points: int = CURVE_POINTS) -> tuple[tuple[int, float], ...]:
    """equity_curve.csv as (ts_ms, balance), thinned to about `points`: each slice of the series keeps
    its lowest and highest point (in time order), so a drawdown never disappears from the chart."""
    ts: list[int] = []
    bal: list[float] = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            if len(row) >= 2:
                ts.append(int(row[0]))
                bal.append(float(row[1]))
    n = len(ts)
    if n <= points:
        return tuple(zip(ts, bal))
    slices = max(1, points // 2)
    out = []
    for k in range(slices):
        lo, hi = k * n // slices, (k + 1) * n // slices
        low = min(range(lo, hi), key=bal.__getitem__)
        high = max(range(lo, hi), key=bal.__getitem__)
        for i in sorted({low, high}):
            out.append((ts[i], bal[i]))
    if out[-1] != (ts[-1], bal[-1]):
        out.append((ts[-1], bal[-1]))  # the end is exact
    return tuple(out)


def load_side(folder: Path) -> RunSide:
    """A finished run. Raises OSError / ValueError when its files are missing or unreadable."""
    folder = Path(folder)
    summary = read_summary(folder)
    if summary is None:
        raise ValueError(f"{folder}: no readable summary.json (the run did not finish)")
    return RunSide(folder, folder.name, summary, read_curve(folder / EQUITY_CURVE))
