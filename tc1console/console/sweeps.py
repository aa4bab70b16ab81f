"""Config sweeps as the console runs them: the grid built from the cap fields, the child's request, a
finished sweep read back, and a row applied as cap changes.

No Textual here: the sweep screens and the tests share these functions. The grid is parsed and every
combination validated by backtest/grid.py (the parser and loader `tc1 sweep` uses); the sweep itself
is backtest/sweep.py in a child process (sweep_runner, read by harness_job's HarnessJob); "apply"
saves through the cap editor's `caps.save_caps`. A sweep lives in runtime/sweeps/<YYYYmmdd-HHMMSS>/,
finished exactly when it holds sweep.json.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..backtest.grid import Grid, parse_axis
from ..backtest.reader import check_header
from ..backtest.sweep import BASE_CURVE, CURVES, FIGURES, LOWER_IS_BETTER, SWEEP_JSON, default_workers
from ..engine import config as cfg
from ..engine.errors import ConfigError, InputError
from .caps import CAP_KEYS, CapsForm, same_value, shown_value
from .compare import read_curve
from .harness_job import HarnessJob
from .runs import resolve, shown_path

SWEEPS_DIR = "sweeps"  # under runtime/
MAX_CONSOLE_GRID = 10_000  # configs the console runs and lists; more: `tc1 sweep --random N`
KEEP_CURVES = 20  # the top K rows keep their equity curve (a row below has none to draw)
TRADES_ID, WORKERS_ID = "s-trades", "s-workers"


def spec_id(key: str) -> str:
    """The form field of a cap key's spec."""
    return f"s-{key}"


# --- the form -----------------------------------------------------------------------------------------

def spec_problem(key: str, text: str) -> str | None:
    """None when `text` is empty (the base value) or a valid spec for `key`, else the reason (grid.py's)."""
    if not text.strip():
        return None
    try:
        parse_axis(f"{key}={text}")
    except ConfigError as exc:
        return str(exc).removeprefix("--grid ")
    return None


def parse_workers(text: str) -> int:
    """The workers field: empty = one per core. Raises ValueError saying what is wrong."""
    if not text.strip():
        return default_workers()
    try:
        n = int(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a whole number") from None
    if n < 1:
        raise ValueError("at least 1")
    return n


@dataclass(frozen=True, slots=True)
class GridCheck:
    """The form checked: what is wrong by field id (and `grid`, a combination the loader refuses),
    the KEY=SPEC texts, how many configs they make and each key's value count."""

    problems: dict[str, str]
    specs: tuple[str, ...]
    size: int
    counts: tuple[int, ...]

    @property
    def ready(self) -> bool:
        return not self.problems and self.size > 0

    def size_text(self) -> str:
        """`2 x 3 = 6 configs`, or what is missing."""
        if not self.counts:
            return "no key to vary yet: type values in a field (a,b,c or start:stop:step)"
        product = " x ".join(map(str, self.counts))
        return f"{product} = {self.size:,} config{'s' if self.size != 1 else ''}" if len(self.counts) > 1 \
            else f"{self.size:,} config{'s' if self.size != 1 else ''}"


def check_form(values: Mapping[str, str], root: Path, form: CapsForm) -> GridCheck:
    """Every field of the sweep form, and the grid they make over the root's two config files: each
    combination validated by the loader (grid.py), as `tc1 sweep` does before anything runs.

    Stats and reads the trades file's header: the screen calls it off the UI thread."""
    problems: dict[str, str] = {}
    trades = values.get(TRADES_ID, "").strip()
    if not trades:
        problems[TRADES_ID] = "a trades CSV is required"
    else:
        path = resolve(trades, root)
        if not path.is_file():
            problems[TRADES_ID] = f"{shown_path(path, root)}: {'not a file' if path.exists() else 'not found'}"
        else:
            try:
                check_header(path)
            except (InputError, OSError) as exc:
                problems[TRADES_ID] = str(exc).replace(f"{root}/", "")
    try:
        parse_workers(values.get(WORKERS_ID, ""))
    except ValueError as exc:
        problems[WORKERS_ID] = str(exc)
    axes, specs = [], []
    for _kind, key in CAP_KEYS:
        text = values.get(spec_id(key), "").strip()
        if not text:
            continue
        reason = spec_problem(key, text)
        if reason is not None:
            problems[spec_id(key)] = reason
            continue
        specs.append(f"{key}={text}")
        axes.append(parse_axis(specs[-1]))
    counts = tuple(len(a.values) for a in axes)
    size = 1
    for n in counts:
        size *= n
    size = size if axes else 0
    if axes and not any(spec_id(key) in problems for _kind, key in CAP_KEYS):
        if size > MAX_CONSOLE_GRID:
            problems["grid"] = (f"{size:,} configs; the console runs at most {MAX_CONSOLE_GRID:,} "
                                f"(narrow the grid, or draw some with `tc1 sweep --random N`)")
        else:
            try:
                files = form.files
                grid = Grid(axes, files["overlay"].raw, files["policy"].raw, files["overlay"].rel,
                            files["policy"].rel)
                grid.points()
            except ConfigError as exc:
                problems["grid"] = str(exc).replace(f"{root}/", "")
    return GridCheck(problems, tuple(specs), size, counts)


@dataclass(frozen=True, slots=True)
class SweepRequest:
    trades_csv: Path
    risk_config: Path
    policy_config: Path | None
    out_dir: Path
    grid: tuple[str, ...]
    workers: int
    keep_curves: int = KEEP_CURVES

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "tc1console.console.sweep_runner", "--trades-csv", str(self.trades_csv),
               "--risk-config", str(self.risk_config), "--out-dir", str(self.out_dir),
               "--workers", str(self.workers), "--keep-curves", str(self.keep_curves)]
        if self.policy_config is not None:
            cmd += ["--policy-config", str(self.policy_config)]
        for spec in self.grid:
            cmd += ["--grid", spec]
        return cmd


