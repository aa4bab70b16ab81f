"""Exact sizing (docs/engine.md section 2 items 5-8): every quantity decimal-exact, and the close arithmetic (section 3).

The engine's `sizing.size` is held to an exact reference written with fractions.Fraction in the tests
(exact_reference.py), over random and exchange-grid prices, odd steps, huge and tiny quantities and
leverage-bound cases; `size_plain` (the same rule in decimal.Decimal) is held to both.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from property_budget import examples
from tc1console.engine import sizing
from tc1console.engine.numbers import dec, dec_plain, dec_shortest, dec_trimmed, exact_partials
from tests.engine.exact_reference import Answer, Case, reference

SETTINGS = settings(max_examples=examples(400))
STEPS = [0.001, 0.01, 0.1, 1.0, 0.5, 0.25, 0.005, 2.5e-5, 1e-8, 1e-7, 10.0, 0.007, 2.5]


def run(c: Case, impl=sizing.size) -> Answer:
    caps = sizing.Caps(c.flat_until, c.flat, c.percent, c.per_trade_cap, c.total_cap, c.fees_in_risk, c.leverage)
    market = sizing.Market(c.step, c.min_qty, c.min_notional, c.fee_bps)
    s = impl(c.balance, caps, market, c.open_risk, c.open_notional, c.daily, c.entry, c.stop)
    return Answer(s.qty, s.risk_amount, s.notional, s.budget, s.reason)


def check(c: Case) -> Answer:
    want = reference(c)
    got = run(c)
    assert got == want, (c, got, want)
    assert run(c, sizing.size_general) == want, c
    assert run(c, sizing.size_plain) == want, c
    return got


def full(c: Case, impl=sizing.size) -> tuple:
    """Everything `impl` answers, the skip detail included, floats by their bits."""
    caps = sizing.Caps(c.flat_until, c.flat, c.percent, c.per_trade_cap, c.total_cap, c.fees_in_risk, c.leverage)
    market = sizing.Market(c.step, c.min_qty, c.min_notional, c.fee_bps)
    s = impl(c.balance, caps, market, c.open_risk, c.open_notional, c.daily, c.entry, c.stop)
    return tuple(v.hex() if isinstance(v, float) else v for v in s)


# --- the four cases of issue 12, where binary floats were one step off --------------------------------

def test_long_1_25_stop_1_24_buys_exactly_10000() -> None:
    """docs/engine.md 2.7: balance 10,000 at 1%, long 1.25 stop 1.24, step 0.001: 10,000 (floats gave 9,999.999)."""
    assert check(Case(10_000.0, 0.01, 1.25, 1.24, 0.001, fees_in_risk=False)).qty == 10_000.0


def test_large_short_is_not_one_step_short() -> None:
    """docs/engine.md 2.7: balance 8,629,766.39 at 1.5%, short 130.3594 stop 148.5695, step 0.5: 7108.5 (floats: 7108.0)."""
    assert check(Case(8_629_766.39, 0.015, 130.3594, 148.5695, 0.5, fees_in_risk=False)).qty == 7108.5


def test_tiny_price_is_never_one_step_over_the_budget() -> None:
    """docs/engine.md 2.7: balance 289.19 at 1.57%, long 0.003654247 stop 0.003641085, step 1e-7:
    344953.8823886 (floats gave ...887, over the budget)."""
    got = check(Case(289.19, 0.0157, 0.003654247, 0.003641085, 1e-7, fees_in_risk=False))
    assert got.qty == 344953.8823886
    assert Fraction(repr(got.qty)) * (Fraction("0.003654247") - Fraction("0.003641085")) <= \
        Fraction("289.19") * Fraction("0.0157")


def test_leverage_room_of_exactly_7_95_units_buys_7_95() -> None:
    """docs/engine.md 2.7: max_leverage 1, balance 152.64, entry 19.2, step 0.0001: room / entry is 7.95
    exactly (floats gave 7.9499)."""
    got = check(Case(152.64, 0.5, 19.2, 19.1, 0.0001, leverage=1.0, fees_in_risk=False))
    assert got.qty == 7.95 and got.notional == 152.64


# --- the rule, piece by piece ----------------------------------------------------------------------

def test_budget_is_flat_below_the_threshold_and_percent_at_it() -> None:
    """docs/engine.md 2.5: flat_risk_amount while balance < flat_risk_until; balance * percent at or above."""
    assert check(Case(4_999.99, 0.01, 100.0, 90.0, 0.001, flat_until=5_000.0, flat=25.0)).budget == 25.0
    assert check(Case(5_000.0, 0.01, 100.0, 90.0, 0.001, flat_until=5_000.0, flat=25.0)).budget == 50.0


def test_budget_is_capped_per_trade_then_by_open_risk_headroom() -> None:
    """docs/engine.md 2.5: min(budget, per_trade_risk_cap), then min(budget, cap - total_open_risk)."""
    assert check(Case(100_000.0, 0.01, 100.0, 90.0, 0.001, per_trade_cap=300.0)).budget == 300.0
    assert check(Case(100_000.0, 0.01, 100.0, 90.0, 0.001, per_trade_cap=300.0, total_cap=400.0,
                      open_risk=250.0)).budget == 150.0
    assert check(Case(100_000.0, 0.01, 100.0, 90.0, 0.001, total_cap=400.0, open_risk=400.0)).reason == \
        "total_open_risk_cap"


def test_daily_loss_left_clamps_the_budget_and_blocks_at_zero() -> None:
    """docs/engine.md 2.5: with daily_loss_includes_open_risk, left = cap + today's pnl - open risk."""
    assert check(Case(10_000.0, 0.01, 100.0, 90.0, 0.001, open_risk=50.0, daily=(200.0, -120.0))).budget == 30.0
    assert check(Case(10_000.0, 0.01, 100.0, 90.0, 0.001, open_risk=80.0, daily=(200.0, -120.0))).reason == \
        "daily_loss_cap"
    assert check(Case(10_000.0, 0.01, 100.0, 90.0, 0.001, open_risk=80.0, daily=(200.0, 300.0))).budget == 100.0


