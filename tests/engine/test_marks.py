"""Marks against the book (docs/console.md, marks; issue 18 item 1): pure arithmetic, no files.

Unrealized PnL is what a close at the mark would book, to the last bit; the worst case is every stop
hit, fees included; stale marks are flagged, not dropped.
"""

from __future__ import annotations

import pytest

from tc1console.engine import config
from tc1console.engine.core import RiskEngine
from tc1console.engine.marks import (CORRUPT, MISSING, OK, STALE, STALE_AFTER_MS, Marks, mark_book,
                                     marks_note, parse_marks)

T0 = 1_764_000_000_000


def engine(**overlay) -> RiskEngine:
    o = config.validate("overlay", {**config.DEFAULTS["overlay"], **overlay}, "overlay")
    p = config.validate("policy", {}, "policy")
    return RiskEngine(o, p)


def book(e: RiskEngine) -> RiskEngine:
    e.try_open("L", "BTCUSDT", True, T0, 60_000.0, 59_400.0)
    e.try_open("S", "ETHUSDT", False, T0 + 1, 3_000.0, 3_040.0)
    assert len(e.positions) == 2
    return e


def marks(prices: dict[str, float], ts: int = T0 + 60_000) -> Marks:
    return Marks(OK, {s: (p, ts) for s, p in prices.items()}, ts)


@pytest.mark.parametrize("fees_in_risk", [True, False])
def test_unrealized_pnl_is_exactly_what_a_close_at_the_mark_would_book(fees_in_risk: bool) -> None:
    e = book(engine(fees_in_risk=fees_in_risk, fee_bps_per_side=7.5))
    prices = {"BTCUSDT": 60_731.17, "ETHUSDT": 2_987.43}
    b = mark_book(e.positions.values(), e.balance, marks(prices))
    for tid, symbol in (("L", "BTCUSDT"), ("S", "ETHUSDT")):
        done = e.close(tid, T0 + 60_000, prices[symbol])
        assert b.positions[tid].unrealized == done.pnl_after_fees
        assert b.positions[tid].r_now == done.R_multiple
    assert b.unrealized == pytest.approx(sum(m.unrealized for m in b.positions.values()), abs=1e-12)
    assert b.equity == b.balance + b.unrealized


def test_worst_case_is_every_stop_hit_with_fees_and_needs_no_marks() -> None:
    e = book(engine(fee_bps_per_side=4.0))
    at_stops = []
    probe = book(engine(fee_bps_per_side=4.0))
    for tid, pos in probe.positions.copy().items():
        at_stops.append(probe.close(tid, T0 + 5, pos.alloc.stop_price).pnl_after_fees)
    b = mark_book(e.positions.values(), e.balance, Marks(MISSING))
    assert b.worst_case == pytest.approx(sum(at_stops), abs=1e-9)
    # fees_in_risk (the default) sizes so that a stop-out loses at most the risk budget
    assert -b.worst_case <= e.total_open_risk + 1e-9
    assert b.equity is None and b.freshness(T0) == MISSING and marks_note(b, T0) == "no marks"


def test_distance_to_stop_is_the_room_left_in_percent_of_the_mark() -> None:
    e = book(engine())
    b = mark_book(e.positions.values(), e.balance, marks({"BTCUSDT": 60_000.0, "ETHUSDT": 3_050.0}))
    assert b.positions["L"].to_stop_pct == pytest.approx(1.0)  # 600 of 60,000 left to fall
    assert b.positions["S"].to_stop_pct < 0  # the short's mark is through its stop already


def test_stale_marks_are_flagged_with_their_age_and_still_used() -> None:
    e = book(engine())
    b = mark_book(e.positions.values(), e.balance, marks({"BTCUSDT": 60_100.0, "ETHUSDT": 3_000.0}, T0))
    assert b.freshness(T0 + 4_000) == OK and marks_note(b, T0 + 4_000) == "marks 4s old"
    later = T0 + 5 * 60_000
    assert b.freshness(later) == STALE and b.age_ms(later) > STALE_AFTER_MS
    assert marks_note(b, later) == "marks 5 min old"
    assert b.as_dict(later)["unrealized"] == b.unrealized  # still shown, flagged


def test_a_position_without_a_mark_is_counted_apart() -> None:
    e = book(engine())
    b = mark_book(e.positions.values(), e.balance, marks({"BTCUSDT": 60_100.0}))
    assert set(b.positions) == {"L"} and b.marked == 1 and b.open_count == 2
    assert marks_note(b, T0 + 61_000) == "marks 1s old (1 of 2 marked)"
    none = mark_book(e.positions.values(), e.balance, marks({"SOLUSDT": 150.0}))
    assert none.equity is None and marks_note(none, T0 + 61_000) == "no marks for the open symbols"


def test_the_file_forms_a_bot_and_a_person_write() -> None:
    long_form = parse_marks({"ts_ms": T0, "marks": {"BTCUSDT": {"price": 1.5, "ts_ms": T0 - 10}}})
    assert long_form.status == OK and long_form.prices == {"BTCUSDT": (1.5, T0 - 10)} and long_form.ts_ms == T0
    short = parse_marks({"BTCUSDT": 91_250, "ETHUSDT": 3_120.5}, written_ms=T0)
    assert short.prices == {"BTCUSDT": (91_250.0, T0), "ETHUSDT": (3_120.5, T0)}


def test_bad_entries_hide_only_themselves_and_a_wrong_shape_is_corrupt() -> None:
    m = parse_marks({"ts_ms": T0, "marks": {"A": {"price": "x"}, "B": {"price": -1}, "C": {"price": 2.0},
                                            "D": [1, 2], "E": {"price": 3.0, "ts_ms": "soon"}}})
    assert m.status == OK and m.prices == {"C": (2.0, T0)}
    bad = parse_marks([1, 2, 3])
    assert bad.status == CORRUPT and "JSON object" in bad.problem
