"""Read a backtest trades CSV into a Trades table, following the input rules of docs/harness.md.

A row that cannot be used (a blank or unparsable field, an exit before its entry, a wrong field
count) becomes a ready-made `invalid_input` OpenResult whose detail names the field and the line
the row starts on; it never aborts the run. A row whose exit_time and exit_price are both blank is
a trade still open at the end of the data (exit_ts STILL_OPEN). Only a file that cannot be read,
is empty, lacks required columns or that the csv module gives up on raises InputError.

This module is the plain reader: one csv.reader over the file, each row checked on its own
(`RowReader`). fast_reader.py reads the same files into the same table several times faster
(blocks split on commas, a column of prices parsed by orjson at once); `read_trades` uses it
when orjson is installed. tests/backtest/test_reader_fast.py holds the two to the same tables and
errors.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Callable, TextIO

from ..engine.core import INVALID_INPUT, MAX_PRICE, OpenResult
from ..engine.errors import InputError
from ..engine.numbers import parse_time_ms
from .trades import STILL_OPEN, Trades

REQUIRED = ("symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price")
TRADE_ID = "trade_id"
ALIASES = {"stop_price": "sl_price"}  # the engine's and the outputs' name for the stop (docs/harness.md)
TIME_FIELDS = ("timestamp", "exit_time")
EXITS = {"exit_time": "exit_price", "exit_price": "exit_time"}  # both blank: a trade still open
_WHAT = {"side": "long/short/buy/sell or 1/-1", "timestamp": "an ISO 8601 time or an epoch number",
         "exit_time": "an ISO 8601 time or an epoch number"}
CHUNK_ROWS = 512  # rows between two calls of `tick` (progress and cancel)

Tick = Callable[[int], None]

_SIDES = {"long": True, "buy": True, "1": True, "+1": True, "short": False, "sell": False, "-1": False}
# The times' rules are the engine's (numbers.parse_time_ms, which `tc1 close --at` uses too); the
# fast reader converts a whole column of ISO times at once with the same epochs.
NAIVE_EPOCH = datetime(1970, 1, 1)
UTC_EPOCH = NAIVE_EPOCH.replace(tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)


# --- single values ------------------------------------------------------------------------------

def parse_side(text: str) -> bool:
    """True for a long (long/buy/1), False for a short (short/sell/-1), any case. Raises ValueError."""
    side = _SIDES.get(text.strip().lower())
    if side is None:
        raise ValueError(text)
    return side


def parse_symbol(text: str) -> str:
    symbol = text.strip()
    if not symbol:
        raise ValueError("blank symbol")
    return symbol


# --- the file -----------------------------------------------------------------------------------

def read_trades(path: Path | str, tick: Tick | None = None, *, table: Trades | None = None,
                fast: bool | None = None) -> Trades:
    """Parse the trades CSV at `path`. `tick(rows_so_far)` runs every few hundred rows (it may raise).

    `table`: an empty table to fill (and return), so that `tick` can see the rows added so far
    (a row, once added, never changes: the harness's forked reader sends them on from there).
    `fast`: the block reader of fast_reader.py (True), this module's csv.reader (False), or the
    block reader when orjson is installed (None); the table is the same either way.
    Raises InputError when the file cannot be read, is empty, lacks required columns, or is
    broken beyond one row (the csv module gives up, e.g. a stray quote swallowing the file).
    """
    path = Path(path)
    trades = Trades(path) if table is None else table
    add_rows = _row_source(fast)

    def read(f: TextIO) -> None:
        cols, line = _header(f, path)
        add_rows(f, cols, trades, line, tick)

    _with_trades_file(path, read)
    if not len(trades):
        raise InputError(f"{path}: has a header but no trade rows")
    return trades


def _row_source(fast: bool | None) -> Callable[[TextIO, dict[str, int], Trades, int, Tick | None], None]:
    if fast is not False:
        try:
            from .fast_reader import add_file_rows
        except ImportError as exc:  # orjson is not installed: the plain reader, the same table
            if fast or exc.name != "orjson":
                raise
        else:
            return add_file_rows
    return add_file_rows_plain


def add_file_rows_plain(f: TextIO, cols: dict[str, int], t: Trades, line: int, tick: Tick | None) -> None:
    """Add the rows of `f`, which is at a record boundary after `line` file lines, to `t`: one
    csv.reader, CHUNK_ROWS rows at a time, each row checked on its own."""
    rows_in = RowReader(cols, t)
    reader = csv.reader(f)
    while True:
        start = reader.line_num
        rows = list(islice(reader, CHUNK_ROWS))
        if not rows:
            return
        if tick is not None:
            tick(len(t))
        rows_in.add(rows, line_numbers(rows, line + start, line + reader.line_num))


def check_header(path: Path | str) -> None:
    """Raise the InputError `read_trades` would for a file that cannot be opened, is empty or
    lacks a required column (the rows are not read)."""
    path = Path(path)
    _with_trades_file(path, lambda f: _header(f, path))


def _with_trades_file(path: Path, use: Callable[[TextIO], Any]) -> None:
    """`use` the file opened as text, its failures (no file, not UTF-8, a CSV the csv module gives
    up on, a read error) turned into the one-line InputError that names them."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            use(f)
    except (UnicodeDecodeError, csv.Error):
        raise _unreadable(path) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read trades CSV ({exc.strerror or exc})") from None


def _header(f: TextIO, path: Path) -> tuple[dict[str, int], int]:
    """The columns of the header record at the start of `f`, and the file lines it took (the
    file is left at a record boundary: the header is read line by line)."""
    header_reader = csv.reader(iter(f.readline, ""))  # any CSV record, line by line
    header = next(header_reader, None)
    if header is None:
        raise InputError(f"{path}: file is empty; expected a header row with the columns "
                         f"{', '.join(REQUIRED)}")
    return header_columns(header, path), header_reader.line_num


def header_columns(header: list[str], path: Path) -> dict[str, int]:
    """Each column's position by name (names compared stripped and lowercased; a column under an
    ALIASES name also answers to the name it stands for); "_width" is the header's field count.
    Raises InputError for a repeated required column, or naming every required column missing."""
    names = [h.strip().lower() for h in header]
    cols: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in cols and name in REQUIRED + (TRADE_ID, *ALIASES):
            raise InputError(f"{path}: column {name!r} appears twice in the header")
        cols.setdefault(name, i)
    for alias, name in ALIASES.items():
        if alias in cols:
            if name in cols:
                raise InputError(f"{path}: columns {name!r} and {alias!r} both give the same value; keep one")
            cols[name] = cols[alias]
    missing = [name for name in REQUIRED if name not in cols]
    if missing:
        also = {name: alias for alias, name in ALIASES.items()}
        listed = ", ".join(repr(name) + (f" (or {also[name]!r})" if name in also else "") for name in missing)
        raise InputError(f"{path}: missing required column{'s' if len(missing) > 1 else ''} {listed}; "
                         f"the header has: {', '.join(h for h in names if h) or 'nothing'}")
    cols["_width"] = len(header)
    return cols


def _unreadable(path: Path) -> InputError:
    """The InputError for a file that is not UTF-8 or that the csv module gives up on, naming the
    line one csv.reader over the whole file stops at (its line_num), as the message always has.

    The fast reader decodes blocks ahead of the rows they hold, so where reading stopped there
    says little: the file is read again this way to find the line (only ever on this error path).
    """
    reader = csv.reader(())
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for _ in reader:
                pass
    except UnicodeDecodeError as exc:
        return InputError(f"{path}: not UTF-8 text near line {reader.line_num + 1} ({exc.reason})")
    except csv.Error as exc:
        return InputError(f"{path}: unreadable CSV near line {reader.line_num} ({exc})")
    except OSError as exc:
        return InputError(f"{path}: cannot read trades CSV ({exc.strerror or exc})")
    return InputError(f"{path}: unreadable CSV (it changed while it was read)")


def line_numbers(rows: list[list[str]], before: int, after: int) -> "range | list[int]":
    """The file line each row starts on; `before`/`after` are the reader's line_num around the chunk."""
    if after - before == len(rows):  # one physical line per row, the usual case
        return range(before + 1, after + 1)
    lines, line = [], before + 1
    for row in rows:  # some quoted field spans lines: count its line breaks as the reader does
        lines.append(line)
        line += 1 + sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in row)
    return lines


