"""A finished sweep: its rows in a sortable table, the selected row's equity curve beside the base
config's on one chart, and "apply" to save a row's values as the bot's caps.

Sorting: `s` sorts by the next column, `o` flips the order, a click on a header sorts by it (again:
flips). The chart is the comparison screen's two-series chart: the base configs ($primary) and the
row under the cursor ($accent), whose curve the sweep kept for its top rows (sweeps.KEEP_CURVES).
`a` reads the config files off the UI thread, asks for a confirmation naming old -> new for each
key, then saves through the cap editor's save (caps.save_caps: validated, in the file's own
format, journaled); the bot uses it on its next call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from .. import format as fmt
from ..caps import read_caps, save_caps, shown_value
from ..messages import ApplyPlanned, CapsSaved, CapsSaveFailed
from ..runs import shown_path
from ..snapshot import MUTED
from ..sweeps import SweepResult, apply_changes, apply_lines, descending_first, sort_rows
from ..widgets.base import lines, styled
from ..widgets.line_chart import LineChart, Series
from .compare_screen import COLOURS
from .confirm_screen import ConfirmScreen

NARROW = 160  # columns: below this the chart goes above the table (the table wants the width)
# The figures shown, after the rank and the grid's keys: (sweep.json key, header, how to write it).
COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("return_pct", "return", lambda v: fmt.pct(v, signed=True)),
    ("max_drawdown_pct", "max DD", fmt.pct),
    ("return_over_max_dd", "ret/DD", lambda v: fmt.DASH if v is None else f"{v:.2f}"),
    ("profit_factor", "PF", lambda v: fmt.DASH if v is None else f"{v:.2f}"),
    ("win_rate", "win", lambda v: fmt.DASH if v is None else f"{v * 100:.1f}%"),
    ("avg_R", "avg R", lambda v: fmt.DASH if v is None else f"{v:+.2f}"),
    ("trades_taken", "taken", lambda v: f"{v:,}"),
    ("final_balance", "final", fmt.money),
)


class SweepResultScreen(Screen[None]):
    DEFAULT_CSS = """
    SweepResultScreen { layout: vertical; }
    SweepResultScreen #sweep-result-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepResultScreen #sweep-body { height: 1fr; }
    SweepResultScreen #sweep-table { width: 1fr; height: 1fr; }
    SweepResultScreen #sweep-chart { width: 48; height: 1fr; }
    SweepResultScreen #sweep-legend { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepResultScreen.-narrow #sweep-body { layout: vertical; }
    SweepResultScreen.-narrow #sweep-chart { width: 1fr; height: 45%; }
    SweepResultScreen.-narrow #sweep-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("s", "sort_next", "Sort", id="sweep.sort", tooltip="Sort by the next column (a click on a header "
                "sorts by it)"),
        Binding("o", "flip_order", "Order", id="sweep.order", tooltip="Flip the sort order"),
        Binding("a", "apply", "Apply", id="sweep.apply", tooltip="Save the selected row's values as the bot's "
                "caps, after a confirmation naming old -> new (the cap editor's save: validated, journaled)"),
        Binding("escape", "back", "Back", id="sweep.result_back", tooltip="Back to the sweep form"),
    ]

    def __init__(self, result: SweepResult, root: Path) -> None:
        super().__init__()
        self.result = result
        self.root = root
        self.sort_keys = ["rank", *result.keys, *(key for key, _h, _f in COLUMNS)]
        self.sort_by = "rank"
        self.reverse = False
        self.rows = result.rows
        self.by_config = {row["config"]: row for row in self.rows}
        self.applying = False
        self.applied = 0  # saves done from this screen (tests wait on it)

    def compose(self) -> ComposeResult:
        doc = self.result.doc
        yield Static(styled("Sweep results", bold=True) + "  " + styled(shown_path(self.result.path, self.root))
                     + styled(f"  {doc['configs']:,} configs over {doc['trades_in']:,} trades · ranked by "
                              f"{doc['objective']}", MUTED), id="sweep-result-title")
        with Horizontal(id="sweep-body"):
            table: DataTable = DataTable(id="sweep-table", cursor_type="row", zebra_stripes=False, classes="panel")
            table.border_title = "Configs"
            yield table
            with Vertical(id="sweep-chart", classes="panel") as chart:
                chart.border_title = "Equity: the row vs the base"
                yield Static("", id="sweep-legend")
                yield LineChart(id="sweep-lines")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in self.sort_keys:
            table.add_column(self.header(key), key=key)
        self.fill()
        table.focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    # --- the table ---------------------------------------------------------------------------------

    def header(self, key: str) -> str:
        name = "#" if key == "rank" else next((h for k, h, _f in COLUMNS if k == key), key)
        if key != self.sort_by:
            return name
        return f"{name} {'▲' if self.ascending() else '▼'}"

    def ascending(self) -> bool:
        """Does the shown order put the lowest value first?"""
        return descending_first(self.sort_by) == self.reverse

    def cells(self, row: dict[str, Any]) -> list[str]:
        out = [f"{row['rank']:,}"]
        out += [shown_value(row["values"].get(key)) for key in self.result.keys]
        out += [fmt.DASH if row[key] is None else write(row[key]) for key, _h, write in COLUMNS]
        return out

    def fill(self) -> None:
        """The rows in the chosen order; the cursor stays on the row it was on."""
        table = self.query_one(DataTable)
        selected = self.selected_row()
        self.rows = sort_rows(self.rows, self.sort_by, self.reverse)
        table.clear()
        for key in self.sort_keys:
            table.columns[key].label = Content(self.header(key))  # type: ignore[index]
        for row in self.rows:
            table.add_row(*self.cells(row), key=str(row["config"]))
        table.refresh()
        if selected is not None:
            table.move_cursor(row=table.get_row_index(str(selected["config"])))
        self.show_row(self.selected_row())

    def selected_row(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.by_config.get(int(key)) if key is not None else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_row(self.by_config.get(int(event.row_key.value)) if event.row_key.value else None)

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_by:
            self.reverse = not self.reverse
        else:
            self.sort_by, self.reverse = key, False
        self.fill()

    def action_sort_next(self) -> None:
        self.sort_by = self.sort_keys[(self.sort_keys.index(self.sort_by) + 1) % len(self.sort_keys)]
        self.reverse = False
        self.fill()

    def action_flip_order(self) -> None:
        self.reverse = not self.reverse
        self.fill()

    # --- the chart ---------------------------------------------------------------------------------

    def show_row(self, row: dict[str, Any] | None) -> None:
        base = self.result.base
        series = [Series("base", base, COLOURS[0])] if base else []
        legend = [Content.styled("━━", COLOURS[0]) + " " + styled("the base configs as they are")]
        if row is not None:
            values = ", ".join(f"{k} {shown_value(v)}" for k, v in row["values"].items())
            curve = self.result.curves.get(row["rank"])
            if curve:
                series.append(Series(f"#{row['rank']}", curve, COLOURS[1]))
                legend.append(Content.styled("━━", COLOURS[1]) + " " + styled(f"#{row['rank']} ") + styled(values, MUTED))
            else:
                kept = len(self.result.curves)
                legend.append(styled(f"#{row['rank']}: no curve kept (the sweep keeps the top {kept})", MUTED))
        self.query_one("#sweep-legend", Static).update(lines(legend))
        self.query_one(LineChart).series = tuple(series)

    # --- apply -------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return not self.applying
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        row = self.selected_row()
        if row is None or self.applying:
            return
        self.applying = True
        self._plan(row["rank"], dict(row["values"]))

    @work(thread=True, exclusive=True, group="sweep-apply", exit_on_error=False)
    def _plan(self, rank: int, values: dict[str, Any]) -> None:
        """The config files as they are now: what the row changes, and the confirmation's words."""
        try:
            form = read_caps(self.root)
        except Exception as exc:  # noqa: BLE001 - a missing or unparsable config: said, nothing written
            self.post_message(ApplyPlanned(rank, {}, [], str(exc).replace(f"{self.root}/", "")))
            return
        self.post_message(ApplyPlanned(rank, apply_changes(form, values), apply_lines(form, values, rank)))

    def on_apply_planned(self, message: ApplyPlanned) -> None:
        if message.error:
            self.applying = False
            self.app.notify(message.error, title="Apply: cannot read the configs", severity="error", timeout=20)
            return
        if not message.changes:
            self.applying = False
            self.app.notify(f"the config files already hold row {message.rank}'s values; nothing was written",
                            title="Apply sweep row")
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._save(message.changes)
            else:
                self.applying = False
                self.app.notify("cancelled; nothing was written", title="Apply sweep row")

        self.app.push_screen(ConfirmScreen(f"Apply sweep row {message.rank}", message.lines, "Apply"), answered)

    @work(thread=True, exclusive=True, group="sweep-apply", exit_on_error=False)
    def _save(self, changes: dict[str, dict[str, Any]]) -> None:
        saved, error = save_caps(self.root, changes)
        self.post_message(CapsSaved(saved) if error is None else CapsSaveFailed(error, saved))

    def on_caps_saved(self, message: CapsSaved) -> None:
        message.stop()
        self.applying = False
        self.applied += 1
        caps_saved = getattr(self.app, "caps_saved", None)
        if caps_saved is not None:
            caps_saved(message.changes)  # the cap editor's toast, and the dashboard shows it

    def on_caps_save_failed(self, message: CapsSaveFailed) -> None:
        message.stop()
        self.applying = False
        done = "; ".join(f"{k} saved" for k in message.saved)
        self.app.notify(message.text + (f" ({done})" if done else ""), title="Apply: not saved",
                        severity="error", timeout=20)
