"""The fast renderer (fast_rows.py) gives exactly the bytes of the plain one (rows.py, csv.writer
itself), odd strings and every kind of float included; both give csv.writer's bytes for the
OpenResult and CloseResult fields in order (docs/harness.md outputs)."""

from __future__ import annotations

import csv
import io
import random
import struct
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from property_budget import examples
from tc1console.backtest.fast_rows import Cells, FastRows, all_plain, cell, float_texts, number_groups
from tc1console.backtest.rows import Rows
from tc1console.engine.core import SKIP_REASONS, CloseResult, OpenResult

def csv_line(row: tuple) -> str:
    """The reference: the row through a csv.writer of its own."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


ODD = ["", "a", "BTC_1704067200000", "a,b", 'q"uote', '"', '""', ",", "line\nbreak", "cr\ronly", "x\r\ny",
       "nul\0", "tab\tid", " lead", "trail ", "ünïcødé", "\u2028", "\xa0nbsp", "'single'", "#", "=1+1",
       "comma, and \"quote\"", "emoji 🚀", "back\\slash"]
FLOATS = [0.0, -0.0, 1.0, 0.1, 1e-7, 1e16, 1.2345678901234567e-300, 5e-324, 1e300, 123456789.12345678,
          0.30000000000000004, float("inf"), float("nan")]


EDGES = [1e-4, 9.999999999999999e-05, 0.00010000000000000002, -1e-4, 1e16, 9999999999999998.0,
         1.0000000000000002e16, -1e16, 1e15, 1e-5, 2.244001962026232e-06, 1.7976931348623157e308, 2.2250738585072014e-308]


@settings(max_examples=examples(500))
@given(st.lists(st.floats() | st.sampled_from(FLOATS + EDGES), max_size=40))
def test_float_texts_are_repr_for_every_float(values: list[float]) -> None:
    """docs/harness.md, numbers at full precision as the shortest repr: float_texts (orjson's digits,
    repr where the layout differs) gives repr() of every float, NaN, infinities, -0.0, subnormals
    and both sides of repr's switches to an exponent (1e-4, 1e16) included; for lists and arrays."""
    assert float_texts(values) == list(map(repr, values))
    assert float_texts(array("d", values)) == list(map(repr, values))


def test_float_texts_are_repr_for_random_bit_patterns_and_money() -> None:
    """The same over 200,000 floats from uniform random bits (every exponent alike) and 200,000
    amounts of the sizes a backtest writes (prices, quantities, PnL, balances)."""
    rng = random.Random(5)
    bits = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(200_000)]
    money = [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 12) for _ in range(200_000)]
    for values in (bits, money):
        assert float_texts(values) == list(map(repr, values))


@pytest.mark.parametrize("at", [(0,), (4095,), (7, 8, 9), (0, 2000, 4095), tuple(range(0, 4096, 3))])
def test_float_texts_mend_the_few_items_orjson_writes_otherwise_wherever_they_sit(at) -> None:
    """Only the items whose orjson text differs from repr are redone: a batch of ordinary amounts
    (some holding "0.0000" or "10000" mid-text, which need nothing) with tiny budgets, an exponent
    and NaN at the first, the last, neighbouring and spread-out places gives repr() everywhere."""
    rng = random.Random(len(at))
    values = [rng.choice((10.00001, 100000.5, 3.0000012, -0.00012)) if rng.random() < 0.2
              else round(rng.uniform(-1e5, 1e5), rng.randint(0, 8)) for _ in range(4096)]
    odd = [1.8579999789380963e-05, -9.99999999995449e-05, 1.5e16, float("nan"), 5e-324, float("-inf")]
    for k in at:
        values[k] = rng.choice(odd)
    assert float_texts(values) == list(map(repr, values))


@settings(max_examples=examples(300))
@given(st.lists(st.lists(st.floats() | st.sampled_from(FLOATS + EDGES) | st.integers(-2**63, 2**63 - 1),
                         min_size=1, max_size=11).map(tuple), max_size=30))
