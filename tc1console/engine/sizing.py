"""Position sizing and trade arithmetic: the one home of docs/engine.md section 2 items 5-8 and section 3.

Sizing is exact. Every float that goes in (balance, percent, caps, open risk and notional, prices,
fee bps, qty step, minimums) is read as its shortest repr, a decimal, and the budget, the per-unit
risk, the quotient, the leverage room and the minimum checks are computed on those decimals with
integers; only the outputs become floats, each the float nearest its exact value. So balance
10,000 at 1%, long 1.25 stop 1.24, step 0.001 buys 10,000 exactly (binary floats give 9,999.999),
and a quantity is never a step above the exact answer either.

`size_general` decides any entry: integer arithmetic on (m, k) pairs (m * 10**-k), with the
decimals of config values worked out once per config and float estimates deciding which budget
candidate binds when they are far apart. `size`, what the engine calls, takes the common case
(prices of up to 8 decimals, no day-left candidate, nothing near a boundary) in fewer steps and
hands everything else to `size_general`. `size_plain` is the same rule written with
`decimal.Decimal` and nothing else; tests hold the three equal (and to a Fraction reference).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache, partial
from typing import NamedTuple

from . import numbers
from .numbers import P10, dec, dec_trimmed, money, qty_spec, qty_text

# Skip reasons decided here, in the order the checks run (the rails' reasons are rails.py's).
TOTAL_OPEN_RISK_CAP = "total_open_risk_cap"
DAILY_LOSS_CAP = "daily_loss_cap"  # with daily_loss_includes_open_risk: the day has no loss left
MAX_LEVERAGE = "max_leverage"
BELOW_MIN_QTY = "below_min_qty"
BELOW_MIN_NOTIONAL = "below_min_notional"
INVALID_INPUT = "invalid_input"  # a quantity too large for a float (a vanishing per-unit risk)

EXACT_DIGITS = 15  # a decimal of at most 15 significant digits survives a trip through a float
_EXACT_NUM = 10 ** EXACT_DIGITS
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
    """An overlay config's sizing numbers, with the decimals of its constants worked out once.

    Each constant's decimal is kept with the fewest digits (`dec_trimmed`: 0.001 as 1 * 10**-3, not
    100000 * 10**-8): the same value, and the products and quotients of every entry stay small
    integers (a true division of two ints below 2**53 is one float division in C).
    """

    __slots__ = ("flat_until", "flat", "flat_f", "percent", "percent_f", "per_trade", "per_trade_f",
                 "total", "total_f", "fees_in_risk", "leverage", "leverage_f")

    def __init__(self, flat_risk_until: float, flat_risk_amount: float, percent_risk: float,
                 per_trade_risk_cap: float | None, total_open_risk_cap: float | None, fees_in_risk: bool,
                 max_leverage: float | None) -> None:
        self.flat_until = flat_risk_until
        self.flat_f, self.flat = flat_risk_amount, dec_trimmed(flat_risk_amount)
        self.percent_f, self.percent = percent_risk, dec_trimmed(percent_risk)
        self.per_trade_f = per_trade_risk_cap
        self.per_trade = None if per_trade_risk_cap is None else dec_trimmed(per_trade_risk_cap)
        self.total_f = total_open_risk_cap
        self.total = None if total_open_risk_cap is None else dec_trimmed(total_open_risk_cap)
        self.fees_in_risk = fees_in_risk
        self.leverage_f = max_leverage
        self.leverage = None if max_leverage is None else dec_trimmed(max_leverage)


class Market:
    """One symbol's market rules and fee, with their decimals and the constant tails of its skip details."""

    __slots__ = ("step_f", "step", "step_den", "min_qty", "min_notional_f", "min_notional", "fee_rate",
                 "fee_bps_f", "fee_bps", "fee_on", "fee_m", "fee_k", "fee_scale", "qty_spec", "below_min_qty",
                 "below_min_notional")

    def __init__(self, qty_step: float, min_qty: float, min_notional: float, fee_bps: float) -> None:
        if not (qty_step > 0 and math.isfinite(qty_step)):
            raise ValueError(f"qty step must be a finite number > 0, not {qty_step!r}")
        self.step_f, self.step = qty_step, dec_trimmed(qty_step)
        self.step_den = P10[self.step[1]]
        self.min_qty = min_qty
        self.min_notional_f, self.min_notional = min_notional, dec_trimmed(min_notional)
        self.fee_bps_f, self.fee_bps = fee_bps, dec_trimmed(fee_bps)
        self.fee_rate = fee_bps / 10_000  # what closes charge (section 3 is float arithmetic)
        # fee_rate * (entry + stop) exactly: fee_m * (e + s) * 10**-(k + fee_k), e and s scaled to k
        self.fee_m, self.fee_k = self.fee_bps[0], self.fee_bps[1] + 4
        self.fee_on = self.fee_m != 0
        self.fee_scale = P10[self.fee_k]
        self.qty_spec = qty_spec(qty_step)  # qty_text's format, worked out once
        self.below_min_qty = f" below min qty {qty_text(min_qty, qty_step)} (step {qty_text(qty_step, qty_step)})"
        self.below_min_notional = f" below min notional {money(min_notional)}"


