"""The open positions at their marks, updated in place: the cursor and scroll survive every reload.

Like Dolphie's process list: on each snapshot, rows that are gone are removed, rows that are new
are added under their trade id, and only the cells whose text changed are updated. `clear()` would
reset the cursor and the scroll. Columns fit their content: a cell is only re-measured
(`update_width=True`) in the rare case its new text is wider than its column, never on every tick
(re-measuring a narrower cell scans the whole column).
"""

from __future__ import annotations

from typing import Iterable

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from .. import format as fmt
from ..snapshot import PositionRow
from .base import table_cell, tone_styles

# key, label, right-aligned, in display order: what an operator reads first comes first (the
# table scrolls sideways on a narrow terminal).
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("trade", "trade", False),
    ("symbol", "symbol", False),
    ("side", "side", False),
    ("qty", "qty", True),
    ("entry", "entry", True),
    ("mark", "mark", True),
    ("unrl", "unrl PnL", True),
    ("r_now", "R now", True),
    ("stop", "stop", True),
    ("to_stop", "to stop", True),
    ("risk", "risk $", True),
    ("risk_pct", "risk %", True),
    ("age", "age", True),
)
CELL_COLUMNS = ("symbol", "side", "qty", "entry", "stop", "risk", "risk_pct")  # PositionRow.cells
MARK_COLUMNS = ("mark", "unrl", "r_now", "to_stop")  # PositionRow.marks
RIGHT = {c[0] for c in COLUMNS if c[2]}
WIDE_FROM = 140  # table width from which columns get a cell of padding on each side
NO_MARKS = ((fmt.DASH, ""),) * len(MARK_COLUMNS)  # what a row shows before its first marks


def _cell(column: str, text: str, style: Style | str = "") -> Text:
    return table_cell(text, column in RIGHT, style)


class PositionsTable(DataTable):
    DEFAULT_CSS = "PositionsTable { height: 1fr; scrollbar-size-vertical: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._rows: dict[str, PositionRow] = {}
        self._ages: dict[str, str] = {}
        self._styles: dict[str, Style | str] = {}
        self._styles_theme = ""

    def on_mount(self) -> None:
        self.cell_padding = 0
        for key, label, _right in COLUMNS:
            self.add_column(_cell(key, label), key=key)

    def on_resize(self) -> None:
        self.cell_padding = 1 if self.size.width >= WIDE_FROM else 0

    def _style(self, tone: str) -> Style | str:
        """The theme's colour for a tone, as a Rich style (cells are Rich Text, not markup)."""
        if self._styles_theme != self.app.theme:
            self._styles, self._styles_theme = tone_styles(self.app), self.app.theme
        return self._styles.get(tone, "")

    def _set(self, key: str, column: str, text: str, tone: str = "") -> None:
        cell = _cell(column, text, self._style(tone) if tone else "")
        grow = cell.cell_len > self.columns[column].content_width  # type: ignore[index]
        self.update_cell(key, column, cell, update_width=grow)

    def _new_row(self, key: str, row: PositionRow, age: str) -> list[Text]:
        cells = {"trade": _cell("trade", key), "age": _cell("age", age)}
        cells.update((c, _cell(c, t)) for c, t in zip(CELL_COLUMNS, row.cells))
        cells.update((c, _cell(c, t, self._style(tone))) for c, (t, tone) in zip(MARK_COLUMNS, row.marks))
        return [cells.get(c, _cell(c, fmt.DASH)) for c, _label, _right in COLUMNS]

    # --- updates ---------------------------------------------------------------------------------

    def show(self, rows: Iterable[PositionRow], now_ms: int) -> None:
        """Bring the table to `rows`: remove gone rows, update changed cells, add new rows (in order)."""
        wanted = {r.trade_id: r for r in rows}
        cursor_key = self._cursor_key()
        with self.app.batch_update():
            for key in [k for k in self._rows if k not in wanted]:
                self.remove_row(key)
                del self._rows[key], self._ages[key]
            for key, row in wanted.items():
                old = self._rows.get(key)
                if old is None:
                    age = fmt.age(now_ms - row.entry_ts_ms)
                    self.add_row(*self._new_row(key, row, age), key=key)
                    self._ages[key] = age
                elif old != row:
                    if old.cells != row.cells:
                        for column, before, after in zip(CELL_COLUMNS, old.cells, row.cells):
                            if before != after:
                                self._set(key, column, after)
                    if old.marks != row.marks:
                        for column, before, after in zip(MARK_COLUMNS, old.marks or NO_MARKS, row.marks):
                            if before != after:
                                self._set(key, column, *after)
                self._rows[key] = row
            # Rows removed above the cursor would slide it onto another trade: keep it on its own.
            if cursor_key is not None and cursor_key in self._rows:
                index = self.get_row_index(cursor_key)
                if index != self.cursor_row:
                    self.move_cursor(row=index, scroll=False)
        self.tick(now_ms)

    def tick(self, now_ms: int) -> None:
        """Update the age cells whose text changed (most change once a minute, not every second)."""
        changed = []
        for key, row in self._rows.items():
            age = fmt.age(now_ms - row.entry_ts_ms)
            if age != self._ages.get(key):
                changed.append((key, age))
        if not changed:
            return
        with self.app.batch_update():
            for key, age in changed:
                self._ages[key] = age
                self._set(key, "age", age)

    def _cursor_key(self) -> str | None:
        if not self._rows or self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no valid cursor: nothing to keep
            return None

    @property
    def trade_ids(self) -> list[str]:
        """The trade ids in display order (for tests and the actions to come)."""
        return [row.key.value for row in self.ordered_rows]
