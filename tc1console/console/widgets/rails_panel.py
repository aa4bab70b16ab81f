"""The safety rails: each configured rail's value against its limit (a bar where it has one), and the status."""

from __future__ import annotations

from textual.content import Content

from ...engine.rails import RailStatus
from .. import format as fmt
from ..snapshot import GAIN, LOSS, MUTED, WARN, RailsInfo
from .base import InfoPanel, lines, styled
from .summary_cards import blocked_head

LEVELS = 4  # wordings of a rail's line, longest first (the last ones fit 80 columns)


def wording(c: RailStatus, level: int) -> tuple[str, str]:
    """(label, value) of a rail's line at wording `level` (0 = longest)."""
    if level == 0:
        return c.label, c.text
    tight = c.text.replace(" / ", "/")
    if level == 1:
        return c.short, c.text
    if level == 2 or not (isinstance(c.value, float) and isinstance(c.limit, float)):
        return c.short, tight
    return c.short, f"{fmt.whole_money(c.value)}/{fmt.whole_money(c.limit)}"


class RailsPanel(InfoPanel):
    DEFAULT_CSS = "RailsPanel { height: 7; }"

    def render_info(self, info: RailsInfo, width: int, height: int) -> Content:
        configured = [c for c in info.checks if c.configured]
        room = max(1, height - 1)  # the last line is the status
        shown = configured
        if len(shown) > room:  # blocked rails first, then the rest in check order
            shown = sorted(shown, key=lambda c: not c.blocked)[:max(1, room - 1)]
        with_bars = len(shown) + sum(c.fraction is not None for c in shown) <= room
        rows: list[Content] = []
        for c in shown:  # each rail in the longest wording that fits
            level = next((lv for lv in range(LEVELS) if self._fits(c, lv, width)), LEVELS - 1)
            rows.append(self._rail(c, level, width))
            if with_bars and c.fraction is not None:
                rows.append(self._bar(c.fraction, width, c.blocked))
        if len(configured) > len(shown):
            rows.append(styled(f"+{len(configured) - len(shown)} more: tc1 policy show", MUTED))
        if not configured:
            rows.append(styled("no rails set (e edits them)", MUTED))
        rows.append(self._status(info, width))
        return lines(rows)

    @staticmethod
    def _status(info: RailsInfo, width: int) -> Content:
        if info.word == "ACTIVE":
            return styled("ACTIVE", GAIN, bold=True) + styled("  new entries allowed" if width >= 27 else "", MUTED)
        if info.word == "PAUSED":
            by = f"  by {info.paused[0]}" if info.paused else ""
            return styled("PAUSED", WARN, bold=True) + styled(by, MUTED)
        return styled(blocked_head(info, width, info.blocked_by or ""), LOSS, bold=True)

    @staticmethod
    def _bar(fraction: float, width: int, blocked: bool) -> Content:
        label = f" {min(fraction, 9.99):.0%}"
        filled, empty = fmt.bar(fraction, max(1, width - len(label)))
        tone = LOSS if blocked or fraction >= 1 else (WARN if fraction >= 0.8 else GAIN)
        return styled(filled, tone) + styled(empty + label, MUTED)

    @staticmethod
    def _mark(c: RailStatus) -> str:
        return "BLOCKED" if c.blocked else "ok"

    @classmethod
    def _fits(cls, c: RailStatus, level: int, width: int) -> bool:
        label, value = wording(c, level)
        return len(label) + len(value) + len(cls._mark(c)) + 3 <= width

    @classmethod
    def _rail(cls, c: RailStatus, level: int, width: int) -> Content:
        label, text = wording(c, level)
        mark = cls._mark(c)
        gap = max(1, width - len(label) - len(text) - len(mark) - 2)
        return (styled(label, MUTED) + " " * gap + styled(text, LOSS if c.blocked else "") + "  "
                + styled(mark, LOSS if c.blocked else GAIN))
