"""The fast reader gives exactly the table, and the errors, of the plain one: one csv.reader over the file.

`read_trades(fast=True)` (fast_reader.py) splits plain blocks of text on commas, sends any other
block through csv.reader and converts whole columns at once; `read_trades(fast=False)`
(reader.py) is the plain reader, one csv.reader over the file with every row checked on its own,
which shares no code with the plain split or the columns. The harness's forked reader sends its
rows on, piece by piece, with `rows_message` / `add_rows`. Both the fast table and its copy sent
on in pieces must equal the plain one: any difference in a value, a line number, a trade_id, a
flag or an error message shows here.
"""

from __future__ import annotations

import csv
import io
import marshal
import math
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness_tools import HEADER
from property_budget import examples
from tc1console.backtest import fast_reader, pipes, reader
from tc1console.backtest.trades import Trades
from tc1console.engine.errors import InputError

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def reference(path: Path) -> Trades:
    """The plain reader."""
    return reader.read_trades(path, fast=False)


def fast(path: Path, tick=None, *, table: Trades | None = None) -> Trades:
    return reader.read_trades(path, tick, table=table, fast=True)


def table(t: Trades) -> tuple:
    """Every column bit for bit (NaN and -0.0 included), the bad rows and the flags."""
    return (t.trade_ids, t.symbols, t.is_long, t.entry_ts.tobytes(), t.entry_price.tobytes(),
            t.stop_price.tobytes(), t.exit_ts.tobytes(), t.exit_price.tobytes(), t.lines.tolist(),
            t.invalid, t.in_order, t.has_trade_ids)


def outcome(read, path: Path) -> tuple:
    try:
        return "table", table(read(path))
    except InputError as exc:
        return "error", str(exc)


def streamed(path: Path, every: int = 97) -> Trades:
    """read_trades, its rows sent on through rows_message / add_rows (and marshal, as between the
    harness's processes) whenever `every` more are in: the table the replay gets on two cores."""
    t, copy = Trades(path), Trades(path)
    sent = 0

    def send(count: int) -> None:
        nonlocal sent
        if count > sent:
            message = marshal.loads(marshal.dumps(pipes.rows_message(t, sent, count)))
            assert pipes.add_rows(copy, message) == range(sent, count)
            sent = count

    def tick(count: int) -> None:
        if count - sent >= every:
            send(count)
    fast(path, tick, table=t)
    send(len(t))
    copy.in_order = t.in_order  # the forked reader's last message carries it
    return copy


def assert_same(path: Path, every: int = 97) -> tuple:
    want = outcome(reference, path)
    assert outcome(fast, path) == want
    assert outcome(lambda p: streamed(p, every), path) == want
    return want


# --- random files ----------------------------------------------------------------------------------

