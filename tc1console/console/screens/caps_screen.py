"""The cap editor: every cap and rail in one form, checked as you type with the loader's own rules.

Under the fields, the warnings of engine/advice.py (the same `tc1 config check` prints) for the
values as typed, at the account's balance: allowed, but worth a second look.
Ctrl+S (or the Save button) saves each config file that changed, only its changed keys, through
`Store.save_config` in a thread (the same locked transaction the bot uses; the file keeps its format
and its other keys). Save is refused, with the reason, while any field is invalid. Escape closes
without writing anything. The screen returns {kind: {key: [old, new]}} of what was saved, or None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Footer, Input, Label, Static

from ...engine.schema import Field, parse_text
from ...engine.advice import lines as advice_lines
from ..caps import (SECTIONS, CapField, CapsForm, advice_for, changed_values, check, same_value, save_caps,
                    shown_value)
from ..messages import CapsSaved, CapsSaveFailed
from ..snapshot import MUTED, WARN
from ..widgets.base import lines, styled


class FieldRule(Validator):
    """`config.parse_text`: the loader's own rule for one key, so the form refuses what would not load."""

    def __init__(self, field: Field) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        reason = check(self.field, value)
        return self.success() if reason is None else self.failure(reason)


class CapRow(Vertical):
    """A label, the input, what the key does (or what it was), and the reason when the text is invalid."""

    DEFAULT_CSS = """
    CapRow { height: auto; }
    CapRow > Horizontal { height: 1; }
    CapRow Label { width: 26; color: $text; }
    CapRow Input { width: 16; }
    CapRow Input.-invalid { border: none; background: $error 30%; }
    CapRow .cap-hint { width: 1fr; padding-left: 2; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    CapRow .cap-error { display: none; padding-left: 26; color: $error; }
    CapRow.-invalid .cap-error { display: block; }
    CapRow.-invalid Label { color: $error; }
    """

    def __init__(self, cap: CapField) -> None:
        super().__init__(id=f"row-{cap.key}")
        self.cap = cap

    def compose(self) -> ComposeResult:
        f = self.cap.field
        with Horizontal():
            yield Label(f.label or f.key)
            yield Input(self.cap.text, id=f"cap-{f.key}", compact=True, validators=[FieldRule(f)],
                        validate_on=["changed"], tooltip=f"{f.key}: {f.comment}",
                        placeholder="unset" if f.optional else "")
            yield Static(self.hint(self.cap.text), classes="cap-hint")
        yield Static("", classes="cap-error")

    def hint(self, text: str) -> str:
        f = self.cap.field
        reason = check(f, text)
        if reason is None:
            value = parse_text(f, text)
            if not same_value(value, self.cap.current):
                return styled(f"was {shown_value(self.cap.current)}, now {shown_value(value)}", WARN)
        return styled(f.key + (" · empty = no limit" if f.optional else ""), MUTED)

    def show(self, text: str) -> str | None:
        """Repaint for `text`; return the reason it is invalid, or None."""
        reason = check(self.cap.field, text)
        self.set_class(reason is not None, "-invalid")
        self.query_one(".cap-error", Static).update(styled(reason or ""))
        self.query_one(".cap-hint", Static).update(self.hint(text))
        return reason


