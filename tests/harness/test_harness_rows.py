"""The harness's fast row rendering gives exactly the bytes csv.writer gives, odd strings included."""

from __future__ import annotations

import random

import pytest

from tc1console.engine.core import SKIP_REASONS, CloseResult, OpenResult
from tc1console.engine.harness_rows import (Cells, CsvLine, all_plain, cell, close_line, close_lines, open_line,
                                            open_lines, point_line)

ODD = ["", "a", "BTC_1704067200000", "a,b", 'q"uote', '"', '""', ",", "line\nbreak", "cr\ronly", "x\r\ny",
       "nul\0", "tab\tid", " lead", "trail ", "ünïcødé", "\u2028", "\xa0nbsp", "'single'", "#", "=1+1",
       "comma, and \"quote\"", "emoji 🚀", "back\\slash"]
FLOATS = [0.0, -0.0, 1.0, 0.1, 1e-7, 1e16, 1.2345678901234567e-300, 5e-324, 1e300, 123456789.12345678,
          0.30000000000000004, float("inf"), float("nan")]


def random_open(rng: random.Random, text: list[str]) -> tuple:
    taken = rng.random() < 0.4
    return OpenResult(rng.choice(text), rng.choice(text), rng.random() < 0.5,
                      rng.randrange(100_000_000_000, 253_402_300_800_000),
                      *(rng.choice(FLOATS) if rng.random() < 0.3 else rng.uniform(0, 1e6) for _ in range(6)),
                      None if taken else rng.choice(SKIP_REASONS), "" if taken else rng.choice(text))


def random_close(rng: random.Random, text: list[str]) -> tuple:
    def f() -> float:
        return rng.choice(FLOATS) if rng.random() < 0.3 else rng.uniform(-1e6, 1e6)
    ts = rng.randrange(10**11, 10**14)
    return CloseResult(rng.choice(text), rng.choice(text), rng.random() < 0.5, f(), f(), f(),
                       ts, ts + rng.randrange(0, 10**9), f(), f(), f(), f(), f(), f())


@pytest.mark.parametrize("text", ODD)
def test_a_cell_is_what_csv_writer_writes_or_left_to_it(text):
    """A field with a comma or quote is quoted with quotes doubled; line breaks and other
    non-printables go to csv.writer itself (None)."""
    got = cell(text)
    if got is None:
        assert not text.isprintable()
    else:
        assert f"{got},x\n" == CsvLine()((text, "x"))


def test_all_plain_only_when_every_text_needs_no_quoting():
    assert all_plain(["BTC", "ETH_1", "", "ünï"])
    for odd in ("a,b", 'a"b', "a\nb", "a\rb", "a\0b", "a\tb"):
        assert not all_plain(["BTC", odd])
    assert not all_plain(["x"] * 70_000 + ["a,b"])  # past the first slice


@pytest.mark.parametrize("seed", range(5))
def test_open_rows_render_to_csv_writer_bytes(seed):
    rng = random.Random(seed)
    csv_line = CsvLine()
    for _ in range(2_000):
        r = random_open(rng, ODD)
        line = rng.randrange(2, 10**7)
        fast = open_line(r, line)
        assert (fast or csv_line((*r, line))) == csv_line((*r, line))
        assert (fast is None) == (not all(t.isprintable() for t in (r.trade_id, r.symbol, r.detail)))


@pytest.mark.parametrize("seed", range(5))
def test_close_and_equity_rows_render_to_csv_writer_bytes(seed):
    rng = random.Random(seed)
    csv_line = CsvLine()
    for _ in range(2_000):
        c = random_close(rng, ODD)
        assert (close_line(c) or csv_line(c)) == csv_line(c)
        if all_plain([c.trade_id, c.symbol]):
            assert close_line(c) == csv_line(c)
        ts, balance = c.exit_ts_ms, c.balance_after
        assert point_line(ts, balance) == csv_line((ts, balance))


def test_only_non_printable_text_falls_back_to_csv_writer():
    r = OpenResult("id\nx", "BTC", True, 10**12, 1.0, 0.5, 0.0, 0.0, 0.0, 1.0, "invalid_input", "d")
    assert open_line(r, 2) is None
    assert open_line(r._replace(trade_id="id,x"), 2) is not None
    assert open_line(r._replace(trade_id="ok", detail="bad\rdetail"), 2) is None


@pytest.mark.parametrize("seed", range(4))
def test_batches_of_rows_render_to_csv_writer_bytes(seed):
    """open_lines / close_lines (a batch as columns, what the harness writes with) give, row for
    row, csv.writer's bytes: plain ids and symbols, any detail (quoted, or left to csv.writer),
    and every kind of float (-0.0, NaN, inf, subnormal) in every amount column."""
    rng = random.Random(seed)
    csv_line, cells = CsvLine(), Cells()
    plain_text = [t for t in ODD if t and all_plain([t])]
    for size in (1, 7, 500, 3_000):  # 3,000 distinct details also overflow the detail cache once
        opens = [random_open(rng, ODD)._replace(trade_id=rng.choice(plain_text), symbol=rng.choice(plain_text))
                 for _ in range(size)]
        lines = [rng.randrange(2, 10**7) for _ in opens]
        amounts = [x for r in opens for x in r[6:10]]
        cols = list(zip(*opens))
        got = open_lines(*map(list, cols[:6]), amounts, list(cols[10]), list(cols[11]), lines, cells, csv_line)
        assert got == [csv_line((*r, line)) for r, line in zip(opens, lines)]

        closes = [random_close(rng, plain_text) for _ in range(size)]
        times = [ts for c in closes for ts in (c.entry_ts_ms, c.exit_ts_ms)]
        floats = [x for c in closes for x in (*c[3:6], *c[8:])]
        cols = list(zip(*closes))
        rows, points = close_lines(*map(list, cols[:3]), times, floats)
        assert rows == [csv_line(c) for c in closes]
        assert points == [csv_line((c.exit_ts_ms, c.balance_after)) for c in closes]


def test_the_detail_cache_stays_bounded():
    cells = Cells()
    for k in range(20):
        assert cells([f"detail {k}, {j}" for j in range(1_000)])[0] == f'"detail {k}, 0"'
    assert len(cells.cache) <= 4_097 + 1_000
