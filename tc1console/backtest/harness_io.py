"""Read a backtest trades CSV into compact columns, following the input rules of ENGINE.md §5.

A row that cannot be used (a blank or unparsable field, an exit before its entry, a wrong field
count) becomes a ready-made `invalid_input` OpenResult whose detail names the field and the line
the row starts on; it never aborts the run. Only a file that cannot be read, is empty, lacks a
required column or that the csv module gives up on raises InputError.

Speed: the text is read in blocks, and a plain block (no quotes, no odd line breaks, the header's
field count on every line) is split on commas at once instead of row by row through csv.reader.
Each column of a chunk of rows is then converted with C-level `map` calls; a chunk with any
problem goes row by row instead, so the careful checks cost nothing on clean input. The rows
added so far can be sent to another process (`rows_message`, `add_rows`): the harness's forked
reader streams them to the replay that way.
Standard library and orjson (a column of prices parsed at once).
"""

from __future__ import annotations

import csv
import io
import marshal
import math
from array import array
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from itertools import chain, islice, repeat
from math import isnan
from operator import floordiv, le, length_hint, lt, sub
from pathlib import Path
from struct import pack
from typing import Any, BinaryIO, Callable, Sequence, TextIO

import orjson

from ..engine.core import INVALID_INPUT, MAX_PRICE, MAX_TS_MS, OpenResult
from ..engine.errors import InputError

REQUIRED = ("symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price")
TRADE_ID = "trade_id"
TIME_FIELDS = ("timestamp", "exit_time")
_WHAT = {"side": "long/short/buy/sell or 1/-1", "timestamp": "an ISO 8601 time or an epoch number",
         "exit_time": "an ISO 8601 time or an epoch number"}
MS_THRESHOLD = 100_000_000_000  # an epoch number >= 1e11 is milliseconds, below it seconds
# `tick` (progress and cancel) runs between steps: a block of text, or CHUNK_ROWS rows of one
# that is not plain. A block is ~400 rows of usual size, at most ~4700 (one-character fields),
# and far below csv's default field size limit (see `_plain_fields`).
BLOCK_CHARS = 1 << 15
CHUNK_ROWS = 512
RECENT_CHUNKS = 4  # see _RowReader._ids

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

    def replay_order(self, start: int = 0, end: int | None = None) -> "array | range":
        """The valid rows among start..end (all of them by default) by (entry time, input
        position): Python's sort is stable, so ties keep input order. While the table so far is
        in order, any stretch of it is too; else a stretch is checked before it is sorted."""
        end = len(self) if end is None else end
        bad = self.invalid
        valid = [i for i in range(start, end) if i not in bad] if bad else range(start, end)
        key = self.entry_ts.__getitem__
        if self.in_order or all(map(le, map(key, valid), map(key, valid[1:]))):
            return array("q", valid) if bad else valid
        return array("q", sorted(valid, key=key))


def read_trades(path: Path | str, tick: Callable[[int], None] | None = None, *,
                table: Trades | None = None) -> Trades:
    """Parse the trades CSV at `path`. `tick(rows_so_far)` runs every few hundred rows (it may raise).

    `table`: an empty table to fill (and return), so that `tick` can see the rows added so far
    (a row, once added, never changes: the harness's forked reader sends them on from there).
    Raises InputError when the file cannot be read, is empty, lacks a required column, or is
    broken beyond one row (the csv module gives up, e.g. a stray quote swallowing the file).
    """
    path = Path(path)
    trades = Trades(path) if table is None else table

    def read(f: TextIO) -> None:
        cols, line = _header(f, path)
        _read_blocks(f, _RowReader(cols, trades), line, tick)

    _with_trades_file(path, read)
    if not len(trades):
        raise InputError(f"{path}: has a header but no trade rows")
    return trades


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
    return _columns(header, path), header_reader.line_num


def _read_blocks(f: TextIO, rows_in: "_RowReader", line: int, tick: Callable[[int], None] | None) -> None:
    """Add the rows of `f`, which is at a record boundary after `line` file lines, to its end.

    Text is read in blocks that end with a line: a plain block (see `_plain_fields`) is split on
    commas, any other goes through csv.reader. Either way every row reaches the table exactly
    as one csv.reader over the whole file gives it, with the line it starts on.
    """
    width = rows_in.width
    while block := f.read(BLOCK_CHARS):
        if not block.endswith("\n"):
            block += f.readline()  # end the block with its last line; "" at the end of the file
        if tick is not None:
            tick(len(rows_in.t))
        fields = _plain_fields(block, width)
        if fields is not None:
            n = len(fields) // (width + 1)
            rows_in.add_fields(fields, range(line + 1, line + n + 1))
            line += n
        else:
            line = _read_csv(block, f, line, rows_in, tick)


