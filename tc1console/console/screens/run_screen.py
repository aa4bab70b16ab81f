"""One finished harness run: its summary, skips by reason, inputs and outputs, and its equity curve.

Everything shown comes from the run folder (summary.json, equity_curve.csv), nothing from the wall
clock, so the view of a given run is always the same.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Sparkline, Static

from ...backtest import EQUITY_CURVE, OPEN_ALLOCATIONS, REALIZED_PNL, SUMMARY
from .. import format as fmt
from ..runs import RunResult, shown_path, skip_lines, summary_rows
from ..snapshot import MUTED, tone_of
from ..widgets.base import lines, styled, two_columns


def _date(ms: int | None) -> str:
    return "-" if ms is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))


class SummaryPanel(Widget):
    """The run's figures, label left and value right."""

    DEFAULT_CSS = "SummaryPanel { height: auto; }"

    def __init__(self, result: RunResult, **kw) -> None:
        super().__init__(**kw)
        self.result = result

    def render(self) -> Content:
        width = self.content_size.width
        return lines(two_columns(label, value, width, tone=tone_of(sign))
                     for label, value, sign in summary_rows(self.result.summary))


class DetailPanel(Widget):
    """Skips by reason, then where the inputs came from and where the outputs are."""

    DEFAULT_CSS = "DetailPanel { height: auto; }"

    def __init__(self, result: RunResult, root: Path, **kw) -> None:
        super().__init__(**kw)
        self.result = result
        self.root = root

    def render(self) -> Content:
        width = self.content_size.width
        s = self.result.summary
        rows = [styled("Skips by reason", bold=True)]
        skips = skip_lines(s)
        rows += [two_columns(reason, f"{count:,}", width, tone="warn") for reason, count in skips] or \
            [styled("none", MUTED)]
        rows.append("")
        rows.append(styled("Inputs", bold=True))
        for label, key in (("trades", "trades_csv"), ("risk config", "risk_config"),
                           ("policy config", "policy_config")):
            value = s.get(key)
            rows.append(two_columns(label, shown_path(value, self.root) if value else "none (no rails)", width))
        rows.append(two_columns("first entry", _date(s.get("first_ts_ms")), width))
        rows.append("")
        rows.append(styled("Outputs", bold=True) + styled(f"  {shown_path(self.result.path, self.root)}/", MUTED))
        rows.append(styled(f"{SUMMARY}  {EQUITY_CURVE}", MUTED))
        rows.append(styled(f"{OPEN_ALLOCATIONS}  {REALIZED_PNL}", MUTED))
        return lines(rows)


class RunScreen(Screen[None]):
    DEFAULT_CSS = """
    RunScreen { layout: vertical; }
    RunScreen #run-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    RunScreen #run-top { height: auto; }
    RunScreen #run-summary { width: 1fr; height: auto; }
    RunScreen #run-detail { width: 1fr; height: auto; }
    RunScreen #run-equity { height: 1fr; min-height: 6; }
    RunScreen #run-equity > Sparkline { height: 1fr; }
    RunScreen #run-equity > Sparkline > .sparkline--max-color { color: $success; }
    RunScreen #run-equity > Sparkline > .sparkline--min-color { color: $error 70%; }
    RunScreen #run-range { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="run.back", tooltip="Back to the harness launcher"),
    ]

    def __init__(self, result: RunResult, root: Path) -> None:
        super().__init__()
        self.result = result
        self.root = root

    def compose(self) -> ComposeResult:
        r = self.result
        yield Static(styled("Harness run", bold=True) + "  " + shown_path(r.path, self.root)
                     + styled(f"  replayed {Path(str(r.summary.get('trades_csv') or '?')).name}", MUTED),
                     id="run-title")
        with Horizontal(id="run-top"):
            summary = SummaryPanel(r, id="run-summary", classes="panel")
            summary.border_title = "Summary"
            yield summary
            detail = DetailPanel(r, self.root, id="run-detail", classes="panel")
            detail.border_title = "Skips, inputs and outputs"
            yield detail
        with Vertical(id="run-equity", classes="panel") as equity:
            equity.border_title = "Equity"
            equity.border_subtitle = f"{r.closes:,} close{'s' if r.closes != 1 else ''}"
            yield Sparkline(list(r.curve), id="run-spark")
            yield Static(self.range_text(), id="run-range")
        yield Footer()

    def range_text(self) -> str:
        r = self.result
        if not r.closes:
            return styled("no closed trades: the balance never moved", MUTED)
        span = f"{_date(r.first_ts_ms)} to {_date(r.last_ts_ms)} UTC"
        return (styled("range ", MUTED) + f"{fmt.money(r.low)} – {fmt.money(r.high)}"
                + styled("   start ", MUTED) + fmt.money(r.curve[0])
                + styled("   end ", MUTED) + fmt.money(r.curve[-1]) + styled(f"   {span}", MUTED))

    def action_back(self) -> None:
        self.dismiss(None)
