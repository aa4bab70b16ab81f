"""The safety rails: balance vs floor, today's loss vs cap, today's trades vs max, and the overall status."""

from __future__ import annotations

from textual.content import Content

from .. import format as fmt
from ..snapshot import GAIN, LOSS, MUTED, RailLine, RailsInfo
from .base import InfoPanel, lines, styled
from .summary_cards import blocked_head

LEVELS = 5  # wordings of a rail's line, longest first (the last two fit 80 columns)


def _fraction(c: RailLine) -> float | None:
    """How far along a usage rail is (today's loss, today's trades); None for the floor or unset."""
    if c.name == "equity_floor" or not c.configured or c.limit is None:
        return None
    if c.limit <= 0:
        return 1.0
    return c.value / c.limit


class RailsPanel(InfoPanel):
    DEFAULT_CSS = "RailsPanel { height: 7; }"

    def render_info(self, info: RailsInfo, width: int, height: int) -> Content:
        # Each rail on a line; with room to spare (7 lines), a usage bar under loss and trades.
        with_bars = height >= len(info.checks) + 3
        rows: list[str] = []
        # The same wording level for every rail: the longest at which all of them fit.
        level = next((lv for lv in range(LEVELS) if all(self._fits(c, lv, width) for c in info.checks)),
                     LEVELS - 1)
        for c in info.checks:
            rows.append(self._rail(c, level, width))
            fraction = _fraction(c)
            if with_bars and fraction is not None:
                rows.append(self._bar(fraction, width, c.blocked))
        if info.blocked_by is None:
            note = "  new entries allowed" if width >= 27 else ""
            rows.append(styled("ACTIVE", GAIN, bold=True) + styled(note, MUTED))
        else:
            rows.append(styled(blocked_head(info, width, info.blocked_by), LOSS, bold=True))
        return lines(rows)

    @staticmethod
    def _bar(fraction: float, width: int, blocked: bool) -> str:
        label = f" {min(fraction, 9.99):.0%}"
        filled, empty = fmt.bar(fraction, max(1, width - len(label)))
        tone = LOSS if blocked or fraction >= 1 else ("warn" if fraction >= 0.8 else GAIN)
        return styled(filled, tone) + styled(empty + label, MUTED)

    @staticmethod
    def _wording(c: RailLine, level: int) -> tuple[str, str, str]:
        """(label, value, mark) of a rail at wording `level` (0 = longest)."""
        if c.name == "equity_floor":
            both = f"{fmt.money(c.value)} / {fmt.money(c.limit)}"
            options = [("balance vs floor", both), ("balance/floor", both), ("floor", fmt.money(c.limit)),
                       ("floor", fmt.money(c.limit)), ("floor", fmt.whole_money(c.limit))] \
                if c.configured else [("balance vs floor", "no floor")] + [("floor", "no floor")] * 4
        elif c.name == "daily_loss_cap":
            text = f"{fmt.money(c.value)} / {fmt.money(c.limit)}" if c.configured else "no cap"
            tight = f"{fmt.money(c.value)}/{fmt.money(c.limit)}" if c.configured else "no cap"
            whole = f"{fmt.whole_money(c.value)}/{fmt.whole_money(c.limit)}" if c.configured else "no cap"
            options = [("today's loss", text), ("today's loss", text), ("loss", text), ("loss", tight),
                       ("loss", whole)]
        else:
            text = f"{c.value} / {c.limit}" if c.configured else "no limit"
            tight = f"{c.value}/{c.limit}" if c.configured else "no limit"
            options = [("today's trades", text), ("today's trades", text), ("trades", text), ("trades", tight),
                       ("trades", tight)]
        mark = "BLOCKED" if c.blocked else ("ok" if c.configured else "-")
        label, value = options[level]
        return label, value, mark

    @classmethod
    def _fits(cls, c: RailLine, level: int, width: int) -> bool:
        label, value, mark = cls._wording(c, level)
        return len(label) + len(value) + len(mark) + 3 <= width

    @classmethod
    def _rail(cls, c: RailLine, level: int, width: int) -> str:
        label, text, mark = cls._wording(c, level)
        mark_tone = LOSS if c.blocked else (GAIN if c.configured else MUTED)
        value_tone = LOSS if (c.name == "daily_loss_cap" and c.configured and c.value > 0) else ""
        gap = max(1, width - len(label) - len(text) - len(mark) - 2)
        return (styled(label, MUTED) + " " * gap + styled(text, value_tone if c.configured else MUTED)
                + "  " + styled(mark, mark_tone))