@pytest.mark.parametrize("case", [
    Case(10_000.0, 0.01, 100.0, 90.0, 1e-20, open_risk=1.0, daily=(1.0, 1e-17)),  # float left: 0.0
    Case(10_000.0, 0.01, 100.0, 90.0, 1e-20, total_cap=1.0 + 2 ** -52, open_risk=1.0),  # a sliver
])
def test_a_headroom_that_rounds_to_zero_as_a_float_is_sized_exactly(case: Case) -> None:
    """docs/engine.md 2.5: the day's left (1 + 1e-17 - 1) or the open-risk headroom is exactly a
    sliver above 0 while its float may be 0.0: sized by the exact rule, never a division by zero
    (found by the Hypothesis test of daily_loss_includes_open_risk)."""
    check(case)


def test_per_unit_risk_adds_both_fees_when_fees_in_risk() -> None:
    """docs/engine.md 2.6: per-unit risk = |entry - stop| + fee_rate * (entry + stop); budget 100 at 10 bps:
    unit 5 + 0.001 * 195 = 5.195, qty floor(100 / 5.195) = 19.249 at step 0.001."""
    assert check(Case(10_000.0, 0.01, 100.0, 95.0, 0.001, fee_bps=10.0)).qty == 19.249
    assert check(Case(10_000.0, 0.01, 100.0, 95.0, 0.001, fee_bps=10.0, fees_in_risk=False)).qty == 20.0


@pytest.mark.parametrize(("budget_qty", "step", "want"), [(0.3, 0.1, 0.3), (4.35, 0.05, 4.35), (0.29, 0.1, 0.2),
                                                          (2.675, 0.01, 2.67), (1.1, 0.25, 1.0)])
def test_qty_rounds_down_to_the_step_never_up(budget_qty: float, step: float, want: float) -> None:
    """docs/engine.md 2.7: whole steps in decimal (0.3 / 0.1 is 2.9999999999999996 in binary)."""
    # budget = budget_qty * 10 at unit 10: the raw quantity is budget_qty
    assert check(Case(budget_qty * 1_000, 0.01, 100.0, 90.0, step, fees_in_risk=False)).qty == want


