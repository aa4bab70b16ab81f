"""What the harness's two processes send each other (pipes.py) arrives whole and in order."""

from __future__ import annotations

import io

import pytest

from harness_tools import HEADER
from tc1console.backtest import pipes, reader
from tc1console.backtest.trades import Trades

T0 = 1_704_067_200_000


def test_rows_must_follow_the_table_they_join(tmp_path):
    """A message of rows joins only the table that holds every row before them."""
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *(f"BTC,long,{T0 + i},100,99,{T0 + i + 5},101" for i in range(10))]) + "\n")
    t = reader.read_trades(path)
    with pytest.raises(ValueError, match="cannot follow"):
        pipes.add_rows(Trades(path), pipes.rows_message(t, 5, 10))


def test_items_arrive_whole_however_the_bytes_are_cut():
    """What a non-blocking pipe gives comes in pieces of any size: take_items hands out only the
    whole items, in order, and keeps a part of one until the rest of it arrives."""
    items = [("rows", (0, [f"id{k}" for k in range(k * 50)])) for k in range(6)] + [("end", None)]
    data = b"".join(map(pipes.item_bytes, items))
    for cut in (1, 7, 8, 9, 500, len(data)):
        buffer, got = bytearray(), []
        for start in range(0, len(data), cut):
            buffer += data[start:start + cut]
            got += pipes.take_items(buffer)
        assert got == items and buffer == b""
    stream = io.BytesIO(data)
    assert [pipes.receive_item(stream) for _ in items] == items and pipes.receive_item(stream) is pipes.END