# --- rows ---------------------------------------------------------------------------------------

class _BadRow(Exception):
    pass


class RowReader:
    """Appends chunks of CSV rows to a Trades table, row by row: `_check_row` names each bad row's
    problem, and a missing trade_id is made up and made unique here (fast_reader extends this)."""

    def __init__(self, cols: dict[str, int], t: Trades) -> None:
        self.cols, self.t = cols, t
        self.width = cols["_width"]
        self.i_sym, self.i_side, self.i_ts, self.i_ep, self.i_sp, self.i_xt, self.i_xp = (
            cols[c] for c in REQUIRED)
        self.i_id = cols.get(TRADE_ID)
        t.has_trade_ids = self.i_id is not None
        self.symbols: dict[str, str] = {}  # raw cell -> symbol
        self.sides: dict[str, bool] = {}  # raw cell -> is_long
        # The trade_ids so far, to make the defaults unique; None until `all_ids` builds it
        # (the fast reader keeps only the recent ones while it can).
        self.seen: set[str] | None = None if self.i_id is None else set()
        self.suffix: dict[str, int] = {}
        self.last_ts: float = -math.inf

    def add(self, rows: list[list[str]], lines: "range | list[int]") -> None:
        """Rows from csv.reader, of any length ([] for a blank line)."""
        self._row_by_row(rows, lines)

    def all_ids(self) -> set[str]:
        """The trade_ids so far, kept from now on."""
        if self.seen is None:
            self.seen = set(self.t.trade_ids)  # no row went row by row yet: no "" of a bad row
        return self.seen

    def _row_by_row(self, rows: list[list[str]], lines: "range | list[int]") -> None:
        t, cols, width = self.t, self.cols, self.width
        i_sym, i_side, i_ts, i_ep = self.i_sym, self.i_side, self.i_ts, self.i_ep
        i_sp, i_xt, i_xp, i_id = self.i_sp, self.i_xt, self.i_xp, self.i_id
        symbols, sides, seen, suffix = self.symbols, self.sides, self.all_ids(), self.suffix
        for row, line in zip(rows, lines):
            if not row:
                continue  # a blank line is not a trade
            idx = len(t.lines)
            try:
                if len(row) != width:
                    raise _BadRow
                sym = symbols.get(row[i_sym]) or parse_symbol(row[i_sym])
                is_long = sides.get(row[i_side])
                if is_long is None:
                    is_long = parse_side(row[i_side])
                ts = parse_time_ms(row[i_ts])
                entry, stop = float(row[i_ep]), float(row[i_sp])
                xts = parse_time_ms(row[i_xt])
                xpx = float(row[i_xp])
                if xts < ts or not 0 < xpx < MAX_PRICE:
                    raise _BadRow
            except Exception:
                checked = _check_row(row, line, cols)
                if isinstance(checked, OpenResult):
                    t.invalid[idx] = checked
                    t.trade_ids.append(""), t.symbols.append(""), t.is_long.append(False)
                    t.entry_ts.append(0), t.entry_price.append(0.0), t.stop_price.append(0.0)
                    t.exit_ts.append(0), t.exit_price.append(0.0), t.lines.append(line)
                    continue
                sym, is_long, ts, entry, stop, xts, xpx = checked  # only stricter than the check
            tid = row[i_id].strip() if i_id is not None else ""
            if not tid:
                tid = f"{sym}_{ts}"
                if tid in seen:  # made unique in input order: X, X_2, X_3, ...
                    k = suffix.get(tid, 2)
                    while f"{tid}_{k}" in seen:
                        k += 1
                    suffix[tid] = k + 1
                    tid = f"{tid}_{k}"
            seen.add(tid)
            if ts < self.last_ts:
                t.in_order = False
            self.last_ts = ts
            t.trade_ids.append(tid), t.symbols.append(sym), t.is_long.append(is_long)
            t.entry_ts.append(ts), t.entry_price.append(entry), t.stop_price.append(stop)
            t.exit_ts.append(xts), t.exit_price.append(xpx), t.lines.append(line)