def test_minimums_refuse_too_small_entries() -> None:
    """docs/engine.md 2.8: qty == 0 or < min_qty -> below_min_qty; qty * entry < min_notional -> below_min_notional."""
    assert check(Case(10_000.0, 0.0001, 100.0, 50.0, 1.0)).reason == "below_min_qty"
    assert check(Case(10_000.0, 0.01, 100.0, 90.0, 0.001, min_qty=20.0)).reason == "below_min_qty"
    assert check(Case(10_000.0, 0.01, 1.0, 0.5, 1.0, min_notional=500.0)).reason == "below_min_notional"


def test_skip_details_read_like_money() -> None:
    """Issue 12 item 5: "notional 4.53 below min notional 5.00", never a raw float repr."""
    caps = sizing.Caps(0.0, 25.0, 0.01, None, 300.0, True, None)
    s = sizing.size(10_000.0, caps, sizing.Market(1.0, 0.0, 500.0, 0.0), 0.0, 0.0, None, 1.0, 0.5)
    assert s.detail == "notional 200.00 below min notional 500.00"
    s = sizing.size(10_000.0, caps, sizing.Market(1.0, 0.0, 0.0, 0.0), 300.0, 0.0, None, 1.0, 0.5)
    assert s.detail == "open risk 300.00 already at cap 300.00"


def test_a_quantity_a_float_cannot_hold_steps_down_to_one_it_can() -> None:
    """docs/engine.md 2.7: past 15 significant digits the float nearest n * step may not read back as a
    multiple: the largest multiple below whose float does."""
    got = check(Case(1e6, 0.01, 1.0, 0.99999, 1e-8, fees_in_risk=False))
    assert got.qty > 0 and Fraction(repr(got.qty)) % Fraction("1e-8") == 0


def test_a_vanishing_per_unit_risk_never_sizes_an_infinite_quantity() -> None:
    """docs/engine.md 2.7-2.8: a quantity past the float range is refused, never inf."""
    assert check(Case(1e300, 0.5, 2e-300, 1e-300, 1e-300, fees_in_risk=False)).reason == "invalid_input"


# --- Hypothesis against the Fraction reference -----------------------------------------------------------

money = st.floats(min_value=1.0, max_value=1e7, allow_nan=False)
rounded_money = st.builds(lambda x, d: round(x, d), money, st.integers(0, 2))


@st.composite
def random_cases(draw: st.DrawFn) -> Case:
    entry = draw(st.floats(1e-6, 1e6) | st.builds(lambda x, d: round(x, d), st.floats(0.01, 1e5),
                                                  st.integers(0, 8)).filter(lambda x: x > 0))
    frac = draw(st.floats(1e-5, 0.5))
    is_long = draw(st.booleans())
    stop = entry * (1 - frac) if is_long else entry * (1 + frac)
    if not 0 < stop != entry:
        stop = entry / 2
    return _case(draw, entry, stop)


@st.composite
def grid_cases(draw: st.DrawFn) -> Case:
    """Prices on an exchange's tick grid with a round stop distance: what real bots send."""
    decimals = draw(st.integers(0, 8))
    tick = Fraction(1, 10 ** decimals)
    entry = float(tick * draw(st.integers(1, 10 ** 7)))
    ticks = draw(st.sampled_from([1, 2, 5, 10, 25, 50, 100, 250, 1000]))
    is_long = draw(st.booleans())
    stop = float(Fraction(repr(entry)) - ticks * tick if is_long else Fraction(repr(entry)) + ticks * tick)
    if not 0 < stop != entry:
        stop = float(Fraction(repr(entry)) + ticks * tick)
    return _case(draw, entry, stop)