class SweepJob(HarnessJob):
    """A started sweep_runner: the harness job's start, progress lines, cancel and outcome."""

    RESULT_KEY = "sweep"
    WHAT = "sweep"


# --- a finished sweep -----------------------------------------------------------------------------------

Curve = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class SweepResult:
    path: Path
    doc: Mapping[str, Any]  # sweep.json as written
    keys: tuple[str, ...]  # the grid's keys, in the grid's order
    curves: dict[int, Curve]  # by rank: the rows whose curve was kept
    base: Curve | None  # the base configs' curve

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(self.doc["rows"])


def load_sweep(folder: Path) -> SweepResult:
    """A finished sweep: sweep.json and the curves it kept (thinned for the chart as compare.py does).
    Raises OSError / ValueError when it is missing or unreadable."""
    folder = Path(folder)
    doc = json.loads((folder / SWEEP_JSON).read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise ValueError(f"{folder / SWEEP_JSON}: not a sweep's results")
    curves: dict[int, Curve] = {}
    base = None
    folder_curves = folder / CURVES
    if folder_curves.is_dir():
        for path in folder_curves.glob("*.csv"):
            if path.stem == BASE_CURVE:
                base = read_curve(path)
            elif path.stem.startswith("rank_") and path.stem[5:].isdigit():
                curves[int(path.stem[5:])] = read_curve(path)
    return SweepResult(folder, doc, tuple(doc.get("grid", {})), curves, base)


# --- sorting the rows -----------------------------------------------------------------------------------

def descending_first(column: str) -> bool:
    """Does a sort by `column` start with the highest value (a figure where higher is better)?"""
    return column in FIGURES and column not in LOWER_IS_BETTER


def sort_rows(rows: list[dict[str, Any]], column: str, reverse: bool = False) -> list[dict[str, Any]]:
    """Rows by `column` (a figure, a grid key or rank), best first for a figure (lowest first for a
    drawdown or a skip count), lowest first for a key or the rank; `reverse` flips that. A null or an
    unset value goes last either way; ties keep the rank order."""
    descending = descending_first(column)

    def value(row: dict[str, Any]) -> Any:
        return row["values"].get(column) if column not in row else row[column]
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: r["rank"])
    known.sort(key=value, reverse=descending != reverse)
    return known + sorted(unknown, key=lambda r: r["rank"])


# --- applying a row -------------------------------------------------------------------------------------

def kind_of(key: str) -> str:
    return next(kind for kind, k in CAP_KEYS if k == key)


def apply_changes(form: CapsForm, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{kind: {key: new value}} for the row's values that differ from what the files hold now (None
    unsets a key), as the cap editor passes them to `save_caps`."""
    current = {cap.key: cap.current for cap in form.fields}
    out: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if not same_value(value, current.get(key)):
            out.setdefault(kind_of(key), {})[key] = value
    return out


def apply_lines(form: CapsForm, values: Mapping[str, Any], rank: int) -> list[tuple[str, str]]:
    """The confirmation's body: each key old -> new (or "unchanged"), under its file."""
    current = {cap.key: cap.current for cap in form.fields}
    out = [(f"Save the values of sweep row {rank} as the bot's caps:", "bold")]
    for kind in ("overlay", "policy"):
        keys = [k for k in values if kind_of(k) == kind]
        if not keys:
            continue
        out.append((f"{form.files[kind].rel} ({cfg.STEMS[kind]})", "muted"))
        for key in keys:
            old, new = current.get(key), values[key]
            same = same_value(old, new)
            out.append((f"  {key}  {shown_value(old)} -> {shown_value(new)}" + ("  (unchanged)" if same else ""),
                        "muted" if same else "warn"))
    out.append(("Validated and journaled as the cap editor saves; the bot uses it on its next call.", "muted"))
    return out