# --- the engine's sizing ---------------------------------------------------------------------------

# The last balance (slot 0) and open risk (slot 1) seen, each with its decimal: entry after entry asks
# for the same ones. One tuple per slot, replaced whole, so threads never see a float with another's decimal.
_memo: list[tuple[float, tuple[int, int]]] = [(math.nan, (0, 0)), (math.nan, (0, 0))]


def _dec_memo(x: float, slot: int) -> tuple[int, int]:
    """dec(x), remembered for the last x in `slot`; read off the shortest repr without dec's fast-path
    attempt (a balance or an open risk is a running total, seldom of 8 decimals)."""
    seen, value = _memo[slot]
    if seen == x:
        return value
    value = numbers.dec_shortest(x)
    _memo[slot] = (x, value)
    return value


_sized = partial(tuple.__new__, Sized)  # a Sized without a Python-level __new__ call (entry after entry)


def _skip(reason: str, detail: str, budget: float = 0.0) -> Sized:
    return _sized((0.0, 0.0, 0.0, budget, reason, detail))


# Which candidate the budget is (docs/engine.md 2.5): a config constant (flat amount or per-trade cap,
# whose float is exact), balance * percent, the open-risk headroom, or what the day has left.
CONSTANT, PERCENT, HEADROOM, DAY_LEFT = range(4)
_LOW, _HIGH = 1 - 1e-12, 1 + 1e-12


