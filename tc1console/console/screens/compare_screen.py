"""Two harness runs side by side: every summary figure (the differing ones marked, with B - A) and
both equity curves on one chart, on the same axes."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..compare import CompareRow, RunSide, compare_rows
from ..runs import shown_path
from ..snapshot import MUTED, WARN
from ..widgets.base import lines, styled
from ..widgets.line_chart import LineChart, Series

MIN_CHART = 60  # columns: with less room beside the figures, the chart goes above them
COLOURS = ("$primary", "$accent")  # run A, run B (where both draw a cell: the foreground colour)


def table_text(rows: list[CompareRow]) -> Content:
    """The figures as aligned columns: key, A, B, B - A; a row that differs is marked and in the
    warning colour. A nested key (`skipped_by_reason.daily_loss_cap`) sits under its parent's name."""
    labelled = []
    parent = ""
    for row in rows:
        head, dot, child = row.key.rpartition(".")
        if dot and head != parent:
            labelled.append((head, None))
        parent = head if dot else ""
        labelled.append((f"  {child}" if dot else row.key, row))
    head = ("", "A", "B", "B - A")
    widths = [max(len(x) for x in col) for col in zip(
        head, *((label, r.a, r.b, r.delta) for label, r in labelled if r is not None))]
    widths[0] = max(widths[0], *(len(label) for label, _ in labelled))
    out = ["  " + styled("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))),
                         bold=True)]
    for label, row in labelled:
        if row is None:
            out.append("  " + styled(label, MUTED))
            continue
        cells = [label.ljust(widths[0]), row.a.rjust(widths[1]), row.b.rjust(widths[2]), row.delta.rjust(widths[3])]
        if row.differs:
            out.append(styled("▸ ", WARN) + styled(cells[0], WARN) + "  "
                       + Content("  ").join([styled(c, WARN, bold=True) for c in cells[1:]]))
        else:
            out.append("  " + styled(cells[0]) + "  " + styled("  ".join(cells[1:]), MUTED))
    return lines(out)


class CompareScreen(Screen[None]):
    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    CompareScreen #compare-body { height: 1fr; }
    CompareScreen #compare-figures { height: 1fr; }
    CompareScreen #compare-figures > Static { width: auto; text-wrap: nowrap; }
    CompareScreen #compare-chart { width: 1fr; height: 1fr; }
    CompareScreen #compare-legend { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    /* A narrow terminal: the chart above, the figures below it. */
    CompareScreen.-narrow #compare-body { layout: vertical; }
    CompareScreen.-narrow #compare-figures { height: 1fr; }
    CompareScreen.-narrow #compare-chart { height: 45%; }
    """

    BINDINGS = [Binding("escape", "back", "Back", id="compare.back", tooltip="Back to the harness launcher")]

    def __init__(self, first: RunSide, second: RunSide, root: Path) -> None:
        super().__init__()
        self.first = first
        self.second = second
        self.root = root
        self.rows = compare_rows(first.summary, second.summary)
        self.table = table_text(self.rows)
        self.table_width = max(len(line) for line in self.table.plain.split("\n"))

    def compose(self) -> ComposeResult:
        a, b = self.first, self.second
        differing = sum(1 for r in self.rows if r.differs)
        yield Static(styled("Compare runs", bold=True) + "  " + styled(f"A {a.name}")
                     + styled("  vs  ", MUTED) + styled(f"B {b.name}")
                     + styled(f"  {differing} of {len(self.rows)} figures differ (marked ▸)", MUTED),
                     id="compare-title")
        with Horizontal(id="compare-body"):
            with Vertical(id="compare-chart", classes="panel") as chart:
                chart.border_title = "Equity, both runs"
                yield Static(self.legend(), id="compare-legend")
                yield LineChart(id="compare-lines")
            with VerticalScroll(id="compare-figures", classes="panel") as figures:
                figures.border_title = "Summaries"
                figures.border_subtitle = "every key · B - A where they differ"
                yield Static(self.table, id="compare-table")
        yield Footer()

    def legend(self) -> Content:
        parts = []
        for tag, side, colour in (("A", self.first, COLOURS[0]), ("B", self.second, COLOURS[1])):
            csv = Path(str(side.summary.get("trades_csv") or "?")).name
            parts.append(Content.styled("━━", colour) + " " + styled(f"{tag} {shown_path(side.path, self.root)}")
                         + styled(f" ({csv})", MUTED))
        return lines(parts)

    def on_resize(self, event: events.Resize) -> None:
        figures = self.query_one("#compare-figures")
        wide = self.table_width + 6  # border, padding and the scrollbar
        narrow = event.size.width - wide < MIN_CHART
        self.set_class(narrow, "-narrow")
        figures.styles.width = "1fr" if narrow else wide

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # the arrow keys scroll the figures
        self.query_one(LineChart).series = (
            Series("A", self.first.curve, COLOURS[0]), Series("B", self.second.curve, COLOURS[1]))

    def action_back(self) -> None:
        self.dismiss(None)
