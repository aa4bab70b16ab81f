"""The harness's input rules (docs/harness.md): columns, sides, times, trade_id defaults, bad rows."""

from __future__ import annotations

import pytest

from harness_tools import HEADER, Run, read_csv, write_configs, write_trades
from tc1console.backtest import run_harness
from tc1console.backtest.reader import parse_side, parse_time_ms
from tc1console.engine.errors import InputError

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
HOUR = 3_600_000


def row(side="long", ts="2024-01-01T00:00:00Z", entry="100", stop=None, xt="2024-01-01T01:00:00Z",
        xp="101", symbol="BTC") -> str:
    if stop is None:
        stop = "102" if side.strip().lower() in ("short", "sell", "-1") else "98"
    return ",".join((symbol, side, ts, entry, stop, xt, xp))


# --- sides ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, is_long", [
    ("long", True), ("LONG", True), ("Buy", True), ("buy", True), ("1", True), ("+1", True),
    ("short", False), ("Short", False), ("SELL", False), ("-1", False), (" sell ", False),
])
def test_side_spellings(text, is_long):
    """docs/harness.md: long/short/buy/sell in any case, or 1/-1."""
    assert parse_side(text) is is_long


def test_sides_reach_the_engine_as_bools(tmp_path):
    """docs/harness.md: a short's stop sits above entry; each spelling sizes the right side."""
    run = Run(tmp_path, row("Buy"), row("SELL", stop="102", xp="99"), row("-1", stop="102", xp="99"),
              row("1"))
    assert [r["is_long"] for r in run.opens] == ["True", "False", "False", "True"]
    assert run.summary["trades_taken"] == 4


# --- times ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, ms", [
    ("2024-01-01T00:00:00Z", T0),
    ("2024-01-01T00:00:00", T0),  # naive means UTC
    ("2024-01-01 00:00:00", T0),
    ("2024-01-01T02:00:00+02:00", T0),  # offsets honoured
    ("2023-12-31T19:00:00-05:00", T0),
    ("2024-01-01T00:00:00.250Z", T0 + 250),
    ("2024-01-01T00:00:00.2509Z", T0 + 250),  # below 1 ms: truncated
    ("2024-01-01", T0),
    (str(T0), T0),  # >= 1e11: milliseconds
    ("1704067200", T0),  # < 1e11: seconds
    ("1704067200.5", T0 + 500),  # fractional seconds -> integer ms
    ("1704067200.123", T0 + 123),  # exact decimal, not the float's ...122.99
    ("1704067200.1239", T0 + 123),
    (f"{T0}.7", T0),
    ("1.7040672e9", T0),
    ("20240101", 20_240_101_000),  # a whole number is an epoch (here seconds), never ISO basic
])
def test_time_formats(text, ms):
    """docs/harness.md: ISO 8601 (naive = UTC) or epoch number (>= 1e11 ms, else s)."""
    assert parse_time_ms(text) == ms


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "", "nan", "inf", "1e400", "12:00"])
def test_bad_times_raise_value_error(text):
    with pytest.raises(ValueError):
        parse_time_ms(text)