def _check_row(row: list[str], line: int, cols: dict[str, int]):
    """The row's parsed values, or the invalid_input OpenResult naming its first bad field (by the
    header's own name for it). Both exits blank: a trade still open (exit STILL_OPEN, NaN)."""
    width = cols["_width"]
    if len(row) != width:
        return _invalid(row, cols, f"line {line}: expected {width} fields, got {len(row)}")
    still_open = not row[cols["exit_time"]].strip() and not row[cols["exit_price"]].strip()
    values: list = []
    for name in REQUIRED:  # in column order, so the first problem is the one reported
        text = row[cols[name]]
        if still_open and name in EXITS:
            values.append(STILL_OPEN if name == "exit_time" else math.nan)
            continue
        label = _label(cols, name)
        if not text.strip():
            hint = f" (leave {_label(cols, EXITS[name])} blank too for a trade still open)" if name in EXITS else ""
            return _invalid(row, cols, f"line {line}: {label} is blank{hint}")
        try:
            if name == "symbol":
                values.append(parse_symbol(text))
            elif name == "side":
                values.append(parse_side(text))
            elif name in TIME_FIELDS:
                values.append(parse_time_ms(text.strip()))
            else:
                values.append(float(text))
        except (ValueError, OverflowError):
            return _invalid(row, cols, f"line {line}: {label} {text!r} is not {_WHAT.get(name, 'a number')}")
    if still_open:
        return tuple(values)
    ts, xts, xpx = values[2], values[5], values[6]
    if not 0 < xpx < MAX_PRICE:
        return _invalid(row, cols, f"line {line}: exit_price {row[cols['exit_price']]!r} must be a "
                                   f"finite number > 0")
    if xts < ts:
        return _invalid(row, cols, f"line {line}: exit_time {row[cols['exit_time']]!r} is before "
                                   f"timestamp {row[cols['timestamp']]!r}")
    return tuple(values)


def _label(cols: dict[str, int], name: str) -> str:
    """The header's name for a required column: an alias where the file used one."""
    return next((alias for alias, of in ALIASES.items() if of == name and alias in cols), name)


def _invalid(row: list[str], cols: dict[str, int], detail: str) -> OpenResult:
    """An invalid_input result that echoes the row's own text, since its values did not parse."""
    def text(name: str) -> str:
        i = cols.get(name)
        return row[i] if i is not None and i < len(row) else ""
    return OpenResult(text(TRADE_ID).strip(), text("symbol"), text("side"), text("timestamp"),
                      text("entry_price"), text("sl_price"), 0.0, 0.0, 0.0, 0.0, INVALID_INPUT, detail)
