"""Numbers at the engine's edges: what a bot may pass, each float's exact decimal, and money as text.

- `as_number` / `as_ms`: the numbers a bot has (int, float, decimal.Decimal, numpy scalars) as a float
  or an integer millisecond timestamp; bool and strings are refused (docs/live.md section 6).
- `dec`: the exact decimal a float stands for, its shortest repr, as an integer and a power of ten.
  Sizing is computed on these (docs/engine.md section 2.7), so 1.25 - 1.24 is 0.01, not 0.010000000000000009.
- `money`, `qty_text`: how skip details and every screen write amounts.
"""

from __future__ import annotations

import math
import operator
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, Iterable

MIN_TS_MS = 100_000_000_000  # 1973-03-03: anything smaller is a seconds timestamp by mistake
MAX_TS_MS = 253_402_300_800_000  # 10000-01-01: past it no UTC day key exists (datetime stops at 9999)
MAX_PRICE = 1e300  # finite, and far below where float(int) would overflow
# The largest balance a cash flow may leave: a float holds every cent exactly only below 2**53
# cents (about 9.007e13 $); past it a later close's PnL could round away, and a withdrawal of a huge
# deposit could wipe out what was there before it.
MAX_BALANCE = 1e13


# --- what a bot passes -----------------------------------------------------------------------------

def as_number(value: Any) -> float | None:
    """`value` as a float when it is a number a bot may pass (int, float, Decimal, a numpy scalar or
    another real number), else None. bool and str are not numbers here; neither are NaN or inf."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (Real, Decimal)):
        if not _is_numpy_number(value):
            return None
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return number if math.isfinite(number) else None


def _is_numpy_number(value: Any) -> bool:
    # numpy registers its scalars with `numbers`, but not bool_, which is no number here anyway.
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ != "bool_" and hasattr(value, "__float__")


def as_ms(value: Any) -> int | None:
    """`value` as an integer millisecond epoch (an int, a whole float or Decimal, a numpy integer),
    or None when it is not one or lies outside 1973-03-03 .. 9999-12-31."""
    if type(value) is not int:
        if isinstance(value, bool):
            return None
        if isinstance(value, (float, Decimal)) or (isinstance(value, Real) and not isinstance(value, Integral)):
            try:
                if value != int(value):
                    return None
                value = int(value)
            except (OverflowError, ValueError, TypeError):
                return None
        else:
            try:
                value = operator.index(value)
            except TypeError:
                return None
    return value if MIN_TS_MS <= value < MAX_TS_MS else None


def type_name(value: Any) -> str:
    """What a bad argument is, for an error message (never its repr: a nested list may not have one)."""
    return type(value).__name__


def short(value: Any, limit: int = 40) -> str:
    """A bad argument for an error message: its repr cut to `limit` characters, or its type."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that recurses forever or raises: name the type
        return f"a {type_name(value)}"
    return text if len(text) <= limit else text[:limit - 3] + "..."


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
MS_THRESHOLD = 100_000_000_000  # an epoch number >= 1e11 is milliseconds, below it seconds


def parse_time_ms(text: str) -> int:
    """Integer ms epoch of an ISO 8601 time (naive = UTC) or an epoch number. Raises ValueError.

    Epoch numbers >= 1e11 are ms, smaller ones seconds; fractions are truncated to whole ms
    exactly (decimal, so 1700000000.123 gives ...123, not the float's ...122.99).
    """
    if text[4:5] == "-":  # YYYY-MM-..., the common shape: no number attempt first
        ms = _iso_ms(text)
    else:
        try:
            ms = _epoch_ms(text)
        except ValueError:
            ms = _iso_ms(text)
    if not -MAX_TS_MS < ms < MAX_TS_MS:  # past year 9999 the engine has no day to book it on
        raise ValueError(f"time out of range: {text!r}")
    return ms


def _iso_ms(text: str) -> int:
    dt = datetime.fromisoformat(text)
    # Exact integer arithmetic on timedeltas (floor to the ms), never the float .timestamp().
    return (dt - _EPOCH) // _MS if dt.tzinfo is None else (dt - _EPOCH_UTC) // _MS