def _lt(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """a < b for two exact decimals (m, k) = m * 10**-k."""
    return a[0] * P10[b[1]] < b[0] * P10[a[1]]


def _percent_of(balance: float, caps: Caps) -> tuple[int, int]:
    (bm, bk), (pm, pk) = _dec_memo(balance, 0), caps.percent
    return bm * pm, bk + pk


def _flat_percent_capped(balance: float, caps: Caps) -> tuple[int, float, tuple[int, int] | None]:
    """The budget's first two candidates (docs/engine.md section 2 item 5): flat below the threshold,
    else balance * percent; then per_trade_risk_cap. As risk_budget returns them (kind, estimate,
    exact or None)."""
    if balance < caps.flat_until:  # two floats compare as their shortest reprs do
        kind, est, exact = CONSTANT, caps.flat_f, caps.flat
    else:
        kind, est, exact = PERCENT, balance * caps.percent_f, None
    cap = caps.per_trade_f
    if cap is not None:
        if kind == CONSTANT:
            if cap < est:
                est, exact = cap, caps.per_trade
        elif cap < est * _LOW:
            kind, est, exact = CONSTANT, cap, caps.per_trade
        elif cap <= est * _HIGH:  # too close to tell by floats
            exact = _percent_of(balance, caps)
            if _lt(caps.per_trade, exact):
                kind, est, exact = CONSTANT, cap, caps.per_trade
    return kind, est, exact


def risk_budget(balance: float, caps: Caps, total_open_risk: float, daily: tuple[float, float] | None
                ) -> tuple[int, float, tuple[int, int] | None, Sized | None]:
    """docs/engine.md section 2 item 5, exactly: the risk budget for the next entry.

    Returns (kind, estimate, exact, skip). `exact` is the budget as (m, k) = m * 10**-k, or None when
    the float comparisons already decided (then `budget_exact` works it out: only balance * percent
    is ever left so); `estimate` is a float within a few ulps of it (the budget's own float when kind
    is CONSTANT); `skip` the Sized to return instead when a cap leaves nothing. Candidates are
    compared as floats while they are clearly apart, exactly (in decimal) when they are close.
    `daily`: (daily_loss_cap, today's pnl) when daily_loss_includes_open_risk applies, else None.
    """
    kind, est, exact = _flat_percent_capped(balance, caps)
    total = caps.total_f
    if total is not None:
        head = total - total_open_risk
        if head - est <= _MARGIN * (total + total_open_risk + est):  # the headroom may bind, or be gone
            tm, tk = caps.total
            om, ok = _dec_memo(total_open_risk, 1)
            k = tk if tk >= ok else ok
            hx = (tm * P10[k - tk] - om * P10[k - ok], k)
            if exact is None:
                exact = _percent_of(balance, caps)
            if hx[0] <= 0:
                return kind, est, exact, _skip(
                    TOTAL_OPEN_RISK_CAP, f"open risk {money(total_open_risk)} already at cap {money(total)}",
                    _float(kind, est, exact))
            if _lt(hx, exact):
                kind, est, exact = HEADROOM, head, hx
    if daily is not None and (left := _day_left_may_bind(daily, total_open_risk, est)) is not None:
        cap_f, pnl_f = daily
        (cm, ck), (qm, qk), (om, ok) = dec(cap_f), dec(abs(pnl_f)), _dec_memo(total_open_risk, 1)
        k = max(ck, qk, ok)
        lx = (cm * P10[k - ck] + (qm if pnl_f >= 0 else -qm) * P10[k - qk] - om * P10[k - ok], k)
        if exact is None:
            exact = _percent_of(balance, caps)
        if lx[0] <= 0:
            return kind, est, exact, _skip(
                DAILY_LOSS_CAP, f"today's loss {money(-pnl_f if pnl_f < 0 else 0.0)} plus open risk "
                                f"{money(total_open_risk)} leaves nothing of the daily loss cap {money(cap_f)}",
                _float(kind, est, exact))
        if _lt(lx, exact):
            kind, est, exact = DAY_LEFT, left, lx
    return kind, est, exact, None


def _day_left_may_bind(daily: tuple[float, float], total_open_risk: float, est: float) -> float | None:
    """What the day has left (daily_loss_cap + today's pnl - open risk) as a float, when floats
    cannot show it clearly above the budget estimate `est` (it may bind, or be gone); else None
    (the day changes nothing). The one float test of it, for risk_budget and size alike."""
    cap_f, pnl_f = daily
    left = cap_f + pnl_f - total_open_risk
    return left if left - est <= _MARGIN * (cap_f + abs(pnl_f) + total_open_risk + est) else None


def budget_value(kind: int, est: float, exact: tuple[int, int] | None, balance: float, caps: Caps) -> float:
    """The float of a budget `risk_budget` chose (what a screen shows as the next trade's budget)."""
    return _float(kind, est, exact if exact is not None else _percent_of(balance, caps))


def size(balance: float, caps: Caps, market: Market, total_open_risk: float, open_notional: float,
         daily: tuple[float, float] | None, entry: float, stop: float) -> Sized:
    """docs/engine.md section 2 items 5-8 for one entry, exactly: `size_general`'s answer, to the bit.

    The common case in fewer steps: prices of up to 8 decimals below 1e7 (so each price's decimal
    is m * 10**-8, see numbers.dec), a day-left candidate (daily_loss_includes_open_risk) that floats
    show does not bind, a quotient and a leverage room that floats decide, a budget that leaves
    something. Anything else, or any doubt, goes to
    `size_general`, which decides from scratch. Each step below is `size_general`'s (and
    `risk_budget`'s) with the same float tests and the same exact integers; what differs is
    said where it does.
    """
    if not (entry < 1e7 and stop < 1e7):
        return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)
    em = round(entry * 1e8)
    sm = round(stop * 1e8)
    if em / 1e8 != entry or sm / 1e8 != stop:
        return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)

    # 5. the budget (risk_budget without the day's left)
    kind, est, exact = _flat_percent_capped(balance, caps)
    total = caps.total_f
    if total is not None:
        head = total - total_open_risk
        margin = _MARGIN * (total + total_open_risk + est)
        if head - est <= margin:
            om, ok = _dec_memo(total_open_risk, 1)
            tm, tk = caps.total
            if tk >= ok:
                hm, k = tm - om * P10[tk - ok], tk
            else:
                hm, k = tm * P10[ok - tk] - om, ok
            if hm <= 0:  # the cap is reached: size_general writes the skip
                return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)
            if est - head > margin:
                # The headroom binds, decided by floats (risk_budget compares the decimals here,
                # with the same outcome): head is within 3 * 2**-53 * (total + open risk) of the
                # exact headroom (two inputs each within half an ulp of its decimal, one rounding),
                # est within 3 * 2**-53 * est of its candidate, and margin is 1e-12 times their sum.
                kind, est, exact = HEADROOM, head, (hm, k)
            else:
                if exact is None:
                    exact = _percent_of(balance, caps)
                if _lt((hm, k), exact):
                    kind, est, exact = HEADROOM, head, (hm, k)
    if daily is not None and _day_left_may_bind(daily, total_open_risk, est) is not None:
        # risk_budget's own test, on the same estimate: the day's left may bind, size_general decides
        return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)

    # 6. per-unit risk: exactly (un * 10**-uk) and as a float
    if entry > stop:
        un, distance = em - sm, entry - stop
    else:
        un, distance = sm - em, stop - entry
    if caps.fees_in_risk and market.fee_on:
        un, uk = un * market.fee_scale + market.fee_m * (em + sm), 8 + market.fee_k
        unit = distance + market.fee_rate * (entry + stop)
    else:
        uk, unit = 8, distance

    # 7. qty, when the float quotient decides it and the leverage room clearly holds it
    stm, stk = market.step
    den = unit * market.step_f
    if not den:
        return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)
    q = est / den
    rel = 1e-14 + 3e-16 * (entry + stop) / distance
    if kind == HEADROOM:
        rel += 3e-16 * (total_open_risk + total) / est
    n = int(q) if q < 1e15 else 0
    slack = q * rel
    nstm = n * stm
    if not (slack < q - n < 1 - slack) or nstm >= _EXACT_NUM:
        return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)
    qty = nstm / market.step_den
    lev_f = caps.leverage_f
    if lev_f is not None:
        room_f = balance * lev_f - open_notional
        margin = _MARGIN * (balance * lev_f + open_notional)
        if not (room_f > margin and qty * entry <= room_f * (1 - _MARGIN) - margin):
            return size_general(balance, caps, market, total_open_risk, open_notional, daily, entry, stop)
    if kind == CONSTANT:
        budget = est
    else:
        if exact is None:
            exact = _percent_of(balance, caps)
        budget = exact[0] / P10[exact[1]]

    # 8. exchange minimums
    if n == 0 or qty < market.min_qty:
        return _skip(BELOW_MIN_QTY, f"qty {qty:{market.qty_spec}}{market.below_min_qty}", budget)
    nn = nstm * em  # notional, * 10**-(stk + 8)
    notional = nn / P10[stk + 8]
    mf = market.min_notional_f
    if notional < mf or (notional == mf and _lt((nn, stk + 8), market.min_notional)):
        return _skip(BELOW_MIN_NOTIONAL, f"notional {money(notional)}{market.below_min_notional}", budget)
    return _sized((qty, nstm * un / P10[stk + uk], notional, budget, None, ""))