def iso(ms: int, rng: random.Random) -> str:
    """The time `ms` in one of the shapes the harness meets: ISO 8601 (Z, naive, offsets) or epoch."""
    dt = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    shape = rng.random()
    if shape < 0.55:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    if shape < 0.65:
        return dt.replace(tzinfo=None).isoformat(sep=" ")  # naive = UTC, 0 or 6 fraction digits
    if shape < 0.75:
        return dt.astimezone(timezone(timedelta(hours=rng.choice([-5, 1, 9])))).isoformat()
    if shape < 0.85:
        return str(ms if rng.random() < 0.5 else ms // 1000)  # epoch ms or s
    if shape < 0.9:
        return f"{ms / 1000:.3f}"  # epoch seconds with a fraction
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00"


def clean_row(rng: random.Random, ts: int, symbols: list[str]) -> list[str]:
    long = rng.random() < 0.5
    entry = round(rng.uniform(0.01, 5000), rng.choice([0, 2, 5]))
    stop = entry * (0.98 if long else 1.02)
    xt = ts + rng.choice([0, 60_000, rng.randrange(1, 10**7)])
    exit_ = max(0.01, round(entry * rng.uniform(0.95, 1.05), 4))
    side = rng.choice(["long", "buy", "1", "+1", "LONG"] if long else ["short", "sell", "-1", " Sell "])
    return [rng.choice(symbols), side, iso(ts, rng), repr(entry), f"{stop:.6g}", iso(xt, rng), str(exit_)]


def spoil(rng: random.Random, row: list[str]) -> list[str]:
    """One of the ways a row goes wrong, or a quirk csv.reader must see (quotes, breaks, NUL)."""
    kind = rng.randrange(13)
    row = list(row)
    if kind == 0:
        row[rng.randrange(7)] = ""
    elif kind == 1:
        row[rng.choice([3, 4, 6])] = rng.choice(["abc", "nan", "1e400", "-0.0", "0", " 7 "])
    elif kind == 2:
        row[5] = iso(T0 - 10**9, rng)  # exit before entry
    elif kind == 3:
        row[rng.choice([2, 5])] = rng.choice(["soon", "2024-02-30T00:00:00", "20240101", "99999999999999999"])
    elif kind == 4:
        row = row[:rng.randrange(1, 7)]
    elif kind == 5:
        row = row + ["extra"]
    elif kind == 6:
        row[0] = '"' + row[0] + ',X"'  # a quoted comma
    elif kind == 7:
        row[0] = '"' + row[0] + rng.choice(["\n", "\r\n", "\r"]) + 'Y"'  # a quoted line break
    elif kind == 8:
        row[3] = '"' + row[3] + '"'
    elif kind == 9:
        row[0] = '"' + row[0] + '""q"""'  # doubled quotes
    elif kind == 10:
        row[0] += "\0"
    elif kind == 11:
        row[1] = "sideways"
    else:
        row[5] = row[6] = rng.choice(["", " "])  # both exits blank: a trade still open
    return row


def random_file(tmp: Path, seed: int, rows: int = 1500, tidy: bool = False) -> Path:
    """A file whose blocks are plain or not at random: bad rows, quotes, blank lines, CRLF runs,
    repeated and out-of-order rows, an optional trade_id column, BOM and last-newline choices.
    `tidy`: few odd rows and repeats, "\\n" line breaks (so a forked reader's half may join)."""
    rng = random.Random(seed)
    symbols = rng.choice([["BTC", "ETH"], ["A_1", "A", "B_17040672"], ["SOL"]])
    with_ids = rng.random() < 0.3
    header = HEADER.split(",") + (["note"] if rng.random() < 0.3 else [])
    if with_ids:
        header.insert(rng.randrange(len(header) + 1), "trade_id")
    odd = rng.choice([0.0, 0.0005] if tidy else [0.0, 0.002, 0.02, 0.2])  # share of spoilt rows
    repeats = 0.0005 if tidy else 0.02
    ends = ["\n"] if tidy or rng.random() < 0.6 else ["\n", "\n", "\r\n"]
    lines, ts, kept = [], T0, []
    for i in range(rows):
        ts += rng.choice([0, 1, 1000, 60_000, rng.randrange(1, 10**6)])
        when = ts - rng.randrange(10**8) if rng.random() < 0.01 else ts  # a few out of order
        row = clean_row(rng, when, symbols)
        if kept and rng.random() < repeats:
            row = list(rng.choice(kept))  # a repeat: the same default trade_id
        kept.append(row)
        if rng.random() < odd:
            row = spoil(rng, row)
        if with_ids:
            row.insert(header.index("trade_id"), rng.choice(["", f"id{i}", f"id{i % 50}", f" x{i} "]))
        if "note" in header and len(row) < len(header):
            row.append(rng.choice(["", "n"]))
        lines.append(",".join(row) + rng.choice(ends))
        if rng.random() < odd / 4:
            lines.append(rng.choice(["\n", "\r\n", ",,,,,,\n"]))  # blank lines, an empty row
    text = ",".join(header) + "\n" + "".join(lines)
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")  # no line break after the last row
    path = tmp / "t.csv"
    path.write_bytes((b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("seed", range(40))
def test_random_files_read_as_one_csv_reader_reads_them(tmp_path, monkeypatch, seed):
    """Blocks of 64 to 32768 characters, so many blocks per file, some plain and some not."""
    path = random_file(tmp_path, seed)
    for block in (64, 301, 4096, 1 << 15):
        monkeypatch.setattr(fast_reader, "BLOCK_CHARS", block)
        assert_same(path)


@pytest.mark.parametrize("seed", range(16))
def test_random_files_sent_on_in_pieces_of_any_size(tmp_path, monkeypatch, seed):
    """The copy a forked reader sends on, in pieces from 1 row to the whole file, is the table."""
    rng = random.Random(seed)
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", rng.choice([97, 1024, 1 << 15]))
    assert_same(random_file(tmp_path, seed, rows=3000, tidy=seed % 2 == 0), every=rng.choice([1, 50, 700, 10**6]))


def test_the_columns_and_the_plain_split_are_really_taken(tmp_path, monkeypatch):
    """Guards the tests above: on a clean file no row goes through csv.reader or row by row."""
    rng = random.Random(5)
    rows = [",".join(clean_row(rng, T0 + i * 1000, ["BTC"])) for i in range(3000)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")

    def refuse(*args):
        raise AssertionError("not the fast path")
    monkeypatch.setattr(fast_reader, "_read_csv", refuse)
    monkeypatch.setattr(reader.RowReader, "_row_by_row", refuse)
    t = fast(path)
    assert len(t) == 3000 and t.lines.tolist() == list(range(2, 3002))
    monkeypatch.undo()
    assert table(t) == table(reference(path))


# --- the plain split --------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [
    "a,b,c\n", "a,b,c", "a,b,c\nd,e,f\n", " , ,\n", "a,b,c\n\u2028x,y\x0c\u00a0,z\x1c\n", "a,b,'c'\nd,e,f",
])
def test_plain_block_is_split_as_csv_reader_splits_it(block):
    """Line separators other than "\\n" and "\\r" are plain text to the file and to csv.reader."""
    rows = list(csv.reader(io.StringIO(block, newline="")))
    assert fast_reader._plain_fields(block, 3) == [field for row in rows for field in [*row, "\n"]]


@pytest.mark.parametrize("block", [
    'a,"b",c\n', "a,b,c\r\n", "a,b,c\rd,e,f\n", "a,b\0,c\n", "a,b,c\n\nd,e,f\n", "\na,b,c\n",
    "a,b,c\nd,e\n", "a,b,c,d\n", "a,b\nc,d,e,f\n", "a,b,c\nd,e,f,g\nh,i\n",
])
def test_block_that_is_not_plain_goes_to_csv_reader(block):
    """A quote, a carriage return, NUL, a blank line or a line of another width: not plain."""
    assert fast_reader._plain_fields(block, 3) is None


def test_block_longer_than_the_field_size_limit_is_not_plain():
    old = csv.field_size_limit(12)
    try:
        assert fast_reader._plain_fields("a,b,c\n" * 2, 3) is not None
        assert fast_reader._plain_fields("a,b,c\n" * 3, 3) is None  # 18 characters: a field might be 13
    finally:
        csv.field_size_limit(old)


# --- edges of blocks and lines ---------------------------------------------------------------------

def big_file(tmp: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp / "t.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def good(i: int) -> str:
    return f"BTC,long,{T0 + i * 1000},100,99,{T0 + i * 1000 + 5},101"


@pytest.mark.parametrize("block", range(20, 130, 7))
def test_quoted_line_break_and_crlf_across_block_ends(tmp_path, monkeypatch, block):
    """A record whose quoted field spans blocks, and a "\\r\\n" the block end would cut."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", block)
    text = (HEADER + "\r\n" + good(0) + "\r\n" + '"BT\r\nC\n\n",long,1,2,1,3,4\r\n'
            + "\n".join(good(i) for i in range(1, 20)) + "\r" + good(20) + "\r\r\n" + good(21))
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    kind, got = assert_same(path)
    assert kind == "table" and got[8][:4] == [2, 3, 7, 8]


@pytest.mark.parametrize("block", [16, 50, 1 << 15])
def test_bom_header_multiline_header_and_blank_tail(tmp_path, monkeypatch, block):
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", block)
    path = tmp_path / "t.csv"
    text = HEADER + "\n" + "\n".join(good(i) for i in range(30)) + "\n\n\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert assert_same(path)[1][8][0] == 2
    path.write_text('"a\nb",' + HEADER + "\n" + "\n".join("x," + good(i) for i in range(30)))
    kind, got = assert_same(path)
    assert got[8][0] == 3  # the header took two lines


@pytest.mark.parametrize("content", [
    b"", b"\xef\xbb\xbf", HEADER.encode() + b"\n", HEADER.encode() + b"\n\n\r\n",
    b"symbol,side\n" + good(1).encode(), HEADER.encode() + b",side\n" + good(1).encode(),
])
def test_unusable_files_give_the_same_error(tmp_path, content):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    assert assert_same(path)[0] == "error"


@pytest.mark.parametrize("at", [0, 1, 5, 200, 4000, 8190, 8191, 8193, 40_000, 99_000])
def test_bad_utf8_names_the_same_line(tmp_path, at):
    """The text layer decodes ahead of the rows; the message still names csv.reader's line."""
    data = bytearray((HEADER + "\n" + "\n".join(good(i) for i in range(2000)) + "\n").encode())
    data[min(at, len(data) - 1)] = 0xFF
    path = tmp_path / "t.csv"
    path.write_bytes(bytes(data))
    kind, message = assert_same(path)
    assert kind == "error" and "not UTF-8 text near line" in message


def test_field_over_the_size_limit_gives_the_same_error(tmp_path):
    rows = [good(i) for i in range(3000)]
    rows[2500] = rows[2500].replace("BTC", "B" * 200)
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    old = csv.field_size_limit(150)
    try:
        kind, message = assert_same(path)
    finally:
        csv.field_size_limit(old)
    assert kind == "error" and message.endswith("near line 2502 (field larger than field limit (150))")


def test_non_ascii_text_keeps_lines_and_bytes_right(tmp_path, monkeypatch):
    """Characters of 2-4 bytes: block sizes are in characters, the file in bytes."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", 333)
    path = tmp_path / "t.csv"
    rows = [good(i).replace("BTC", "BTC€𝛑é"[: i % 4 + 3]) for i in range(4000)]
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")  # no line break at the end
    assert assert_same(path)[0] == "table"


# --- trade ids: the window of recent ones ------------------------------------------------------------

@pytest.mark.parametrize("gap", [0, 1, 3, 4, 5, 8, 40])
def test_a_repeat_any_number_of_chunks_later_is_suffixed(tmp_path, monkeypatch, gap):
    """Default ids are kept only for the last RECENT_CHUNKS chunks while times go on: a repeat
    from before them, or an earlier time, must still get its _2."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", 600)  # ~10 rows a block
    rows = [good(i) for i in range(200)]
    rows.insert(100 + gap * 10, rows[100])
    rows.insert(150, rows[3].replace("BTC", "ETH"))
    rows.insert(160, rows[3].replace("BTC", "ETH"))
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    kind, got = assert_same(path)
    ids = got[0]
    assert ids.count(f"BTC_{T0 + 100_000}") == 1 and f"BTC_{T0 + 100_000}_2" in ids
    assert f"ETH_{T0 + 3000}_2" in ids


def test_a_repeat_after_a_long_run_of_one_time_is_suffixed(tmp_path, monkeypatch):
    """More chunks than RECENT_CHUNKS at one entry time: the repeat's time equals the latest
    forgotten one, so only the set of all ids can find the first."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", 600)
    rows = [good(0).replace("BTC", f"S{i}") for i in range(300)] + [good(0).replace("BTC", "S0")]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    assert assert_same(path)[1][0][-1] == f"S0_{T0}_2"


def test_symbol_with_underscore_and_time_cannot_fake_a_repeat(tmp_path):
    """`A_1` at time 5 and `A` at time "1_5" cannot meet: the time has no "_"."""
    rows = ["A_1,long,5,100,99,6,101", "A,long,1,100,99,6,101", "A_1_5,long,2,100,99,6,101",
            "A_1,long,5,100,99,6,101"]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    assert assert_same(path)[1][0] == ["A_1_5000", "A_1000", "A_1_5_2000", "A_1_5000_2"]


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e300", "0", "-0.0"])
@pytest.mark.parametrize("at", [0, 7, 299])
def test_exit_price_out_of_range_anywhere_in_a_chunk(tmp_path, bad, at):
    """min/max miss a NaN unless it comes first: the sum catches it."""
    rows = [good(i) for i in range(300)]
    rows[at] = rows[at].rsplit(",", 1)[0] + "," + bad
    path = big_file(tmp_path, rows)
    assert len(assert_same(path)[1][9]) == 1


@pytest.mark.parametrize("text", ["9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59.999999",
                                  "0001-01-01T00:30:00+01:00", "0001-01-01", "10000-01-01T00:00:00",
                                  "253402300800000", "253402300799999"])
def test_times_at_the_ends_of_the_calendar_in_a_clean_chunk(tmp_path, text):
    """The time as entry and exit of one row among ISO ones (or as the one epoch among them)."""
    rows = [f"BTC,long,2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z,100,99,2024-01-02T00:00:00Z,101"
            for i in range(300)]
    rows[150] = f"BTC,long,{text},100,99,{text},101"
    want = assert_same(big_file(tmp_path, rows))
    valid = text.startswith(("0001", "9999-12-31T23:59:59.999999", "253402300799999"))
    assert len(want[1][9]) == (0 if valid else 1)


# --- awkward files, sent on in pieces ---------------------------------------------------------------------

@pytest.mark.parametrize("case", ["clean", "repeat across", "odd first half", "odd second half",
                                  "explicit ids", "bad rows", "unordered", "tie at split",
                                  "halves each in order", "cr in header", "two-line header", "non-ascii"])
def test_awkward_files_sent_on_in_pieces(tmp_path, monkeypatch, case):
    """Repeats across pieces, quoted fields, explicit ids, bad rows, disorder, ties, odd headers
    and non-ASCII text: the table and its copy sent on in pieces equal the reference."""
    monkeypatch.setattr(fast_reader, "BLOCK_CHARS", 2000)
    rows = [good(i) for i in range(4000)]
    header = HEADER
    if case == "repeat across":
        rows[3500] = rows[500]
    elif case == "odd first half":
        rows[10] = '"BTC",long,1,2,1,3,4'
    elif case == "odd second half":
        rows[3000] = '"B\nTC",long,1,2,1,3,4'
    elif case == "explicit ids":
        header += ",trade_id"
        rows = [r + f",t{i % 2100}" for i, r in enumerate(rows)]
    elif case == "bad rows":  # one in each half
        rows[100] = rows[3900] = rows[3900].replace(",101", ",x")
    elif case == "unordered":
        rows.reverse()
    elif case == "tie at split":
        rows = [good(i // 1000) for i in range(4000)]  # 1000 rows at each time: repeats
    elif case == "halves each in order":  # rows of one length: the split falls after good(3000)
        rows = rows[:2000] + [good(3000)] + [r.replace("BTC", "ETH") for r in rows[1000:2999]]
    elif case == "cr in header":
        header += "\r"
    elif case == "two-line header":
        header = '"sym\nbol",' + header + ",note"
        rows = [f"x,{r},n" for r in rows]
    elif case == "non-ascii":
        rows = [r.replace("BTC", "BTC€𝛑é"[: i % 4 + 3]) for i, r in enumerate(rows)]
    path = big_file(tmp_path, rows, header)
    for every in (1, 333, 2000):
        assert_same(path, every)


ODD_NUMBERS = ["-0", "0", "-0.0", "0.0", " 5", "5 ", "\t5\n", "01", "00", ".5", "5.", "+5", "1_0", "nan", "NaN", "inf",
               "-Infinity", "1e400", "-1e400", "1e-400", "4.9e-324", "1.7976931348623159e308", "true", "null", '"5"',
               "[1]", "1,2", "1]", "[", "{}", "", " ", "0x10", "\u0663", "\uff11\uff12", "12345678901234567890",
               "123456789012345678901234567890", "9007199254740993"]
DECIMALS = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)


def parsed(parse, texts: list[str]) -> list[str] | str:
    """repr() of each float `parse` gives for `texts`, or "ValueError"."""
    try:
        return list(map(repr, parse(texts)))
    except ValueError:
        return "ValueError"


def float_each(texts: list[str]) -> list[float]:
    return list(map(float, texts))


@settings(max_examples=examples(400))
@given(st.lists(DECIMALS | st.floats().map(repr) | st.sampled_from(ODD_NUMBERS), max_size=30))
def test_a_column_of_prices_is_float_of_each_text(texts):
    """fast_reader.floats (orjson for a column of JSON numbers) gives float() of each text, -0 as
    -0.0 and 1e400 as inf included, and a ValueError exactly when float() gives one."""
    assert parsed(fast_reader.floats, texts) == parsed(float_each, texts)


def test_prices_on_both_sides_of_a_rounding_tie_parse_as_float_does():
    """Decimal texts exactly halfway between two floats, and a hair either side (the hardest
    inputs for a parser to round right), over the sizes prices come in."""
    rng = random.Random(11)
    texts = []
    with localcontext() as exact:
        exact.prec = 200  # a float's exact decimal has at most ~70 digits at these sizes
        for _ in range(20_000):
            x = rng.uniform(1e-6, 1e7)
            half = (Decimal(x) + Decimal(math.nextafter(x, math.inf))) / 2
            texts += [str(half), str(half + Decimal("1e-40")), str(half - Decimal("1e-40"))]
    assert parsed(fast_reader.floats, texts) == parsed(float_each, texts)


@pytest.mark.parametrize("use_fast", [True, False])
def test_tick_runs_every_few_hundred_rows(tmp_path, use_fast):
    """Progress and cancel are checked every few hundred rows, by either reader."""
    path = big_file(tmp_path, [good(i) for i in range(20_000)])
    calls = []
    reader.read_trades(path, calls.append, fast=use_fast)
    gaps = [b - a for a, b in zip([0, *calls], [*calls, 20_000])]
    assert max(gaps) <= 1000 and calls == sorted(calls)