def _case(draw: st.DrawFn, entry: float, stop: float) -> Case:
    balance = draw(rounded_money | money)
    return Case(
        balance=balance,
        percent=draw(st.sampled_from([0.001, 0.005, 0.01, 0.015, 0.0157, 0.02]) | st.floats(1e-4, 0.2)),
        entry=entry, stop=stop, step=draw(st.sampled_from(STEPS)),
        flat_until=draw(st.sampled_from([0.0, 5_000.0])), flat=draw(st.sampled_from([25.0, 7.5])),
        per_trade_cap=draw(st.none() | st.sampled_from([100.0, 37.5, 1e5])),
        total_cap=draw(st.none() | st.sampled_from([300.0, 1_000.0])),
        open_risk=draw(st.sampled_from([0.0, 49.9, 250.123456789]) | st.floats(0.0, 300.0)),
        open_notional=draw(st.sampled_from([0.0]) | st.floats(0.0, balance * 3)),
        leverage=draw(st.none() | st.sampled_from([0.5, 1.0, 3.0, 20.0])),
        fee_bps=draw(st.sampled_from([0.0, 2.0, 4.0, 7.5, 10.0])),
        fees_in_risk=draw(st.booleans()),
        min_qty=draw(st.sampled_from([0.0, 0.001, 1.0])), min_notional=draw(st.sampled_from([0.0, 5.0, 100.0])),
        daily=draw(st.none() | st.tuples(st.sampled_from([200.0, 1_000.0]), st.floats(-500.0, 500.0))))


@SETTINGS
@given(c=random_cases())
def test_random_cases_equal_the_exact_reference(c: Case) -> None:
    """docs/engine.md 2.5-2.8 exactly: qty, budget, risk_amount, notional and the reason, on random prices."""
    check(c)


@SETTINGS
@given(c=grid_cases())
def test_grid_aligned_cases_equal_the_exact_reference(c: Case) -> None:
    """The same on tick-grid prices with round stop distances, where the quotient is often a whole
    number of steps exactly (binary floats were one step short in 39% of such cases)."""
    check(c)


@SETTINGS
@given(balance=st.floats(1e4, 1e9), entry=st.floats(1e-4, 10.0), frac=st.floats(1e-7, 1e-3),
       step=st.sampled_from([1e-8, 2.5e-5, 1e-7, 0.005]))
def test_huge_quantities_in_tiny_steps_equal_the_exact_reference(balance: float, entry: float, frac: float,
                                                                 step: float) -> None:
    """Quantities of 1e8 steps and more, where the float nearest n * step thins out."""
    check(Case(balance, 0.05, entry, entry * (1 - frac), step, fees_in_risk=False))


@SETTINGS
@given(balance=money, entry=st.floats(0.01, 1e5), lev=st.sampled_from([0.25, 1.0, 2.0, 3.0]),
       held=st.floats(0.0, 1.0), fit=st.floats(0.999, 1.001) | st.floats(0.2, 5.0), step=st.sampled_from(STEPS))
def test_leverage_bound_cases_equal_the_exact_reference(balance: float, entry: float, lev: float, held: float,
                                                        fit: float, step: float) -> None:
    """docs/engine.md 2.7: qty = min(the budget's floor, the room's floor), exactly, right where leverage
    starts to bind (`fit` puts the budget's quantity near the room's)."""
    open_notional = balance * lev * held * 0.99
    room = balance * lev - open_notional
    budget = balance * 0.01
    stop = entry - budget / (room / entry * fit)
    if 0 < stop < entry:
        check(Case(balance, 0.01, entry, stop, step, open_notional=open_notional, leverage=lev, fees_in_risk=False))


@settings(max_examples=examples(2000))
@given(x=st.floats(min_value=0.0, allow_infinity=False, allow_nan=False))
def test_fast_decimal_of_a_float_equals_its_shortest_repr(x: float) -> None:
    """numbers.dec (its 1e8 fast path and orjson's digits) reads every float as repr does."""
    m, k = dec(x)
    assert Fraction(m, 10 ** k) == Fraction(repr(x)) and (m, k) == dec_plain(x) or \
        Fraction(m, 10 ** k) == Fraction(*[int(v) for v in (dec_plain(x)[0], 10 ** dec_plain(x)[1])])