def _epoch_ms(text: str) -> int:
    if text.isdigit():
        ms = int(text)
        if ms < MS_THRESHOLD:
            ms *= 1000
    else:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {text!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a finite number: {text!r}")
        ms = math.floor(number if number >= MS_THRESHOLD else number * 1000)
    return ms


# --- exact decimals --------------------------------------------------------------------------------

class _Powers(dict):
    """10**k by k, made on first use: `P10[k]` is a dict lookup in C (the exact arithmetic asks on
    every entry); the exponents met are bounded by the float range (below ~1,400)."""

    def __missing__(self, k: int) -> int:
        value = self[k] = 10 ** k
        return value


P10 = _Powers()


def p10(k: int) -> int:
    return P10[k]


def dec(x: float) -> tuple[int, int]:
    """(m, k) with m * 10**-k the shortest repr of the finite float x >= 0, k >= 0.

    Fast path: x with at most 8 decimals below 1e7 (prices, most caps). Then m = round(x * 1e8)
    is that decimal scaled (the float product is within 0.25 of it), m / 10**8 == x confirms it
    rounds back to x, and a decimal of at most 15 significant digits that rounds to x is x's
    shortest repr (no two such decimals round to one float). Anything else is read off the
    shortest repr itself.
    """
    if 0.0 < x < 1e7:
        m = round(x * 1e8)
        if m / 1e8 == x:  # m < 2**53 and 1e8 are exact floats: IEEE division rounds m * 10**-8 correctly
            return m, 8
    return dec_shortest(x)


def dec_trimmed(x: float) -> tuple[int, int]:
    """dec(x) with the fewest digits: no trailing zeros in m while k > 0 (the same value)."""
    m, k = dec(x)
    while k and m % 10 == 0:
        m, k = m // 10, k - 1
    return m, k


def dec_shortest(x: float) -> tuple[int, int]:
    """dec(x) read off x's shortest repr, without dec's fast-path attempt (for floats seldom of 8
    decimals, such as a running total). Bound on first use (so importing the engine loads no
    orjson): orjson's formatter writes the same shortest round-trip digits as repr in a fifth of
    the time; a plain `123.456` is read in place (int() refuses an exponent, `1e-07` or `1.5e+16`,
    and so does a text without a point), anything else by dec_of_text. Tests hold `dec` and
    `dec_shortest` to `dec_plain`."""
    global dec_shortest
    try:
        from orjson import dumps
    except ImportError:
        dec_shortest = dec_plain
    else:
        def dec_shortest(x: float) -> tuple[int, int]:
            text = dumps(x)
            point = text.find(b".")
            if point > 0:
                try:
                    return int(text.replace(b".", b"", 1)), len(text) - point - 1
                except ValueError:
                    pass
            return dec_of_text(text.decode())
    return dec_shortest(x)


def dec_plain(x: float) -> tuple[int, int]:
    """The reference for `dec`: read off repr(x)."""
    return dec_of_text(repr(x))


def dec_of_text(text: str) -> tuple[int, int]:
    """(m, k) of a decimal text such as `10234.56`, `5e-324` or `1.5e+20`."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    m = int(whole + frac)
    k = len(frac) - int(exponent or 0)
    if k < 0:
        return m * p10(-k), 0
    return m, k


def exact_partials(values: Iterable[float]) -> list[float]:
    """Floats whose exact sum is the exact sum of the finite `values` (Shewchuk's partials, what
    math.fsum keeps inside), so math.fsum([*partials, *more]) == math.fsum([*values, *more]) to the
    bit: an fsum over many terms of which one changes is redone over a few."""
    partials: list[float] = []
    for x in values:
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]
    return partials


def to_float(num: int, k: int) -> float:
    """The float nearest num * 10**-k (int / int true division rounds correctly)."""
    return num / p10(k)


# --- numbers as text -------------------------------------------------------------------------------

def money(value: float | None) -> str:
    """`12,345.67`: thousands separators, two decimals; `-` for no value."""
    if value is None:
        return "-"
    text = f"{value:,.2f}"
    return "0.00" if text == "-0.00" else text


def signed_money(value: float | None) -> str:
    """`+1,234.50` / `-87.10` / `0.00`: a change, with its sign."""
    if value is None:
        return "-"
    text = f"{value:+,.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


@lru_cache(maxsize=256)
def step_decimals(step: float) -> int:
    """Decimals a quantity needs to show a multiple of `step` exactly (0.001 -> 3, 0.5 -> 1, 1 -> 0)."""
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def qty_spec(step: float) -> str:
    """The format spec of a quantity at the precision of `step` (what qty_text formats with)."""
    return f",.{step_decimals(step)}f"


def qty_text(value: float, step: float) -> str:
    """A quantity at the precision of its symbol's step: `0.015` for step 0.001, `12.5` for 0.1."""
    return f"{value:{qty_spec(step)}}"


def price_text(value: float | None) -> str:
    """A price as an exchange quotes it: 2 decimals from $10 up, 4 from $0.10, else 8 significant."""
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 10:
        return f"{value:,.2f}"
    if magnitude >= 0.1:
        return f"{value:.4f}"
    return f"{value:.8g}"