def _read_csv(block: str, f: TextIO, line: int, rows_in: "_RowReader",
              tick: Callable[[int], None] | None) -> int:
    """Add a block that is not plain through csv.reader; returns the file lines read so far.

    The reader gets the block's lines as the file would give them, then the file's own lines
    while its last record goes on (a quoted line break): it never reads ahead of a record, so
    once the block's lines are used up the file is at a record boundary again.
    """
    pending = iter(io.StringIO(block, newline="").readlines())
    reader = csv.reader(chain(pending, iter(f.readline, "")))
    while length_hint(pending):
        start = reader.line_num
        rows = list(islice(reader, CHUNK_ROWS))
        if tick is not None:
            tick(len(rows_in.t))
        rows_in.add(rows, _line_numbers(rows, line + start, line + reader.line_num))
    return line + reader.line_num


def _plain_fields(block: str, width: int) -> list[str] | None:
    """The block's fields, `width` per line each followed by "\\n", if csv.reader would read every
    line of it as `line.split(",")`; else None.

    That holds when the block has no quote (the only special character of the default dialect
    left once line breaks are plain "\\n": no "\\r" and, to be safe, no NUL), no field over csv's
    field size limit (the reader would raise), and each line has `width` fields (so no blank
    line, which the reader gives as []: the header has at least the 7 required columns).
    Splitting the whole block at once, with each "\\n" made a field of its own, then costs a
    few C calls instead of one reader step per row.
    """
    if '"' in block or "\r" in block or "\0" in block or len(block) > csv.field_size_limit():
        return None  # (no field is longer than its block)
    if not block.endswith("\n"):
        block += "\n"  # the file's last line
    n = block.count("\n")
    fields = block.replace("\n", ",\n,").split(",")
    # Every "\n" field sits after `width` others exactly when each line has `width` fields.
    if len(fields) != n * (width + 1) + 1 or fields[width::width + 1].count("\n") != n:
        return None
    fields.pop()  # the "" after the last "\n"
    return fields


def _unreadable(path: Path) -> InputError:
    """The InputError for a file that is not UTF-8 or that the csv module gives up on, naming the
    line one csv.reader over the whole file stops at (its line_num), as the message always has.

    Blocks are decoded ahead of the rows they hold, so where reading stopped here says little:
    the file is read again that way to find the line (only ever on this error path).
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


# --- rows between processes --------------------------------------------------------------------

def rows_message(t: Trades, start: int, end: int) -> tuple:
    """Rows start..end of `t` as marshal-able data (see `add_rows`): lists, column bytes, bad rows."""
    bad = [(i, tuple(t.invalid[i])) for i in range(start, end) if i in t.invalid] if t.invalid else []
    return (start, t.has_trade_ids, t.trade_ids[start:end], t.symbols[start:end], t.is_long[start:end],
            *(column[start:end].tobytes() for column in _array_columns(t)), bad)


def add_rows(t: Trades, message: tuple) -> range:
    """Append the rows of a `rows_message` to `t` (which holds every row before them); their positions."""
    start, has_ids, ids, symbols, is_long, *arrays, bad = message
    if start != len(t):
        raise ValueError(f"rows from {start} cannot follow {len(t)} rows")
    t.has_trade_ids = has_ids
    t.trade_ids += ids
    t.symbols += symbols
    t.is_long += is_long
    for column, data in zip(_array_columns(t), arrays):
        column.frombytes(data)
    t.invalid.update((i, OpenResult(*r)) for i, r in bad)
    return range(start, len(t))


# Between the harness's processes an item is its size (ITEM_HEAD bytes, little-endian), then its
# marshal data: loaded from bytes, never read piece by piece from a pipe.
ITEM_HEAD = 8


def item_bytes(item: Any) -> bytes:
    """One item as it goes down a pipe to another process (see `receive_item`, `take_items`)."""
    data = marshal.dumps(item)
    return len(data).to_bytes(ITEM_HEAD, "little") + data


def send_item(out: BinaryIO, item: Any) -> None:
    """Write one item to a blocking stream."""
    out.write(item_bytes(item))


END = object()  # what `receive_item` gives when the stream ends between items


def receive_item(pipe: BinaryIO) -> Any:
    """The next item from a blocking stream; END at the end of the stream, EOFError inside an item."""
    head = pipe.read(ITEM_HEAD)
    if not head:
        return END
    size = int.from_bytes(head, "little")
    data = pipe.read(size)
    if len(head) != ITEM_HEAD or len(data) != size:
        raise EOFError("a forked helper's pipe ended inside an item")
    return marshal.loads(data)


def take_items(buffer: bytearray) -> list[Any]:
    """The whole items at the start of `buffer` (bytes read from a non-blocking pipe), removed
    from it; a part of an item stays for the bytes that follow."""
    items, at = [], 0
    with memoryview(buffer) as view:
        while len(buffer) - at >= ITEM_HEAD:
            size = int.from_bytes(view[at:at + ITEM_HEAD], "little")
            if len(buffer) - at - ITEM_HEAD < size:
                break
            items.append(marshal.loads(view[at + ITEM_HEAD:at + ITEM_HEAD + size]))
            at += ITEM_HEAD + size
    del buffer[:at]
    return items


def _array_columns(t: Trades) -> tuple[array, ...]:
    return t.entry_ts, t.entry_price, t.stop_price, t.exit_ts, t.exit_price, t.lines


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


def _line_numbers(rows: list[list[str]], before: int, after: int) -> "range | list[int]":
    """The file line each row starts on; `before`/`after` are the reader's line_num around the chunk."""
    if after - before == len(rows):  # one physical line per row, the usual case
        return range(before + 1, after + 1)
    lines, line = [], before + 1
    for row in rows:  # some quoted field spans lines: count its line breaks as the reader does
        lines.append(line)
        line += 1 + sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in row)
    return lines


