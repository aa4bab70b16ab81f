"""The harness's fast row rendering gives exactly the bytes csv.writer gives, odd strings included."""

from __future__ import annotations

import random

import pytest

from tc1console.engine.core import SKIP_REASONS, CloseResult, OpenResult
from tc1console.engine.harness_rows import CsvLine, Rows, all_plain, cell, close_line, open_line, point_line

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
    plain_text = [t for t in ODD if t and all_plain([t])]
    for _ in range(2_000):
        r = random_open(rng, ODD)
        line = rng.randrange(2, 10**7)
        assert (open_line(r, line, False) or csv_line((*r, line))) == csv_line((*r, line))
        plain = r._replace(trade_id=rng.choice(plain_text), symbol=rng.choice(plain_text))
        fast = open_line(plain, line, True)
        assert (fast or csv_line((*plain, line))) == csv_line((*plain, line))
        assert (fast is None) == (not plain.detail.isprintable())


@pytest.mark.parametrize("seed", range(5))
def test_close_and_equity_rows_render_to_csv_writer_bytes(seed):
    rng = random.Random(seed)
    csv_line = CsvLine()
    for _ in range(2_000):
        c = random_close(rng, ODD)
        assert (close_line(c, False) or csv_line(c)) == csv_line(c)
        if all_plain([c.trade_id, c.symbol]):
            assert close_line(c, True) == csv_line(c)
        ts, balance = c.exit_ts_ms, c.balance_after
        assert point_line(ts, balance) == csv_line((ts, balance))


def test_only_non_printable_text_falls_back_to_csv_writer():
    r = OpenResult("id\nx", "BTC", True, 10**12, 1.0, 0.5, 0.0, 0.0, 0.0, 1.0, "invalid_input", "d")
    assert open_line(r, 2, False) is None
    assert open_line(r._replace(trade_id="id,x"), 2, False) is not None
    assert open_line(r._replace(trade_id="ok", detail="bad\rdetail"), 2, True) is None


@pytest.mark.parametrize("plain", [True, False])
def test_rows_reusing_float_text_still_write_csv_writer_bytes(plain):
    """Rows reuses the text of a repeated budget and of a close's own entry values: the bytes
    stay csv.writer's whether the values are the very same floats, equal ones, or -0.0 and NaN."""
    rng = random.Random(7)
    rows, csv_line = Rows(plain), CsvLine()
    budgets = [50.0, 50.0, 100.0, 0.0, -0.0, float("nan"), float("inf"), 1e-300, 49.99999999999999]
    text = [t for t in ODD if all_plain([t]) and t] if plain else ODD
    open_trades: dict[int, OpenResult] = {}
    for k in range(4_000):
        r = random_open(rng, text)._replace(budget=rng.choice(budgets) * 1.0)
        line = k + 2
        key = k if r.skipped_reason is None and rng.random() < 0.8 else None
        assert rows.open(r, line, key) == csv_line((*r, line))
        if key is not None:
            open_trades[k] = r
        if open_trades and rng.random() < 0.4:
            k0 = rng.choice(list(open_trades))
            a = open_trades.pop(k0)
            same = rng.random() < 0.7  # the engine's close carries the open's own float objects
            qty, entry, risk = (a.qty, a.entry_price, a.risk_amount) if same else \
                (float(repr(a.qty)), rng.choice(FLOATS), a.risk_amount * 1.0)
            c = random_close(rng, text)._replace(trade_id=a.trade_id, symbol=a.symbol, is_long=a.is_long,
                                                 qty=qty, entry_price=entry, risk_amount=risk)
            ts = rng.randrange(10**11, 10**14)
            assert rows.close(c, k0, ts) == (csv_line(c), csv_line((ts, c.balance_after)))
