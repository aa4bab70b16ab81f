"""What the harness's two processes send each other (forked.py): framed marshal items of plain data.

An item is its size (ITEM_HEAD bytes, little-endian), then its marshal data: loaded from bytes,
never read piece by piece from a pipe, and never pickled. The reader sends rows of the Trades
table (`rows_message` / `add_rows`); the replay sends batches of results (`batch_message` /
`batch_from_message`).
"""

from __future__ import annotations

import marshal
import struct
from array import array
from typing import Any, BinaryIO, Sequence

from ..engine.core import OpenResult
from .replay import Batch
from .trades import Trades

ITEM_HEAD = 8
# Kinds of item: rows to the replay, then the end of them or the reader's error; results to the
# renderer (the first point, batches), then the end of them.
ROWS, ROWS_END, ERROR, START, BATCH, DONE = "rows", "rows_end", "error", "start", "batch", "done"


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


# --- rows of the table -------------------------------------------------------------------------

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


def _array_columns(t: Trades) -> tuple[array, ...]:
    return t.entry_ts, t.entry_price, t.stop_price, t.exit_ts, t.exit_price, t.lines


# --- batches of results ------------------------------------------------------------------------

def batch_message(b: Batch) -> tuple:
    """A batch as bytes and lists of strings (`pack` makes the numbers bytes in one C call each)."""
    return (b.opos.tobytes(), _bytes("d", b.ofl), b.oreason, b.odetail, b.cpos.tobytes(), _bytes("d", b.cfl))


def batch_from_message(message: tuple) -> Batch:
    opos, ofl, oreason, odetail, cpos, cfl = message
    b = Batch()
    b.opos.frombytes(opos)
    b.cpos.frombytes(cpos)
    b.ofl, b.cfl = array("d", ofl), array("d", cfl)
    b.oreason, b.odetail = oreason, odetail
    return b


def _bytes(typecode: str, values: Sequence) -> bytes:
    return struct.pack(f"{len(values)}{typecode}", *values)
