"""try_open and close have a fast check for the well-typed call; it must decide exactly as the careful
path does. A str or int subclass argument always takes the careful path, so two engines fed the same
events, one through each path, must end with the same results and the same state, to the last bit."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from property_budget import examples
from tc1console.engine import config
from tc1console.engine.core import MAX_PRICE, MAX_TS_MS, MIN_TS_MS, RiskEngine
from tc1console.engine.errors import Tc1Error
from tc1console.engine.rails import MS_PER_DAY, day_key_of_index, month_days, period_loss, week_days


class Text(str):
    """Equal to the str it wraps, but not exactly a str: the careful path."""


class Whole(int):
    """Equal to the int it wraps, but not exactly an int: the careful path."""


class Real(float):
    """Equal to the float it wraps, but not exactly a float: the careful path."""


T0 = 1_700_000_000_000
EDGE_FLOATS = [0.0, -0.0, -1.0, 5e-324, float("nan"), float("inf"), -float("inf"), MAX_PRICE,
               MAX_PRICE * 0.999, 1e-300, 100.0, 99.99999999999999, 100.00000000000001]
EDGE_TIMES = [MIN_TS_MS - 1, MIN_TS_MS, MAX_TS_MS - 1, MAX_TS_MS, -T0, float(T0), True]
edge_prices = st.sampled_from([*EDGE_FLOATS, 7, 10**6])  # ints: the careful path accepts them


@st.composite
def opens(draw: st.DrawFn) -> tuple:
    """Mostly a valid entry (so trades are taken and closed), now and then one odd argument."""
    is_long = draw(st.booleans())
    entry = draw(st.floats(min_value=1.0, max_value=1_000.0))
    distance = entry * draw(st.floats(0.001, 0.2))
    stop = entry - distance if is_long else entry + distance
    args = [draw(st.sampled_from(["a", "b", "c", "d"])), draw(st.sampled_from(["BTC", "ETH"])), is_long,
            T0 + draw(st.integers(0, 3)) * 3_600_000, entry, stop]
    if draw(st.booleans()):  # one odd argument
        k = draw(st.integers(0, 7))
        if k == 6:
            args[5] = entry  # stop == entry
        elif k == 7:
            args[5] = entry + distance if is_long else entry - distance  # the stop on the wrong side
        else:
            args[k] = draw([st.sampled_from(["", "a"]), st.sampled_from(["", "BTC"]),
                            st.sampled_from([1, 0, None]), st.sampled_from(EDGE_TIMES),
                            edge_prices, edge_prices][k])
    return tuple(args)


closes = st.tuples(st.sampled_from(["a", "b", "c", "d"]),
                   st.integers(T0, T0 + 4 * 3_600_000) | st.sampled_from(EDGE_TIMES),
                   st.floats(min_value=1.0, max_value=1_000.0) | edge_prices)
events = st.lists(st.tuples(st.booleans(), opens(), closes), min_size=10, max_size=40)

OVERLAY = {**config.DEFAULTS["overlay"], "symbol_overrides": {}, "default_min_notional": 0.0,
           "default_min_qty": 0.0, "max_concurrent_trades": 3}
POLICY = {"equity_floor": 9_000.0, "daily_loss_cap": 150.0, "max_trades_per_day": 30}


def _engine() -> RiskEngine:
    return RiskEngine(config.validate("overlay", OVERLAY, "test"),  # type: ignore[arg-type]
                      config.validate("policy", POLICY, "test"))  # type: ignore[arg-type]


def _bits(value: Any) -> Any:
    """Floats by their bits (so -0.0 != 0.0 and NaN == NaN), everything else as is."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, (tuple, list)):
        return [_bits(v) for v in value]
    if isinstance(value, dict):
        return {k: _bits(v) for k, v in value.items()}
    return value


def _outcome(call, *args: Any) -> Any:
    try:
        return _bits(tuple(call(*args)))
    except Tc1Error as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=examples(300))
@given(events)
def test_fast_checks_decide_exactly_as_the_careful_path(evs):
    fast, careful = _engine(), _engine()
    for is_open, (tid, sym, is_long, ts, entry, stop), (ctid, xts, xpx) in evs:
        if is_open:
            got = _outcome(fast.try_open, tid, sym, is_long, ts, entry, stop)
            want = _outcome(careful.try_open, Text(tid), sym, is_long, ts, entry, stop)
        else:
            got = _outcome(fast.close, ctid, xts, xpx)
            want = _outcome(careful.close, ctid, Whole(xts) if type(xts) is int else xts,
                            Real(xpx) if type(xpx) is float else xpx)
        assert got == want
    assert _bits(fast.book_state()) == _bits(careful.book_state())
    assert _bits(fast.days_state()) == _bits(careful.days_state())
    assert _bits([fast.total_open_risk, fast.open_notional]) == \
        _bits([careful.total_open_risk, careful.open_notional])


# --- a period's loss, summed again from partials, against the plain fsum over its days -------------

def _day(d: int) -> int:
    """The UTC day index of day `d` after T0."""
    return (T0 + d * MS_PER_DAY) // MS_PER_DAY


@st.composite
def booking_days(draw: st.DrawFn) -> list[tuple]:
    """Trades over seven weeks closed in any order (so PnL lands on past days as well as the
    latest), and now and then a reset of some day buckets or of all of them."""
    steps = []
    for i in range(draw(st.integers(1, 60))):
        if draw(st.integers(0, 9)) == 0:
            steps.append(("reset", draw(st.none() | st.lists(st.integers(0, 48), max_size=4))))
            continue
        entry = T0 + draw(st.integers(0, 48)) * MS_PER_DAY + draw(st.integers(0, MS_PER_DAY - 1))
        exit_ = entry + draw(st.integers(0, 4 * MS_PER_DAY))
        steps.append(("trade", f"t{i}", entry, exit_, draw(st.floats(0.9, 1.1))))
    return steps


@settings(max_examples=examples(300))
@given(booking_days(), st.lists(st.integers(0, 48), min_size=1, max_size=5))
def test_period_loss_equals_the_plain_fsum_over_its_days(steps, asked):
    """docs/engine.md 2.3: a week's or month's loss is the fsum of its days' PnL whatever order the
    closes came in; the engine's remembered partials give that very float after every change."""
    engine = RiskEngine(config.validate("overlay", {**OVERLAY, "max_concurrent_trades": None}, "test"),  # type: ignore[arg-type]
                        config.validate("policy", {}, "test"))  # type: ignore[arg-type]
    for step in steps:
        if step[0] == "reset":
            engine.apply_reset(None if step[1] is None else
                               [day_key_of_index(_day(d)) for d in step[1]])
        else:
            _, tid, entry, exit_, move = step
            opened = engine.try_open(tid, "BTCUSDT", True, entry, 100.0, 99.0)
            if opened.qty:
                engine.close(tid, exit_, round(100.0 * move, 2))
        for d in asked:
            for keys in (week_days(_day(d)), month_days(_day(d))):
                assert engine.period_loss(keys) == period_loss(engine.days, keys), (step, keys)
