"""docs/engine.md section 2 items 5-8 written with fractions.Fraction, independently of the engine's code.

Every float input is read as its shortest repr (`Fraction(repr(x))`); the rule is applied step by
step; only the outputs become floats (`float(Fraction)` rounds correctly). The tests hold the
engine's `sizing.size` (and its plain twin) to this.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple


class Case(NamedTuple):
    balance: float
    percent: float
    entry: float
    stop: float
    step: float
    flat_until: float = 0.0
    flat: float = 25.0
    per_trade_cap: float | None = None
    total_cap: float | None = None
    open_risk: float = 0.0
    open_notional: float = 0.0
    leverage: float | None = None
    fee_bps: float = 0.0
    fees_in_risk: bool = True
    min_qty: float = 0.0
    min_notional: float = 0.0
    daily: tuple[float, float] | None = None  # (daily_loss_cap, today's pnl) with includes_open_risk


class Answer(NamedTuple):
    qty: float
    risk_amount: float
    notional: float
    budget: float
    reason: str | None


def F(x: float) -> Fraction:
    return Fraction(repr(x))


def floor(x: Fraction) -> int:
    return math.floor(x)


def reference(c: Case) -> Answer:
    balance, open_risk = F(c.balance), F(c.open_risk)
    budget = F(c.flat) if F(c.balance) < F(c.flat_until) else balance * F(c.percent)
    if c.per_trade_cap is not None:
        budget = min(budget, F(c.per_trade_cap))
    if c.total_cap is not None:
        headroom = F(c.total_cap) - open_risk
        if headroom <= 0:
            return Answer(0.0, 0.0, 0.0, float(budget), "total_open_risk_cap")
        budget = min(budget, headroom)
    if c.daily is not None:
        left = F(c.daily[0]) + F(c.daily[1]) - open_risk
        if left <= 0:
            return Answer(0.0, 0.0, 0.0, float(budget), "daily_loss_cap")
        budget = min(budget, left)
    entry, stop, step = F(c.entry), F(c.stop), F(c.step)
    unit = abs(entry - stop) + (F(c.fee_bps) / 10_000 * (entry + stop) if c.fees_in_risk else 0)
    n = floor(budget / (unit * step))
    if c.leverage is not None:
        room = balance * F(c.leverage) - F(c.open_notional)
        if room <= 0:
            return Answer(0.0, 0.0, 0.0, float(budget), "max_leverage")
        n = min(n, floor(room / (entry * step)))
    try:
        float(n * step)
    except OverflowError:
        return Answer(0.0, 0.0, 0.0, float(budget), "invalid_input")
    # past 15 digits a float may not hold the multiple: the largest one below whose float reads back
    # as itself (at most a few dozen tries; the engine gives up after 64)
    for _ in range(64):
        if n <= 0 or Fraction(repr(float(n * step))) == n * step:
            break
        n -= 1
    else:
        n = 0
    qty = n * step
    if n <= 0 or qty < F(c.min_qty):
        return Answer(0.0, 0.0, 0.0, float(budget), "below_min_qty")
    if qty * entry < F(c.min_notional):
        return Answer(0.0, 0.0, 0.0, float(budget), "below_min_notional")
    return Answer(float(qty), float(qty * unit), float(qty * entry), float(budget), None)
