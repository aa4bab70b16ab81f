"""Backtest harness: a trades CSV replayed through RiskEngine.try_open / close (ENGINE.md §5).

    python -m tc1console.backtest.harness --trades_csv trades.csv --risk_config risk_overlay.toml \\
        [--policy_config risk_policy.toml] --out_dir out/

Each event is exactly the call the live API makes (`RiskEngine.try_open` for an entry,
`RiskEngine.close` for an exit), in event-time order, so a backtest and a live run of the same
events agree to the last bit. Writes open_allocations.csv, realized_pnl.csv, equity_curve.csv and,
last, summary.json: a folder holds a finished run exactly when it holds summary.json.
No textual, rich or watchfiles: it runs headless, beside the engine (orjson parses the prices and
writes the rows, see harness_io and harness_rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import marshal
import math
import os
import select
import signal
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from heapq import heappop, heappush
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

try:
    import fcntl
except ImportError:  # Windows: no fork either, so no forked reader (workers=1)
    fcntl = None  # type: ignore[assignment]

from ..engine import config
from ..engine.config import PolicyConfig
from ..engine.core import INVALID_INPUT, SKIP_REASONS, CloseResult, OpenResult, RiskEngine
from ..engine.errors import InputError, Tc1Error
from .harness_io import (END, Trades, add_rows, check_header, item_bytes, read_trades, receive_item,
                         rows_message, send_item, take_items)
from .harness_rows import Cells, CsvLine, all_plain, close_lines, open_lines, point_line

OPEN_ALLOCATIONS = "open_allocations.csv"
REALIZED_PNL = "realized_pnl.csv"
EQUITY_CURVE = "equity_curve.csv"
SUMMARY = "summary.json"
OPEN_COLUMNS = OpenResult._fields + ("line",)
CLOSE_COLUMNS = CloseResult._fields
EQUITY_COLUMNS = ("ts_ms", "balance")
CHUNK = 4096  # events between two progress / cancel checks (a few ms of work)
PROGRESS_CALLS = 100
PARALLEL_MIN_BYTES = 1 << 20  # ~12,000 rows: below this a forked reader and writer cost more than they save
STREAM_ROWS = 8192  # rows per message from the forked reader
STREAM_PIPE_BYTES = 1 << 20
TICK_SECONDS = 0.05  # how often progress and cancel are checked while waiting for the forked reader

Progress = Callable[[int, int], None]


class Cancel(Protocol):
    def is_set(self) -> bool: ...


class HarnessCancelled(Tc1Error):
    """The run was cancelled; its partial outputs were deleted and no summary.json was written."""


# --- progress and cancel ------------------------------------------------------------------------

class _Ticker:
    """Checks `cancel` on every tick and calls `progress` at most about PROGRESS_CALLS times.

    Work is counted in row-steps: each row is read once and replayed once, so total = 2 * rows
    (estimated from the file's lines while reading, see `_estimate_lines`; exact afterwards).
    """

    def __init__(self, progress: Progress | None, cancel: Cancel | None, total: int) -> None:
        self.progress, self.cancel = progress, cancel
        self.next_at = 0.0
        self.set_total(total)

    def set_total(self, total: int) -> None:
        self.total = max(total, 1)
        self.step = self.total / PROGRESS_CALLS

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise HarnessCancelled("harness run cancelled; no outputs were kept")

    def __call__(self, done: int) -> None:
        self.check_cancel()
        if self.progress is not None and done >= self.next_at:
            self.progress(min(done, self.total), self.total)
            self.next_at = done + self.step

    def finish(self, total: int) -> None:
        if self.progress is not None:
            self.progress(total, total)


SAMPLE_BLOCKS, SAMPLE_BYTES = 16, 1 << 16


def _estimate_lines(path: Path) -> int:
    """About as many lines as the file has, for progress while it is read: counted in a file
    of up to SAMPLE_BLOCKS * SAMPLE_BYTES * 4 bytes, else worked out from SAMPLE_BLOCKS blocks
    spread over it (counting a 1M-trade file took 70 ms, all of it before the run started)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size <= SAMPLE_BLOCKS * SAMPLE_BYTES * 4:
                return f.read().count(b"\n")
            sampled = lines = 0
            for k in range(SAMPLE_BLOCKS):
                f.seek((size - SAMPLE_BYTES) * k // (SAMPLE_BLOCKS - 1))
                block = f.read(SAMPLE_BYTES)
                sampled, lines = sampled + len(block), lines + block.count(b"\n")
            return size * lines // max(sampled, 1)
    except OSError:
        return 0  # read_trades reports it properly


# --- outputs ------------------------------------------------------------------------------------

class _Outputs:
    """The four output files, written under temporary names and renamed only when the run is done."""

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


# --- the replay ---------------------------------------------------------------------------------

class _Tally:
    """Running figures over the closes, in close order (the equity curve's order)."""

    __slots__ = ("closes", "wins", "losses", "gross_profit", "gross_loss", "total_R", "total_fees",
                 "peak", "max_dd", "max_dd_pct")

    def __init__(self, balance: float) -> None:
        self.closes = self.wins = self.losses = 0
        self.gross_profit = self.gross_loss = self.total_R = self.total_fees = 0.0
        self.peak, self.max_dd, self.max_dd_pct = balance, 0.0, 0.0

    def add_batch(self, floats: array) -> None:
        """Add a batch's closes: `floats` holds seven per close (see _Batch), fees at 3, then
        pnl_after_fees, R_multiple and balance_after."""
        for fees, pnl, r_mult, balance in zip(floats[3::7], floats[4::7], floats[5::7], floats[6::7]):
            self.closes += 1
            if pnl > 0:
                self.wins += 1
                self.gross_profit += pnl
            elif pnl < 0:
                self.losses += 1
                self.gross_loss -= pnl
            self.total_R += r_mult
            self.total_fees += fees
            if balance > self.peak:
                self.peak = balance
            else:
                dd = self.peak - balance
                if dd > self.max_dd:
                    self.max_dd = dd
                if dd / self.peak > self.max_dd_pct:
                    self.max_dd_pct = dd / self.peak

    def state(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    @classmethod
    def from_state(cls, state: tuple) -> "_Tally":
        tally = cls(0.0)
        for name, value in zip(cls.__slots__, state):
            setattr(tally, name, value)
        return tally


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


class _Batch:
    """A chunk of replay results as compact columns, in event order.

    Per entry: its input position, the four floats qty, risk_amount, notional, budget, and
    skipped_reason and detail. Per close: the input position of its entry and the seven floats
    qty, risk_amount, gross_pnl, fees, pnl_after_fees, R_multiple, balance_after. The rest is
    not carried: an entry's first six fields (trade_id .. stop_price) and a close's first three
    echo the engine's arguments, the input columns at that position, and so do a close's
    exit_price and exit_ts_ms, and its entry_price and entry_ts_ms, which are its position's:
    the one that row's own entry opened (a trade_id seen again while it is open is a retry or a
    duplicate, never a second position; see `_replay`).
    The columns travel to the forked reader, which renders them, as bytes and lists of strings
    (see `columns`).
    """

    __slots__ = ("opos", "ofl", "oreason", "odetail", "cpos", "cfl")

    def __init__(self) -> None:
        self.opos, self.cpos = array("q"), array("q")
        # Plain lists while the replay fills them: list.extend(r[6:10]) costs half of what
        # array.extend does for a tuple; `pack` makes the numbers bytes in one C call each.
        self.ofl: Sequence[float] = []
        self.oreason: list[str | None] = []
        self.odetail: list[str] = []
        self.cfl: Sequence[float] = []

    def clear(self) -> None:
        for name in self.__slots__:
            del getattr(self, name)[:]

    def columns(self) -> tuple:
        """The batch as bytes and lists of strings, for `send_item` (marshal, no pickling)."""
        return (self.opos.tobytes(), _bytes("d", self.ofl), self.oreason, self.odetail,
                self.cpos.tobytes(), _bytes("d", self.cfl))

    @classmethod
    def from_columns(cls, columns: tuple) -> "_Batch":
        opos, ofl, oreason, odetail, cpos, cfl = columns
        batch = cls()
        batch.opos.frombytes(opos)
        batch.cpos.frombytes(cpos)
        batch.ofl, batch.cfl = array("d", ofl), array("d", cfl)
        batch.oreason, batch.odetail = oreason, odetail
        return batch


def _bytes(typecode: str, values: Sequence) -> bytes:
    return struct.pack(f"{len(values)}{typecode}", *values)


class _RowSink:
    """Renders batches of results into the three CSVs.

    open_allocations.csv is in input order while events run in time order: a row that arrives
    early waits in `pending`, already rendered as its CSV line (half the memory of the tuple),
    until every earlier row is written. Memory follows the input's disorder, not its length.
    Rows are the text csv.writer would write (harness_rows), built a batch at a time as columns.
    """

    def __init__(self, t: Trades, out: _Outputs, balance: float) -> None:
        self.t = t
        self.tally = _Tally(balance)
        self.outs = (out.lines(OPEN_ALLOCATIONS), out.lines(REALIZED_PNL), out.lines(EQUITY_CURVE))
        self.write_opens = self.outs[0].extend
        self.write_close, self.write_point = self.outs[1].append, self.outs[2].append
        self.plain = all_plain(t.trade_ids) and all_plain(list(set(t.symbols)))
        self.cells, self.csv_line = Cells(), CsvLine()
        self.pending: list[str | None] = [None] * (len(t) + 1)  # pending[n] stays None: a sentinel
        for i, r in t.invalid.items():
            self.pending[i] = self.csv_line((*r, t.lines[i]))
        self.cursor = 0
        self._advance()

    def start(self, ts_ms: int, balance: float) -> None:
        """The equity curve's first point: the first event's time, the initial balance."""
        self.write_point(point_line(ts_ms, balance))

    def feed(self, b: _Batch) -> None:
        t, pos, csv_line = self.t, b.opos, self.csv_line
        tids, syms, longs, ts, entry, stop, lines = _gather(
            pos, (t.trade_ids, t.symbols, t.is_long, t.entry_ts, t.entry_price, t.stop_price, t.lines))
        texts = open_lines(tids, syms, longs, ts, entry, stop, b.ofl, b.oreason, b.odetail, lines,
                           plain=self.plain, cells=self.cells, csv_line=csv_line)
        _consume(map(self.pending.__setitem__, pos, texts))  # pending[i] = text, in one C loop
        self._advance()

        rows, points = close_lines(*_gather(b.cpos, (t.trade_ids, t.symbols, t.is_long, t.entry_price, t.exit_price,
                                                     t.entry_ts, t.exit_ts)),
                                   b.cfl, plain=self.plain, cells=self.cells, csv_line=csv_line)
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

    def finish(self) -> "_Tally":
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


class _Disorder(Exception):
    """The streamed rows broke the order the replay went ahead on (see `_ForkedReader.replay_order`)."""


class _ForkedReader:
    """A forked child that reads the trades CSV, streaming its rows here, then renders the results.

    On two cores the replay, the one part that must run in one process in event order, then
    starts on the first rows while the child reads the rest, and the child's rendering (float
    reprs, row text, writing) runs beside the rest of the replay. The child starts before any
    row is read (so the two processes share no table: no copy-on-write of it) and inherits
    only the open output files (flushed before the fork, and written only by the child after
    it). It keeps its own table for rendering; this process builds its copy from the stream.
    The parent renames the files only once the child has exited 0 and sent back its tally of
    the closes. Messages both ways are (kind, data) items of `send_item`.

    Results wait here until the child has read the whole file (it renders only then), and go
    to it without blocking the replay; see `replay_order` for the order the replay goes ahead in.
    """

    def __init__(self, path: Path, out: _Outputs, balance: float) -> None:
        out.flush()
        rows_r, rows_w = os.pipe()
        data_r, data_w = os.pipe()
        status_r, status_w = os.pipe()
        for fd in (rows_w, data_w):
            _widen(fd)
        pid = os.fork()
        if pid == 0:  # the child: read, render until the last result, report, leave without cleanup
            code = 1
            try:
                os.close(rows_r), os.close(data_w), os.close(status_r)
                tally = _read_and_render(path, out, balance, rows_w, data_r)
                if tally is not None:
                    os.write(status_w, b"ok" + marshal.dumps(tally.state()))  # a few bytes: one write
                code = 0
            except BaseException as exc:  # every failure reaches the parent as one line
                out.discard(summary=False)  # as the parent will: also here, in case it is gone
                try:
                    os.write(status_w, _child_error(exc).encode("utf-8", "replace"))
                except BaseException:
                    pass
            finally:
                os._exit(code)
        os.close(rows_w), os.close(data_r), os.close(status_w)
        os.set_blocking(rows_r, False)
        os.set_blocking(data_w, False)
        self.pid, self.rows, self.data, self.status, self.out = pid, rows_r, data_w, status_r, out
        self.inbox = bytearray()  # what the child sent, not yet taken in
        self.outbox: deque[memoryview] = deque()  # results not yet written to the child
        self.t = Trades(path)
        self.pending: list[int] = []  # valid rows received, by (entry time, position); from `head` on
        self.head = self.received = self.handed = 0  # ... not yet handed out; rows received; handed out
        self.frontier = self.last_ts = -math.inf  # the last message's earliest entry; the last handed out
        self.in_order, self.ended = True, False

    # --- rows in ------------------------------------------------------------------------------

    def replay_order(self, tick: "_Ticker") -> Iterator[Sequence[int]]:
        """The valid rows of `self.t` in replay order (entry time, then position), chunk by chunk, as
        the child's rows arrive and are appended to it.

        A row may be replayed only once no later row can come before it. The stream goes ahead
        on the rows' own order: a row whose entry is earlier than the earliest entry of the last
        message of rows received is handed out; the rest wait for the next message. So a file in
        time order (give or take a message, STREAM_ROWS rows) is replayed while it is read. If a
        later message then holds an entry earlier than one already handed out, the rest is only
        read, and _Disorder is raised at the end: the caller replays the whole table afresh (no
        result had reached the child yet: results wait until every row is here, see `_push`).
        """
        key = self.t.entry_ts.__getitem__
        while True:
            self._absorb(tick)
            pending, head = self.pending, self.head
            if self.in_order:
                cut = len(pending) if self.ended else bisect_left(pending, self.frontier, head, key=key)
                if cut > head:
                    end = min(head + CHUNK, cut)
                    chunk = pending[head:end]
                    self.head, self.last_ts = end, key(pending[end - 1])
                    self.handed += end - head
                    if end >= 1 << 16 and end * 2 > len(pending):  # drop the handed-out front
                        del pending[:end]
                        self.head = 0
                    yield chunk
                    continue
            if self.ended:
                if not self.in_order:
                    raise _Disorder()
                return
            tick(self.received + self.handed)
            select.select([self.rows], [], [], TICK_SECONDS)

    def _absorb(self, tick: "_Ticker") -> None:
        """Take in every whole message the child has sent so far (reading the pipe empty, so
        the child never waits long for room in it)."""
        if self.ended:
            return
        try:
            while data := os.read(self.rows, STREAM_PIPE_BYTES):
                self.inbox += data
            stream_over = True
        except BlockingIOError:
            stream_over = False
        for kind, data in take_items(self.inbox):
            if kind == _ROWS:
                self._add_rows(*data)
            elif kind == _ROWS_END:
                self.ended = True  # every row is here: results may go to the child (see `_push`)
                self.t.in_order = data
                tick.set_total(2 * len(self.t))
                if not self.in_order:
                    self.outbox.clear()  # never sent: the replay starts again (see replay_order)
                self._send_out(block=False)
            else:  # _ERROR: the child could not read the file
                raise InputError(data)
        if stream_over and not self.ended:
            self._stopped_early()  # the child ended without a word

    def _add_rows(self, message: tuple, order: bytes) -> None:
        """Append one message of rows to the table, and its valid rows (`order`: their positions
        in replay order: `Trades.replay_order` of the message's rows) to `pending`."""
        t = self.t
        add_rows(t, message)
        self.received = len(t)
        if not order or not self.in_order:
            return
        new = array("q", order).tolist()
        key = t.entry_ts.__getitem__
        earliest = key(new[0])
        if earliest < self.last_ts:  # it belongs before a row already handed out
            self.in_order = False
            return
        pending = self.pending
        # Only the waiting rows later than this message's earliest entry mix with it: re-sort
        # those with it (stable again), and append the rest as it is.
        cut = bisect_right(pending, earliest, self.head, key=key)
        if cut < len(pending):
            new = sorted(pending[cut:] + new, key=key)
            del pending[cut:]
        pending += new
        self.frontier = earliest

    # --- results out ---------------------------------------------------------------------------

    def start(self, ts_ms: int, balance: float) -> None:
        self._push((_START, (ts_ms, balance)))

    def feed(self, batch: _Batch) -> None:
        self._push((_BATCH, batch.columns()))

    def _push(self, item: tuple) -> None:
        self.outbox.append(memoryview(item_bytes(item)))
        if self.ended:  # the child renders only once it has read (and sent) every row
            self._send_out(block=False)

    def _send_out(self, block: bool) -> None:
        """Write the waiting results to the child: what the pipe takes now, or all of them."""
        outbox = self.outbox
        while outbox:
            try:
                n = os.write(self.data, outbox[0])
            except BlockingIOError:
                if not block:
                    return
                select.select([], [self.data], [])
                continue
            except BrokenPipeError:
                self._stopped_early()
            if n == len(outbox[0]):
                outbox.popleft()
            else:
                outbox[0] = outbox[0][n:]

    def finish(self) -> "_Tally":
        self._push((_DONE, None))  # the child keeps its outputs only once this arrives
        self._send_out(block=True)
        os.close(self.data)
        self.data = -1
        return self._wait()

    def _stopped_early(self) -> None:
        self._wait()  # the child stopped early: its own error says why
        raise InputError(f"{self.out.dir}: the forked reader and row writer stopped early")

    def _wait(self) -> "_Tally":
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        report = _read_all(self.status)
        os.close(self.status)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not report.startswith(b"ok"):
            raise InputError(report.decode("utf-8", "replace") or
                             f"{self.out.dir}: the forked reader and row writer failed (exit {code})")
        return _Tally.from_state(marshal.loads(report[2:]))

    def close(self) -> None:
        """Stop the child if it still runs (a cancel, or an error in the replay)."""
        for fd in (self.data, self.rows):
            if fd >= 0:
                os.close(fd)
        self.data = self.rows = -1
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
            os.close(self.status)


def _widen(fd: int) -> None:
    """Give a pipe 1 MB of buffer where the system allows (Linux): fewer stalls between processes."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, STREAM_PIPE_BYTES)
    except (AttributeError, OSError):
        pass


def _read_and_render(path: Path, out: _Outputs, balance: float, rows_fd: int, data_fd: int) -> "_Tally | None":
    """The child's side of `_ForkedReader`: stream the rows, then render the results (None, with
    an _ERROR message sent, if the file cannot be read)."""
    t = Trades(path)
    sent = 0
    with open(rows_fd, "wb") as pipe:
        def send_rows(count: int) -> None:
            nonlocal sent
            if count > sent:  # the order is worked out here, beside the replay
                order = array("q", t.replay_order(sent, count)).tobytes()
                send_item(pipe, (_ROWS, (rows_message(t, sent, count), order)))
                pipe.flush()
                sent = count

        def tick(count: int) -> None:
            if count - sent >= STREAM_ROWS:
                send_rows(count)

        try:
            read_trades(path, tick, table=t)
        except InputError as exc:
            send_item(pipe, (_ERROR, str(exc)))
            return None
        send_rows(len(t))
        send_item(pipe, (_ROWS_END, t.in_order))
    return _render_batches(data_fd, _RowSink(t, out, balance), out)


_START, _BATCH, _DONE, _ROWS, _ROWS_END, _ERROR = "start", "batch", "done", "rows", "rows_end", "error"


def _render_batches(fd: int, sink: _RowSink, out: _Outputs) -> "_Tally":
    """Render the results from `fd` until _DONE. The pipe ending before it means the replay
    process is gone (killed, say): an error, so the child removes the partial files itself."""
    with open(fd, "rb") as pipe:
        while (item := receive_item(pipe)) is not END:
            kind, data = item
            if kind == _DONE:
                break
            if kind == _START:
                sink.start(*data)
            else:
                sink.feed(_Batch.from_columns(data))
        else:
            raise InputError(f"{out.dir}: the replay process stopped before its last result")
    tally = sink.finish()
    out.close_files()
    return tally


def _child_error(exc: BaseException) -> str:
    if isinstance(exc, Tc1Error):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot write outputs ({exc.strerror or exc})"
    return f"internal error in the forked reader and row writer: {type(exc).__name__}: {exc}"


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks)


def default_workers(trades_csv: Path) -> int:
    """2 (a forked child reads and renders beside this process) for a trades file of
    PARALLEL_MIN_BYTES or more on a machine with two or more CPUs and os.fork, else 1."""
    try:
        size = trades_csv.stat().st_size
    except OSError:
        return 1  # read_trades reports it properly
    if not hasattr(os, "fork") or size < PARALLEL_MIN_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def _replay(engine: RiskEngine, t: Trades, sink: "_RowSink | _ForkedReader", tick: Callable[[int], None],
            order: Iterable[Sequence[int]]) -> dict[str, Any]:
    """Feed every event to the engine in ENGINE.md §5 order; hand the results to `sink`.

    `order`: the valid rows by (entry time, input position), in chunks. Before an entry at time
    T, every pending exit with exit time <= T is closed, by (exit time, input position): so exits
    come first at an equal timestamp, and an exit stamped at its own entry time closes right after
    that entry. Only a taken entry schedules its exit. Each event is the very call the live API
    makes: `engine.try_open(trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)` and
    `engine.close(trade_id, exit_ts_ms, exit_price)`. `tick(entries so far)` runs between chunks.
    """
    tids, syms, longs = t.trade_ids, t.symbols, t.is_long
    ets, eps, sps, xts, xps = t.entry_ts, t.entry_price, t.stop_price, t.exit_ts, t.exit_price
    try_open, close, positions = engine.try_open, engine.close, engine.positions
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    taken = retried = peak_open = done = 0
    peak_risk = 0.0
    first_ts = None
    heap: list[tuple[int, int]] = []  # (exit_ts_ms, input position) of each taken trade
    inf = float("inf")
    batch = _Batch()
    open_floats = batch.ofl.extend
    open_reason, open_detail = batch.oreason.append, batch.odetail.append
    close_pos, close_floats = batch.cpos.append, batch.cfl.extend

    def close_due(until: float) -> float:
        """Close every pending exit stamped <= until; return the next exit's time."""
        while heap and heap[0][0] <= until:
            x_ts, x = heappop(heap)
            c = close(tids[x], x_ts, xps[x])  # the live API's risk_close, exactly
            close_pos(x)
            close_floats(c[3:9:5])  # qty, risk_amount
            close_floats(c[9:])  # gross_pnl .. balance_after; the rest is row x's (see _Batch)
        return heap[0][0] if heap else inf

    next_exit = inf
    for chunk in order:
        tick(done)
        done += len(chunk)
        if first_ts is None:
            first_ts = ets[chunk[0]]
            sink.start(first_ts, engine.balance)
        check_retry = t.has_trade_ids  # only explicit trade_ids can repeat one that is open
        batch.opos.extend(chunk)
        for i in chunk:
            ts = ets[i]
            if next_exit <= ts:
                next_exit = close_due(ts)
            tid = tids[i]
            known = positions.get(tid) if check_retry else None
            r = try_open(tid, syms[i], longs[i], ts, eps[i], sps[i])  # the live API's risk_try_open
            reason = r[10]  # skipped_reason (an index: no attribute lookup on the hot path)
            if reason is not None:
                skipped[reason] += 1
            elif known is not None and known.alloc is r:
                retried += 1  # the same trade_id and arguments again: the engine's harmless retry
            else:
                taken += 1
                x_ts = xts[i]
                heappush(heap, (x_ts, i))
                if x_ts < next_exit:
                    next_exit = x_ts
                if len(positions) > peak_open:
                    peak_open = len(positions)
                if engine.total_open_risk > peak_risk:
                    peak_risk = engine.total_open_risk
            open_floats(r[6:10])
            open_reason(reason)
            open_detail(r[11])
        sink.feed(batch)
        batch.clear()
    close_due(inf)  # the exits still pending after the last entry, in time order
    sink.feed(batch)
    tally = sink.finish()
    skipped[INVALID_INPUT] += len(t.invalid)  # every unusable row is an invalid_input skip
    return {"tally": tally, "skipped": skipped, "taken": taken, "retried": retried,
            "peak_open": peak_open, "peak_risk": peak_risk, "first_ts": first_ts}


def _chunks(order: Sequence[int]) -> Iterator[Sequence[int]]:
    return (order[start:start + CHUNK] for start in range(0, len(order), CHUNK))


def _summary(engine: RiskEngine, t: Trades, r: dict[str, Any], paths: dict[str, str | None]) -> dict:
    """summary.json. Percentages are in percent (return_pct, max_drawdown_pct: of the running
    peak); win_rate is a fraction of closed trades with pnl_after_fees > 0; R figures and
    profit_factor (gross profit / gross loss, null with no loss) use pnl_after_fees; a figure
    with nothing to average is null. trades_in = taken + skipped + retried_opens."""
    tally: _Tally = r["tally"]
    initial, final = engine.start_balance, engine.balance
    closes = tally.closes
    return {
        **paths,
        "initial_balance": initial,
        "final_balance": final,
        "return_pct": (final - initial) / initial * 100,
        "total_pnl": final - initial,
        "trades_in": len(t),
        "trades_taken": r["taken"],
        "trades_skipped": sum(r["skipped"].values()),
        "retried_opens": r["retried"],
        "skipped_by_reason": r["skipped"],
        "trades_closed": closes,
        "wins": tally.wins,
        "losses": tally.losses,
        "win_rate": tally.wins / closes if closes else None,
        "avg_R": tally.total_R / closes if closes else None,
        "total_R": tally.total_R,
        "gross_profit": tally.gross_profit,
        "gross_loss": tally.gross_loss,
        "profit_factor": tally.gross_profit / tally.gross_loss if tally.gross_loss else None,
        "total_fees": tally.total_fees,
        "peak_balance": tally.peak,
        "max_drawdown": tally.max_dd,
        "max_drawdown_pct": tally.max_dd_pct * 100,
        "peak_concurrency": r["peak_open"],
        "peak_open_risk": r["peak_risk"],
        "first_ts_ms": r["first_ts"],
        "still_open": sorted(engine.positions),
    }


def run_harness(trades_csv: str | os.PathLike[str], risk_config: str | os.PathLike[str],
                out_dir: str | os.PathLike[str], policy_config: str | os.PathLike[str] | None = None,
                *, progress: Progress | None = None, cancel: Cancel | None = None,
                workers: int | None = None) -> dict[str, Any]:
    """Replay `trades_csv` through a fresh RiskEngine and write the four outputs into `out_dir`.

    Returns the summary (also written to summary.json). `progress(done, total)` is called at most
    about 100 times; `cancel.is_set()` is polled every few thousand rows and, once true, the run
    stops, deletes its partial files and raises HarnessCancelled. `workers`: 1 does all the work
    in this process; 2 forks a child that reads the file, streaming its rows to this process,
    which replays them as they come, and then renders the output rows (the same bytes, in less
    time on two cores; see _ForkedReader); None picks 2 for a file of PARALLEL_MIN_BYTES or more
    on a machine with two or more CPUs and `os.fork`.
    Raises ConfigError for a bad config and InputError for an unreadable or headerless CSV or an
    unwritable out_dir; a bad row is only an `invalid_input` skip.
    """
    if workers not in (None, 1, 2):
        raise ValueError(f"workers must be 1, 2 or None, not {workers!r}")
    trades_path, risk_path, out_path = Path(trades_csv), Path(risk_config), Path(out_dir)
    overlay = config.load_overlay(risk_path)
    policy = config.load_policy(Path(policy_config)) if policy_config is not None else PolicyConfig()
    tick = _Ticker(progress, cancel, 2 * _estimate_lines(trades_path) if progress else 0)
    if workers is None:
        workers = default_workers(trades_path)
    paths = {"trades_csv": str(trades_path.resolve()), "risk_config": str(risk_path.resolve()),
             "policy_config": str(Path(policy_config).resolve()) if policy_config is not None else None}
    engine = RiskEngine(overlay, policy)
    if workers == 1:
        trades = read_trades(trades_path, tick)
        tick.set_total(2 * len(trades))
    else:
        check_header(trades_path)  # a file that cannot be read fails before out_dir is touched
    out = _Outputs(out_path)
    sink: _RowSink | _ForkedReader | None = None
    try:
        if workers == 1:
            sink = _RowSink(trades, out, engine.balance)
            replayed = _replay(engine, trades, sink, lambda k: tick(len(trades) + k),
                               _chunks(trades.replay_order()))
        else:
            sink = reader = _ForkedReader(trades_path, out, engine.balance)
            trades = reader.t
            try:
                replayed = _replay(engine, trades, reader, lambda k: tick(reader.received + k),
                                   reader.replay_order(tick))
            except _Disorder:  # replay the whole table afresh, now that it is all here
                engine = RiskEngine(overlay, policy)
                replayed = _replay(engine, trades, reader, lambda k: tick(len(trades) + k),
                                   _chunks(trades.replay_order()))
        tick.check_cancel()  # a last check before anything is renamed into place
        summary = _summary(engine, trades, replayed, paths)
    except BaseException:
        if sink is not None:
            sink.close()
        out.discard()
        raise
    out.commit(summary)
    tick.finish(2 * len(trades))
    return summary


# --- command line -------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The harness's flags, shared by `python -m tc1console.backtest.harness` and `tc1 harness`."""
    parser.add_argument("--trades_csv", "--trades-csv", dest="trades_csv", required=True, metavar="FILE",
                        help="trades CSV: symbol, side, timestamp, entry_price, sl_price, exit_time, "
                             "exit_price[, trade_id]")
    parser.add_argument("--risk_config", "--risk-config", dest="risk_config", required=True,
                        metavar="FILE", help="overlay config (.toml or .json)")
    parser.add_argument("--policy_config", "--policy-config", dest="policy_config", metavar="FILE",
                        help="policy config with the safety rails (.toml or .json); none: no rails")
    parser.add_argument("--out_dir", "--out-dir", dest="out_dir", required=True, metavar="DIR",
                        help="folder for the outputs (created if missing)")


class _Bar:
    """Progress on stderr: one line redrawn with \\r on a terminal, else a line per quarter."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quarter = 0

    def __call__(self, done: int, total: int) -> None:
        frac = done / total if total else 1.0
        if self.tty:
            full = int(frac * self.WIDTH)
            self.stream.write(f"\rharness [{'#' * full}{'.' * (self.WIDTH - full)}] {frac:6.1%}")
            self.stream.flush()
        elif frac * 4 >= self.quarter + 1:
            self.quarter = int(frac * 4)
            self.stream.write(f"harness: {self.quarter * 25}% done\n")
            self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (self.WIDTH + 20) + "\r")
            self.stream.flush()


def format_summary(s: dict[str, Any], out_dir: str | os.PathLike[str]) -> str:
    """The summary as aligned `key: value` lines that fit one screen."""
    def num(x: Any, fmt: str) -> str:
        return "n/a" if x is None else format(x, fmt)
    skips = ", ".join(f"{k} {v:,}" for k, v in s["skipped_by_reason"].items() if v) or "none"
    rows = [
        ("trades in", f"{s['trades_in']:,}"),
        ("taken", f"{s['trades_taken']:,}"),
        ("skipped", f"{s['trades_skipped']:,} ({skips})"),
        ("closed", f"{s['trades_closed']:,}" + (f", still open {len(s['still_open'])}"
                                                 if s["still_open"] else "")),
        ("initial balance", num(s["initial_balance"], ",.2f")),
        ("final balance", num(s["final_balance"], ",.2f")),
        ("return", num(s["return_pct"], ".2f") + " %"),
        ("max drawdown", f"{num(s['max_drawdown'], ',.2f')} ({num(s['max_drawdown_pct'], '.2f')} %)"),
        ("win rate", num(None if s["win_rate"] is None else s["win_rate"] * 100, ".1f") + " %"),
        ("avg R / total R", f"{num(s['avg_R'], '.3f')} / {num(s['total_R'], '.2f')}"),
        ("profit factor", num(s["profit_factor"], ".3f")),
        ("total fees", num(s["total_fees"], ",.2f")),
        ("peak concurrency", str(s["peak_concurrency"])),
        ("peak open risk", num(s["peak_open_risk"], ",.2f")),
        ("outputs", str(out_dir)),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}} : {v}" for k, v in rows)


def main_from_args(args: argparse.Namespace) -> int:
    """Run with parsed flags; print the summary. Errors: one `tc1: error:` line, exit code 2."""
    bar = _Bar(sys.stderr)
    try:
        summary = run_harness(args.trades_csv, args.risk_config, args.out_dir, args.policy_config,
                              progress=bar)
    except KeyboardInterrupt:
        bar.end()
        print("tc1: error: interrupted; no outputs were kept", file=sys.stderr)
        return 130
    except Tc1Error as exc:
        bar.end()
        print(f"tc1: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, and a way to report it
        bar.end()
        print(f"tc1: error: internal error in the harness: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    bar.end()
    print(format_summary(summary, args.out_dir))
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, the project's prefix, exit 2
        self.exit(2, f"tc1: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m tc1console.backtest.harness",
                     description="Replay a trades CSV through the risk engine (ENGINE.md §5).")
    add_arguments(parser)
    return main_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
