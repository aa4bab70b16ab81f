"""Headroom at a glance: how much more the bot may do today, and when the day's counters reset."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from .. import format as fmt
from ..snapshot import LOSS, HeadroomInfo
from .base import InfoPanel, lines, two_columns

WIDE = 30


class HeadroomPanel(InfoPanel):
    DEFAULT_CSS = "HeadroomPanel { height: 9; }"

    rollover: reactive[str] = reactive("")  # countdown to the UTC rollover, set by the app's 1 s tick

    def render_info(self, info: HeadroomInfo, width: int, height: int) -> Content:
        wide = width >= WIDE

        def amount(value: float | None, none: str) -> tuple[str, str]:
            if value is None:
                return none, "muted"
            return fmt.money(value), LOSS if value <= 0 else ""

        def count(value: int | None, none: str) -> tuple[str, str]:
            if value is None:
                return none, "muted"
            return f"{value:,}", LOSS if value <= 0 else ""

        # In priority order: when the panel is short, the last ones go first.
        items = [
            ("daily loss left" if wide else "loss left", *amount(info.daily_loss_left, "no cap")),
            ("open-risk budget left" if wide else "risk left", *amount(info.open_risk_left, "no cap")),
            ("trades left today" if wide else "trades left", *count(info.trades_left_today, "no limit")),
            ("UTC rollover in" if wide else "rollover", self.rollover or "-", ""),
            ("distance to floor" if wide else "to floor", *amount(info.distance_to_floor, "no floor")),
            ("position slots left" if wide else "slots left", *count(info.slots_left, "no limit")),
            ("next trade's budget" if wide else "next budget", *amount(info.next_trade_budget, "-")),
        ]
        shown = items[:max(height, 1)]
        return lines(two_columns(label, value, width, tone=tone) for label, value, tone in shown)
