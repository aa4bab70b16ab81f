"""One finished harness run: its summary, skips by reason, inputs and outputs, and its equity curve.

Everything shown comes from the run folder (summary.json, equity_curve.csv), nothing from the wall
clock, so the view of a given run is always the same. A re-run of the live trades (the launcher's
`live:N`; the folder's input.json says so) shows the live balance over the same window and the
re-run's on one chart instead, the comparison screen's chart: A = live, B = re-run.
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
from ..snapshot import GAIN, MUTED, WARN, tone_of
from ..widgets.base import first_fit, lines, styled, two_columns
from ..widgets.line_chart import LineChart, Series
from .compare_screen import COLOURS


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
        rows = []
        for label, value, sign in summary_rows(self.result.summary):
            main, paren, extra = value.partition("  (")
            if len(label) + 1 + len(value) > width and paren:
                # Too narrow (80 columns): the aside in brackets goes on a line of its own.
                rows.append(two_columns(label, main, width, tone=tone_of(sign)))
                rows.append(two_columns("", "(" + extra, width, tone=tone_of(sign)))
            else:
                rows.append(two_columns(label, value, width, tone=tone_of(sign)))
        return lines(rows)


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
        inputs = [(label, shown_path(s[key], self.root) if s.get(key) else "none (no rails)")
                  for label, key in (("trades", "trades_csv"), ("risk config", "risk_config"),
                                     ("policy config", "policy_config"))]
        folder = f"{shown_path(self.result.path, self.root)}/"
        # Wide: blank lines between the parts, long labels. Narrow (80 columns): the same lines
        # without the blank ones, so the output folder and file names can each have a line.
        wide = (all(len(label) + 1 + len(value) <= width for label, value in inputs)
                and len(f"Outputs  {folder}") <= width and len(f"{OPEN_ALLOCATIONS}  {REALIZED_PNL}") <= width)
        rows = [styled("Skips by reason", bold=True)]
        skips = skip_lines(s)
        rows += [two_columns(reason, f"{count:,}", width, tone="warn") for reason, count in skips] or \
            [styled("none", MUTED)]
        rows += ["", styled("Inputs", bold=True)] if wide else [styled("Inputs", bold=True)]
        for label, value in inputs:
            rows.append(two_columns(label if wide else label.split()[0], value, width))
        rows.append(two_columns("first entry", _date(s.get("first_ts_ms")), width))
        if wide:
            rows += ["", styled("Outputs", bold=True) + styled(f"  {folder}", MUTED),
                     styled(f"{SUMMARY}  {EQUITY_CURVE}", MUTED), styled(f"{OPEN_ALLOCATIONS}  {REALIZED_PNL}", MUTED)]
        else:
            rows += [styled("Outputs", bold=True), styled(folder, MUTED), styled(f"{SUMMARY}  {EQUITY_CURVE}", MUTED),
                     styled(OPEN_ALLOCATIONS, MUTED), styled(REALIZED_PNL, MUTED)]
        return lines(rows)


class RangeLine(Widget):
    """Under the curve: its range, start and end, and the dates it spans (days only, or none, when
    the line is too narrow for the times)."""

    DEFAULT_CSS = "RangeLine { height: 1; }"

    def __init__(self, result: RunResult, **kw) -> None:
        super().__init__(**kw)
        self.result = result

    def render(self) -> Content:
        r = self.result
        if not r.closes:
            return lines([styled("no closed trades: the balance never moved", MUTED)])
        figures = [("range ", f"{fmt.money(r.low)} – {fmt.money(r.high)}"), ("   start ", fmt.money(r.curve[0])),
                   ("   end ", fmt.money(r.curve[-1]))]
        text = "".join(label + value for label, value in figures)
        spans = [f"   {_date(r.first_ts_ms)} to {_date(r.last_ts_ms)} UTC",
                 f"   {_date(r.first_ts_ms)[:10]} to {_date(r.last_ts_ms)[:10]}", ""]
        span = first_fit((text + s for s in spans), self.content_size.width)
        tail = spans[-1] if span is None else span[len(text):]
        return lines([Content("").join([styled(label, MUTED) + value for label, value in figures]) + styled(tail, MUTED)])


def _money(value: float | None) -> str:
    return fmt.DASH if value is None else fmt.money(value)


def _change(final: float | None, start: float | None) -> str:
    return fmt.DASH if final is None or start is None else fmt.signed_money(final - start)


class LiveLegend(Widget):
    """Above the two curves of a live re-run: which is which, each one's final balance and change
    over the window, and how far apart they end (the longest wording that fits)."""

    DEFAULT_CSS = "LiveLegend { height: auto; }"

    def __init__(self, result: RunResult, **kw) -> None:
        super().__init__(**kw)
        self.result = result

    def render(self) -> Content:
        live = self.result.live
        assert live is not None
        s = self.result.summary
        rerun_final, rerun_start = s.get("final_balance"), s.get("initial_balance")
        gap = (fmt.DASH if rerun_final is None or live.final is None
               else fmt.signed_money(rerun_final - live.final))
        width = self.content_size.width
        rows = []
        for tag, name, colour, final, start, closes, tail in (
                ("A", "live  ", COLOURS[0], live.final, live.start, live.closes, ""),
                ("B", "re-run", COLOURS[1], rerun_final, rerun_start, self.result.closes, f"   B - A {gap}")):
            change = _change(final, start)
            options = [f"{tag} {name}  final {_money(final)}  ({change} from {_money(start)}, "
                       f"{closes:,} close{'s' if closes != 1 else ''}){tail}",
                       f"{tag} {name}  final {_money(final)}  ({change} from {_money(start)}){tail}",
                       f"{tag} {name}  final {_money(final)}  ({change}){tail}",
                       f"{tag} {name}  {_money(final)}{tail}"]
            text = first_fit(options, width - 3) or options[-1]
            rows.append(Content.styled("━━", colour) + " " + styled(text))
        if live.operator:
            rows.append(styled("the journal also holds " + ", ".join(f"{v:,} {k}" for k, v in live.operator.items())
                               + ": a re-run has no event for these, so it parts from live at the first", WARN))
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
    RunScreen #run-range { text-wrap: nowrap; text-overflow: ellipsis; }
    RunScreen #run-lines { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="run.back", tooltip="Back to the harness launcher"),
    ]

    def __init__(self, result: RunResult, root: Path, *, just_finished: bool = False) -> None:
        super().__init__()
        self.result = result
        self.root = root
        self.just_finished = just_finished  # opened by the run's end: the title says so, not a toast

    def compose(self) -> ComposeResult:
        r = self.result
        replayed = (f"{r.live.words} ({r.live.trades:,} trades)" if r.live is not None
                    else Path(str(r.summary.get('trades_csv') or '?')).name)
        yield Static(styled("Harness run", bold=True) + "  " + shown_path(r.path, self.root)
                     + (styled("  finished", GAIN, bold=True) if self.just_finished else "")
                     + styled(f"  replayed {replayed}", MUTED),
                     id="run-title")
        with Horizontal(id="run-top"):
            summary = SummaryPanel(r, id="run-summary", classes="panel")
            summary.border_title = "Summary"
            yield summary
            detail = DetailPanel(r, self.root, id="run-detail", classes="panel")
            detail.border_title = "Skips, inputs and outputs"
            yield detail
        with Vertical(id="run-equity", classes="panel") as equity:
            if r.live is not None:
                equity.border_title = "Equity: live (A) and the re-run (B), same window"
                equity.border_subtitle = f"{r.live.words}, from {_date(r.live.from_ms)} UTC"
                yield LiveLegend(r, id="run-legend")
                chart = LineChart(id="run-lines")
                chart.set_reactive(LineChart.series, (Series("A", r.live.curve, COLOURS[0]),
                                                      Series("B", r.live.rerun, COLOURS[1])))
                yield chart
            else:
                equity.border_title = "Equity"
                equity.border_subtitle = f"{r.closes:,} close{'s' if r.closes != 1 else ''}"
                yield Sparkline(list(r.curve), id="run-spark")
                yield RangeLine(r, id="run-range")
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)