class _BadRow(Exception):
    pass


class _RowReader:
    """Appends chunks of CSV rows to a Trades table.

    The columnar path converts a whole chunk with C-level `map` calls and takes it only if every
    row is clean; otherwise the chunk goes row by row, where `_check_row` names each bad row's
    problem. Both paths use the same conversions, so they agree on every value.
    """

    def __init__(self, cols: dict[str, int], t: Trades) -> None:
        self.cols, self.t = cols, t
        self.width = cols["_width"]
        self.i_sym, self.i_side, self.i_ts, self.i_ep, self.i_sp, self.i_xt, self.i_xp = (
            cols[c] for c in REQUIRED)
        self.i_id = cols.get(TRADE_ID)
        t.has_trade_ids = self.i_id is not None
        self.symbols: dict[str, str] = {}  # raw cell -> symbol
        self.sides: dict[str, bool] = {}  # raw cell -> is_long
        # The trade_ids so far, to make the defaults unique; None while only the recent ones
        # need keeping (see `_ids`): those of the last RECENT_CHUNKS chunks, in `recent` and
        # (all together) `window`, and the latest entry time of the others.
        self.seen: set[str] | None = None if self.i_id is None else set()
        self.recent: deque[tuple[int, set[str]]] = deque()  # (latest entry ms, its ids)
        self.window: set[str] = set()
        self.forgotten_ts: float = -math.inf
        self.suffix: dict[str, int] = {}
        self.last_ts: float = -math.inf

    def add(self, rows: list[list[str]], lines: "range | list[int]") -> None:
        """Rows from csv.reader, of any length ([] for a blank line)."""
        if set(map(len, rows)) != {self.width} or not self._columnar(list(zip(*rows)), lines):
            self._row_by_row(rows, lines)

    def add_fields(self, fields: list[str], lines: range) -> None:
        """Rows from `_plain_fields`: `width` fields and a "\\n" each."""
        width, step = self.width, self.width + 1
        if not self._columnar([fields[k::step] for k in range(width)], lines):
            self._row_by_row([fields[i:i + width] for i in range(0, len(fields), step)], lines)

    # --- the fast path ----------------------------------------------------------------------------

    def _columnar(self, columns: list[Sequence[str]], lines: "range | list[int]") -> bool:
        syms = _lookup(self.symbols, columns[self.i_sym], _symbol)
        longs = _lookup(self.sides, columns[self.i_side], parse_side)
        ets = _times(columns[self.i_ts])
        xts = _times(columns[self.i_xt])
        if syms is None or longs is None or ets is None or xts is None:
            return False
        try:
            eps = floats(columns[self.i_ep])
            sps = floats(columns[self.i_sp])
            xps = floats(columns[self.i_xp])
        except ValueError:
            return False
        # A NaN makes the sum NaN (and min/max blind to it); sum is the cheapest pass.
        if isnan(sum(xps)) or min(xps) <= 0 or max(xps) >= MAX_PRICE or any(map(lt, xts, ets)):
            return False
        ids = self._ids(columns[self.i_id] if self.i_id is not None else None, syms, ets)
        if ids is None:
            return False
        t = self.t
        if ets[0] < self.last_ts or not all(map(le, ets, islice(ets, 1, None))):
            t.in_order = False
        self.last_ts = ets[-1]
        t.trade_ids += ids
        t.symbols += syms
        t.is_long += longs
        # struct packs a whole column in one C loop; array.extend converts item by item.
        n = len(ids)
        t.entry_ts.frombytes(pack(f"{n}q", *ets))
        t.entry_price.frombytes(pack(f"{n}d", *eps))
        t.stop_price.frombytes(pack(f"{n}d", *sps))
        t.exit_ts.frombytes(pack(f"{n}q", *xts))
        t.exit_price.frombytes(pack(f"{n}d", *xps))
        t.lines.frombytes(pack(f"{n}q", *lines))
        return True

    def _ids(self, col: Sequence[str] | None, syms: list[str], ets: list[int]) -> list[str] | None:
        """The chunk's trade_ids, or None when some need the row-by-row rules (blank, repeated).

        While every id so far is a default one, `{symbol}_{entry ms}`, two are equal only for
        the same symbol and entry time (the text after the last "_" is the time). So if the
        chunk's entries are all later than those of rows before the last few chunks (true of a
        file in time order, give or take a few rows), only those chunks' ids can repeat: the set
        of all ids, a large share of the reading time and memory, is built only if that ends.
        """
        if col is not None:
            ids = list(map(str.strip, col))
            if not all(ids):
                return None
        else:
            ids = [f"{sym}_{ts}" for sym, ts in zip(syms, ets)]  # the default trade_id
        new = set(ids)
        if len(new) != len(ids):
            return None
        if self.seen is None and min(ets) > self.forgotten_ts:
            if not self.window.isdisjoint(new):
                return None
            self.window |= new
            self.recent.append((max(ets), new))
            if len(self.recent) > RECENT_CHUNKS:
                latest, old = self.recent.popleft()
                self.window -= old
                self.forgotten_ts = max(self.forgotten_ts, latest)
            return ids
        seen = self.all_ids()
        if not seen.isdisjoint(new):
            return None
        seen |= new
        return ids

    def all_ids(self) -> set[str]:
        """The trade_ids so far, kept from now on."""
        if self.seen is None:
            self.seen = set(self.t.trade_ids)  # no row went row by row yet: no "" of a bad row
        return self.seen

    # --- the careful path -------------------------------------------------------------------------

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
                sym = symbols.get(row[i_sym]) or _symbol(row[i_sym])
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


