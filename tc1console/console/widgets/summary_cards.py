"""The row of cards across the top: balance, open risk against its cap, positions against the limit, status."""

from __future__ import annotations

import time

from textual.content import Content
from textual.reactive import reactive

from ...engine.rails import RAILS
from ...engine.view import reason_label
from .. import format as fmt
from ..marks_view import CardMarks
from ..snapshot import GAIN, LOSS, MUTED, WARN, BalanceInfo, OpenRiskInfo, RailsInfo, SlotsInfo, tone_of
from .base import InfoPanel, first_fit, lines, styled, two_columns


def _bar(fraction: float | None, width: int) -> str:
    """A usage bar: green while under 80%, warning colour above, error colour when full."""
    filled, empty = fmt.bar(fraction, width)
    tone = GAIN if fraction is None or fraction < 0.8 else ("warn" if fraction < 1 else LOSS)
    return styled(filled, tone) + styled(empty, MUTED)


class BalanceCard(InfoPanel):
    """Balance; equity at the marks (balance + unrealized); trading PnL today and since start (cash
    flows apart: they are not PnL, and the top line says how much came in or went out).

    Four lines, or three on a short terminal (since start goes first)."""

    DEFAULT_CSS = "BalanceCard { height: 6; }"

    marks: reactive[CardMarks | None] = reactive(None)

    def render_info(self, info: BalanceInfo, width: int, height: int) -> Content:
        since = fmt.signed_money(info.trading_pnl)
        if info.trading_pnl_pct is not None and width >= len(since) + 18:
            since += f" ({fmt.pct(info.trading_pnl_pct, signed=True)})"
        top = styled(fmt.money(info.balance), bold=True)
        if info.net_flows:
            flows = f"flows {fmt.signed_money(info.net_flows)}"
            if width >= len(fmt.money(info.balance)) + len(flows) + 2:
                top = top + " " * (width - len(fmt.money(info.balance)) - len(flows)) + styled(flows, MUTED)
        rows = [
            top,
            self._equity_line(info, width),
            two_columns("today", fmt.signed_money(info.change_today), width, tone=tone_of(info.change_today)),
            two_columns("trading" if width >= len(since) + 8 else "pnl", since, width, tone=tone_of(info.trading_pnl)),
        ]
        return lines(rows[:max(3, height)])

    def _equity_line(self, info: BalanceInfo, width: int) -> Content:
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


def reason_labels(name: str) -> tuple[str, ...]:
    """A block reason's names, longest first (the rail's own, then its short one)."""
    for rail in RAILS:
        if rail.name == name:
            return (rail.block_label, rail.block_short)
    return SHORT_CAPS.get(name, (reason_label(name),))


SHORT_CAPS = {"max_concurrent_trades": ("slots full",), "total_open_risk_cap": ("open-risk cap", "risk cap"),
              "max_leverage": ("leverage cap", "leverage"), "paused": ("paused",)}


def why_blocked(info: RailsInfo) -> list[str]:
    """Ways to say why the first reason blocks, longest first: the engine's words, then the rail's
    numbers in less and less room (a cap that is not a rail has only the engine's words)."""
    options = [info.detail]
    c = next((c for c in info.checks if c.name == info.blocked_by and c.configured), None)
    if c is None or " / " not in c.text:
        return options
    op = next(rail.op for rail in RAILS if rail.name == c.name)
    value, limit = c.text.split(" / ", 1)
    options += [f"{c.short} {value} {op} {limit}", f"{value} {op} {limit}", f"{value}{op}{limit}"]
    if isinstance(c.value, float) and isinstance(c.limit, float):
        options.append(f"{fmt.whole_money(c.value)}{op}{fmt.whole_money(c.limit)}")
    return options


def blocked_head(info: RailsInfo, width: int, name: str = "") -> str:
    """`BLOCKED`, with the first reason's name when `name` is given and the number of other reasons,
    worded to fit `width` (falling back to plain BLOCKED)."""
    more = len(info.blocks) - 1
    plus = [f" +{more} more", f" +{more}"] if more > 0 else [""]
    names = [f": {label}" for label in (name, *reason_labels(name))] if name else []
    options = [f"BLOCKED{n}{p}" for n in names for p in plus] + [f"BLOCKED{p}" for p in plus]
    return first_fit(options, width) or "BLOCKED"


class StatusCard(InfoPanel):
    """May the bot open a new trade right now? ACTIVE; PAUSED, by whom, since when and why; or
    BLOCKED, the first reason and why, and how many other reasons there are: each worded to fit the
    card, so 80 columns cut nothing."""

    DEFAULT_CSS = "StatusCard { height: 6; }"

    def render_info(self, info: RailsInfo, width: int, height: int) -> Content:
        if info.word == "ACTIVE":
            return lines([styled("ACTIVE", GAIN, bold=True), styled("allowed", MUTED)])
        if info.word == "PAUSED" and info.paused is not None:
            by, reason, since = info.paused
            return lines([styled("PAUSED", WARN, bold=True),
                          styled(f"by {by} {time.strftime('%H:%M', time.gmtime(since / 1000))}", WARN),
                          styled(reason or "no reason given", MUTED)])
        labels = reason_labels(info.blocked_by or "")
        detail = first_fit(why_blocked(info), width)
        return lines([styled(blocked_head(info, width), LOSS, bold=True),
                      styled(first_fit(labels, width) or labels[-1], LOSS)]
                     + ([styled(detail, MUTED)] if detail else []))
