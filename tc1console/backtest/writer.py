"""The backtest's output files: written under temporary names, renamed into place when the run is done.

open_allocations.csv, realized_pnl.csv and equity_curve.csv, then summary.json last: a folder
holds a finished run exactly when it holds summary.json (docs/harness.md outputs). `RowWriter` is the
replay's sink that renders its batches (rows.py) into the three CSVs.
"""

from __future__ import annotations

import csv
import json
import os
from collections import deque
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Sequence

from ..engine.core import CloseResult, OpenResult
from ..engine.errors import InputError
from .replay import Batch
from .rows import make_rows
from .summary import Tally
from .trades import Trades

OPEN_ALLOCATIONS = "open_allocations.csv"
REALIZED_PNL = "realized_pnl.csv"
EQUITY_CURVE = "equity_curve.csv"
SUMMARY = "summary.json"
OPEN_COLUMNS = OpenResult._fields + ("line",)
CLOSE_COLUMNS = CloseResult._fields
EQUITY_COLUMNS = ("ts_ms", "balance")


class Outputs:
    """The four output files of one run in `out_dir`, under temporary names until `commit`."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir
        self.files: dict[str, Any] = {}
        self.inodes: dict[str, tuple[int, int]] = {}  # each partial file's, see `discard`
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            # A stale summary.json would claim the folder holds a finished run while this one runs.
            (out_dir / SUMMARY).unlink(missing_ok=True)
            for name, header in ((OPEN_ALLOCATIONS, OPEN_COLUMNS), (REALIZED_PNL, CLOSE_COLUMNS),
                                 (EQUITY_CURVE, EQUITY_COLUMNS)):
                # A new file, not a stale one truncated: a killed run's helper may still hold that.
                self._tmp(name).unlink(missing_ok=True)
                f = self.files[name] = open(self._tmp(name), "w", newline="", encoding="utf-8",
                                            buffering=1 << 20)
                self.inodes[name] = _inode(os.fstat(f.fileno()))
                csv.writer(f, lineterminator="\n").writerow(header)
        except OSError as exc:
            self.discard()
            raise InputError(f"{out_dir}: cannot write outputs ({exc.strerror or exc})") from None

    def _tmp(self, name: str) -> Path:
        return self.dir / f".{name}.partial"

    def lines(self, name: str) -> "_Lines":
        return _Lines(self.files[name], self.dir)

    def flush(self) -> None:
        """Write out what the files buffer (before a fork: else both processes would write it)."""
        for f in self.files.values():
            f.flush()

    def close_files(self) -> None:
        for f in self.files.values():
            f.close()

    def commit(self, summary: dict[str, Any]) -> None:
        """Close and rename the CSVs, then write summary.json last: it marks the run complete."""
        try:
            for name, f in self.files.items():
                f.close()
            for name in self.files:
                # An old run's file goes first: renamed over, ext4 (auto_da_alloc) would write the
                # new file out to disk before the rename returns (~0.1 s for a 1M-trade run). No
                # summary.json is here yet, so the folder claims no finished run meanwhile.
                (self.dir / name).unlink(missing_ok=True)
                os.replace(self._tmp(name), self.dir / name)
            tmp = self._tmp(SUMMARY)
            tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, self.dir / SUMMARY)
        except OSError as exc:
            self.discard()
            raise InputError(f"{self.dir}: cannot write outputs ({exc.strerror or exc})") from None

    def discard(self, *, summary: bool = True) -> None:
        """Close and delete the partial files (best effort: this runs while another error unwinds).

        A partial CSV goes only while it is still the file this run created: the forked writer
        also discards when its replay process is gone, and by then a new run into the folder may
        have made files of the same names. `summary=False` leaves the summary's, which only the
        replay process writes."""
        for name, f in self.files.items():
            try:
                f.close()  # flushes what it buffers first: on a full disk that fails again
            except OSError:
                pass
        for name in self.files:
            try:
                if _inode(self._tmp(name).stat()) == self.inodes.get(name):
                    self._tmp(name).unlink()
            except OSError:
                pass
        if summary:
            try:
                self._tmp(SUMMARY).unlink(missing_ok=True)
            except OSError:
                pass


def _inode(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


class _Lines:
    """Text lines gathered in a list and written to the file in one call per chunk of events."""

    def __init__(self, f: Any, where: Path) -> None:
        self.f, self.where = f, where
        self.buf: list[str] = []
        self.append, self.extend = self.buf.append, self.buf.extend

    def flush(self) -> None:
        if self.buf:
            try:
                self.f.write("".join(self.buf))
            except OSError as exc:  # a full disk, a size limit: one clear line, nothing kept
                raise InputError(f"{self.where}: cannot write outputs ({exc.strerror or exc})") from None
            self.buf.clear()


class RowWriter:
    """The replay's sink (replay.Sink) that renders its batches into the three CSVs.

    open_allocations.csv is in input order while events run in time order: a row that arrives
    early waits in `pending`, already rendered as its CSV line (half the memory of the tuple),
    until every earlier row is written. Memory follows the input's disorder, not its length.
    """

    def __init__(self, t: Trades, out: Outputs, balance: float) -> None:
        self.t = t
        self.tally = Tally(balance)
        self.outs = (out.lines(OPEN_ALLOCATIONS), out.lines(REALIZED_PNL), out.lines(EQUITY_CURVE))
        self.write_opens = self.outs[0].extend
        self.write_close, self.write_point = self.outs[1].append, self.outs[2].append
        self.rows = make_rows(t)
        self.pending: list[str | None] = [None] * (len(t) + 1)  # pending[n] stays None: a sentinel
        for i, r in t.invalid.items():
            self.pending[i] = self.rows.row((*r, t.lines[i]))
        self.cursor = 0
        self._advance()

    def start(self, ts_ms: int, balance: float) -> None:
        """The equity curve's first point: the first event's time, the initial balance."""
        self.write_point(self.rows.point(ts_ms, balance))

    def feed(self, b: Batch) -> None:
        t, pos = self.t, b.opos
        tids, syms, longs, ts, entry, stop, lines = _gather(
            pos, (t.trade_ids, t.symbols, t.is_long, t.entry_ts, t.entry_price, t.stop_price, t.lines))
        texts = self.rows.opens(tids, syms, longs, ts, entry, stop, b.ofl, b.oreason, b.odetail, lines)
        _consume(map(self.pending.__setitem__, pos, texts))  # pending[i] = text, in one C loop
        self._advance()

        rows, points = self.rows.closes(*_gather(b.cpos, (t.trade_ids, t.symbols, t.is_long, t.entry_price,
                                                          t.exit_price, t.entry_ts, t.exit_ts)), b.cfl)
        self.write_close("".join(rows))
        self.write_point("".join(points))
        self.tally.add_batch(b.cfl)
        for lines_out in self.outs:
            lines_out.flush()

    def _advance(self) -> None:
        """Write the rows from `cursor` on that are here, up to the first still to come."""
        pending, cursor = self.pending, self.cursor
        end = pending.index(None, cursor)  # C-level scans and copies, not a step per row
        if end > cursor:
            self.write_opens(pending[cursor:end])
            pending[cursor:end] = repeat(None, end - cursor)
            self.cursor = end

    def finish(self) -> Tally:
        """Write what is left; the tally of every close."""
        self._advance()
        for lines_out in self.outs:
            lines_out.flush()
        return self.tally

    def close(self) -> None:
        pass


_consume = deque(maxlen=0).extend  # runs an iterator to its end, keeping nothing


def _gather(positions: Sequence[int], columns: Sequence[Sequence]) -> list[list]:
    """The values at `positions` of each column, one C-level call per column."""
    if len(positions) > 1:
        get = itemgetter(*positions)
        return [list(get(column)) for column in columns]
    return [[column[i] for i in positions] for column in columns]