@settings(max_examples=examples(2000))
@given(x=st.floats(min_value=0.0, allow_infinity=False, allow_nan=False)
       | st.builds(lambda m, k: m / 10 ** k, st.integers(0, 10 ** 17), st.integers(0, 20)))
def test_shortest_and_trimmed_decimals_equal_the_shortest_repr(x: float) -> None:
    """numbers.dec_shortest (orjson's digits, no fast-path attempt) and dec_trimmed (the fewest
    digits, what the config constants are kept as) are the value of x's shortest repr."""
    assert Fraction(*_ratio(dec_shortest(x))) == Fraction(repr(x))
    m, k = dec_trimmed(x)
    assert Fraction(m, 10 ** k) == Fraction(repr(x)) and (k == 0 or m % 10 != 0)


def _ratio(d: tuple[int, int]) -> tuple[int, int]:
    return d[0], 10 ** d[1]


# --- size's common path (prices of up to 8 decimals, no day-left) against size_general ---------------

def _ulps(x: float, n: int) -> float:
    for _ in range(abs(n)):
        x = math.nextafter(x, math.inf if n > 0 else -math.inf)
    return x


@st.composite
def headroom_edge_cases(draw: st.DrawFn) -> Case:
    """Where size's float test of the open-risk headroom against the budget sits on its edge: the
    headroom within a few ulps, or a few parts in 1e12, of the per-trade cap or balance * percent,
    open risk with up to 17 digits, prices on a tick grid of up to 8 decimals (the common path)."""
    decimals = draw(st.integers(0, 8))
    tick = Fraction(1, 10 ** decimals)
    entry = float(tick * draw(st.integers(10, 10 ** 9 // 10 ** (8 - decimals) + 10)))
    if not 0 < entry < 1e7:
        entry = 1.25
    ticks = draw(st.integers(1, 500))
    is_long = draw(st.booleans())
    stop = float(F_(entry) - ticks * tick if is_long else F_(entry) + ticks * tick)
    if not 0 < stop != entry:
        stop = float(F_(entry) + ticks * tick)
    total = draw(st.sampled_from([300.0, 1_000.0, 250.5]))
    balance = draw(st.sampled_from([10_000.0, 20_000.0, 8_629_766.39]) | st.floats(5_000.0, 1e6))
    percent = draw(st.sampled_from([0.005, 0.01, 0.0157]))
    per_trade = draw(st.none() | st.sampled_from([100.0, 37.5]))
    target = per_trade if per_trade is not None and per_trade < balance * percent else balance * percent
    if target >= total:
        target = total / 2
    nudge = draw(st.sampled_from(["ulps", "relative", "far"]))
    open_risk = total - target
    if nudge == "ulps":
        open_risk = _ulps(open_risk, draw(st.integers(-4, 4)))
    elif nudge == "relative":
        open_risk = open_risk * (1 + draw(st.floats(-5e-12, 5e-12)))
    else:
        open_risk = draw(st.floats(0.0, total * 1.01))
    return Case(balance=balance, percent=percent, entry=entry, stop=stop, step=draw(st.sampled_from(STEPS)),
                flat_until=5_000.0, per_trade_cap=per_trade, total_cap=total, open_risk=max(open_risk, 0.0),
                open_notional=draw(st.sampled_from([0.0]) | st.floats(0.0, balance * 3)),
                leverage=draw(st.none() | st.sampled_from([1.0, 3.0])),
                fee_bps=draw(st.sampled_from([0.0, 4.0, 7.5])), fees_in_risk=draw(st.booleans()),
                min_qty=draw(st.sampled_from([0.0, 0.001, 1.0])),
                min_notional=draw(st.sampled_from([0.0, 5.0, 100.0])))


def F_(x: float) -> Fraction:
    return Fraction(repr(x))


@settings(max_examples=examples(1000))
@given(c=headroom_edge_cases())
def test_common_path_at_the_headroom_edge_equals_the_general_path_and_the_reference(c: Case) -> None:
    """ENGINE.md 2.5: the budget is min(candidates) exactly, where the headroom and the budget it
    competes with are floats apart or a hair apart; size (its common path) answers what
    size_general answers, detail included, and both what the Fraction reference says."""
    check(c)
    assert full(c) == full(c, sizing.size_general)


@st.composite
def day_left_edge_cases(draw: st.DrawFn) -> Case:
    """Where size's float test of what the day has left (daily_loss_includes_open_risk) against the
    budget sits on its edge: cap + today's pnl - open risk within a few ulps, or a few parts in
    1e12, of the budget, or anywhere; the open-risk headroom binding or not; tick-grid prices."""
    c = draw(headroom_edge_cases())
    target = c.per_trade_cap if c.per_trade_cap is not None and c.per_trade_cap < c.balance * c.percent \
        else c.balance * c.percent
    if c.total_cap is not None and draw(st.booleans()):
        target = min(target, c.total_cap - c.open_risk)
    cap = draw(st.sampled_from([200.0, 1_000.0, 1e6]))
    nudge = draw(st.sampled_from(["ulps", "relative", "far"]))
    pnl = target - cap + c.open_risk
    if nudge == "ulps":
        pnl = _ulps(pnl, draw(st.integers(-4, 4)))
    elif nudge == "relative":
        pnl = pnl * (1 + draw(st.floats(-5e-12, 5e-12)))
    else:
        pnl = draw(st.floats(-cap * 1.2, cap))
    return c._replace(daily=(cap, pnl))


@settings(max_examples=examples(1000))
@given(c=day_left_edge_cases())
def test_common_path_at_the_day_left_edge_equals_the_general_path_and_the_reference(c: Case) -> None:
    """ENGINE.md 2.5 (daily_loss_includes_open_risk): the day's left competes with the budget as the
    headroom does; size's common path answers what size_general answers, detail included, and
    both what the Fraction reference says."""
    check(c)
    assert full(c) == full(c, sizing.size_general)


@SETTINGS
@given(c=grid_cases())
def test_common_path_answers_what_the_general_path_answers_detail_included(c: Case) -> None:
    """size and size_general agree on every field, the skip details too, on tick-grid prices."""
    assert full(c) == full(c, sizing.size_general)


def test_fill_scaling_equals_sizing_a_quantity_that_large() -> None:
    """docs/engine.md 6 (partial fill): risk and notional of the filled qty, exactly as 2.7 computes them."""
    risk, notional = sizing.scaled(5.0, 1.25, 1.24, 4.0, True)
    unit = Fraction("0.01") + Fraction(4, 10_000) * Fraction("2.49")
    assert risk == float(5 * unit) and notional == float(5 * Fraction("1.25"))
    assert sizing.is_multiple(0.3, 0.1) and not sizing.is_multiple(0.35, 0.1) and sizing.is_multiple(7.95, 0.0001)


def test_close_arithmetic() -> None:
    """docs/engine.md 3: gross = (exit - entry) * qty for a long, the other way for a short; fees on both sides."""
    assert sizing.gross_pnl(True, 2.0, 100.0, 110.0) == 20.0
    assert sizing.gross_pnl(False, 2.0, 100.0, 110.0) == -20.0
    assert sizing.fees(0.0004, 2.0, 100.0, 110.0) == pytest.approx(0.168, abs=1e-12)


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf])
def test_step_must_be_a_finite_positive_number(bad: float) -> None:
    """docs/engine.md 1: default_qty_step > 0."""
    with pytest.raises(ValueError, match="qty step must be a finite number > 0"):
        sizing.Market(bad, 0.0, 0.0, 0.0)


@settings(max_examples=examples(1000))
@given(values=st.lists(st.floats(-1e13, 1e13), max_size=40), more=st.floats(-1e13, 1e13))
def test_exact_partials_sum_exactly_to_their_values(values: list[float], more: float) -> None:
    """numbers.exact_partials (what a week's or month's loss is summed again from): the partials'
    exact sum is the values' exact sum, so an fsum with one more term is the plain fsum's float."""
    partials = exact_partials(values)
    assert sum(map(Fraction, partials), Fraction(0)) == sum(map(Fraction, values), Fraction(0))
    assert math.fsum([*partials, more]) == math.fsum([*values, more])
