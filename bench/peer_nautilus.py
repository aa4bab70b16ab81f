"""Peer check of sizing: our RiskEngine against NautilusTrader's FixedRiskSizer and an exact reference.

Fee-free, docs/engine.md section 2.7 says our qty is exact: the largest whole multiple of the qty step with
qty * |entry - stop| <= balance * percent_risk, computed in decimal on the shortest repr of every
float input. NautilusTrader's FixedRiskSizer sizes the same way in `decimal.Decimal` (fees off,
`unit_batch_size` = our step), so on every case a float can hold, all three should agree. This
script counts where they do, and classifies each case where they do not against a reference
written here with `fractions.Fraction`, independent of the engine's code:

- random: prices with 3-8 significant digits, stops 0.05%-30% away rounded to the entry's
  decimals, odd steps (1, 2, 2.5 or 5 times a power of ten), with a tail of tiny steps;
- grid: prices on an exchange's tick grid with a round number of ticks to the stop, round
  balances and percents, power-of-ten steps, as real bots send them.

With fees on (both sides), it counts how often each model's stop-out loss, |entry - stop| * qty
plus both fees, exceeds its risk budget (ours puts fees in the per-unit risk; Nautilus takes a
commission off the risk money).

    pip install -e '.[peer]'
    python bench/peer_nautilus.py [--cases 20000] [--seed 12] [--fee-bps 4]

`--cases` random cases, and a tenth as many grid cases. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tc1console.engine import OverlayConfig, PolicyConfig, RiskEngine  # noqa: E402

try:
    import nautilus_trader
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.identifiers import InstrumentId, Symbol
    from nautilus_trader.model.instruments import CurrencyPair
    from nautilus_trader.model.objects import QUANTITY_MAX, Money, Price, Quantity
    from nautilus_trader.risk.sizing import FixedRiskSizer
except ImportError as exc:  # a heavy optional extra: say how to get it, no traceback
    sys.exit(f"peer_nautilus: error: nautilus_trader is not installed ({exc}); "
             "run: pip install -e '.[peer]'")

TS_MS = 1_700_000_000_000
TRIES = 64  # how far the excluded-case check steps down looking for a multiple a float holds


def F(x: float) -> Fraction:
    """The exact value of a float input: its shortest repr, as docs/engine.md 2.7 reads it."""
    return Fraction(repr(x))


def decimals(x: float) -> int:
    """Digits after the point in the shortest repr of x (0 for whole numbers)."""
    return max(0, -Decimal(repr(x)).as_tuple().exponent)


@dataclass(frozen=True, slots=True)
class Case:
    """One entry to size: an account, a trade and the symbol's qty step."""

    balance: float
    percent: float
    is_long: bool
    entry: float
    stop: float
    step: float
    max_leverage: float | None = None


# --- the exact reference (Fraction only; nothing from the engine) ---------------------------------

