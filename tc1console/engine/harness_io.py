"""Read a backtest trades CSV into compact columns, following the input rules of ENGINE.md §5.

A row that cannot be used (a blank or unparsable field, an exit before its entry, a wrong field
count) becomes a ready-made `invalid_input` OpenResult whose detail names the field and the CSV
line; it never aborts the run. Only a file that cannot be read at all, or lacks a required column,
raises InputError. Standard library only: this module sits in the headless engine.
"""

from __future__ import annotations

import csv
import math
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable

from .core import _MAX_PRICE, INVALID_INPUT, MAX_TS_MS, OpenResult
from .errors import InputError

REQUIRED = ("symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price")
TRADE_ID = "trade_id"
TIME_FIELDS = ("timestamp", "exit_time")
_WHAT = {"side": "long/short/buy/sell or 1/-1", "timestamp": "an ISO 8601 time or an epoch number",
         "exit_time": "an ISO 8601 time or an epoch number"}
MS_THRESHOLD = 100_000_000_000  # an epoch number >= 1e11 is milliseconds, below it seconds
TICK_ROWS = 8192  # rows between two calls of `tick` (progress and cancel checks)

_SIDES = {"long": True, "buy": True, "1": True, "+1": True, "short": False, "sell": False, "-1": False}
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_fromisoformat = datetime.fromisoformat


# --- single values ------------------------------------------------------------------------------

def parse_time_ms(text: str) -> int:
    """Integer ms epoch of an ISO 8601 time (naive = UTC) or an epoch number. Raises ValueError.

    Epoch numbers >= 1e11 are ms, smaller ones seconds; fractions are truncated to whole ms
    exactly (decimal, so 1700000000.123 gives ...123, not the float's ...122.99).
    """
    if text[4:5] == "-":  # YYYY-MM-..., the common shape: no number attempt first
        ms = _iso_ms(text)
    else:
        try:
            ms = _epoch_ms(text)
        except ValueError:
            ms = _iso_ms(text)
    if not -MAX_TS_MS < ms < MAX_TS_MS:  # past year 9999 the engine has no day to book it on
        raise ValueError(f"time out of range: {text!r}")
    return ms


def _iso_ms(text: str) -> int:
    dt = _fromisoformat(text)
    # Exact integer arithmetic on timedeltas (floor to the ms), never the float .timestamp().
    return (dt - _EPOCH) // _MS if dt.tzinfo is None else (dt - _EPOCH_UTC) // _MS


def _epoch_ms(text: str) -> int:
    if text.isdigit():
        ms = int(text)
        if ms < MS_THRESHOLD:
            ms *= 1000
    else:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {text!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a finite number: {text!r}")
        ms = math.floor(number if number >= MS_THRESHOLD else number * 1000)
    return ms


def parse_side(text: str) -> bool:
    """True for a long (long/buy/1), False for a short (short/sell/-1), any case. Raises ValueError."""
    side = _SIDES.get(text.strip().lower())
    if side is None:
        raise ValueError(text)
    return side


# --- the table ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Trades:
    """The rows of a trades CSV as parallel columns indexed by input position (0 = first data row).

    Rows listed in `invalid` hold placeholder values in the columns and never reach the engine.
    """

    path: Path
    trade_ids: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    is_long: list[bool] = field(default_factory=list)
    entry_ts: array = field(default_factory=lambda: array("q"))
    entry_price: array = field(default_factory=lambda: array("d"))
    stop_price: array = field(default_factory=lambda: array("d"))
    exit_ts: array = field(default_factory=lambda: array("q"))
    exit_price: array = field(default_factory=lambda: array("d"))
    lines: array = field(default_factory=lambda: array("q"))
    invalid: dict[int, OpenResult] = field(default_factory=dict)
    in_order: bool = True  # valid rows' entry times never decrease in input order
    has_trade_ids: bool = False

    def __len__(self) -> int:
        return len(self.lines)

    def replay_order(self) -> "array | range":
        """Valid rows by (entry time, input position): Python's sort is stable, so ties keep input order."""
        n = len(self)
        if self.in_order and not self.invalid:
            return range(n)
        bad = self.invalid
        valid = [i for i in range(n) if i not in bad] if bad else range(n)
        if self.in_order:
            return array("q", valid)
        return array("q", sorted(valid, key=self.entry_ts.__getitem__))


class _BadRow(Exception):
    pass


def read_trades(path: Path | str, tick: Callable[[int], None] | None = None) -> Trades:
    """Parse the trades CSV at `path`. `tick(rows_so_far)` runs every TICK_ROWS rows (it may raise)."""
    path = Path(path)
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read trades CSV ({exc.strerror or exc})") from None
    reader = csv.reader(f)
    try:
        with f:
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: file is empty; expected a header row with the columns "
                                 f"{', '.join(REQUIRED)}")
            trades = Trades(path)
            _read_rows(reader, _columns(header, path), trades, tick)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text near line {reader.line_num + 1} ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read trades CSV ({exc.strerror or exc})") from None
    if not len(trades):
        raise InputError(f"{path}: has a header but no trade rows")
    return trades


def _columns(header: list[str], path: Path) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    cols: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in cols and name in REQUIRED + (TRADE_ID,):
            raise InputError(f"{path}: column {name!r} appears twice in the header")
        cols.setdefault(name, i)
    for name in REQUIRED:
        if name not in cols:
            raise InputError(f"{path}: missing required column {name!r} (header has: "
                             f"{', '.join(h for h in names if h) or 'nothing'})")
    cols["_width"] = len(header)
    return cols


