"""A small form before an operator action (a cash flow, a manual close, a cancel, a pause): fields
checked as you type, with the reason under the field; it returns the parsed values (or None).

Enter in a field moves to the next one, and in the last one submits, as ctrl+s does anywhere; a
form with a field in red cannot be submitted. What the action will do is asked next, in a
ConfirmScreen, with the values filled in: the form only gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from ..snapshot import LOSS
from ..widgets.base import lines, styled


@dataclass(frozen=True)
class FormField:
    """One field: `parse` turns the text into a value or raises ValueError saying what is wrong
    (its message is shown under the field)."""

    key: str
    label: str
    parse: Callable[[str], Any] = str
    placeholder: str = ""
    initial: str = ""


class FormScreen(ModalScreen[dict[str, Any] | None]):
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical {
        width: 100%; max-width: 76; height: auto; max-height: 100%;
        border: round $accent; border-title-color: $accent; border-title-style: bold;
        border-subtitle-color: $text-muted; background: $surface; padding: 1 2 0 2;
    }
    FormScreen .form-intro { height: auto; margin-bottom: 1; }
    FormScreen Label { margin-top: 1; }
    FormScreen .form-error { height: auto; color: $error; }
    FormScreen Input { width: 100%; }
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "Next", id="form.submit", tooltip="Go on to the confirmation"),
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close without changing anything"),
    ]

    def __init__(self, title: str, intro: Sequence[tuple[str, str]], fields: Sequence[FormField]) -> None:
        super().__init__()
        self.title_text = title
        self.intro = list(intro)
        self.fields = list(fields)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter: next field · ctrl+s: go on · esc: cancel"
            yield Static(lines(styled(text, tone) for text, tone in self.intro), classes="form-intro")
            for f in self.fields:
                yield Label(f.label)
                yield Input(f.initial, placeholder=f.placeholder, id=f"form-{f.key}")
                yield Static("", id=f"form-{f.key}-error", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(f"#form-{self.fields[0].key}").focus()

    def _check(self, f: FormField) -> tuple[bool, Any]:
        widget = self.query_one(f"#form-{f.key}", Input)
        error = self.query_one(f"#form-{f.key}-error", Static)
        try:
            value = f.parse(widget.value)
        except ValueError as exc:
            error.update(styled(str(exc), LOSS))
            return False, None
        error.update("")
        return True, value

    def on_input_changed(self, event: Input.Changed) -> None:
        for f in self.fields:
            if event.input.id == f"form-{f.key}":
                self._check(f)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._next(event.input.id or "")

    def _next(self, widget_id: str) -> None:
        keys = [f"form-{f.key}" for f in self.fields]
        index = keys.index(widget_id)
        if index == len(keys) - 1:
            self.action_submit()
        else:
            self.query_one(f"#{keys[index + 1]}").focus()

    def action_submit(self) -> None:
        values: dict[str, Any] = {}
        ok = True
        for f in self.fields:
            good, value = self._check(f)
            ok = ok and good
            values[f.key] = value
        if ok:
            self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

