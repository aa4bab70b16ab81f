"""Pure sizing arithmetic: risk budget, per-unit risk, flooring to a quantity step, fees and R.

Money is float. Flooring to a step is defined in decimal over each float's shortest repr (so 0.3
with step 0.1 is 0.3, not 0.2); `Step.floor` gets that exact answer without `decimal` whenever
the float quotient is provably far from a whole number, which is nearly always.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache


def risk_budget(balance: float, flat_risk_until: float, flat_risk_amount: float,
                percent_risk: float, per_trade_risk_cap: float | None) -> float:
    """Flat $ below the threshold, else a fraction of balance; then the per-trade cap."""
    budget = flat_risk_amount if balance < flat_risk_until else balance * percent_risk
    if per_trade_risk_cap is not None and per_trade_risk_cap < budget:
        budget = per_trade_risk_cap
    return budget


def per_unit_risk(entry: float, stop: float, fee_rate: float, fees_in_risk: bool) -> float:
    """Loss per unit if the stop is hit, including both sides' fees when `fees_in_risk`."""
    risk = abs(entry - stop)
    if fees_in_risk:
        risk += fee_rate * (entry + stop)
    return risk


def fees(fee_rate: float, qty: float, entry: float, exit_: float) -> float:
    return fee_rate * qty * (entry + exit_)


def gross_pnl(is_long: bool, qty: float, entry: float, exit_: float) -> float:
    return (exit_ - entry) * qty if is_long else (entry - exit_) * qty


_REPRESENTABLE_TRIES = 64  # about half of the nearby multiples are representable; 64 never runs out
# While n * num < 10**15 (at most 15 significant digits), the float of n * step reads back as
# exactly n * step (such a decimal survives a round trip through a float): a multiple of the step.
# Past it, floor_decimal finds a multiple a float can hold.
_EXACT_NUM = 10**15


class Step:
    """A quantity step, with the exact decimal floor of any non-negative float to a multiple of it."""

    __slots__ = ("value", "_dec", "_num", "_scale")

    def __init__(self, value: float) -> None:
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"qty step must be a finite number > 0, not {value!r}")
        self.value = value
        self._dec = Decimal(repr(value))
        sign, digits, exponent = self._dec.as_tuple()
        num = int("".join(map(str, digits)))
        # step == _num / _scale exactly, with _scale a power of ten (or 1 for whole steps).
        if exponent >= 0:
            self._num, self._scale = num * 10**exponent, 1
        else:
            self._num, self._scale = num, 10 ** (-exponent)

    def floor(self, x: float) -> float:
        """The largest whole multiple of the step <= x, both read as their shortest decimal repr.

        Fast path: the float quotient is within a few ulps of the true decimal quotient (each
        float is within half an ulp of its shortest repr), so when it is not within 1e-9 of a
        whole number its floor is the true multiple count n. n * step is then formed exactly
        as the integer ratio n*num / scale, which Python's int division rounds correctly: the
        same float `float(Decimal(n) * step)` gives, and a multiple of the step while n*num has at
        most 15 digits. Near a whole number, or past 15 digits, decide in decimal.
        """
        if not x > 0:
            return 0.0
        q = x / self.value
        if q < 1e11:
            n = int(q)
            frac = q - n
            margin = 1e-9 + q * 1e-12  # far above the few-ulp error of q
            if margin < frac < 1 - margin and n * self._num < _EXACT_NUM:
                return n * self._num / self._scale if n else 0.0
        return self.floor_decimal(x)

    def floor_decimal(self, x: float) -> float:
        """Reference implementation of `floor`, entirely in decimal."""
        if not 0 < x < math.inf:  # an infinite quantity (a vanishing per-unit risk) is never sized
            return 0.0
        with localcontext() as ctx:
            # Exact for any pair of floats: x / step < 1.8e308 / 5e-324 < 1e632, and n * step
            # adds at most 17 digits (prec 80 raised DivisionImpossible past 1e80).
            ctx.prec = 700
            n = Decimal(repr(x)) // self._dec
            # Far out (qty / step past ~1e15) the float nearest n * step may not be a multiple of
            # the step any more; an exchange would refuse it. Step down to one a float holds.
            for _ in range(_REPRESENTABLE_TRIES):
                if n <= 0:
                    return 0.0
                qty = float(n * self._dec)
                if Decimal(repr(qty)) % self._dec == 0:
                    return qty
                n -= 1
            return 0.0


@lru_cache(maxsize=4096)
def step_of(value: float) -> Step:
    return Step(value)


def floor_to_step(x: float, step: float) -> float:
    """Round x down to a whole multiple of `step` (decimal semantics, never up)."""
    return step_of(step).floor(x)
