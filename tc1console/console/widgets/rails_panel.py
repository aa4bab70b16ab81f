"""The safety rails: each configured rail's value against its limit (a bar where it has one), and the status."""

from __future__ import annotations

from textual.content import Content

from ...engine.rails import RailStatus
from .. import format as fmt
from ..snapshot import GAIN, LOSS, MUTED, WARN, RailsInfo
from .base import InfoPanel, lines, styled


class RailsPanel(InfoPanel):
    DEFAULT_CSS = "RailsPanel { height: 7; }"

    def render_info(self, info: RailsInfo, width: int, height: int) -> Content:
        shown = [c for c in info.checks if c.configured]
        room = max(1, height - 1)  # the last line is the status
        if len(shown) > room:  # blocked rails first, then the rest in check order
            shown = sorted(shown, key=lambda c: not c.blocked)[:room - 1]
        with_bars = len(shown) + sum(c.fraction is not None for c in shown) <= room
        short = not all(self._fits(c, c.label, width) for c in shown)
        rows: list[Content] = []
        for c in shown:
            rows.append(self._rail(c, c.short if short else c.label, width))
            if with_bars and c.fraction is not None:
                rows.append(self._bar(c.fraction, width, c.blocked))
        hidden = len([c for c in info.checks if c.configured]) - len(shown)
        if hidden > 0:
            rows.append(styled(f"+{hidden} more: tc1 policy show", MUTED))
        if not any(c.configured for c in info.checks):
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
        return styled(f"BLOCKED: {info.blocked_by}", LOSS, bold=True)

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
    def _fits(cls, c: RailStatus, label: str, width: int) -> bool:
        return len(label) + len(c.text) + len(cls._mark(c)) + 3 <= width

    @classmethod
    def _rail(cls, c: RailStatus, label: str, width: int) -> Content:
        mark = cls._mark(c)
        text = c.text
        room = width - len(mark) - 3 - len(label)
        if room < len(text):  # still too wide: the value goes first, then the label is cut
            text = text.split(" / ")[0] if room < len(text) else text
        gap = max(1, width - len(label) - len(text) - len(mark) - 2)
        value_tone = LOSS if c.blocked else ""
        return (styled(label, MUTED) + " " * gap + styled(text, value_tone) + "  "
                + styled(mark, LOSS if c.blocked else GAIN))