def test_mixed_time_formats_in_one_file(tmp_path):
    """docs/harness.md: each cell is read on its own, ISO or epoch."""
    run = Run(tmp_path, row(ts="2024-01-01T00:00:00Z", xt=str(T0 + HOUR)),
              row(ts=str((T0 + HOUR) // 1000), xt="2024-01-01T03:00:00+01:00"))
    assert [int(r["entry_ts_ms"]) for r in run.opens] == [T0, T0 + HOUR]
    assert [int(r["exit_ts_ms"]) for r in run.closes] == [T0 + HOUR, T0 + 2 * HOUR]


# --- trade ids ------------------------------------------------------------------------------------

def test_default_trade_id_is_symbol_and_entry_ms_made_unique(tmp_path):
    """docs/harness.md: default `{symbol}_{entry_ts_ms}`, repeats suffixed _2, _3 in input order."""
    run = Run(tmp_path, row(), row(), row(symbol="ETH"), row())
    assert [r["trade_id"] for r in run.opens] == [f"BTC_{T0}", f"BTC_{T0}_2", f"ETH_{T0}", f"BTC_{T0}_3"]
    assert run.summary["trades_taken"] == 4


def test_default_trade_id_avoids_an_explicit_one(tmp_path):
    header = HEADER + ",trade_id"
    run = Run(tmp_path, row() + f",BTC_{T0}", row() + ",", header=header)
    assert [r["trade_id"] for r in run.opens] == [f"BTC_{T0}", f"BTC_{T0}_2"]


def test_explicit_trade_id_column_is_used(tmp_path):
    """docs/harness.md: optional trade_id column, in any position; blank falls back to the default."""
    header = "trade_id," + HEADER
    run = Run(tmp_path, "t-1," + row(), " t-2 ," + row(symbol="ETH"), "," + row(symbol="SOL"), header=header)
    assert [r["trade_id"] for r in run.opens] == ["t-1", "t-2", f"SOL_{T0}"]
    assert [r["trade_id"] for r in run.closes] == ["t-1", "t-2", f"SOL_{T0}"]


def test_repeated_explicit_trade_id_is_the_engines_call(tmp_path):
    """docs/engine.md §2 step 2 through the harness: other arguments -> duplicate_trade_id; the same
    arguments while open -> the engine's harmless retry (one position, one close)."""
    header = HEADER + ",trade_id"
    run = Run(tmp_path, row() + ",x", row(entry="101", xp="102") + ",x", row() + ",x", header=header)
    assert [r["skipped_reason"] for r in run.opens] == ["", "duplicate_trade_id", ""]
    assert run.opens[2]["qty"] == run.opens[0]["qty"]
    s = run.summary
    assert (s["trades_taken"], s["retried_opens"], s["trades_closed"]) == (1, 1, 1)
    assert len(run.closes) == 1


def test_extra_columns_and_header_case_are_ignored(tmp_path):
    header = "Symbol, SIDE ,timestamp,entry_price,sl_price,exit_time,exit_price,note"
    run = Run(tmp_path, row() + ",hello", header=header)
    assert run.summary["trades_taken"] == 1


# --- bad rows: a skip with the line number, never an abort -----------------------------------------

@pytest.mark.parametrize("bad, detail", [
    (row(entry="abc"), "line 3: entry_price 'abc' is not a number"),
    (row(stop="x"), "line 3: sl_price 'x' is not a number"),
    (row(xp="1,5").replace(",1,5", ',"1,5"'), "line 3: exit_price '1,5' is not a number"),
    (row(side="up"), "line 3: side 'up' is not long/short/buy/sell or 1/-1"),
    (row(ts="soon"), "line 3: timestamp 'soon' is not an ISO 8601 time or an epoch number"),
    (row(xt="2024-02-30T00:00:00"), "line 3: exit_time '2024-02-30T00:00:00' is not an ISO 8601 time or an "
                                   "epoch number"),
    (row(entry=""), "line 3: entry_price is blank"),
    (row(symbol=" "), "line 3: symbol is blank"),
    (row(xp="0"), "line 3: exit_price '0' must be a finite number > 0"),
    (row(xp="nan"), "line 3: exit_price 'nan' must be a finite number > 0"),
    (row(xt="2023-12-31T23:59:59Z"), "line 3: exit_time '2023-12-31T23:59:59Z' is before timestamp "
                                     "'2024-01-01T00:00:00Z'"),
    # docs/harness.md: one exit blank and not the other stays invalid (both blank: still open).
    (row(xt=""), "line 3: exit_time is blank (leave exit_price blank too for a trade still open)"),
    (row(xp=" "), "line 3: exit_price is blank (leave exit_time blank too for a trade still open)"),
    (row() + ",extra", "line 3: expected 7 fields, got 8"),
    ("BTC,long,2024-01-01T00:00:00Z", "line 3: expected 7 fields, got 3"),
])
def test_bad_row_is_invalid_input_with_line_number(tmp_path, bad, detail):
    """docs/harness.md: a row that fails validation is a skip (invalid_input, with its line), never an abort."""
    run = Run(tmp_path, row(), bad, row(symbol="ETH"))
    assert [r["skipped_reason"] for r in run.opens] == ["", "invalid_input", ""]
    assert run.opens[1]["detail"] == detail
    assert run.opens[1]["line"] == "3"
    assert run.opens[1]["qty"] == "0.0"
    assert run.summary["skipped_by_reason"]["invalid_input"] == 1
    assert run.summary["trades_in"] == 3 and run.summary["trades_taken"] == 2
    assert len(run.closes) == 2  # a skipped row has no exit


def test_engine_rejected_row_is_invalid_input_via_the_engine(tmp_path):
    """docs/engine.md §2 step 1: a stop on the wrong side is the engine's own invalid_input."""
    run = Run(tmp_path, row(stop="101"), row(ts="1000", xt="2000"))
    a, b = run.opens
    assert a["skipped_reason"] == "invalid_input" and "must be below entry_price" in a["detail"]
    assert b["skipped_reason"] == "invalid_input" and "entry_ts_ms" in b["detail"]  # 1000 s: 1970
    assert run.summary["skipped_by_reason"]["invalid_input"] == 2
    assert run.closes == []


def test_line_numbers_count_blank_and_multiline_rows(tmp_path):
    """docs/harness.md: the line number is the file line a row starts on; a blank line is not a trade."""
    text = "\n".join([HEADER, row(), "", row(entry="bad"), 'BTC,"lo\nng",2024,1,2,3,4', row(entry="x")]) + "\n"
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    risk, _ = write_configs(tmp_path)
    s = run_harness(path, risk, tmp_path / "out")
    assert s["trades_in"] == 4
    opens = read_csv(tmp_path / "out" / "open_allocations.csv")
    assert [r["line"] for r in opens] == ["2", "4", "5", "7"]  # the quoted field spans lines 5-6
    assert opens[1]["detail"].startswith("line 4: entry_price")
    assert opens[3]["detail"] == "line 7: entry_price 'x' is not a number"


def test_crlf_line_endings(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(("\r\n".join([HEADER, row(), row(entry="x"), row()]) + "\r\n").encode())
    risk, _ = write_configs(tmp_path)
    run_harness(path, risk, tmp_path / "out")
    opens = read_csv(tmp_path / "out" / "open_allocations.csv")
    assert [r["line"] for r in opens] == ["2", "3", "4"]
    assert opens[1]["detail"] == "line 3: entry_price 'x' is not a number"


def test_utf8_bom_header_is_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeff" + HEADER + "\n" + row() + "\n", encoding="utf-8")
    risk, _ = write_configs(tmp_path)
    assert run_harness(path, risk, tmp_path / "out")["trades_taken"] == 1


# --- the stop's two names, every missing column at once ---------------------------------------------

def test_stop_price_column_is_accepted_for_sl_price(tmp_path):
    """docs/harness.md: `stop_price` is accepted for `sl_price` (the engine's and the outputs' name):
    the same run, and a bad stop is named by the file's own column."""
    rows = (row(), row("short", xp="99"), row(stop="x"), row(stop="101"))
    sl = Run(tmp_path / "sl", *rows)
    stop = Run(tmp_path / "stop", *rows, header=HEADER.replace("sl_price", "Stop_Price"))
    details = [r.pop("detail") for r in stop.opens], [r.pop("detail") for r in sl.opens]
    assert stop.opens == sl.opens and stop.closes == sl.closes
    assert details[0][2] == "line 4: stop_price 'x' is not a number"
    assert details[1][2] == "line 4: sl_price 'x' is not a number"
    assert details[0][3] == details[1][3]  # the engine's own invalid_input (a long's stop above entry)
    assert stop.opens[3]["skipped_reason"] == "invalid_input"
    assert stop.summary["trades_taken"] == 2


def test_sl_price_and_stop_price_together_is_input_error(tmp_path):
    """Two columns for the one stop: which one is meant cannot be guessed."""
    path = write_trades(tmp_path, row() + ",97", header=HEADER + ",stop_price")
    risk, _ = write_configs(tmp_path)
    with pytest.raises(InputError, match="columns 'sl_price' and 'stop_price' both give the same value; keep one"):
        run_harness(path, risk, tmp_path / "out")


def test_every_missing_column_is_named_at_once_in_one_line(tmp_path):
    """docs/harness.md: a file missing columns is refused with every missing column named at once
    (a foreign file is fixed in one round, not seven)."""
    path = write_trades(tmp_path, "BTC,2024-01-01,100,101,x", header="Symbol,timestamp,entry_price,exit_price,note")
    risk, _ = write_configs(tmp_path)
    with pytest.raises(InputError) as err:
        run_harness(path, risk, tmp_path / "out")
    msg = str(err.value)
    assert msg == (f"{path}: missing required columns 'side', 'sl_price' (or 'stop_price'), 'exit_time'; "
                   "the header has: symbol, timestamp, entry_price, exit_price, note")
    assert not (tmp_path / "out").exists()


# --- the whole file: InputError -------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time",
                                     "exit_price"])
def test_missing_required_column_is_input_error_naming_file_and_column(tmp_path, missing):
    """docs/harness.md: every required column must be in the header."""
    header = ",".join(c for c in HEADER.split(",") if c != missing)
    path = write_trades(tmp_path, "a,b,c,d,e,f", header=header)
    risk, _ = write_configs(tmp_path)
    with pytest.raises(InputError) as err:
        run_harness(path, risk, tmp_path / "out")
    msg = str(err.value)
    assert str(path) in msg and repr(missing) in msg and "\n" not in msg
    assert not (tmp_path / "out").exists()  # nothing written for a file that cannot run


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    (HEADER + "\n", "no trade rows"),
    (None, "cannot read"),
    (b"\xff\xfe\x00bad", "UTF-8"),
])
def test_unusable_file_is_input_error(tmp_path, content, words):
    path = tmp_path / "t.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    risk, _ = write_configs(tmp_path)
    with pytest.raises(InputError, match=words) as err:
        run_harness(path, risk, tmp_path / "out")
    assert str(path) in str(err.value)


def test_duplicate_required_column_is_input_error(tmp_path):
    path = write_trades(tmp_path, row() + ",1", header=HEADER + ",side")
    risk, _ = write_configs(tmp_path)
    with pytest.raises(InputError, match="'side' appears twice"):
        run_harness(path, risk, tmp_path / "out")


def test_json_configs_load(tmp_path):
    """docs/engine.md §1: a .json config with the same keys loads too."""
    risk, pol = write_configs(tmp_path / "c", policy={"max_trades_per_day": 1}, ext="json")
    path = write_trades(tmp_path, row(), row(ts="2024-01-01T00:30:00Z"))
    s = run_harness(path, risk, tmp_path / "out", pol)
    assert s["skipped_by_reason"]["max_trades_per_day"] == 1