def size_general(balance: float, caps: Caps, market: Market, total_open_risk: float, open_notional: float,
                 daily: tuple[float, float] | None, entry: float, stop: float) -> Sized:
    """docs/engine.md section 2 items 5-8 for one entry, exactly (see the module docstring); any input.

    Float estimates decide where they provably can (the whole-step count of a quotient far from a
    whole number, a budget candidate far from the others); integers on exact decimals decide the
    rest and give every output. `daily`: (daily_loss_cap, today's pnl) when
    daily_loss_includes_open_risk applies, else None. Inputs are finite floats, prices > 0 with the
    stop on the loss side; balance > 0.
    """
    kind, est, exact, skip = risk_budget(balance, caps, total_open_risk, daily)
    if skip is not None:
        return skip

    # 6. per-unit risk, exactly, as un * 10**-uk (the outputs need it), and as a float estimate.
    # The decimals of the two prices: numbers.dec, its fast path inline (prices of up to 8 decimals
    # below 1e7 read as m * 10**-8; see dec for why that is exact).
    if 0.0 < entry < 1e7 and (em := round(entry * 1e8)) / 1e8 == entry:
        ek = 8
    else:
        em, ek = dec(entry)
    if 0.0 < stop < 1e7 and (sm := round(stop * 1e8)) / 1e8 == stop:
        sk = 8
    else:
        sm, sk = dec(stop)
    if ek != sk:
        if ek < sk:
            em, ek = em * P10[sk - ek], sk
        else:
            sm = sm * P10[ek - sk]
    un, uk = (em - sm if em > sm else sm - em), ek
    distance = entry - stop if entry > stop else stop - entry
    unit = distance
    if caps.fees_in_risk and market.fee_on:
        # + (bps / 10**4) * (entry + stop)
        un, uk = un * market.fee_scale + market.fee_m * (em + sm), ek + market.fee_k
        unit += market.fee_rate * (entry + stop)

    # 7. qty: the largest whole number of steps n with n * step * per-unit risk <= budget. The float
    # quotient decides when it is far enough from a whole number: its relative error is bounded by
    # the inputs' (each within half an ulp of its decimal; a close stop magnifies the prices'; a
    # headroom or the day's left magnifies the open risk's) and a few roundings, all in `slack`.
    stm, stk = market.step
    den = unit * market.step_f
    q = est / den if den else math.inf
    rel = 1e-14 + 3e-16 * (entry + stop) / distance
    if kind >= HEADROOM:
        # A headroom exactly above 0 can round to a float 0 (or below): then only integers decide.
        base = total_open_risk + (caps.total_f if kind == HEADROOM else daily[0] + abs(daily[1]))
        rel = rel + 3e-16 * base / est if est > 0.0 else math.inf
    n = int(q) if q < 1e15 else 0
    slack = q * rel
    if not (slack < q - n < 1 - slack) or n * stm >= _EXACT_NUM:
        if exact is None:
            exact = _percent_of(balance, caps)
        bn, bk = exact
        e = uk + stk - bk
        n = (bn * P10[e]) // (un * stm) if e >= 0 else bn // (un * stm * P10[-e])
    step_den = market.step_den
    if caps.leverage is not None:
        lev_f = caps.leverage_f
        room_f = balance * lev_f - open_notional
        margin = _MARGIN * (balance * lev_f + open_notional)
        if not (room_f > margin and n * stm / step_den * entry <= room_f * (1 - _MARGIN) - margin):
            (bm, bbk), (lm, lk), (om, ok) = _dec_memo(balance, 0), caps.leverage, dec(open_notional)
            k = max(bbk + lk, ok)
            rn = bm * lm * P10[k - bbk - lk] - om * P10[k - ok]
            if rn <= 0:
                return _skip(MAX_LEVERAGE, f"open notional {money(open_notional)} already at balance "
                                           f"{money(balance)} x {lev_f:g}",
                             _float(kind, est, exact or _percent_of(balance, caps)))
            # room / (entry * step) = rn * 10**(ek + stk - k) / (em * stm)
            e2 = ek + stk - k
            n_room = (rn * P10[e2]) // (em * stm) if e2 >= 0 else rn // (em * stm * P10[-e2])
            if n_room < n:
                n = n_room
    if n * stm >= _EXACT_NUM:
        n = _representable(n, market)
        if n < 0:
            return _skip(INVALID_INPUT, f"the quantity is too large for a float (per-unit risk "
                                        f"{un / P10[uk]!r} is too small)",
                         _float(kind, est, exact or _percent_of(balance, caps)))
    qty = n * stm / step_den
    if kind == CONSTANT:
        budget = est
    else:
        if exact is None:
            exact = _percent_of(balance, caps)
        budget = exact[0] / P10[exact[1]]

    # 8. exchange minimums
    if n == 0 or qty < market.min_qty:  # both floats' shortest reprs are the decimals compared
        return _skip(BELOW_MIN_QTY, f"qty {qty:{market.qty_spec}}{market.below_min_qty}", budget)
    nn = n * stm * em  # notional, * 10**-(stk + ek)
    try:
        notional = nn / P10[stk + ek]
    except OverflowError:
        return _skip(INVALID_INPUT, f"the notional of qty {qty!r} at {entry!r} is too large for a float", budget)
    # The float nearest the exact notional is below (above) min_notional's only when the exact one
    # is: rounding is monotone; only a tie needs the decimals.
    mf = market.min_notional_f
    if notional < mf or (notional == mf and _lt((nn, stk + ek), market.min_notional)):
        return _skip(BELOW_MIN_NOTIONAL, f"notional {money(notional)}{market.below_min_notional}", budget)
    return _sized((qty, n * stm * un / P10[stk + uk], notional, budget, None, ""))


