"""The equity sparkline of the kept equity points (one per close or cash flow), with its low / high range
and how many of the points were cash flows."""

from __future__ import annotations

from typing import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Sparkline, Static

from .. import format as fmt
from ..snapshot import MUTED, EquityInfo
from .base import styled


def downsample(values: Sequence[float], width: int) -> list[float]:
    """At most `width` values: the last value of each of `width` equal slices (an equity close)."""
    n = len(values)
    if width <= 0 or n <= width:
        return list(values)
    return [values[min(n - 1, ((i + 1) * n) // width - 1)] for i in range(width)]


class EquityPanel(Vertical):
    DEFAULT_CSS = """
    EquityPanel { height: 9; }
    EquityPanel > Sparkline { height: 1fr; }
    EquityPanel > Sparkline > .sparkline--max-color { color: $success; }
    EquityPanel > Sparkline > .sparkline--min-color { color: $error 70%; }
    EquityPanel > #equity-range { height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    info: reactive[EquityInfo | None] = reactive(None)

    _shown_range = ""

    def compose(self) -> ComposeResult:
        yield Sparkline([], id="equity-spark")
        yield Static(styled("no data yet", MUTED), id="equity-range")

    def watch_info(self, info: EquityInfo | None) -> None:
        if info is None or not self.is_mounted:
            return
        self._draw(info)

    def on_resize(self) -> None:
        if self.info is not None:
            self._draw(self.info)

    def _draw(self, info: EquityInfo) -> None:
        spark = self.query_one(Sparkline)
        spark.display = bool(info.values)  # an empty sparkline draws a flat line in the loss colour
        width = spark.content_size.width or self.content_size.width
        data = downsample(info.values, width)
        if data != spark.data:
            spark.data = data  # a new list: Sparkline.data is reactive, never mutate it in place
        text = self._range_text(info, self.content_size.width)
        if text != self._shown_range:
            self._shown_range = text
            self.query_one("#equity-range", Static).update(text)

    @staticmethod
    def _range_text(info: EquityInfo, width: int) -> str:
        if not info.values:
            return styled("no closed trades yet", MUTED)
        points, flows = info.closes - info.flows, info.flows
        span = f"{fmt.money(info.low)} – {fmt.money(info.high)}"
        last = fmt.money(info.last)
        count = f"{points:,} close{'s' if points != 1 else ''}, "
        if flows:  # a cash flow moved the curve: say so, it is not a trade (docs/live.md section 6)
            count += f"{flows:,} flow{'s' if flows != 1 else ''}, "
        count += "last "
        first = (styled("range ", MUTED) if len(span) + 6 <= width else "") + span
        second = (styled(count, MUTED) if len(count) + len(last) <= width else styled("last ", MUTED)) + last
        return f"{first}\n{second}"
