"""The fast renderer: the plain renderer's rows (rows.py, csv.writer itself), a batch at a time.

csv.writer spends most of a backtest's output time on per-field type dispatch; `FastRows` does the
same work a batch of rows at a time with C-level loops, for a fraction of it. What csv.writer (the
default QUOTE_MINIMAL dialect) writes, and so what it writes:
  - a float as repr() (made by `float_texts` and `number_groups`: orjson's C formatter, a
    quarter of repr's time), an int as str(),
    None as an empty field, anything else (str, bool) as str();
  - a field holding a comma or a double quote between double quotes, each quote doubled;
  - text with a line break, a NUL or another control character: what csv.writer does with it
    depends on the character and on the Python version ("\\r" alone is left bare by 3.11), so it
    is left to csv.writer itself: `cell` answers None for any non-printable text, and that row
    is rendered by the plain renderer.
The rows come from the engine fed by the typed Trades columns: trade_id and symbol are str,
is_long bool, timestamps int, prices and amounts float. An acceleration only: without orjson the
plain renderer writes the same bytes, and tests/backtest/test_rows_fast.py holds the two to them,
odd strings included.
"""

from __future__ import annotations

from itertools import repeat
from typing import Sequence

import orjson

from ..engine.core import SKIP_REASONS
from .rows import Rows


def cell(text: str) -> str | None:
    """`text` as csv.writer writes it as one field, or None when csv.writer should decide."""
    if not text.isprintable():  # line breaks, NUL, other controls: rare, left to csv.writer
        return None
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def all_plain(texts: list[str]) -> bool:
    """True when every text is written as is (no quoting, nothing non-printable)."""
    for start in range(0, len(texts), 1 << 16):  # joined a slice at a time: memory stays small
        joined = "".join(texts[start:start + (1 << 16)])
        if not joined.isprintable() or "," in joined or '"' in joined:
            return False
    return True


def float_texts(values: Sequence[float]) -> list[str]:
    """repr() of each float, the shortest text that reads back as it, at C speed. orjson writes
    the very same digits, and the same text wherever repr has no exponent; a text with an
    exponent (repr pads it to two digits, orjson does not), one below 1e-4 in size (0.0000...,
    where repr has an exponent) and NaN or infinity (null) are left to repr."""
    if not values:
        return []
    data = orjson.dumps(values if type(values) is list else list(values))
    text = data[1:-1].decode("ascii")
    texts = text.split(",")
    if b"e" in data or b"0.0000" in data or b"n" in data:
        for k in _marked(text, ","):
            t = texts[k]
            if "e" in t or t == "null" or t.startswith(("0.0000", "-0.0000")):
                texts[k] = repr(values[k])
    return texts


def number_groups(rows: list[tuple]) -> list[str]:
    """For each tuple of numbers (floats, and ints within 64 bits; no bools), its items' repr()
    joined by commas. orjson writes the lot at once and a row's numbers stay one string (where
    float_texts makes a string of each, to be joined again); a row holding a number orjson
    writes otherwise (see float_texts) is redone through float_texts."""
    if not rows:
        return []
    data = orjson.dumps(rows)
    text = data[2:-2].decode("ascii")
    groups = text.split("],[")
    if b"e" in data or b"0.0000" in data or b"n" in data:
        for k in _marked(text, "],["):
            groups[k] = ",".join(float_texts(rows[k]))
    return groups


def _marked(text: str, sep: str) -> list[int]:
    """The positions, among the `sep`-separated items of `text`, of those holding an "e", an "n"
    (null) or "0.0000": found with str.find, so a batch with a few such items (a tiny budget
    here and there) costs a few steps, not a Python step per item."""
    hits = []
    for needle in ("e", "n", "0.0000"):
        at = text.find(needle)
        while at >= 0:
            hits.append(at)
            at = text.find(needle, at + 1)
    hits.sort()
    marked, item, counted = [], 0, 0
    for at in hits:  # (an item found twice is only mended twice)
        item += text.count(sep, counted, at)
        counted = at
        marked.append(item)
    return marked


def _line_ends(numbers: Sequence[int]) -> list[str]:
    """f"{n}\n" for each whole number (within 64 bits), by a few C-level passes."""
    if not numbers:
        return []
    text = orjson.dumps(numbers if type(numbers) is list else list(numbers))[1:-1].decode("ascii")
    return (text + "\n").replace(",", "\n,").split(",")


