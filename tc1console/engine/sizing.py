"""Position sizing and trade arithmetic: the one home of ENGINE.md section 2 items 5-8 and section 3.

Sizing is exact. Every float that goes in (balance, percent, caps, open risk and notional, prices,
fee bps, qty step, minimums) is read as its shortest repr, a decimal, and the budget, the per-unit
risk, the quotient, the leverage room and the minimum checks are computed on those decimals with
integers; only the outputs become floats, each the float nearest its exact value. So balance
10,000 at 1%, long 1.25 stop 1.24, step 0.001 buys 10,000 exactly (binary floats give 9,999.999),
and a quantity is never a step above the exact answer either.

`size` is what the engine calls: integer arithmetic on (m, k) pairs (m * 10**-k), with the
decimals of config values worked out once per config and float estimates deciding which budget
candidate binds when they are far apart. `size_plain` is the same rule written with
`decimal.Decimal` and nothing else; tests hold the two equal (and both to a Fraction reference).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import NamedTuple

from .numbers import dec, money, p10, qty_text

# Skip reasons decided here, in the order the checks run (the rails' reasons are rails.py's).
TOTAL_OPEN_RISK_CAP = "total_open_risk_cap"
DAILY_LOSS_CAP = "daily_loss_cap"  # with daily_loss_includes_open_risk: the day has no loss left
MAX_LEVERAGE = "max_leverage"
BELOW_MIN_QTY = "below_min_qty"
BELOW_MIN_NOTIONAL = "below_min_notional"
INVALID_INPUT = "invalid_input"  # a quantity too large for a float (a vanishing per-unit risk)

EXACT_DIGITS = 15  # a decimal of at most 15 significant digits survives a trip through a float
_REPRESENTABLE_TRIES = 64  # about half the multiples near 1e16 read back exactly; 64 never runs out
_MARGIN = 1e-12  # relative slack far above the few-ulp error of a float estimate


class Sized(NamedTuple):
    """What sizing decided: a quantity and its numbers, or why not (`reason`, qty 0)."""

    qty: float
    risk_amount: float  # qty * per-unit risk: what a stop-out loses, fees included when fees_in_risk
    notional: float  # qty * entry
    budget: float  # the risk budget after the caps (0.0 when sizing stopped before it)
    reason: str | None
    detail: str


class Caps:
    """An overlay config's sizing numbers, with the decimals of its constants worked out once."""

    __slots__ = ("flat_until", "flat", "flat_f", "percent", "percent_f", "per_trade", "per_trade_f",
                 "total", "total_f", "fees_in_risk", "leverage", "leverage_f")

    def __init__(self, flat_risk_until: float, flat_risk_amount: float, percent_risk: float,
                 per_trade_risk_cap: float | None, total_open_risk_cap: float | None, fees_in_risk: bool,
                 max_leverage: float | None) -> None:
        self.flat_until = flat_risk_until
        self.flat_f, self.flat = flat_risk_amount, dec(flat_risk_amount)
        self.percent_f, self.percent = percent_risk, dec(percent_risk)
        self.per_trade_f = per_trade_risk_cap
        self.per_trade = None if per_trade_risk_cap is None else dec(per_trade_risk_cap)
        self.total_f = total_open_risk_cap
        self.total = None if total_open_risk_cap is None else dec(total_open_risk_cap)
        self.fees_in_risk = fees_in_risk
        self.leverage_f = max_leverage
        self.leverage = None if max_leverage is None else dec(max_leverage)


class Market:
    """One symbol's market rules and fee, with their decimals and the constant tails of its skip details."""

    __slots__ = ("step_f", "step", "min_qty", "min_notional_f", "min_notional", "fee_rate", "fee_bps_f",
                 "fee_bps", "below_min_qty", "below_min_notional")

    def __init__(self, qty_step: float, min_qty: float, min_notional: float, fee_bps: float) -> None:
        if not (qty_step > 0 and math.isfinite(qty_step)):
            raise ValueError(f"qty step must be a finite number > 0, not {qty_step!r}")
        self.step_f, self.step = qty_step, dec(qty_step)
        self.min_qty = min_qty
        self.min_notional_f, self.min_notional = min_notional, dec(min_notional)
        self.fee_bps_f, self.fee_bps = fee_bps, dec(fee_bps)
        self.fee_rate = fee_bps / 10_000  # what closes charge (section 3 is float arithmetic)
        self.below_min_qty = f" below min qty {qty_text(min_qty, qty_step)} (step {qty_text(qty_step, qty_step)})"
        self.below_min_notional = f" below min notional {money(min_notional)}"


