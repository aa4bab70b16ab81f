"""The output files' rows as text: csv.writer(f, lineterminator="\\n") itself, one row at a time.

`Rows` is the plain renderer and the reference: fast_rows.py gives the very same text a batch at
a time, several times sooner (orjson writes the floats); `make_rows` picks it when orjson is
installed. tests/backtest/test_rows_fast.py holds the two to the same bytes.
Columns come as the replay's Batch carries them (see replay.Batch): floats four per entry
(qty, risk_amount, notional, budget) and seven per close (qty, risk_amount, gross_pnl, fees,
pnl_after_fees, R_multiple, balance_after); everything else as one sequence per column.
"""

from __future__ import annotations

import csv
import io
from typing import Sequence

from .trades import Trades


class Rows:
    """open_allocations.csv, realized_pnl.csv and equity_curve.csv rows through csv.writer."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.writerow = csv.writer(self.buf, lineterminator="\n").writerow

    def row(self, values: tuple) -> str:
        """Any row, as csv.writer writes it."""
        self.writerow(values)
        text = self.buf.getvalue()
        self.buf.seek(0)
        self.buf.truncate()
        return text

    def point(self, ts_ms: int, balance: float) -> str:
        """An equity_curve.csv row."""
        return self.row((ts_ms, balance))

    def opens(self, tids: Sequence[str], syms: Sequence[str], longs: Sequence[bool], ts: Sequence[int],
              entry: Sequence[float], stop: Sequence[float], amounts: Sequence[float],
              reasons: Sequence[str | None], details: Sequence[str], lines: Sequence[int]) -> list[str]:
        """open_allocations.csv rows (OpenResult + line), one per index of the columns; `amounts`
        holds four per row: qty, risk_amount, notional, budget."""
        row = self.row
        return [row((tids[k], syms[k], longs[k], ts[k], entry[k], stop[k], *amounts[4 * k:4 * k + 4],
                     reasons[k], details[k], lines[k])) for k in range(len(tids))]

    def closes(self, tids: Sequence[str], syms: Sequence[str], longs: Sequence[bool], entry: Sequence[float],
               exit_: Sequence[float], entry_ts: Sequence[int], exit_ts: Sequence[int],
               results: Sequence[float]) -> tuple[list[str], list[str]]:
        """realized_pnl.csv rows (CloseResult) and equity_curve.csv points (exit ts, balance_after),
        one per index of the columns; `results` holds seven per row: qty, risk_amount, gross_pnl,
        fees, pnl_after_fees, R_multiple, balance_after."""
        row, rows, points = self.row, [], []
        for k in range(len(tids)):
            qty, risk, *rest = results[7 * k:7 * k + 7]
            rows.append(row((tids[k], syms[k], longs[k], qty, entry[k], exit_[k], entry_ts[k], exit_ts[k],
                             risk, *rest)))
            points.append(self.point(exit_ts[k], rest[-1]))
        return rows, points


def make_rows(t: Trades, fast: bool | None = None) -> Rows:
    """The renderer for the results of `t`'s replay: fast_rows' (True), the plain one (False), or
    fast_rows' when orjson is installed (None). The text is the same either way."""
    if fast is not False:
        try:
            from .fast_rows import FastRows, all_plain
        except ImportError as exc:  # orjson is not installed: the plain renderer, the same text
            if fast or exc.name != "orjson":
                raise
        else:
            return FastRows(plain=all_plain(t.trade_ids) and all_plain(list(set(t.symbols))))
    return Rows()
