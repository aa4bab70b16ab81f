"""The fast trades reader: the plain reader's table (reader.py), several times sooner.

The text is read in blocks, and a plain block (no quotes, no odd line breaks, the header's
field count on every line) is split on commas at once instead of row by row through csv.reader.
Each column of a chunk of rows is then converted with C-level `map` calls (a column of prices by
one orjson parse); a chunk with any problem goes row by row, through the plain reader's own
`RowReader`, so the careful checks cost nothing on clean input and every rule has one home.
An acceleration only: `read_trades(..., fast=False)` reads without it (and without orjson), and
tests/backtest/test_reader_fast.py holds the two to the same tables and errors.
"""

from __future__ import annotations

import csv
import io
import math
from collections import deque
from datetime import datetime
from itertools import chain, islice, repeat
from math import isnan
from operator import floordiv, le, length_hint, lt, sub
from struct import pack
from typing import Any, Callable, Sequence, TextIO

import orjson

from ..engine.core import MAX_PRICE, MAX_TS_MS
from .reader import (CHUNK_ROWS, NAIVE_EPOCH, ONE_MS, UTC_EPOCH, RowReader, Tick, line_numbers, parse_side,
                     parse_symbol, parse_time_ms)
from .trades import Trades

# `tick` (progress and cancel) runs between steps: a block of text, or CHUNK_ROWS rows of one
# that is not plain. A block is ~400 rows of usual size, at most ~4700 (one-character fields),
# and far below csv's default field size limit (see `_plain_fields`).
BLOCK_CHARS = 1 << 15
RECENT_CHUNKS = 4  # see _FastRowReader._ids
_fromisoformat = datetime.fromisoformat


def add_file_rows(f: TextIO, cols: dict[str, int], t: Trades, line: int, tick: Tick | None) -> None:
    """Add the rows of `f`, which is at a record boundary after `line` file lines, to `t`.

    Text is read in blocks that end with a line: a plain block (see `_plain_fields`) is split on
    commas, any other goes through csv.reader. Either way every row reaches the table exactly
    as one csv.reader over the whole file gives it, with the line it starts on.
    """
    rows_in = _FastRowReader(cols, t)
    width = rows_in.width
    while block := f.read(BLOCK_CHARS):
        if not block.endswith("\n"):
            block += f.readline()  # end the block with its last line; "" at the end of the file
        if tick is not None:
            tick(len(t))
        fields = _plain_fields(block, width)
        if fields is not None:
            n = len(fields) // (width + 1)
            rows_in.add_fields(fields, range(line + 1, line + n + 1))
            line += n
        else:
            line = _read_csv(block, f, line, rows_in, tick)


def _read_csv(block: str, f: TextIO, line: int, rows_in: "_FastRowReader", tick: Tick | None) -> int:
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
        rows_in.add(rows, line_numbers(rows, line + start, line + reader.line_num))
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


class _FastRowReader(RowReader):
    """RowReader with a columnar path: a whole chunk converted with C-level `map` calls, taken
    only if every row is clean; otherwise the chunk goes row by row (RowReader's own path, where
    each bad row's problem is named). Both use the same conversions, so they agree on every value.
    """

    def __init__(self, cols: dict[str, int], t: Trades) -> None:
        super().__init__(cols, t)
        # While only the recent trade_ids need keeping (see `_ids`): those of the last
        # RECENT_CHUNKS chunks, in `recent` and (all together) `window`, and the latest entry
        # time of the others. RowReader.all_ids builds the full set once a chunk needs it.
        self.recent: deque[tuple[int, set[str]]] = deque()  # (latest entry ms, its ids)
        self.window: set[str] = set()
        self.forgotten_ts: float = -math.inf

    def add(self, rows: list[list[str]], lines: "range | list[int]") -> None:
        """Rows from csv.reader, of any length ([] for a blank line)."""
        if set(map(len, rows)) != {self.width} or not self._columnar(list(zip(*rows)), lines):
            self._row_by_row(rows, lines)

    def add_fields(self, fields: list[str], lines: range) -> None:
        """Rows from `_plain_fields`: `width` fields and a "\\n" each."""
        width, step = self.width, self.width + 1
        if not self._columnar([fields[k::step] for k in range(width)], lines):
            self._row_by_row([fields[i:i + width] for i in range(0, len(fields), step)], lines)

    def _columnar(self, columns: list[Sequence[str]], lines: "range | list[int]") -> bool:
        syms = _lookup(self.symbols, columns[self.i_sym], parse_symbol)
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
        epoch = NAIVE_EPOCH if _fromisoformat(col[0]).tzinfo is None else UTC_EPOCH  # mixed: TypeError
        ms = list(map(floordiv, map(sub, map(_fromisoformat, col), repeat(epoch)), repeat(ONE_MS)))
    except (ValueError, TypeError):
        try:
            return list(map(parse_time_ms, col))  # which checks the range itself
        except ValueError:
            return None
    # Years 1-9999 and offsets under a day stay far above -MAX_TS_MS; past 9999 is the risk.
    return ms if max(ms) < MAX_TS_MS else None