class CapsScreen(ModalScreen[dict | None]):
    DEFAULT_CSS = """
    CapsScreen { align: center middle; }
    CapsScreen > Vertical {
        width: 100%; max-width: 100; height: auto; max-height: 100%;
        border: round $accent; border-title-color: $accent; border-title-style: bold;
        border-subtitle-color: $text-muted; background: $surface; padding: 0 1;
    }
    CapsScreen VerticalScroll { height: auto; max-height: 1fr; }
    CapsScreen .caps-section { margin-top: 1; text-style: bold; color: $text-accent; }
    CapsScreen #caps-warning { display: none; color: $warning; margin-top: 1; }
    CapsScreen #caps-warning.-shown { display: block; }
    CapsScreen #caps-advice { display: none; height: auto; max-height: 6; color: $warning; margin-top: 1; }
    CapsScreen #caps-advice.-shown { display: block; }
    CapsScreen #caps-status { height: auto; margin-top: 1; }
    CapsScreen #caps-status.-error { color: $error; }
    CapsScreen #caps-buttons { height: 1; align-horizontal: right; margin-top: 1; }
    CapsScreen #caps-buttons Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="caps.save",
                tooltip="Write the changed keys to their config file(s), journaled old -> new"),
        Binding("escape", "cancel", "Cancel", id="caps.cancel", tooltip="Close without writing anything"),
    ]

    def __init__(self, root: Path, form: CapsForm, *, balance: float | None = None,
                 traded: Iterable[str] = ()) -> None:
        """`balance` and `traded`: the account's balance and the symbols its bot trades, from the
        console's last snapshot (None: no state yet), for the warnings."""
        super().__init__()
        self.root = root
        self.form = form
        self.balance = balance
        self.traded = frozenset(traded)
        self.saving = False
        self.saved: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="caps-box") as box:
            box.border_title = "Edit caps"
            box.border_subtitle = "ctrl+s saves · esc cancels · empty = unset"
            warnings = self.form.warnings()
            yield Static(lines(styled(f"⚠ {w}", WARN) for w in warnings), id="caps-warning",
                         classes="-shown" if warnings else "")
            with VerticalScroll():
                for kind in ("overlay", "policy"):
                    yield Static(SECTIONS[kind] + "  " + styled(self.form.files[kind].rel, MUTED),
                                 classes="caps-section")
                    for cap in self.form.fields:
                        if cap.kind == kind:
                            yield CapRow(cap)
            advice = self.advice_text()
            yield Static(advice, id="caps-advice", classes="-shown" if advice else "")
            yield Static(self.status_text(), id="caps-status")
            with Horizontal(id="caps-buttons"):
                yield Button("Save (ctrl+s)", id="caps-save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="caps-cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False  # Tab moves between the fields only
        if self.app.animation_level == "none":  # reduced motion (and fixed snapshots): a steady cursor
            for field in self.query(Input):
                field.cursor_blink = False
        self.query_one(Input).focus()

    # --- state of the form -------------------------------------------------------------------------

    def texts(self) -> dict[str, str]:
        return {row.cap.key: row.query_one(Input).value for row in self.query(CapRow)}

    def problems(self) -> list[str]:
        return [reason for row in self.query(CapRow)
                if (reason := check(row.cap.field, row.query_one(Input).value)) is not None]

    def advice_text(self) -> Any:
        """The warnings for the values as typed ("" for none): engine/advice.py's, as the CLI prints."""
        texts = {cap.key: cap.text for cap in self.form.fields} if not self.is_mounted else self.texts()
        found = advice_for(self.form, texts, self.balance, self.traded)
        if not found:
            return ""
        return lines(styled(f"! {line}", WARN) for line in advice_lines(found))

    def status_text(self) -> str:
        problems = self.problems()
        if problems:
            n = len(problems)
            return styled(f"{n} field{'s are' if n != 1 else ' is'} invalid: fix {'them' if n != 1 else 'it'} "
                          f"to save ({problems[0]})", "loss")
        try:
            changes = changed_values(self.form, self.texts())
        except ValueError:
            changes = {}
        keys = [k for c in changes.values() for k in c]
        if not keys:
            return styled("no changes yet", MUTED)
        return styled(f"{len(keys)} change{'s' if len(keys) != 1 else ''} to save: {', '.join(keys)}", WARN)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        row = next((r for r in event.input.ancestors if isinstance(r, CapRow)), None)
        if row is not None:
            row.show(event.value)
        advice = self.query_one("#caps-advice", Static)
        text = self.advice_text()
        advice.set_class(bool(text), "-shown")
        advice.update(text)
        self._set_status(self.status_text())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#caps-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    # --- save / cancel -----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "caps-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(self.saved or None)

    def action_save(self) -> None:
        if self.saving:
            return
        problems = self.problems()
        if problems:
            n = len(problems)
            self._set_status(styled(f"not saved: {n} field{'s are' if n != 1 else ' is'} invalid; "
                                    + "; ".join(problems), "loss"), error=True)
            for row in self.query(CapRow):
                if row.has_class("-invalid"):
                    row.query_one(Input).focus()
                    break
            return
        changes = changed_values(self.form, self.texts())
        if not changes:
            self.app.notify("no cap changed; nothing was written", title="Edit caps")
            self.dismiss(None)
            return
        self.saving = True
        self._set_status(styled("saving...", MUTED))
        self._save(changes)

    @work(thread=True, exclusive=True, group="save-caps", exit_on_error=False)
    def _save(self, changes: dict[str, dict[str, Any]]) -> None:
        saved, error = save_caps(self.root, changes)
        self.post_message(CapsSaved(saved) if error is None else CapsSaveFailed(error, saved))

    def on_caps_saved(self, message: CapsSaved) -> None:
        message.stop()
        self.saving = False
        self.dismiss(message.changes)

    def on_caps_save_failed(self, message: CapsSaveFailed) -> None:
        message.stop()
        self.saving = False
        self.saved.update(message.saved)
        done = "; ".join(f"{k} saved" for k in message.saved)
        self._set_status(styled(f"not saved: {message.text}" + (f" ({done})" if done else ""), "loss"),
                         error=True)
        self.app.notify(message.text, title="Edit caps: not saved", severity="error", timeout=15)
