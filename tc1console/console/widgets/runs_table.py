"""The harness launcher's list of earlier runs: enter opens one; m marks up to two, v compares them."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

MARK = "● "
UNMARKED = "  "


class RunsTable(DataTable):
    """Rows keyed by run folder; the first column is the run's name, with a dot when it is marked."""

    BINDINGS = [
        Binding("m,space", "toggle_mark", "Mark", id="runs.mark", key_display="m",
                tooltip="Mark or unmark the run under the cursor for a comparison (two at most: a "
                        "third mark replaces the oldest)"),
        Binding("v", "compare", "Compare", id="runs.compare",
                tooltip="The two marked runs side by side (one marked: it and the run under the cursor)"),
    ]

    class CompareRequested(Message):
        """Two runs to compare, older mark first."""

        def __init__(self, first: Path, second: Path) -> None:
            super().__init__()
            self.first = first
            self.second = second

    class NeedTwo(Message):
        """`v` with fewer than two runs to compare: say how to mark them."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.marked: list[str] = []  # row keys (run folders), oldest mark first
        self._names: dict[str, str] = {}

    def add_run(self, key: str, name: str, *cells: str) -> None:
        self._names[key] = name
        self.add_row(self._label(key), *cells, key=key)

    def forget_missing(self) -> None:
        """After the rows were replaced: drop the marks of runs no longer listed."""
        self.marked = [k for k in self.marked if k in self._names and k in self.rows]

    def clear(self, columns: bool = False) -> "RunsTable":
        self._names = {}
        return super().clear(columns)

    def _label(self, key: str) -> str:
        return (MARK if key in self.marked else UNMARKED) + self._names.get(key, key)

    def _cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def action_toggle_mark(self) -> None:
        key = self._cursor_key()
        if key is None:
            return
        changed = [key]
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked.append(key)
            if len(self.marked) > 2:
                changed.append(self.marked.pop(0))
        for k in changed:
            self.update_cell(k, "run", self._label(k))
        self.border_subtitle = self._subtitle()

    def _subtitle(self) -> str:
        n = len(self.marked)
        if n == 2:
            return "2 marked · v compares · enter opens"
        return f"{n} marked · m marks a run, v compares two · enter opens"

    def action_compare(self) -> None:
        pair = list(self.marked)
        cursor = self._cursor_key()
        if len(pair) == 1 and cursor is not None and cursor not in pair:
            pair.append(cursor)
        if len(pair) < 2:
            self.post_message(self.NeedTwo())
            return
        self.post_message(self.CompareRequested(Path(pair[0]), Path(pair[1])))
