"""The top line: which root is shown, the UTC time, the journal position, and a note for a fresh root."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from ..snapshot import MUTED
from .base import styled


class TitleBar(Widget):
    DEFAULT_CSS = """
    TitleBar { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    root_label: reactive[str] = reactive("")
    clock: reactive[str] = reactive("")  # "2024-11-19 14:30 UTC", minute resolution: repaints once a minute
    seq: reactive[int | None] = reactive(None)
    note: reactive[str] = reactive("")
    mode: reactive[str] = reactive("")  # "demo bot running", ...

    def render(self) -> Content:
        parts = [styled("TC1 console", bold=True), styled(self.root_label, MUTED)]
        if self.clock:
            parts.append(styled(self.clock))
        if self.seq is not None:
            parts.append(styled(f"journal seq {self.seq:,}", MUTED))
        if self.note:
            parts.append(styled(self.note, "warn"))
        if self.mode:
            parts.append(styled(self.mode, "warn"))
        return Content("  ").join(parts)
