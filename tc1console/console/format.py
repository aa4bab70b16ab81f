"""How the console writes numbers: money, quantities at their step, prices, ages and countdowns.

Pure functions, no Textual: the snapshot builder and the widgets share them, and tests can pin them.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

DASH = "-"


def money(value: float | None) -> str:
    """`12,345.67`: thousands separators, two decimals; `-` for no value."""
    if value is None:
        return DASH
    text = f"{value:,.2f}"
    return "0.00" if text == "-0.00" else text


def whole_money(value: float | None) -> str:
    """`12,346`: money without its cents, where a narrow panel has no room for them."""
    if value is None:
        return DASH
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


def signed_money(value: float | None) -> str:
    """`+1,234.50` / `-87.10` / `0.00`: a change, with its sign."""
    if value is None:
        return DASH
    text = f"{value:+,.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def pct(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


@lru_cache(maxsize=256)
def step_decimals(step: float) -> int:
    """Decimals a quantity needs to show a multiple of `step` exactly (0.001 -> 3, 0.5 -> 1, 1 -> 0)."""
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def qty(value: float, step: float) -> str:
    """A quantity at the precision of its symbol's step: `0.015` for step 0.001, `12.5` for 0.1."""
    return f"{value:,.{step_decimals(step)}f}"


def price(value: float | None) -> str:
    """A price as an exchange quotes it: 2 decimals from $10 up, 4 from $0.10, else 8 significant."""
    if value is None:
        return DASH
    magnitude = abs(value)
    if magnitude >= 10:
        return f"{value:,.2f}"
    if magnitude >= 0.1:
        return f"{value:.4f}"
    return f"{value:.8g}"


def age(ms: int) -> str:
    """How long a position has been open: `42s`, `12m`, `3h07m`, `2d04h`.

    Seconds only in the first minute: an idle console repaints the column once a minute, not every tick.
    """
    s = max(0, int(ms) // 1000)
    if s < 60:
        return f"{s}s"
    m = s // 60
    if m < 60:
        return f"{m}m"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def countdown(ms: int) -> str:
    """Time to the next UTC midnight: `9h27m`, and to the second in the last hour (`4m05s`)."""
    s = max(0, int(ms) // 1000)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def bar(fraction: float | None, width: int) -> tuple[str, str]:
    """A horizontal bar `width` cells wide: (filled part, empty part). None or <= 0 is empty."""
    width = max(0, width)
    if fraction is None or fraction != fraction or fraction <= 0:
        return "", "─" * width
    filled = min(width, max(1, round(min(fraction, 1.0) * width)))
    return "━" * filled, "─" * (width - filled)
