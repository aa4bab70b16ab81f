"""The row of cards across the top: balance, open risk against its cap, positions against the limit, status."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from .. import format as fmt
from ..marks_view import CardMarks
from ..snapshot import GAIN, LOSS, MUTED, BalanceInfo, OpenRiskInfo, RailsInfo, SlotsInfo, tone_of
from .base import InfoPanel, lines, styled, two_columns


def _bar(fraction: float | None, width: int) -> str:
    """A usage bar: green while under 80%, warning colour above, error colour when full."""
    filled, empty = fmt.bar(fraction, width)
    tone = GAIN if fraction is None or fraction < 0.8 else ("warn" if fraction < 1 else LOSS)
    return styled(filled, tone) + styled(empty, MUTED)


class BalanceCard(InfoPanel):
    """Balance; equity at the marks (balance + unrealized); the change today and since start.

    Four lines, or three on a short terminal (since start goes first)."""

    DEFAULT_CSS = "BalanceCard { height: 6; }"

    marks: reactive[CardMarks | None] = reactive(None)

    def render_info(self, info: BalanceInfo, width: int, height: int) -> Content:
        since = fmt.signed_money(info.change_since_start)
        if info.change_since_start_pct is not None and width >= len(since) + 18:
            since += f" ({fmt.pct(info.change_since_start_pct, signed=True)})"
        rows = [
            styled(fmt.money(info.balance), bold=True),
            self._equity_line(info, width),
            two_columns("today", fmt.signed_money(info.change_today), width, tone=tone_of(info.change_today)),
            two_columns("since start", since, width, tone=tone_of(info.change_since_start))
            if width >= len(since) + 12 else
            two_columns("start", since, width, tone=tone_of(info.change_since_start)),
        ]
        return lines(rows[:max(3, height)])

    def _equity_line(self, info: BalanceInfo, width: int) -> str:
        m = self.marks
        if m is None or m.equity is None:
            return two_columns("equity", "no marks" if m is None or m.open_count else fmt.money(info.balance),
                               width, tone=MUTED)
        unrealized = m.unrealized or 0.0
        return two_columns("equity" if width >= 24 else "eq", fmt.money(m.equity), width, tone=tone_of(unrealized))


class OpenRiskCard(InfoPanel):
    """Summed risk of the open positions against `total_open_risk_cap`, with a bar; then the worst
    case (every stop hit, fees included) beside the live unrealized PnL at the marks.

    Four lines, or three on a short terminal (the % of balance goes first)."""

    DEFAULT_CSS = "OpenRiskCard { height: 6; }"

    marks: reactive[CardMarks | None] = reactive(None)

    def render_info(self, info: OpenRiskInfo, width: int, height: int) -> Content:
        if info.cap is None:
            rows = [styled(fmt.money(info.total), bold=True), styled("no open-risk cap", MUTED)]
        else:
            fraction = info.total / info.cap if info.cap > 0 else (1.0 if info.total > 0 else 0.0)
            rows = [styled(fmt.money(info.total), bold=True) + styled(f" / {fmt.money(info.cap)}", MUTED),
                    _bar(fraction, width)]
        share = two_columns("of balance", fmt.pct(info.pct_of_balance), width)
        outcomes = self._outcomes(width)
        if height >= 4:
            rows += [share, outcomes]
        else:
            rows.append(outcomes)
        return lines(rows)

    def _outcomes(self, width: int) -> str:
        """`stops -300.00  live +45.20`: what every stop would book, and what the marks say now."""
        m = self.marks
        if m is None or not m.open_count:
            return styled("nothing open", MUTED)
        worst = fmt.signed_money(m.worst_case)
        live = fmt.signed_money(m.unrealized) if m.unrealized is not None else "no marks"
        long_labels = len(worst) + len(live) + 14 <= width
        return (styled("stops " if long_labels else "", MUTED) + styled(worst, tone_of(m.worst_case))
                + styled("  live " if long_labels else " / ", MUTED)
                + styled(live, tone_of(m.unrealized) if m.unrealized is not None else MUTED))


class SlotsCard(InfoPanel):
    """Open positions against `max_concurrent_trades`, with a bar."""

    DEFAULT_CSS = "SlotsCard { height: 6; }"

    def render_info(self, info: SlotsInfo, width: int, height: int) -> Content:
        if info.max is None:
            return lines([styled(f"{info.count:,}", bold=True) + styled(" open", MUTED),
                          styled("no concurrency limit", MUTED)])
        fraction = info.count / info.max if info.max > 0 else 1.0
        left = max(0, info.max - info.count)
        return lines([
            styled(f"{info.count:,}", bold=True) + styled(f" / {info.max:,} open", MUTED),
            _bar(fraction, width),
            two_columns("slots left", f"{left:,}", width, tone=LOSS if left == 0 else ""),
        ])


REASON_LABELS = {
    "equity_floor": "equity floor",
    "daily_loss_cap": "daily loss cap",
    "max_trades_per_day": "trades per day",
    "max_concurrent_trades": "slots full",
    "total_open_risk_cap": "open-risk cap",
    "max_leverage": "leverage cap",
}


class StatusCard(InfoPanel):
    """May the bot open a new trade right now? ACTIVE, or BLOCKED and the first reason."""

    DEFAULT_CSS = "StatusCard { height: 6; }"

    def render_info(self, info: RailsInfo, width: int, height: int) -> Content:
        if info.blocked_by is None:
            return lines([styled("ACTIVE", GAIN, bold=True), styled("allowed", MUTED)])
        return lines([styled("BLOCKED", LOSS, bold=True),
                      styled(REASON_LABELS.get(info.blocked_by, info.blocked_by), LOSS),
                      styled(info.detail, MUTED)])