def _read_rows(reader, cols: dict[str, int], t: Trades, tick: Callable[[int], None] | None) -> None:
    # The hot loop: one try per row, cached symbol/side lookups, bound appends, typed arrays.
    # Any exception sends the row to `_check_row`, which is the one validator and names the problem.
    width = cols["_width"]
    i_sym, i_side, i_ts, i_ep, i_sp, i_xt, i_xp = (cols[c] for c in REQUIRED)
    i_id = cols.get(TRADE_ID)
    t.has_trade_ids = i_id is not None
    symbols: dict[str, str] = {}
    sides: dict[str, bool] = {}
    seen: set[str] = set()
    suffix: dict[str, int] = {}
    max_price = _MAX_PRICE  # the engine's own bound: an exit it would refuse is caught here
    to_ms = parse_time_ms
    add_id, add_sym, add_long = t.trade_ids.append, t.symbols.append, t.is_long.append
    add_ts, add_ep, add_sp = t.entry_ts.append, t.entry_price.append, t.stop_price.append
    add_xt, add_xp, add_line = t.exit_ts.append, t.exit_price.append, t.lines.append
    invalid = t.invalid
    last_ts = -math.inf
    in_order = True
    idx = 0
    last_error_line = -1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit: skip that row
            if reader.line_num == last_error_line:
                raise InputError(f"{t.path}: unreadable CSV at line {reader.line_num} ({exc})") from None
            last_error_line = reader.line_num
            row = exc
        line = reader.line_num
        if not row:
            continue  # a blank line is not a trade
        if tick is not None and not idx % TICK_ROWS:
            tick(idx)
        try:
            if len(row) != width:
                raise _BadRow
            sym = symbols.get(row[i_sym])
            if sym is None:
                sym = symbols[row[i_sym]] = _symbol(row[i_sym])
            is_long = sides.get(row[i_side])
            if is_long is None:
                is_long = sides[row[i_side]] = parse_side(row[i_side])
            ts = to_ms(row[i_ts])
            entry = float(row[i_ep])
            stop = float(row[i_sp])
            xts = to_ms(row[i_xt])
            xpx = float(row[i_xp])
            if xts < ts or not 0 < xpx < max_price:
                raise _BadRow
        except Exception:
            checked = _check_row(row, line, cols)
            if isinstance(checked, OpenResult):
                invalid[idx] = checked
                add_id(""), add_sym(""), add_long(False), add_ts(0), add_ep(0.0), add_sp(0.0)
                add_xt(0), add_xp(0.0), add_line(line)
                idx += 1
                continue
            sym, is_long, ts, entry, stop, xts, xpx = checked  # fast path was stricter: accept
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
        if ts < last_ts:
            in_order = False
        last_ts = ts
        add_id(tid), add_sym(sym), add_long(is_long), add_ts(ts), add_ep(entry), add_sp(stop)
        add_xt(xts), add_xp(xpx), add_line(line)
        idx += 1
    t.in_order = in_order


def _symbol(text: str) -> str:
    symbol = text.strip()
    if not symbol:
        raise ValueError("blank symbol")
    return symbol


def _check_row(row: list[str] | csv.Error, line: int, cols: dict[str, int]):
    """The row's parsed values, or the invalid_input OpenResult naming its first bad field."""
    if isinstance(row, csv.Error):
        return _invalid([], cols, f"line {line}: unreadable CSV row ({row})")
    width = cols["_width"]
    if len(row) != width:
        return _invalid(row, cols, f"line {line}: expected {width} fields, got {len(row)}")
    values: list = []
    for name in REQUIRED:  # in column order, so the first problem is the one reported
        text = row[cols[name]]
        if not text.strip():
            return _invalid(row, cols, f"line {line}: {name} is blank")
        try:
            if name == "symbol":
                values.append(_symbol(text))
            elif name == "side":
                values.append(parse_side(text))
            elif name in TIME_FIELDS:
                values.append(parse_time_ms(text.strip()))
            else:
                values.append(float(text))
        except (ValueError, OverflowError):
            return _invalid(row, cols, f"line {line}: {name} {text!r} is not {_WHAT.get(name, 'a number')}")
    ts, xts, xpx = values[2], values[5], values[6]
    if not 0 < xpx < _MAX_PRICE:
        return _invalid(row, cols, f"line {line}: exit_price {row[cols['exit_price']]!r} must be a "
                                   f"finite number > 0")
    if xts < ts:
        return _invalid(row, cols, f"line {line}: exit_time {row[cols['exit_time']]!r} is before "
                                   f"timestamp {row[cols['timestamp']]!r}")
    return tuple(values)


def _invalid(row: list[str], cols: dict[str, int], detail: str) -> OpenResult:
    """An invalid_input result that echoes the row's own text, since its values did not parse."""
    def text(name: str) -> str:
        i = cols.get(name)
        return row[i] if i is not None and i < len(row) else ""
    return OpenResult(text(TRADE_ID).strip(), text("symbol"), text("side"), text("timestamp"),
                      text("entry_price"), text("sl_price"), 0.0, 0.0, 0.0, 0.0, INVALID_INPUT, detail)
