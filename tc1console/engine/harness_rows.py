"""The harness's output rows as the exact text `csv.writer(f, lineterminator="\\n")` writes for them.

csv.writer spends most of a backtest's output time on per-field type dispatch; an f-string per
row does the same work for a fraction of it. What csv.writer (the default QUOTE_MINIMAL dialect)
writes, and so what these functions write:
  - a float as repr(), None as an empty field, anything else (str, bool, int) as str();
  - a field holding a comma or a double quote between double quotes, each quote doubled;
  - text with a line break, a NUL or another control character: what csv.writer does with it
    depends on the character and on the Python version ("\\r" alone is left bare by 3.11), so it
    is left to csv.writer itself: `cell` answers None for any non-printable text, and the caller
    renders that row with `CsvLine`.
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


class Rows:
    """The harness's rows, reusing the text of a float it has just written when the same float
    comes again (repr is most of the cost of a row):
      - the budget of consecutive entries (it changes only when the balance does): reused when
        equal and > 0, since two equal positive floats are the same bits and so the same repr;
      - a close's qty, entry price and risk: equal to those of its own open row (and > 0), whose
        text was kept from then; and its balance, written again in equity_curve.csv.
    Every row is still exactly `open_line` / `close_line` / `point_line`'s text (the tests check).
    """

    def __init__(self, plain: bool) -> None:
        self.plain = plain
        self.csv_line = CsvLine()
        self.budget, self.budget_text = 0.0, "0.0"
        # key -> the taken entry's qty, entry price and risk, and their text for the close row
        self.kept: dict[int, tuple[float, float, float, str, str]] = {}

    def open(self, r: OpenResult, line: int, key: int | None = None) -> str:
        """An open_allocations.csv row. `key` (a taken entry): keep its text for `close(key)`."""
        if not self.plain:
            return open_line(r, line, False) or self.csv_line((*r, line))
        tid, sym, is_long, ts, entry, stop, qty, risk, notional, budget, reason, detail = r
        if reason is None:
            reason = ""
        elif detail:
            detail = cell(detail)
            if detail is None:
                return self.csv_line((*r, line))
        if budget == self.budget and budget > 0.0:
            budget_text = self.budget_text
        else:
            self.budget, self.budget_text = budget, budget_text = budget, repr(budget)
        if key is None:
            return (f"{tid},{sym},{is_long},{ts},{entry!r},{stop!r},{qty!r},{risk!r},{notional!r},"
                    f"{budget_text},{reason},{detail},{line}\n")
        qty_text, entry_text, risk_text = repr(qty), repr(entry), repr(risk)
        self.kept[key] = (qty, entry, risk, f"{qty_text},{entry_text},", risk_text)
        return (f"{tid},{sym},{is_long},{ts},{entry_text},{stop!r},{qty_text},{risk_text},"
                f"{notional!r},{budget_text},{reason},{detail},{line}\n")

    def close(self, c: CloseResult, key: int, ts_ms: int) -> tuple[str, str]:
        """The realized_pnl.csv row of `c` (the close of the entry opened under `key`) and the
        equity_curve.csv point (ts_ms, c.balance_after)."""
        kept = self.kept.pop(key, None)
        tid, sym, is_long, qty, entry, exit_, ets, xts, risk, gross, fees, pnl, r_mult, balance = c
        balance_text = repr(balance)
        # Equal positive floats have equal bits, so equal reprs (0.0 and -0.0 compare equal).
        if (kept is not None and kept[0] == qty and kept[1] == entry and kept[2] == risk
                and qty > 0.0 and entry > 0.0 and risk > 0.0):
            row = (f"{tid},{sym},{is_long},{kept[3]}{exit_!r},{ets},{xts},{kept[4]},{gross!r},"
                   f"{fees!r},{pnl!r},{r_mult!r},{balance_text}\n")
        else:
            row = close_line(c, self.plain) or self.csv_line(c)
        return row, f"{ts_ms},{balance_text}\n"


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