# --- whole batches, as columns -------------------------------------------------------------------
# The same text as Rows, built by C-level loops (map, zip, str.join) over a batch of rows instead
# of a csv.writer call per row: a backtest spends most of its writing time here.

_REASON_TEXT: dict[str | None, str] = {None: "", **{r: r for r in SKIP_REASONS}}
_BOOL_TEXT = {True: "True", False: "False"}
_MISSING = object()
_LAST = "%s\n".__mod__
_CELL_CACHE = 4096  # distinct details remembered (skip details repeat; ones with amounts do not)


class Cells:
    """`cell` over a column of details, each distinct text worked out once (a bounded cache)."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {"": ""}

    def __call__(self, texts: list[str]) -> list[str | None]:
        cache = self.cache
        cells = list(map(cache.get, texts, repeat(_MISSING)))
        if _MISSING in cells:
            if len(cache) > _CELL_CACHE:
                cache.clear()
                cache[""] = ""
            for k, c in enumerate(cells):
                if c is _MISSING:
                    cells[k] = cache[texts[k]] = cell(texts[k])
        return cells


def _quoted(columns: list[Sequence[str]], cells: Cells) -> tuple[list[Sequence[str]], set[int]]:
    """Each column of text as csv.writer writes it, and the rows where some text must be left to
    csv.writer itself (their cells hold "" meanwhile)."""
    quoted, bad = [], set()
    for texts in columns:
        column = cells(texts)
        if None in column:
            bad.update(k for k, c in enumerate(column) if c is None)
            column = ["" if c is None else c for c in column]
        quoted.append(column)
    return quoted, bad


class FastRows(Rows):
    """Rows' text, a batch of rows at a time. `plain`: every trade_id and symbol is known to need
    no quoting (`all_plain`, checked once per table), so those columns are written as they are."""

    def __init__(self, plain: bool) -> None:
        super().__init__()
        self.plain = plain
        self.cells = Cells()

    def point(self, ts_ms: int, balance: float) -> str:
        return f"{ts_ms},{balance!r}\n"

    def opens(self, tids: Sequence[str], syms: Sequence[str], longs: Sequence[bool], ts: Sequence[int],
              entry: Sequence[float], stop: Sequence[float], amounts: Sequence[float],
              reasons: Sequence[str | None], details: Sequence[str], lines: Sequence[int]) -> list[str]:
        texts, bad = _quoted([details] if self.plain else [details, tids, syms], self.cells)
        detail, tid_cells, sym_cells = (*texts, tids, syms) if self.plain else texts
        four = iter(amounts)  # zip takes four in a row from it for each row
        numbers = number_groups(list(zip(ts, entry, stop, four, four, four, four)))
        rows = list(map(",".join, zip(
            tid_cells, sym_cells, map(_BOOL_TEXT.__getitem__, longs), numbers,
            map(_REASON_TEXT.__getitem__, reasons), detail, _line_ends(lines))))
        for k in bad:  # text csv.writer must decide on: the plain renderer's row
            rows[k] = self.row((tids[k], syms[k], longs[k], ts[k], entry[k], stop[k], *amounts[4 * k:4 * k + 4],
                                reasons[k], details[k], lines[k]))
        return rows

    def closes(self, tids: Sequence[str], syms: Sequence[str], longs: Sequence[bool], entry: Sequence[float],
               exit_: Sequence[float], entry_ts: Sequence[int], exit_ts: Sequence[int],
               results: Sequence[float]) -> tuple[list[str], list[str]]:
        (tid_cells, sym_cells), bad = ([tids, syms], ()) if self.plain else _quoted([tids, syms], self.cells)
        r = iter(results)  # zip takes its arguments in turn: qty, entry .. exit_ts, risk_amount, gross_pnl ..
        numbers = number_groups(list(zip(r, entry, exit_, entry_ts, exit_ts, r, r, r, r, r, r)))
        rows = list(map(",".join, zip(tid_cells, sym_cells, map(_BOOL_TEXT.__getitem__, longs),
                                      map(_LAST, numbers))))
        for k in bad:
            qty, risk, *rest = results[7 * k:7 * k + 7]
            rows[k] = self.row((tids[k], syms[k], longs[k], qty, entry[k], exit_[k], entry_ts[k], exit_ts[k],
                                risk, *rest))
        return rows, list(map(_LAST, number_groups(list(zip(exit_ts, results[6::7])))))