def test_number_groups_are_each_rows_reprs_joined(rows: list[tuple]) -> None:
    """A row's numbers rendered together (FastRows.opens and .closes write them so) are its
    items' repr() joined by commas, wherever the rows that need repr's own layout sit."""
    assert number_groups(rows) == [",".join(map(repr, row)) for row in rows]


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
        assert f"{got},x\n" == csv_line((text, "x"))


def test_all_plain_only_when_every_text_needs_no_quoting():
    assert all_plain(["BTC", "ETH_1", "", "ünï"])
    for odd in ("a,b", 'a"b', "a\nb", "a\rb", "a\0b", "a\tb"):
        assert not all_plain(["BTC", odd])
    assert not all_plain(["x"] * 70_000 + ["a,b"])  # past the first slice


def render(renderer: Rows, opens: list, closes: list) -> tuple[list[str], list[str], list[str], list[int]]:
    """`opens` and `closes` through a renderer, as columns, the way the harness hands them over."""
    rng = random.Random(len(opens))
    lines = [rng.randrange(2, 10**7) for _ in opens]
    cols = list(zip(*opens)) or [()] * 12
    got_opens = renderer.opens(*map(list, cols[:6]), [x for r in opens for x in r[6:10]], list(cols[10]),
                               list(cols[11]), lines)
    cols = list(zip(*closes)) or [()] * 14
    rows, points = renderer.closes(*map(list, cols[:3]), *map(list, cols[4:8]),
                                   [x for c in closes for x in (c.qty, *c[8:])])
    return got_opens, rows, points, lines


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_batches_of_rows_render_to_csv_writer_bytes(seed, plain):
    """FastRows (a batch as columns, what the harness writes with) and the plain Rows give, row
    for row, csv.writer's bytes: any trade_id, symbol and detail (quoted, or left to csv.writer),
    and every kind of float (-0.0, NaN, inf, subnormal) in every amount column. `plain` batches
    hold only ids and symbols that need no quoting, as the harness checks once per file."""
    rng = random.Random(seed)
    text = [t for t in ODD if t and all_plain([t])] if plain else ODD
    fast = FastRows(plain=plain)
    for size in (1, 7, 500, 3_000):  # 3,000 distinct details also overflow the detail cache once
        opens = [random_open(rng, ODD)._replace(trade_id=rng.choice(text), symbol=rng.choice(text))
                 for _ in range(size)]
        closes = [random_close(rng, text) for _ in range(size)]
        for renderer in (fast, Rows()):
            got_opens, rows, points, lines = render(renderer, opens, closes)
            assert got_opens == [csv_line((*r, line)) for r, line in zip(opens, lines)]
            assert rows == [csv_line(c) for c in closes]
            assert points == [csv_line((c.exit_ts_ms, c.balance_after)) for c in closes]
            assert renderer.point(closes[0].exit_ts_ms, closes[0].balance_after) == points[0]


def test_only_non_printable_text_goes_to_csv_writer_itself():
    """A line break, CR or NUL: what csv.writer does with it depends on the character and the
    Python version, so that row is csv.writer's own; a comma or quote is quoted in place."""
    r = OpenResult("id\nx", "BTC", True, 10**12, 1.0, 0.5, 0.0, 0.0, 0.0, 1.0, "invalid_input", "d")
    for odd in (r, r._replace(trade_id="ok", detail="bad\rdetail"), r._replace(trade_id="id,x")):
        got, _, _, lines = render(FastRows(plain=False), [odd], [])
        assert got == [csv_line((*odd, lines[0]))]
    assert render(FastRows(plain=False), [r._replace(trade_id="id,x")], [])[0][0].startswith('"id,x",BTC,')


def test_the_detail_cache_stays_bounded():
    cells = Cells()
    for k in range(20):
        assert cells([f"detail {k}, {j}" for j in range(1_000)])[0] == f'"detail {k}, 0"'
    assert len(cells.cache) <= 4_097 + 1_000