def _lookup(cache: dict[str, Any], col: Sequence[str], parse: Callable[[str], Any]) -> list | None:
    """Each raw cell through `parse`, once per distinct cell; None if one does not parse."""
    try:
        return list(map(cache.__getitem__, col))
    except KeyError:
        pass
    try:
        for raw in set(col).difference(cache):
            cache[raw] = parse(raw)
    except ValueError:
        return None
    return list(map(cache.__getitem__, col))


_NUMBER_TYPES = frozenset((float, int))


def floats(texts: Sequence[str]) -> list[float]:
    """float() of each text, or ValueError if one is not a number.

    A column of JSON numbers (what a price column usually is) is parsed by orjson in one call,
    about six times faster than float() a text at a time, and to the same floats: both round
    correctly. Anything else goes through float(): a text JSON has no number for (".5", "+5",
    "nan", "1e400", which orjson will not make inf) fails orjson's parse; one that parses to
    something else (a quoted "5", true, [1]) or to more values (a comma inside a quoted field)
    fails the checks below; and an int 0 could have been "-0", which float() makes -0.0.
    """
    try:
        values = orjson.loads("[" + ",".join(texts) + "]")
    except orjson.JSONDecodeError:
        return list(map(float, texts))
    if len(values) == len(texts):
        types = set(map(type, values))
        if types == {float}:
            return values
        if types <= _NUMBER_TYPES and 0 not in values:
            return list(map(float, values))  # float(int) rounds as float(text) does
    return list(map(float, texts))


def _times(col: Sequence[str]) -> list[int] | None:
    """A column of times as ms (the same values as parse_time_ms), or None if one does not parse."""
    try:
        if any(map(str.isdigit, col)):  # whole-number epochs (and ambiguous YYYYMMDD): as numbers
            raise ValueError
        epoch = _EPOCH if _fromisoformat(col[0]).tzinfo is None else _EPOCH_UTC  # mixed: TypeError
        ms = list(map(floordiv, map(sub, map(_fromisoformat, col), repeat(epoch)), repeat(_MS)))
    except (ValueError, TypeError):
        try:
            return list(map(parse_time_ms, col))  # which checks the range itself
        except ValueError:
            return None
    # Years 1-9999 and offsets under a day stay far above -MAX_TS_MS; past 9999 is the risk.
    return ms if max(ms) < MAX_TS_MS else None


def _symbol(text: str) -> str:
    symbol = text.strip()
    if not symbol:
        raise ValueError("blank symbol")
    return symbol


def _check_row(row: list[str], line: int, cols: dict[str, int]):
    """The row's parsed values, or the invalid_input OpenResult naming its first bad field."""
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
    if not 0 < xpx < MAX_PRICE:
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