# --- the engine's sizing ---------------------------------------------------------------------------

# The last balance (slot 0) and open risk (slot 1) seen, each with its decimal: entry after entry asks
# for the same ones. One tuple per slot, replaced whole, so threads never see a float with another's decimal.
_memo: list[tuple[float, tuple[int, int]]] = [(math.nan, (0, 0)), (math.nan, (0, 0))]


def _dec_memo(x: float, slot: int) -> tuple[int, int]:
    """dec(x), remembered for the last x in `slot`."""
    seen, value = _memo[slot]
    if seen == x:
        return value
    value = dec(x)
    _memo[slot] = (x, value)
    return value


def _skip(reason: str, detail: str, budget: float = 0.0) -> Sized:
    return Sized(0.0, 0.0, 0.0, budget, reason, detail)


def risk_budget(balance: float, caps: Caps, total_open_risk: float, daily: tuple[float, float] | None
           ) -> tuple[int, int, float | None, float, Sized | None]:
    """ENGINE.md section 2 item 5, exactly: the risk budget for the next entry.

    Returns (bn, bk, budget_f, estimate, skip): the budget is bn * 10**-bk, budget_f its float when
    already known (a config value) else None, `estimate` a float within a few ulps of it, and `skip`
    the Sized to return instead when a cap leaves nothing (total_open_risk_cap, daily_loss_cap).
    `daily`: (daily_loss_cap, today's pnl) when daily_loss_includes_open_risk applies, else None.
    """
    if balance < caps.flat_until:  # two floats compare as their shortest reprs do
        (bn, bk), budget_f = caps.flat, caps.flat_f
    else:
        bm, bbk = _dec_memo(balance, 0)
        pn, pk = caps.percent
        bn, bk, budget_f = bm * pn, bbk + pk, None
    if caps.per_trade is not None:
        cn, ck = caps.per_trade
        if cn * p10(bk) < bn * p10(ck):
            bn, bk, budget_f = cn, ck, caps.per_trade_f
    estimate = budget_f if budget_f is not None else balance * caps.percent_f
    if caps.total is not None:
        head_f = caps.total_f - total_open_risk
        if not head_f - estimate > _MARGIN * (caps.total_f + total_open_risk + estimate):
            tm, tk = caps.total
            om, ok = _dec_memo(total_open_risk, 1)
            k = max(tk, ok)
            hn = tm * p10(k - tk) - om * p10(k - ok)
            if hn <= 0:
                return bn, bk, budget_f, estimate, _skip(
                    TOTAL_OPEN_RISK_CAP, f"open risk {money(total_open_risk)} already at cap {money(caps.total_f)}",
                    _float(bn, bk, budget_f))
            if hn * p10(bk) < bn * p10(k):
                bn, bk, budget_f = hn, k, None
                estimate = head_f
    if daily is not None:
        cap_f, pnl_f = daily
        left_f = cap_f + pnl_f - total_open_risk
        if not left_f - estimate > _MARGIN * (cap_f + abs(pnl_f) + total_open_risk + estimate):
            (cm, ck), (qm, qk), (om, ok) = dec(cap_f), dec(abs(pnl_f)), _dec_memo(total_open_risk, 1)
            k = max(ck, qk, ok)
            ln = cm * p10(k - ck) + (qm if pnl_f >= 0 else -qm) * p10(k - qk) - om * p10(k - ok)
            if ln <= 0:
                return bn, bk, budget_f, estimate, _skip(
                    DAILY_LOSS_CAP, f"today's loss {money(-pnl_f if pnl_f < 0 else 0.0)} plus open risk "
                                    f"{money(total_open_risk)} leaves nothing of the daily loss cap {money(cap_f)}",
                    _float(bn, bk, budget_f))
            if ln * p10(bk) < bn * p10(k):
                bn, bk, budget_f = ln, k, None
                estimate = left_f
    return bn, bk, budget_f, estimate, None


