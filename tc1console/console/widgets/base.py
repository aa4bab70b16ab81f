"""What every panel shares: a reactive `info` (a frozen piece of the snapshot) rendered as Content.

A reactive only repaints when the new value differs from the old one, and the snapshot's pieces
are frozen dataclasses that compare by value, so a reload that changed nothing in a panel costs
that panel nothing.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from ...engine.events import clean
from ..snapshot import GAIN, LOSS, MUTED, WARN

TONE_STYLE = {LOSS: "$error", GAIN: "$success", MUTED: "$text-muted", WARN: "$warning"}
_TONE_VARIABLE = {LOSS: "error", GAIN: "success", WARN: "warning"}


def tone_styles(app: App) -> dict[str, Style | str]:
    """The tones as Rich styles in the app's theme colours, for table cells (Rich Text, not markup)."""
    variables = app.theme_variables
    styles: dict[str, Style | str] = {tone: Style(color=Color.parse(variables[name]).rich_color)
                                      for tone, name in _TONE_VARIABLE.items() if name in variables}
    styles[MUTED] = "dim"
    return styles


def table_cell(text: str, right: bool, style: Style | str = "") -> Text:
    """A table cell with a one-space gutter on its outer side, so columns stay apart with no padding."""
    if right:
        return Text(f" {text}", style=style, justify="right", no_wrap=True, overflow="ellipsis")
    return Text(f"{text} ", style=style, no_wrap=True, overflow="ellipsis")


def styled(text: str, tone: str = "", *, bold: bool = False) -> Content:
    """`text` in the theme colour of `tone`. Content, not markup: an id like `t[1` is shown as it is
    (markup would parse it), and control characters are dropped (events.clean)."""
    style = TONE_STYLE.get(tone, "")
    if bold:
        style = f"bold {style}".strip()
    text = clean(text, 10_000)
    return Content.styled(text, style) if style else Content(text)


def lines(rows: Iterable[Content | str]) -> Content:
    """Rows (Content or plain text) as one Content, a row per line."""
    return Content("\n").join([row if isinstance(row, Content) else Content(row) for row in rows])


def two_columns(label: str, value: str, width: int, *, tone: str = "", label_tone: str = MUTED) -> Content:
    """`label ........ value` padded to `width` cells: the value right-aligned."""
    gap = max(1, width - len(label) - len(value))
    return styled(label, label_tone) + " " * gap + styled(value, tone)


def first_fit(options: Iterable[str], width: int) -> str | None:
    """The first (longest, most telling) wording that fits in `width` cells, or None."""
    return next((text for text in options if len(text) <= width), None)


class InfoPanel(Widget):
    """A panel that renders one piece of the snapshot; `None` until the first load."""

    info: reactive[Any] = reactive(None)

    def render(self) -> Content:
        if self.info is None:
            return styled("no data yet", MUTED)
        return self.render_info(self.info, self.content_size.width, self.content_size.height)

    def render_info(self, info: Any, width: int, height: int) -> Content:  # pragma: no cover - abstract
        raise NotImplementedError