def exact_qty(c: Case, fee_rate: Fraction = Fraction(0)) -> Fraction:
    """The largest multiple of the step whose stop-out loses at most balance * percent, exactly.

    Per-unit risk = |entry - stop| + fee_rate * (entry + stop) (both fees; 0 fee-free). With a
    leverage cap, also qty * entry <= balance * max_leverage (no other position is open).
    """
    budget = F(c.balance) * F(c.percent)
    entry, stop, step = F(c.entry), F(c.stop), F(c.step)
    unit = abs(entry - stop) + fee_rate * (entry + stop)
    n = budget // (unit * step)
    if c.max_leverage is not None:
        n = min(n, F(c.balance) * F(c.max_leverage) // (entry * step))
    return n * step


def on_a_step(c: Case) -> bool:
    """The budget buys a whole number of steps exactly: where a float quotient may land either side."""
    budget = F(c.balance) * F(c.percent)
    return (budget / (abs(F(c.entry) - F(c.stop)) * F(c.step))).denominator == 1


def float_holds(q: Fraction) -> bool:
    """True when the float nearest q reads back (shortest repr) as q itself."""
    return F(float(q)) == q


def held_below(q: Fraction, step: Fraction) -> Fraction | None:
    """The largest multiple of the step <= q that a float holds (docs/engine.md 2.7's step-down)."""
    for _ in range(TRIES):
        if q <= 0 or float_holds(q):
            return max(q, Fraction(0))
        q -= step
    return None


def stop_out_loss(c: Case, qty: Fraction, fee_rate: Fraction) -> Fraction:
    """What a stop-out costs, exactly: the price move plus the entry and exit fees."""
    entry, stop = F(c.entry), F(c.stop)
    return qty * (abs(entry - stop) + fee_rate * (entry + stop))


# --- the two models -------------------------------------------------------------------------------

def ours(c: Case, fee_bps: float = 0.0) -> float:
    """Our engine's qty, with an overlay where only sizing matters: no caps, no minimums, and
    `flat_risk_until` 0 so the budget is balance * percent (the flat amount is never used)."""
    overlay = OverlayConfig(
        initial_balance=c.balance, flat_risk_amount=1.0, percent_risk=c.percent, default_qty_step=c.step,
        flat_risk_until=0.0, max_leverage=c.max_leverage, fee_bps_per_side=fee_bps, fees_in_risk=True)
    engine = RiskEngine(overlay, PolicyConfig())
    return engine.try_open("peer-1", "PEER", c.is_long, TS_MS, c.entry, c.stop).qty


@lru_cache(maxsize=512)
def _sizer(price_precision: int, step: float) -> FixedRiskSizer:
    size_precision = decimals(step)
    instrument = CurrencyPair(
        InstrumentId.from_str("PEER/USD.SIM"), Symbol("PEER/USD"), USD, USD, price_precision,
        size_precision, Price(10.0 ** -price_precision, price_precision), Quantity(step, size_precision),
        0, 0,
        # FixedRiskSizer takes min(size, max_quantity), which fails on None: allow the most it can hold.
        max_quantity=Quantity(QUANTITY_MAX, size_precision))
    return FixedRiskSizer(instrument)


class Unheld(Exception):
    """Nautilus's fixed-point types cannot hold an input (or its answer) exactly."""


def nautilus(c: Case, commission_rate: Decimal = Decimal(0)) -> Fraction:
    """FixedRiskSizer's qty. Its Price, Money and Quantity are built from a float rounded to a
    precision: each input gets the precision of its own shortest repr, and is checked to read back."""
    pp = max(decimals(c.entry), decimals(c.stop))
    if max(pp, decimals(c.step)) > 16 or decimals(c.balance) > USD.precision:
        raise Unheld("a price, step or balance has more decimals than Nautilus holds")
    entry, stop, equity = Price(c.entry, pp), Price(c.stop, pp), Money(c.balance, USD)
    for obj, x in ((entry, c.entry), (stop, c.stop), (equity, c.balance)):
        if obj.as_decimal() != Decimal(repr(x)):
            raise Unheld(f"{x!r} reads back as {obj.as_decimal()}")
    hard_limit = None
    if c.max_leverage is not None:  # its one quantity ceiling: the leverage room in units
        hard_limit = Decimal(repr(c.balance)) * Decimal(repr(c.max_leverage)) / Decimal(repr(c.entry))
    try:
        qty = _sizer(pp, c.step).calculate(
            entry, stop, equity, Decimal(repr(c.percent)), commission_rate=commission_rate,
            hard_limit=hard_limit, unit_batch_size=Decimal(repr(c.step)))
    except (ValueError, OverflowError, ArithmeticError) as exc:  # past QUANTITY_MAX, say
        raise Unheld(str(exc)) from exc
    return Fraction(qty.as_decimal())


def nautilus_holds(q: Fraction, step: float) -> bool:
    """Whether FixedRiskSizer could return q at all: it builds its answer as Quantity(double,
    precision), which rounds the double's binary value, not its shortest repr, at the step's decimals.
    Past about 2**53 units of the last decimal, that lands beside q even when float(q) reads back as q."""
    try:
        return Fraction(Quantity(float(q), decimals(step)).as_decimal()) == q
    except (ValueError, OverflowError):  # past QUANTITY_MAX or 16 decimals
        return False


# --- cases ----------------------------------------------------------------------------------------

def _num(d: Decimal) -> float:
    """A float whose shortest repr is exactly the decimal d (checked, since the cases rely on it)."""
    x = float(d)
    assert F(x) == Fraction(d), d
    return x


def _step(rng: random.Random, qty_estimate: float, multipliers: tuple[str, ...],
          digits: Callable[[], int]) -> float:
    """A step some `digits()` orders of magnitude below the expected qty (an exchange's lot size)."""
    e = max(-15, math.floor(math.log10(qty_estimate)) - digits())
    return _num(Decimal(rng.choice(multipliers)).scaleb(e))


def random_cases(rng: random.Random, n: int) -> Iterator[Case]:
    """Arbitrary decimal inputs: whatever digits a price feed or a balance happens to have."""
    made = 0
    while made < n:
        balance = _num(round(Decimal(10 ** rng.uniform(2, 7.5)), 2))
        percent = _num(Decimal(f"{rng.uniform(0.001, 0.05):.{rng.randint(1, 3)}g}"))
        entry_d = Decimal(f"{10 ** rng.uniform(-4, 5):.{rng.randint(3, 8)}g}")
        is_long = rng.random() < 0.5
        dist = entry_d * Decimal(10 ** rng.uniform(-3.3, -0.5))
        stop_d = (entry_d - dist if is_long else entry_d + dist).quantize(entry_d)
        if stop_d <= 0 or stop_d == entry_d:
            continue
        qty_estimate = float(balance * percent) / float(abs(entry_d - stop_d))
        if qty_estimate > 1e12:  # past what an exchange (or Nautilus's Quantity) would take
            continue
        # Mostly 2-7 significant digits of quantity; one case in twenty has 9-17 (a huge quantity in
        # tiny steps), where some exact answers have more digits than a float holds.
        digits = (lambda: rng.randint(8, 16)) if rng.random() < 0.05 else (lambda: rng.randint(1, 6))
        step = _step(rng, qty_estimate, ("1", "1", "1", "2", "2.5", "5"), digits)
        yield Case(balance, percent, is_long, _num(entry_d), _num(stop_d), step)
        made += 1


_TICKS = tuple(map(Decimal, ("1", "0.5", "0.25", "0.1", "0.05", "0.01", "0.005", "0.001", "0.0001",
                             "0.00001", "0.000001", "0.0000001", "0.00000001")))
_BALANCES = ("250", "500", "1000", "2000", "2500", "5000", "10000", "20000", "25000", "50000", "100000",
             "250000", "1000000")
_PERCENTS = ("0.0025", "0.005", "0.0075", "0.01", "0.0125", "0.015", "0.02", "0.025", "0.03", "0.05")


def grid_cases(rng: random.Random, n: int) -> Iterator[Case]:
    """Prices on a tick grid, a round number of ticks to the stop, round balances and percents."""
    made = 0
    while made < n:
        tick = rng.choice(_TICKS)
        entry_ticks = rng.randint(100, 2_000_000)
        # The round distance (1, 2, 2.5 or 5 times a power of ten, in ticks) nearest to 0.05%-20%
        # of the price.
        target = entry_ticks * 10 ** rng.uniform(-3.3, -0.7)
        e = math.floor(math.log10(target))
        ticks_to_stop = int(min((Decimal(m).scaleb(e) for m in ("1", "2", "2.5", "5", "10")),
                                key=lambda d: abs(math.log(float(d) / target))))
        if not 1 <= ticks_to_stop < entry_ticks:
            continue
        entry_d = tick * entry_ticks
        is_long = rng.random() < 0.5
        stop_d = entry_d - tick * ticks_to_stop if is_long else entry_d + tick * ticks_to_stop
        if rng.random() < 0.7:
            balance_d = Decimal(rng.choice(_BALANCES))
        else:  # an account that has traded a while: cents
            balance_d = round(Decimal(10 ** rng.uniform(2.5, 6.5)), 2)
        percent_d = Decimal(rng.choice(_PERCENTS))
        qty_estimate = float(balance_d * percent_d / (tick * ticks_to_stop))
        if qty_estimate > 1e12:
            continue
        step = _step(rng, qty_estimate, ("1",), lambda: rng.randint(1, 6))
        yield Case(_num(balance_d), _num(percent_d), is_long, _num(entry_d), _num(stop_d), step)
        made += 1


# The four rows of issue 12's table (the fourth: leverage binds; its stop and percent are ours).
NAMED = (
    ("10,000 1%, long 1.25 stop 1.24, step 0.001", Case(10000.0, 0.01, True, 1.25, 1.24, 0.001)),
    ("8,629,766.39 1.5%, short 130.3594/148.5695, step 0.5",
     Case(8629766.39, 0.015, False, 130.3594, 148.5695, 0.5)),
    ("289.19 1.57%, long 0.003654247/0.003641085, 1e-7",
     Case(289.19, 0.0157, True, 0.003654247, 0.003641085, 1e-7)),
    ("152.64 1%, leverage 1, long 19.2/19.1, step 0.0001",
     Case(152.64, 0.01, True, 19.2, 19.1, 0.0001, max_leverage=1.0)),
)


# --- comparing ------------------------------------------------------------------------------------

FEE_FREE_ROWS = (
    ("agree", "ours = exact = Nautilus"),
    ("ours_short", "ours one step short (Nautilus exact)"),
    ("ours_over", "ours one step over (Nautilus exact)"),
    ("ours_off", "ours off otherwise (Nautilus exact)"),
    ("nautilus_off", "Nautilus off (ours exact)"),
    ("both_off", "both off"),
)
EXCLUDED_ROWS = (
    ("x_float", "excluded: exact qty needs more digits than a float holds"),
    ("x_nautilus_qty", "excluded: Nautilus's Quantity cannot hold the exact qty"),
    ("x_nautilus_input", "excluded: Nautilus cannot hold an input"),
)


def classify(c: Case) -> str:
    """One key of FEE_FREE_ROWS or EXCLUDED_ROWS for a fee-free case."""
    exact = exact_qty(c)
    if not float_holds(exact):
        return "x_float"
    if not nautilus_holds(exact, c.step):
        return "x_nautilus_qty"
    try:
        theirs = nautilus(c)
    except Unheld:
        return "x_nautilus_input"
    mine = F(ours(c))
    if mine == exact:
        return "agree" if theirs == exact else "nautilus_off"
    if theirs != exact:
        return "both_off"
    step = F(c.step)
    return {exact - step: "ours_short", exact + step: "ours_over"}.get(mine, "ours_off")


def sub_class(kind: str, c: Case) -> str | None:
    """The row under a class that a case also counts in, if any."""
    if not kind.startswith("x_"):
        return "on_step" if on_a_step(c) else None
    if kind == "x_float":  # docs/engine.md 2.7's step-down, where no float holds the exact answer
        return "step_down" if F(ours(c)) == held_below(exact_qty(c), F(c.step)) else None
    if kind == "x_nautilus_qty":  # a float holds it; only Nautilus cannot
        return "ours_exact" if F(ours(c)) == exact_qty(c) else None
    return None


@dataclass(frozen=True, slots=True)
class FeeCounts:
    """The fees-on figures for one set of cases."""

    cases: int
    compared: int  # the exact fee-inclusive qty is one a float holds
    ours_exact: int
    ours_over_budget: int
    nautilus_over_budget: int
    nautilus_unheld: int
    nautilus_median: float  # its stop-out loss, as a multiple of the budget
    nautilus_worst: float


def fees_on(cases: list[Case], fee_bps: float) -> FeeCounts:
    rate = F(fee_bps) / 10_000
    compared = ours_exact = ours_over = theirs_over = unheld = 0
    ratios: list[float] = []
    for c in cases:
        budget = F(c.balance) * F(c.percent)
        mine = F(ours(c, fee_bps))
        exact = exact_qty(c, rate)
        if float_holds(exact):
            compared += 1
            ours_exact += mine == exact
        ours_over += stop_out_loss(c, mine, rate) > budget
        try:
            theirs = nautilus(c, commission_rate=Decimal(repr(fee_bps)) / 10_000)
        except Unheld:
            unheld += 1
            continue
        loss = stop_out_loss(c, theirs, rate)
        theirs_over += loss > budget
        ratios.append(float(loss / budget))
    return FeeCounts(len(cases), compared, ours_exact, ours_over, theirs_over, unheld,
                     statistics.median(ratios) if ratios else math.nan, max(ratios, default=math.nan))


def _show(q: Fraction) -> str:
    """A multiple of a decimal step, written out in full."""
    with localcontext() as ctx:
        ctx.prec = 60
        return format((Decimal(q.numerator) / q.denominator).normalize(), "f")


def _cell(count: int, of: int) -> str:
    pct = f"{100 * count / of:6.2f} %" if of else f"{'-':>8}"
    return f"{count:>8,} {pct}"


def report(n_random: int, n_grid: int, seed: int, fee_bps: float) -> str:
    sets = {"random": list(random_cases(random.Random(seed), n_random)),
            "grid": list(grid_cases(random.Random(seed + 1), n_grid))}
    names = list(sets)
    counts = {name: {} for name in names}
    for name, cases in sets.items():
        for c in cases:
            kind = classify(c)
            counts[name][kind] = counts[name].get(kind, 0) + 1
            extra = sub_class(kind, c)
            if extra:
                counts[name][extra] = counts[name].get(extra, 0) + 1

    width = 58
    head = "".join(f"{f'{name} ({len(sets[name]):,})':>18}" for name in names)
    out = [f"tc1console RiskEngine vs NautilusTrader {nautilus_trader.__version__} FixedRiskSizer "
           f"(seed {seed})", "", f"{'fee-free: qty':<{width}}{head}"]
    compared = {n: len(sets[n]) - sum(counts[n].get(k, 0) for k, _ in EXCLUDED_ROWS) for n in names}
    out.append(f"{'compared (a float holds the exact qty)':<{width}}"
               + "".join(_cell(compared[n], len(sets[n])) for n in names))
    out.append(f"{'  budget buys a whole number of steps exactly':<{width}}"
               + "".join(_cell(counts[n].get("on_step", 0), compared[n]) for n in names))
    for key, label in FEE_FREE_ROWS:
        out.append(f"{'  ' + label:<{width}}"
                   + "".join(_cell(counts[n].get(key, 0), compared[n]) for n in names))
    for key, label in EXCLUDED_ROWS:
        out.append(f"{label:<{width}}" + "".join(_cell(counts[n].get(key, 0), len(sets[n])) for n in names))
        sub = {"x_float": ("step_down", "  of which ours = largest multiple below a float holds"),
               "x_nautilus_qty": ("ours_exact", "  of which ours = exact")}.get(key)
        if sub:
            out.append(f"{sub[1]:<{width}}"
                       + "".join(_cell(counts[n].get(sub[0], 0), counts[n].get(key, 0)) for n in names))

    fees_head = f"fees on: {fee_bps:g} bps a side"
    out += ["", f"{fees_head:<{width}}{head}"]
    fee = {name: fees_on(cases, fee_bps) for name, cases in sets.items()}
    out.append(f"{'  ours = exact fee-inclusive qty (a float holds it)':<{width}}"
               + "".join(_cell(fee[n].ours_exact, fee[n].compared) for n in names))
    out.append(f"{'  stop-out + both fees > budget: ours':<{width}}"
               + "".join(_cell(fee[n].ours_over_budget, fee[n].cases) for n in names))
    out.append(f"{'  stop-out + both fees > budget: Nautilus':<{width}}"
               + "".join(_cell(fee[n].nautilus_over_budget, fee[n].cases - fee[n].nautilus_unheld)
                         for n in names))
    out.append(f"{'  Nautilus stop-out + fees / budget: median, worst':<{width}}"
               + "".join(f"{f'{fee[n].nautilus_median:.3f}, {fee[n].nautilus_worst:.2f}':>18}"
                         for n in names))

    out += ["", f"{'named cases (issue 12)':<52}{'ours':>16}{'exact':>16}{'Nautilus':>16}"]
    for label, c in NAMED:
        try:
            theirs = _show(nautilus(c))
        except Unheld:
            theirs = "-"
        out.append(f"{label:<52}{ours(c)!r:>16}{_show(exact_qty(c)):>16}{theirs:>16}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000,
                        help="random cases (grid cases: a tenth as many, at least 1); default 20000")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--fee-bps", type=float, default=4.0, help="fee per side for the fees-on part")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    if not (0 < args.fee_bps < 10_000):
        parser.error("--fee-bps must be between 0 and 10000")
    print(report(args.cases, max(1, args.cases // 10), args.seed, args.fee_bps))


if __name__ == "__main__":
    main()
