"""A second core for a backtest: a forked child reads the trades CSV, streams its rows, then renders.

The replay, the one part that must run in one process in event order, starts on the first rows
while the child reads the rest, and the child's rendering (float reprs, row text, writing) runs
beside the rest of the replay. Only a way to spend a second core: the files are byte-identical to
one process's (tests/backtest/test_harness_workers.py). POSIX only (os.fork); runner.py decides
when it pays.
"""

from __future__ import annotations

import marshal
import math
import os
import select
import signal
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from pathlib import Path
from typing import Iterator, Sequence

try:
    import fcntl
except ImportError:  # Windows: no fork either, so never used
    fcntl = None  # type: ignore[assignment]

from ..engine.errors import InputError, Tc1Error
from .pipes import (BATCH, DONE, END, ERROR, ROWS, ROWS_END, START, add_rows, batch_from_message,
                    batch_message, item_bytes, receive_item, rows_message, send_item, take_items)
from .progress import Ticker
from .reader import read_trades
from .replay import CHUNK, Batch
from .summary import Tally
from .trades import Trades
from .writer import Outputs, RowWriter

STREAM_ROWS = 8192  # rows per message from the forked reader
STREAM_PIPE_BYTES = 1 << 20
TICK_SECONDS = 0.05  # how often progress and cancel are checked while waiting for the forked reader


class Disorder(Exception):
    """The streamed rows broke the order the replay went ahead on (see `ForkedReader.replay_order`):
    the caller replays the whole table afresh, now that it is all here."""


class ForkedReader:
    """A forked child that reads the trades CSV, streaming its rows here, then renders the results.

    The child starts before any row is read (so the two processes share no table: no
    copy-on-write of it) and inherits only the open output files (flushed before the fork, and
    written only by the child after it). It keeps its own table for rendering; this process
    builds its copy, `t`, from the stream. This object is the replay's sink (replay.Sink): the
    parent renames the files only once the child has exited 0 and sent back its tally of the
    closes (`finish`). Messages both ways are pipes.py items.

    Results wait here until the child has read the whole file (it renders only then), and go
    to it without blocking the replay; see `replay_order` for the order the replay goes ahead in.
    """

    def __init__(self, path: Path, out: Outputs, balance: float) -> None:
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

    def replay_order(self, tick: Ticker) -> Iterator[Sequence[int]]:
        """The valid rows of `self.t` in replay order (entry time, then position), chunk by chunk, as
        the child's rows arrive and are appended to it.

        A row may be replayed only once no later row can come before it. The stream goes ahead
        on the rows' own order: a row whose entry is earlier than the earliest entry of the last
        message of rows received is handed out; the rest wait for the next message. So a file in
        time order (give or take a message, STREAM_ROWS rows) is replayed while it is read. If a
        later message then holds an entry earlier than one already handed out, the rest is only
        read, and Disorder is raised at the end: the caller replays the whole table afresh (no
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
                    raise Disorder()
                return
            tick(self.received + self.handed)
            select.select([self.rows], [], [], TICK_SECONDS)

    def _absorb(self, tick: Ticker) -> None:
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
            if kind == ROWS:
                self._add_rows(*data)
            elif kind == ROWS_END:
                self.ended = True  # every row is here: results may go to the child (see `_push`)
                self.t.in_order = data
                tick.set_total(2 * len(self.t))
                if not self.in_order:
                    self.outbox.clear()  # never sent: the replay starts again (see replay_order)
                self._send_out(block=False)
            else:  # ERROR: the child could not read the file
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

    # --- results out (the replay's sink) --------------------------------------------------------

    def start(self, ts_ms: int, balance: float) -> None:
        self._push((START, (ts_ms, balance)))

    def feed(self, batch: Batch) -> None:
        self._push((BATCH, batch_message(batch)))

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

    def finish(self) -> Tally:
        """Send the last result and wait for the child: the tally of every close it rendered."""
        self._push((DONE, None))  # the child keeps its outputs only once this arrives
        self._send_out(block=True)
        os.close(self.data)
        self.data = -1
        return self._wait()

    def _stopped_early(self) -> None:
        self._wait()  # the child stopped early: its own error says why
        raise InputError(f"{self.out.dir}: the forked reader and row writer stopped early")

    def _wait(self) -> Tally:
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        report = _read_all(self.status)
        os.close(self.status)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not report.startswith(b"ok"):
            raise InputError(report.decode("utf-8", "replace") or
                             f"{self.out.dir}: the forked reader and row writer failed (exit {code})")
        return Tally.from_state(marshal.loads(report[2:]))

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


def _read_and_render(path: Path, out: Outputs, balance: float, rows_fd: int, data_fd: int) -> Tally | None:
    """The child's side of `ForkedReader`: stream the rows, then render the results (None, with
    an ERROR message sent, if the file cannot be read)."""
    t = Trades(path)
    sent = 0
    with open(rows_fd, "wb") as pipe:
        def send_rows(count: int) -> None:
            nonlocal sent
            if count > sent:  # the order is worked out here, beside the replay
                order = array("q", t.replay_order(sent, count)).tobytes()
                send_item(pipe, (ROWS, (rows_message(t, sent, count), order)))
                pipe.flush()
                sent = count

        def tick(count: int) -> None:
            if count - sent >= STREAM_ROWS:
                send_rows(count)

        try:
            read_trades(path, tick, table=t)
        except InputError as exc:
            send_item(pipe, (ERROR, str(exc)))
            return None
        send_rows(len(t))
        send_item(pipe, (ROWS_END, t.in_order))
    return _render_batches(data_fd, RowWriter(t, out, balance), out)


def _render_batches(fd: int, sink: RowWriter, out: Outputs) -> Tally:
    """Render the results from `fd` until DONE. The pipe ending before it means the replay
    process is gone (killed, say): an error, so the child removes the partial files itself."""
    with open(fd, "rb") as pipe:
        while (item := receive_item(pipe)) is not END:
            kind, data = item
            if kind == DONE:
                break
            if kind == START:
                sink.start(*data)
            else:
                sink.feed(batch_from_message(data))
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
