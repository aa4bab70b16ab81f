"""The harness's output rows as the exact text `csv.writer(f, lineterminator="\\n")` writes for them.

csv.writer spends most of a backtest's output time on per-field type dispatch; an f-string per
row does the same work for a fraction of it. What csv.writer (the default QUOTE_MINIMAL dialect)
writes, and so what these functions write:
  - a float as repr(), None as an empty field, anything else (str, bool, int) as str();
  - a field holding a comma or a double quote between double quotes, each quote doubled;
  - a field holding a line break: quoted too, but how ("\\r" alone is left bare by some Python
    versions and quoted by others) is left to csv.writer itself: `cell` answers None for any
    non-printable text, and the caller renders that row with `CsvLine`.
The rows come from the engine fed by the harness's typed columns: trade_id and symbol are str,
is_long bool, timestamps int, prices and amounts float. tests/harness/test_harness_rows.py checks
the bytes against csv.writer on those rows, odd strings included.
"""

from __future__ import annotations

import csv
import io

from .core import CloseResult, OpenResult


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


def open_line(r: OpenResult, line: int, plain: bool) -> str | None:
    """An open_allocations.csv row (OpenResult + line), or None: render it with CsvLine.

    `plain`: the trade_id and symbol are known to need no quoting (checked once per file).
    """
    tid, sym, is_long, ts, entry, stop, qty, risk, notional, budget, reason, detail = r
    if not plain:
        tid, sym = cell(tid), cell(sym)
        if tid is None or sym is None:
            return None
    if reason is None:
        reason = ""
    elif detail:
        detail = cell(detail)
        if detail is None:
            return None
    return (f"{tid},{sym},{is_long},{ts},{entry!r},{stop!r},{qty!r},{risk!r},{notional!r},"
            f"{budget!r},{reason},{detail},{line}\n")


def close_line(c: CloseResult, plain: bool) -> str | None:
    """A realized_pnl.csv row, or None: render it with CsvLine."""
    tid, sym, is_long, qty, entry, exit_, ets, xts, risk, gross, fees, pnl, r_mult, balance = c
    if not plain:
        tid, sym = cell(tid), cell(sym)
        if tid is None or sym is None:
            return None
    return (f"{tid},{sym},{is_long},{qty!r},{entry!r},{exit_!r},{ets},{xts},{risk!r},{gross!r},"
            f"{fees!r},{pnl!r},{r_mult!r},{balance!r}\n")


def point_line(ts_ms: int, balance: float) -> str:
    """An equity_curve.csv row."""
    return f"{ts_ms},{balance!r}\n"


class CsvLine:
    """Any row through csv.writer itself: the reference the functions above must match."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.writerow = csv.writer(self.buf, lineterminator="\n").writerow

    def __call__(self, row: tuple) -> str:
        self.writerow(row)
        text = self.buf.getvalue()
        self.buf.seek(0)
        self.buf.truncate()
        return text