def _float(kind: int, est: float, exact: tuple[int, int]) -> float:
    """The budget's float: a config constant's own, else the float nearest its exact value."""
    return est if kind == CONSTANT else exact[0] / P10[exact[1]]


def _representable(n: int, market: Market) -> int:
    """The largest n' <= n whose float of n' * step reads back as exactly n' * step (past 15 digits
    a float may not hold the multiple: an exchange would refuse the quantity it reads back).
    -1 when the quantity is past the float range."""
    stm, stk = market.step
    for _ in range(_REPRESENTABLE_TRIES):
        if n <= 0:
            return 0
        try:
            qty = n * stm / P10[stk]
        except OverflowError:
            return -1
        qm, qk = dec(qty)
        if qm * P10[stk] == n * stm * P10[qk]:
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


# --- a partial fill (docs/live.md section 6) --------------------------------------------------------

def is_multiple(qty: float, step: float) -> bool:
    """Is `qty` a whole number of `step`s, both read as their shortest reprs?"""
    (qm, qk), (sm, sk) = dec(qty), dec(step)
    k = max(qk, sk)
    return (qm * P10[k - qk]) % (sm * P10[k - sk]) == 0


def scaled(qty: float, entry: float, stop: float, fee_bps: float, fees_in_risk: bool) -> tuple[float, float]:
    """(risk_amount, notional) of `qty` at this entry and stop, exactly as `size` computes them."""
    (qm, qk), (em, ek), (sm, sk), (fm, fk) = dec(qty), dec(entry), dec(stop), dec(fee_bps)
    k = max(ek, sk)
    e_scaled, s_scaled = em * P10[k - ek], sm * P10[k - sk]
    un, uk = abs(e_scaled - s_scaled), k
    if fees_in_risk and fm:
        un, uk = un * P10[fk + 4] + fm * (e_scaled + s_scaled), k + fk + 4
    return qm * un / P10[qk + uk], qm * em / P10[qk + ek]


# --- closing (docs/engine.md section 3) -----------------------------------------------------------------

def gross_pnl(is_long: bool, qty: float, entry: float, exit_: float) -> float:
    return (exit_ - entry) * qty if is_long else (entry - exit_) * qty


def fees(fee_rate: float, qty: float, entry: float, exit_: float) -> float:
    """Both sides' fees: the rate a trade was sized with, on its entry and its exit notional."""
    return fee_rate * qty * (entry + exit_)
