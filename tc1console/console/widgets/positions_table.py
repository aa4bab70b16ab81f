"""The open positions at their marks: a table drawn line by line, updated in place, cheap to keep live.

A bot marking 500 positions ten times a second changes most rows on every tick. Textual's DataTable
re-renders every visible cell through Rich on any cell update (its caches share one update
counter): about 150 ms per update at 500 rows, far more than a 100 ms tick. So this table keeps,
per row, its cell texts and one ready-made Strip, rebuilt only when that row's text changed, and
draws a line as a cached Strip with the row's background (Textual's Line API). An update repaints
nothing unless a changed row is on screen.

Like Dolphie's process list it is updated, never rebuilt: rows that are gone are removed, new ones
added under their trade id, changed ones re-rendered; the cursor stays on its trade and the scroll
where it was. Columns are as wide as their widest cell so far (re-measured when rows come or go).
"""

from __future__ import annotations

from typing import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import format as fmt
from ..bindings import POSITION_ACTIONS
from ..snapshot import PositionRow
from .base import tone_styles

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
KEYS = tuple(c[0] for c in COLUMNS)
INDEX = {key: i for i, key in enumerate(KEYS)}
ALL_AT = tuple(range(len(KEYS)))
CELL_COLUMNS = ("symbol", "side", "qty", "entry", "stop", "risk", "risk_pct")  # PositionRow.cells
MARK_COLUMNS = ("mark", "unrl", "r_now", "to_stop")  # PositionRow.marks
NO_MARKS = ((fmt.DASH, ""),) * len(MARK_COLUMNS)  # what a row shows before its first marks
MARK_AT = tuple(INDEX[k] for k in MARK_COLUMNS)
# PositionsTable._cells lays the cells out in this order.
assert KEYS == ("trade", *CELL_COLUMNS[:4], *MARK_COLUMNS[:3], CELL_COLUMNS[4], MARK_COLUMNS[3],
                *CELL_COLUMNS[5:], "age")
WIDE_FROM = 140  # table width from which columns get a cell of padding on each side


class _Row:
    """One position as shown: its cells (text, tone) in COLUMNS order, and the last line drawn from
    them (with the key of what it was drawn for: scroll, width, cursor and row style)."""

    __slots__ = ("cells", "line", "line_key")

    def __init__(self, cells: list[tuple[str, str]]) -> None:
        self.cells = cells
        self.line: Strip | None = None
        self.line_key: tuple = ()

    def forget(self) -> None:
        self.line = None


class PositionsTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    PositionsTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-size-vertical: 1;
        &:focus { background-tint: $foreground 5%; }
        & > .positions--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .positions--header { background: ansi_bright_blue; color: ansi_default; }
        & > .positions--even-row { background: $surface-lighten-1 50%; }
        &:dark > .positions--even-row { background: $surface-darken-1 40%; }
        & > .positions--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .positions--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"positions--header", "positions--even-row", "positions--cursor"}
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("enter", "select", "Select", show=False),
        *POSITION_ACTIONS,
    ]

    class Selected(Message):
        """Enter (or a click) on a position: its trade id."""

        def __init__(self, trade_id: str) -> None:
            super().__init__()
            self.trade_id = trade_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._order: list[str] = []  # trade ids in display order
        self._index: dict[str, int] = {}
        self._source: dict[str, PositionRow] = {}
        self._shown: dict[str, _Row] = {}
        self._ages: dict[str, str] = {}
        self._widths = [len(label) + 1 for _key, label, _right in COLUMNS]
        self._header: tuple[tuple, Strip] | None = None
        self._pad = 0
        self._tones: dict[str, Style] = {}
        self._theme = ""
        self._base = Style.null()
        self._ticked = -1  # the second (of the clock) the ages were last worked out for
        self.cursor_row = 0

    # --- what callers read -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def trade_ids(self) -> list[str]:
        """The trade ids in display order."""
        return list(self._order)

    @property
    def selected_trade_id(self) -> str | None:
        """The trade under the cursor (None when the table is empty)."""
        return self._order[self.cursor_row] if self._order else None

    def get_row_index(self, trade_id: str) -> int:
        return self._index[trade_id]

    def get_cell(self, trade_id: str, column: str) -> Text:
        """A cell as shown (its text, with the tone's colour)."""
        text, tone = self._shown[trade_id].cells[INDEX[column]]
        return Text(text, style=self._tone(tone))

    # --- updates -------------------------------------------------------------------------------------

    def show(self, rows: Iterable[PositionRow], now_ms: int) -> None:
        """Bring the table to `rows`: remove gone rows, re-render changed rows, add new rows (in order).

        The ages of rows already shown move with `tick`."""
        wanted = {r.trade_id: r for r in rows}
        cursor_key = self.selected_trade_id
        changed: set[str] = set()
        reordered = list(wanted) != self._order
        widths, grown = self._widths, False
        for key in [k for k in self._source if k not in wanted]:
            del self._source[key], self._shown[key], self._ages[key]
        for key, row in wanted.items():
            old = self._source.get(key)
            if old is None:
                self._ages[key] = fmt.age(now_ms - row.entry_ts_ms)
            elif old == row:
                continue
            self._source[key] = row
            cells = self._cells(key, row)
            if old is not None and self._shown[key].cells == cells:
                continue  # a change this table does not show
            self._shown[key] = _Row(cells)
            changed.add(key)
            # Wider than its column? On a marks tick only the mark cells can be (checked alone: 500 rows).
            for i in (MARK_AT if old is not None and old.cells == row.cells else ALL_AT):
                if len(cells[i][0]) >= widths[i]:
                    widths[i] = len(cells[i][0]) + 1
                    grown = True
        if reordered:  # rows came or went (rare: an open or a close): measure and draw all again
            self._order = list(wanted)
            self._index = {key: i for i, key in enumerate(self._order)}
            self._measure()
            self._forget_strips()
            self._size_virtually()
            # Rows that went away above the cursor would slide it onto another trade: keep it on its own.
            row = self._index.get(cursor_key, self.cursor_row) if cursor_key is not None else 0
            self.cursor_row = max(0, min(row, len(self._order) - 1))
            self.refresh()
        elif grown:
            self._widened()
        elif changed:
            self._refresh_rows(changed)

    def tick(self, now_ms: int) -> None:
        """Update the age cells whose text changed (most change once a minute, not every second)."""
        second = now_ms // 1000
        if second == self._ticked:
            return  # ages count whole seconds: called again within one, nothing can have changed
        self._ticked = second
        changed = set()
        age_at = INDEX["age"]
        widths, grown = self._widths, False
        for key, row in self._source.items():
            age = fmt.age(now_ms - row.entry_ts_ms)
            if age != self._ages.get(key):
                self._ages[key] = age
                shown = self._shown[key]
                shown.cells[age_at] = (age, "")
                shown.forget()
                changed.add(key)
                if len(age) >= widths[age_at]:
                    widths[age_at] = len(age) + 1
                    grown = True
        if grown:
            self._widened()
        elif changed:
            self._refresh_rows(changed)

    def _cells(self, key: str, row: PositionRow) -> list[tuple[str, str]]:
        """The row's cells in COLUMNS order (spelled out: this runs for every row on every tick)."""
        c, m = row.cells, row.marks or NO_MARKS
        return [(key, ""), (c[0], ""), (c[1], ""), (c[2], ""), (c[3], ""), m[0], m[1], m[2], (c[4], ""), m[3],
                (c[5], ""), (c[6], ""), (self._ages[key], "")]

    def _measure(self) -> None:
        """Column widths from scratch: the widest cell or label, plus a one-space gutter."""
        widths = [len(label) + 1 for _key, label, _right in COLUMNS]
        for shown in self._shown.values():
            for i, (text, _tone) in enumerate(shown.cells):
                if len(text) + 1 > widths[i]:
                    widths[i] = len(text) + 1
        self._widths = widths

    def _widened(self) -> None:
        """A column grew (never narrower on a tick): every line is drawn again."""
        self._forget_strips()
        self._size_virtually()
        self.refresh()

    def _size_virtually(self) -> None:
        """All rows and the header high, every column (and its padding) wide: what the scrollbars span."""
        self.virtual_size = Size(sum(self._widths) + 2 * self._pad * len(COLUMNS), len(self._order) + 1)

    def _refresh_rows(self, keys: set[str]) -> None:
        """Repaint the lines of the rows that are on screen (in runs of adjacent rows), no others."""
        top = int(self.scroll_y)
        bottom = top + max(0, self.size.height - 1)
        index = self._index
        visible = sorted(i for i in (index.get(k, -1) for k in keys) if top <= i < bottom)
        start = prev = None
        for i in visible:
            if start is None:
                start = prev = i
            elif i == prev + 1:
                prev = i
            else:
                self.refresh_lines(start + 1, prev - start + 1)  # +1: the header's line
                start = prev = i
        if start is not None:
            self.refresh_lines(start + 1, prev - start + 1)

    def _forget_strips(self) -> None:
        self._header = None
        for shown in self._shown.values():
            shown.forget()

    # --- drawing -------------------------------------------------------------------------------------

    def _tone(self, tone: str) -> Style:
        if self._theme != self.app.theme:
            styles = tone_styles(self.app)
            self._tones = {t: s if isinstance(s, Style) else Style.parse(s) for t, s in styles.items()}
            self._theme = self.app.theme
            self._forget_strips()
        return self._tones.get(tone, Style.null())

    def _segments(self, cells: list[tuple[str, str]], style: Style, tones: bool) -> list[Segment]:
        pad = " " * self._pad
        segments = []
        for (_key, _label, right), (text, tone), width in zip(COLUMNS, cells, self._widths):
            body = text.rjust(width - 1) if right else text.ljust(width - 1)
            cell = f"{pad} {body}{pad}" if right else f"{pad}{body} {pad}"
            segments.append(Segment(cell, style + self._tone(tone) if tones and tone else style))
        return segments

    def _strip(self, cells: list[tuple[str, str]], style: Style, tones: bool, scroll_x: int, width: int) -> Strip:
        """One line: the cells in `style` (tones over it), cut to the visible columns."""
        segments = self._segments(cells, style, tones)
        total = sum(self._widths) + 2 * self._pad * len(COLUMNS)
        if scroll_x == 0 and total <= width:  # the common case: one Strip, no cropping
            if total < width:
                segments.append(Segment(" " * (width - total), style))
            return Strip(segments, width)
        return Strip(segments, total).crop_extend(scroll_x, scroll_x + width, style)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once per repaint, not once per line (it walks the ancestors)
        self._tone("")  # a theme change re-renders every row
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._base
        if y == 0:
            style = base + self.get_component_rich_style("positions--header")
            key = (scroll_x, width, style)
            if self._header is None or self._header[0] != key:
                labels = [(label, "") for _k, label, _r in COLUMNS]
                self._header = (key, self._strip(labels, style, False, scroll_x, width))
            return self._header[1]
        index = scroll_y + y - 1
        if index >= len(self._order):
            return Strip.blank(width, base)
        shown = self._shown[self._order[index]]
        cursor = index == self.cursor_row
        if cursor:  # the cursor's colours win over the tones
            style = base + self.get_component_rich_style("positions--cursor")
        elif index % 2:
            style = base + self.get_component_rich_style("positions--even-row")
        else:
            style = base
        key = (scroll_x, width, cursor, style)
        if shown.line is None or shown.line_key != key:  # else an unchanged row: most rows on most ticks
            shown.line = self._strip(shown.cells, style, not cursor, scroll_x, width)
            shown.line_key = key
        return shown.line

    def on_resize(self, event: events.Resize) -> None:
        pad = 1 if event.size.width >= WIDE_FROM else 0
        if pad != self._pad:
            self._pad = pad
            self._forget_strips()
        self._size_virtually()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.refresh()

    # --- the cursor ----------------------------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        if not self._order:
            return
        self.cursor_row = max(0, min(row, len(self._order) - 1))
        if scroll:
            self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        # Forced: the scrollbars follow a new virtual size only at the next layout, and until then
        # a plain scroll is refused (the first rows of a big book, a cursor moved right after).
        rows_visible = max(1, self.size.height - 1)  # the header takes a line
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True, force=True)
        elif self.cursor_row >= top + rows_visible:
            self.scroll_to(y=self.cursor_row - rows_visible + 1, animate=False, immediate=True, force=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._order) - 1)

    def action_select(self) -> None:
        if self.selected_trade_id is not None:
            self.post_message(self.Selected(self.selected_trade_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = int(self.scroll_y) + offset.y - 1
        if offset.y >= 1 and 0 <= row < len(self._order):
            self.move_cursor(row=row, scroll=False)
            if event.chain > 1:
                self.action_select()