def size(balance: float, caps: Caps, market: Market, total_open_risk: float, open_notional: float,
         daily: tuple[float, float] | None, entry: float, stop: float) -> Sized:
    """ENGINE.md section 2 items 5-8 for one entry, exactly (see the module docstring).

    `daily`: (daily_loss_cap, today's pnl) when daily_loss_includes_open_risk applies, else None.
    Inputs are finite floats, prices > 0 with the stop on the loss side; balance > 0.
    """
    bn, bk, budget_f, _estimate, skip = risk_budget(balance, caps, total_open_risk, daily)
    if skip is not None:
        return skip

    # 6. per-unit risk, as un * 10**-uk
    em, ek = dec(entry)
    sm, sk = dec(stop)
    k = ek if ek >= sk else sk
    e_scaled, s_scaled = em * p10(k - ek), sm * p10(k - sk)
    un, uk = abs(e_scaled - s_scaled), k
    fm, fk = market.fee_bps
    if caps.fees_in_risk and fm:
        # + (bps / 10**4) * (entry + stop)
        un, uk = un * p10(fk + 4) + fm * (e_scaled + s_scaled), k + fk + 4

    # 7. qty: the largest whole number of steps n with n * step * per-unit risk <= budget
    stm, stk = market.step
    e = uk + stk - bk
    n = (bn * p10(e)) // (un * stm) if e >= 0 else bn // (un * stm * p10(-e))
    if caps.leverage is not None:
        lev_f = caps.leverage_f
        room_f = balance * lev_f - open_notional
        fits = room_f > _MARGIN * (balance * lev_f + open_notional) and \
            n * stm / p10(stk) * entry <= room_f * (1 - _MARGIN) - _MARGIN * (balance * lev_f + open_notional)
        if not fits:
            (bm, bbk), (lm, lk), (om, ok) = _dec_memo(balance, 0), caps.leverage, dec(open_notional)
            k = max(bbk + lk, ok)
            rn = bm * lm * p10(k - bbk - lk) - om * p10(k - ok)
            if rn <= 0:
                return _skip(MAX_LEVERAGE, f"open notional {money(open_notional)} already at balance "
                                           f"{money(balance)} x {lev_f:g}", _float(bn, bk, budget_f))
            # room / (entry * step) = rn * 10**(ek + stk - k) / (em * stm)
            e2 = ek + stk - k
            n_room = (rn * p10(e2)) // (em * stm) if e2 >= 0 else rn // (em * stm * p10(-e2))
            if n_room < n:
                n = n_room
    if n * stm >= p10(EXACT_DIGITS):
        n = _representable(n, market)
        if n < 0:
            return _skip(INVALID_INPUT, f"the quantity is too large for a float (per-unit risk "
                                        f"{_float(un, uk, None)!r} is too small)", _float(bn, bk, budget_f))
    qty = n * stm / p10(stk)
    budget = _float(bn, bk, budget_f)

    # 8. exchange minimums
    if n == 0 or qty < market.min_qty:  # both floats' shortest reprs are the decimals compared
        return _skip(BELOW_MIN_QTY, f"qty {qty_text(qty, market.step_f)}{market.below_min_qty}", budget)
    nn, nk = n * stm * em, stk + ek  # notional
    mm, mk = market.min_notional
    try:
        notional = nn / p10(nk)
    except OverflowError:
        return _skip(INVALID_INPUT, f"the notional of qty {qty!r} at {entry!r} is too large for a float", budget)
    if nn * p10(mk) < mm * p10(nk):
        return _skip(BELOW_MIN_NOTIONAL, f"notional {money(notional)}{market.below_min_notional}", budget)
    return Sized(qty, n * stm * un / p10(stk + uk), notional, budget, None, "")


def _float(n: int, k: int, known: float | None) -> float:
    return known if known is not None else n / p10(k)


def _representable(n: int, market: Market) -> int:
    """The largest n' <= n whose float of n' * step reads back as exactly n' * step (past 15 digits
    a float may not hold the multiple: an exchange would refuse the quantity it reads back).
    -1 when the quantity is past the float range."""
    stm, stk = market.step
    for _ in range(_REPRESENTABLE_TRIES):
        if n <= 0:
            return 0
        try:
            qty = n * stm / p10(stk)
        except OverflowError:
            return -1
        qm, qk = dec(qty)
        if qm * p10(stk) == n * stm * p10(qk):
            return n
        n -= 1
    return 0


# --- the reference: the same rule in decimal.Decimal and nothing else ------------------------------

@lru_cache(maxsize=4096)
def _d(x: float) -> Decimal:
    return Decimal(repr(x))


