"""How the console writes numbers: money, quantities at their step, prices, ages and countdowns.

Pure functions, no Textual. Money, quantities and prices are the engine's own (engine.numbers: skip
details and the CLI write them the same way); ages, countdowns and bars are the console's.
"""

from __future__ import annotations

from ..engine.numbers import money, price_text as price, qty_text as qty, signed_money, step_decimals

DASH = "-"
__all__ = ["money", "whole_money", "signed_money", "pct", "qty", "price", "step_decimals", "age", "countdown",
           "bar"]


def whole_money(value: float | None) -> str:
    """`12,346`: money without its cents, where a narrow panel has no room for them."""
    if value is None:
        return DASH
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


def pct(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


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
