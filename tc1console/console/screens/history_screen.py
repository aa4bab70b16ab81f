"""Trade history: the closed trades the state keeps, newest first, filtered by symbol and by UTC day;
enter on a row opens its journal story (StoryScreen)."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Label, Select, Static

from ...engine.core import CLOSE_HISTORY
from ..history import ALL, COLUMNS, HistoryRow, days_of, filter_rows, history_rows, symbols_of, totals
from ..snapshot import MUTED, Snapshot
from ..widgets.base import styled, table_cell, tone_styles
from .live_screen import LiveScreen
from .story_screen import StoryScreen

RIGHT = {key for key, _label, right in COLUMNS if right}


class HistoryScreen(LiveScreen):
    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    HistoryScreen #history-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    HistoryScreen #history-filters { height: 1; margin: 0 1; }
    HistoryScreen #history-filters Label { margin: 0 1 0 0; }
    HistoryScreen #history-filters Select { width: 22; margin-right: 2; }
    HistoryScreen #history-totals { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    HistoryScreen #history-table { height: 1fr; padding: 0 0 0 1; }
    """

    BINDINGS = [
        Binding("s", "focus_filter('history-symbol')", "Symbol", id="history.symbol",
                tooltip="Filter by symbol (enter opens the list)"),
        Binding("d", "focus_filter('history-day')", "Day", id="history.day",
                tooltip="Filter by UTC day of the exit (enter opens the list)"),
        Binding("escape", "back", "Back", id="history.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, root: Path, today: str) -> None:
        super().__init__()
        self.root = root
        self.today = today
        self.rows: list[HistoryRow] = []
        self.shown: list[HistoryRow] = []
        self._closes: tuple = ()
        self._styles: dict[str, Style | str] = {}

    def compose(self) -> ComposeResult:
        yield Static(styled("Trade history", bold=True) + styled(
            f"  the last {CLOSE_HISTORY} closes the state keeps, newest first (the journal holds them all)"
            " · enter: the trade's story", MUTED), id="history-title")
        with Horizontal(id="history-filters"):
            yield Label("symbol")
            yield Select([("all symbols", ALL)], value=ALL, allow_blank=False, compact=True, id="history-symbol")
            yield Label("day")
            yield Select([("all days", ALL)], value=ALL, allow_blank=False, compact=True, id="history-day")
            yield Static("", id="history-totals")
        table = DataTable(id="history-table", classes="panel", cursor_type="row", zebra_stripes=True)
        table.border_title = "Closed trades"
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.cell_padding = 0
        self._styles = tone_styles(self.app)
        for key, label, _right in COLUMNS:
            table.add_column(self._cell(key, label), key=key)
        snap = getattr(self.app, "snapshot", None)
        if snap is not None:
            self.follow(snap)
        table.focus()

    def _cell(self, key: str, text: str, tone: str = "") -> Text:
        return table_cell(text, key in RIGHT, self._styles.get(tone, ""))

    # --- data ------------------------------------------------------------------------------------

    def follow(self, snap: Snapshot) -> None:
        if snap.closes == self._closes:
            return
        self._closes = snap.closes
        self.rows = history_rows(snap.closes, snap.overlay)
        self._options("history-symbol", "all symbols", symbols_of(self.rows))
        self._options("history-day", "all days", days_of(self.rows))
        self.refilter()

    def _options(self, select_id: str, everything: str, values: list[str]) -> None:
        select = self.query_one(f"#{select_id}", Select)
        current = select.value
        options = [(everything, ALL), *((v, v) for v in values)]
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = current if current in (v for _l, v in options) else ALL

    @property
    def symbol(self) -> str:
        value = self.query_one("#history-symbol", Select).value
        return value if isinstance(value, str) else ALL

    @property
    def day(self) -> str:
        value = self.query_one("#history-day", Select).value
        return value if isinstance(value, str) else ALL

    def refilter(self) -> None:
        """Show the rows the filters keep; the cursor stays on its trade when that trade is still shown."""
        table = self.query_one(DataTable)
        shown = filter_rows(self.rows, self.symbol, self.day)
        self.shown = shown
        keep = None
        if table.row_count:
            try:
                keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:  # noqa: BLE001 - no valid cursor: nothing to keep
                keep = None
        with self.app.batch_update():
            table.clear()
            for row in shown:
                table.add_row(*(self._cell(key, text, tone) for (key, _l, _r), (text, tone) in zip(COLUMNS, row.cells)),
                              key=row.trade_id)
            ids = [r.trade_id for r in shown]
            if keep in ids:
                table.move_cursor(row=ids.index(keep), scroll=True)
        table.border_subtitle = (f"{len(shown):,} of {len(self.rows):,}" if len(shown) != len(self.rows)
                                 else f"{len(shown):,}") + " · enter: story"
        self.query_one("#history-totals", Static).update(styled(totals(shown), MUTED))

    @on(Select.Changed)
    def _filter_changed(self, _event: Select.Changed) -> None:
        self.refilter()

    # --- keys ------------------------------------------------------------------------------------

    def action_focus_filter(self, select_id: str) -> None:
        self.query_one(f"#{select_id}", Select).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#history-table")
    def _open_story(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self.shown if r.trade_id == event.row_key.value), None)
        if row is not None:
            self.app.push_screen(StoryScreen(self.root, row, self.today))
