"""Pure sizing arithmetic: budget, per-unit risk, exact step flooring, fees (ENGINE.md §2.5-2.7, §3)."""

from __future__ import annotations

import math

import pytest

from tc1console.engine import sizing
from tc1console.engine.sizing import Step, floor_to_step


def test_budget_is_flat_while_balance_is_below_the_threshold() -> None:
    """ENGINE.md §2.5: flat_risk_amount if balance < flat_risk_until."""
    assert sizing.risk_budget(4_999.99, 5_000.0, 25.0, 0.01, None) == 25.0


def test_budget_is_percent_of_balance_at_or_above_the_threshold() -> None:
    """ENGINE.md §2.5: balance * percent_risk at or above the threshold (equality is 'at')."""
    assert sizing.risk_budget(5_000.0, 5_000.0, 25.0, 0.01, None) == 50.0
    assert sizing.risk_budget(12_000.0, 5_000.0, 25.0, 0.005, None) == 60.0


def test_budget_is_capped_by_per_trade_risk_cap() -> None:
    """ENGINE.md §2.5: then min(budget, per_trade_risk_cap)."""
    assert sizing.risk_budget(100_000.0, 0.0, 25.0, 0.01, 300.0) == 300.0
    assert sizing.risk_budget(10_000.0, 0.0, 25.0, 0.01, 300.0) == 100.0
    assert sizing.risk_budget(10_000.0, 0.0, 25.0, 0.01, 0.0) == 0.0


def test_per_unit_risk_is_the_stop_distance_without_fees() -> None:
    """ENGINE.md §2.6: per-unit risk = |entry - stop| (fees_in_risk false)."""
    assert sizing.per_unit_risk(100.0, 95.0, 0.001, False) == 5.0
    assert sizing.per_unit_risk(100.0, 105.0, 0.001, False) == 5.0


def test_per_unit_risk_adds_both_fees_when_fees_in_risk() -> None:
    """ENGINE.md §2.6: plus fee_rate * (entry + stop) when fees_in_risk."""
    # 5 + 0.001 * (100 + 95) = 5.195
    assert sizing.per_unit_risk(100.0, 95.0, 0.001, True) == pytest.approx(5.195, abs=1e-12)
    # short: 5 + 0.0004 * (100 + 105) = 5.082
    assert sizing.per_unit_risk(100.0, 105.0, 0.0004, True) == pytest.approx(5.082, abs=1e-12)


def test_fees_are_charged_on_entry_and_exit_notional() -> None:
    """ENGINE.md §3: fees = fee_rate * qty * (entry + exit)."""
    assert sizing.fees(0.0004, 2.0, 100.0, 110.0) == pytest.approx(0.168, abs=1e-12)
    assert sizing.fees(0.0, 2.0, 100.0, 110.0) == 0.0


def test_gross_pnl_sign_follows_the_side() -> None:
    """ENGINE.md §3: (exit - entry) * qty for a long, (entry - exit) * qty for a short."""
    assert sizing.gross_pnl(True, 2.0, 100.0, 110.0) == 20.0
    assert sizing.gross_pnl(False, 2.0, 100.0, 110.0) == -20.0
    assert sizing.gross_pnl(False, 3.0, 100.0, 90.0) == 30.0


@pytest.mark.parametrize(("x", "step", "expected"), [
    (0.3, 0.1, 0.3),  # 0.3 / 0.1 == 2.9999999999999996 in binary: a naive floor gives 0.2
    (0.7, 0.1, 0.7),
    (0.29, 0.1, 0.2),
    (2.675, 0.01, 2.67),
    (1.0, 0.001, 1.0),
    (19.2492781520693, 0.001, 19.249),
    (12345.6789, 0.001, 12345.678),
    (0.0999, 0.1, 0.0),
    (5.0, 2.0, 4.0),
    (250.0, 100.0, 200.0),
    (0.00000123, 1e-8, 0.00000123),
    (1.1, 0.25, 1.0),
    (4.35, 0.05, 4.35),  # 4.35 / 0.05 == 86.99999999999999 in binary
])
def test_qty_rounds_down_to_step_never_up(x: float, step: float, expected: float) -> None:
    """ENGINE.md §2.7: rounded down to a whole multiple of the step, in decimal over shortest reprs."""
    assert floor_to_step(x, step) == expected
    assert Step(step).floor_decimal(x) == expected


@pytest.mark.parametrize("x", [0.0, -0.0, -1.5, math.nan, -math.inf])
def test_non_positive_or_nan_quantity_floors_to_zero(x: float) -> None:
    """ENGINE.md §2.8: nothing to buy is qty 0 (then below_min_qty), never an error."""
    assert floor_to_step(x, 0.1) == 0.0
    assert Step(0.1).floor_decimal(x) == 0.0


@pytest.mark.parametrize(("x", "step", "expected"), [
    (1e100, 0.001, 1e100),  # quotient 1e103: more digits than a small decimal context holds
    (1e300, 1e-300, 1e300),
    (1.7976931348623157e308, 5e-324, 1.7976931348623157e308),
])
def test_step_floor_is_exact_for_huge_quotients(x: float, step: float, expected: float) -> None:
    """ENGINE.md §2.7: the decimal floor holds for any pair of floats (a tight stop can make raw_qty huge)."""
    assert Step(step).floor(x) == expected
    assert Step(step).floor_decimal(x) == expected


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf])
def test_step_must_be_a_finite_positive_number(bad: float) -> None:
    """ENGINE.md §1: default_qty_step > 0."""
    with pytest.raises(ValueError, match="qty step must be a finite number > 0"):
        Step(bad)


def test_steps_are_cached_per_value() -> None:
    """Sizing keeps one Step per step value (the engine asks for it on every open)."""
    assert sizing.step_of(0.01) is sizing.step_of(0.01)
    assert sizing.step_of(0.01).value == 0.01


def test_floor_far_out_returns_a_multiple_a_float_can_hold() -> None:
    """ENGINE.md §2.7: qty is a whole multiple of the step, even where floats thin out.

    Found by Hypothesis: near 1e13 units with step 0.007 the float nearest n * step is not a
    multiple of 0.007; the floor steps down to one that is.
    """
    from decimal import Decimal

    from tc1console.engine.sizing import Step

    qty = Step(0.007).floor(10220695980359.07)
    assert qty > 0 and Decimal(repr(qty)) % Decimal("0.007") == 0


def test_floor_of_an_infinite_quantity_is_zero_never_infinite() -> None:
    """ENGINE.md §2.7-8: a vanishing per-unit risk must not size an infinite position."""
    from tc1console.engine.sizing import Step

    assert Step(1.0).floor(float("inf")) == 0.0
    assert Step(0.001).floor_decimal(float("inf")) == 0.0