def size_plain(balance: float, caps: Caps, market: Market, total_open_risk: float, open_notional: float,
               daily: tuple[float, float] | None, entry: float, stop: float) -> Sized:
    """`size`, written plainly: each float read as Decimal(repr(x)) and the rule applied step by step."""
    with localcontext() as ctx:
        ctx.prec = 2000  # exact for every sum and product here; // is exact by definition
        d = _d
        B, T = d(balance), d(total_open_risk)
        budget = d(caps.flat_f) if B < d(caps.flat_until) else B * d(caps.percent_f)
        if caps.per_trade_f is not None:
            budget = min(budget, d(caps.per_trade_f))
        if caps.total_f is not None:
            headroom = d(caps.total_f) - T
            if headroom <= 0:
                return _skip(TOTAL_OPEN_RISK_CAP, f"open risk {money(total_open_risk)} already at cap "
                                                  f"{money(caps.total_f)}", float(budget))
            budget = min(budget, headroom)
        if daily is not None:
            cap_f, pnl_f = daily
            left = d(cap_f) + d(pnl_f) - T
            if left <= 0:
                return _skip(DAILY_LOSS_CAP, f"today's loss {money(-pnl_f if pnl_f < 0 else 0.0)} plus open "
                                             f"risk {money(total_open_risk)} leaves nothing of the daily loss "
                                             f"cap {money(cap_f)}", float(budget))
            budget = min(budget, left)
        E, S, step = d(entry), d(stop), d(market.step_f)
        unit = abs(E - S)
        if caps.fees_in_risk:
            unit += d(market.fee_bps_f) / 10_000 * (E + S)
        n = budget // (unit * step)
        if caps.leverage_f is not None:
            room = B * d(caps.leverage_f) - d(open_notional)
            if room <= 0:
                return _skip(MAX_LEVERAGE, f"open notional {money(open_notional)} already at balance "
                                           f"{money(balance)} x {caps.leverage_f:g}", float(budget))
            n = min(n, room // (E * step))
        if float(n * step) == math.inf:
            return _skip(INVALID_INPUT, f"the quantity is too large for a float (per-unit risk "
                                        f"{float(unit)!r} is too small)", float(budget))
        for _ in range(_REPRESENTABLE_TRIES):
            if n <= 0 or Decimal(repr(float(n * step))) == n * step:
                break
            n -= 1
        else:
            n = Decimal(0)
        qty = n * step
        if n <= 0 or qty < d(market.min_qty):
            return _skip(BELOW_MIN_QTY, f"qty {qty_text(float(qty), market.step_f)}{market.below_min_qty}",
                         float(budget))
        notional = float(qty * E)
        if notional == math.inf:
            return _skip(INVALID_INPUT, f"the notional of qty {float(qty)!r} at {entry!r} is too large for a "
                                        f"float", float(budget))
        if qty * E < d(market.min_notional_f):
            return _skip(BELOW_MIN_NOTIONAL, f"notional {money(notional)}{market.below_min_notional}",
                         float(budget))
        return Sized(float(qty), float(qty * unit), notional, float(budget), None, "")


# --- a partial fill (ENGINE.md section 6) --------------------------------------------------------

def is_multiple(qty: float, step: float) -> bool:
    """Is `qty` a whole number of `step`s, both read as their shortest reprs?"""
    (qm, qk), (sm, sk) = dec(qty), dec(step)
    k = max(qk, sk)
    return (qm * p10(k - qk)) % (sm * p10(k - sk)) == 0


def scaled(qty: float, entry: float, stop: float, fee_bps: float, fees_in_risk: bool) -> tuple[float, float]:
    """(risk_amount, notional) of `qty` at this entry and stop, exactly as `size` computes them."""
    (qm, qk), (em, ek), (sm, sk), (fm, fk) = dec(qty), dec(entry), dec(stop), dec(fee_bps)
    k = max(ek, sk)
    e_scaled, s_scaled = em * p10(k - ek), sm * p10(k - sk)
    un, uk = abs(e_scaled - s_scaled), k
    if fees_in_risk and fm:
        un, uk = un * p10(fk + 4) + fm * (e_scaled + s_scaled), k + fk + 4
    return qm * un / p10(qk + uk), qm * em / p10(qk + ek)


# --- closing (ENGINE.md section 3) -----------------------------------------------------------------

def gross_pnl(is_long: bool, qty: float, entry: float, exit_: float) -> float:
    return (exit_ - entry) * qty if is_long else (entry - exit_) * qty


def fees(fee_rate: float, qty: float, entry: float, exit_: float) -> float:
    """Both sides' fees: the rate a trade was sized with, on its entry and its exit notional."""
    return fee_rate * qty * (entry + exit_)
