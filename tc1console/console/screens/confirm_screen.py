"""A yes/no question before an action that writes: Enter or y confirms, Escape or n cancels.

The body names exactly what the action will do; the screen returns True (confirmed) or False.
The buttons are for the mouse and take no focus, so Enter always means "confirm".
"""

from __future__ import annotations

from typing import Sequence

from textual.content import Content
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ..widgets.base import lines, styled

TONES = {"bold": ("", True), "muted": ("muted", False), "warn": ("warn", False)}


def body_markup(rows: Sequence[tuple[str, str]]) -> Content:
    """(text, tone) rows as Content; tone "pnl" colours a row by the sign of its last number."""
    out = []
    for text, tone in rows:
        if tone == "pnl":  # the label plain, the amount in the colour of its sign
            head, _, amount = text.rpartition(" ")
            sign = "loss" if amount.startswith("-") else ("gain" if amount.startswith("+") else "")
            out.append(styled(head + " ") + styled(amount, sign))
        else:
            colour, bold = TONES.get(tone, ("", False))
            out.append(styled(text, colour, bold=bold))
    return lines(out)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 100%; max-width: 76; height: auto; max-height: 100%;
        border: round $warning; border-title-color: $warning; border-title-style: bold;
        border-subtitle-color: $text-muted; background: $surface; padding: 1 2 0 2;
    }
    ConfirmScreen #confirm-body { height: auto; }
    ConfirmScreen #confirm-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("enter,y", "confirm", "Confirm", id="confirm.yes", key_display="enter/y", tooltip="Do it"),
        Binding("escape,n", "cancel", "Cancel", id="confirm.no", key_display="esc/n", tooltip="Close without changing anything"),
    ]

    def __init__(self, title: str, lines: Sequence[tuple[str, str]], confirm_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = list(lines)
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter / y confirms · esc / n cancels"
            yield Static(body_markup(self.lines), id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.confirm_label} (enter)", id="confirm-yes", variant="error", compact=True)
                yield Button("Cancel (esc)", id="confirm-no", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False

    def update_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """Say what the action will do again: the numbers changed while the question was up."""
        self.lines = list(lines)
        self.query_one("#confirm-body", Static).update(body_markup(self.lines))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
