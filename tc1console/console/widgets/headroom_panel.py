"""Headroom at a glance: how much more the bot may do today, and when the day's counters reset."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from ...engine.rails import Headroom
from ..snapshot import LOSS, MUTED, HeadroomInfo
from .base import InfoPanel, lines, two_columns

ROLLOVER_RANK = 40  # the countdown's place among the rails' and caps' lines (rails.Headroom.rank)


class HeadroomPanel(InfoPanel):
    DEFAULT_CSS = "HeadroomPanel { height: 9; }"

    rollover: reactive[str] = reactive("")  # countdown to the UTC rollover, set by the app's 1 s tick

    def render_info(self, info: HeadroomInfo, width: int, height: int) -> Content:
        rollover = Headroom("ms_to_rollover", "UTC rollover in", None, self.rollover or "-", ROLLOVER_RANK, False)
        items = sorted((*info.items, rollover), key=lambda h: h.rank)
        rows = []
        for h in items[:max(height, 1)]:
            if h.left and h.value is None:
                tone = MUTED  # no cap, no limit
            else:
                tone = LOSS if h.left and isinstance(h.value, (int, float)) and h.value <= 0 else ""
            label = h.label if len(h.label) + len(h.text) + 1 <= width else h.label[:max(1, width - len(h.text) - 2)] + "…"
            rows.append(two_columns(label, h.text, width, tone=tone))
        return lines(rows)
