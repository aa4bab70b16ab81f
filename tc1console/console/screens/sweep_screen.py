"""The sweep screen: a grid of caps built from the cap fields, run in a separate process, then ranked.

For each cap and rail of the cap editor a spec field: empty keeps the base config's value, `a,b,c`
or `start:stop:step` varies it (grid.py's own parser, checked as you type, the reason under the
field). Off the UI thread the whole form is checked as `tc1 sweep` checks it before anything runs:
the trades file, and every combination through the config loader; the status line says how many
configs the grid makes, or what is wrong, and Run waits until it is right. The sweep is a child
process (sweep_runner) read by a thread worker, with a progress bar, an ETA and a cancel key (the
sweep writes nothing then); a finished sweep opens in SweepResultScreen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Static

from ...backtest.grid import parse_axis
from ..caps import CAP_KEYS, SECTIONS, CapsForm, shown_value
from ..harness_job import Outcome
from ..messages import HarnessProgress, SweepChecked, SweepFinished
from ..runs import new_run_dir, remember, resolve, shown_path
from ..snapshot import GAIN, LOSS, MUTED, WARN
from ..sweeps import (SWEEPS_DIR, TRADES_ID, WORKERS_ID, GridCheck, SweepJob, SweepRequest, check_form,
                      load_sweep, parse_workers, spec_id, spec_problem)
from ..widgets.base import styled
from .harness_screen import LAST_TRADES_KEY
from .sweep_result_screen import SweepResultScreen

Clock = Callable[[], int]
SPEC_HINT = "a,b,c or start:stop:step"


class SweepRow(Vertical):
    """A label, the input and a hint on one line; below it, the reason when the text is invalid."""

    DEFAULT_CSS = """
    SweepRow { height: auto; }
    SweepRow > Horizontal { height: 1; }
    SweepRow Label { width: 30; }
    SweepRow Input { width: 24; }
    SweepRow.-wide Input { width: 1fr; max-width: 70; }
    SweepRow Input.-invalid { border: none; background: $error 30%; }
    SweepRow .sweep-hint { width: 1fr; padding-left: 2; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepRow .sweep-error { display: none; padding-left: 24; color: $error; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepRow.-invalid .sweep-error { display: block; }
    SweepRow.-invalid Label { color: $error; }
    """

    def __init__(self, input_id: str, label: str, value: str, hint: str, *, placeholder: str = "",
                 key: str | None = None, wide: bool = False) -> None:
        super().__init__(id=f"row-{input_id}", classes="-wide" if wide else "")
        self.input_id, self.label, self.value, self.base_hint = input_id, label, value, hint
        self.placeholder, self.key = placeholder, key

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label)
            yield Input(self.value, id=self.input_id, compact=True, placeholder=self.placeholder)
            yield Static(styled(self.base_hint, MUTED), classes="sweep-hint")
        yield Static("", classes="sweep-error")

    def show_error(self, text: str | None) -> None:
        self.set_class(bool(text), "-invalid")
        self.query_one(Input).set_class(bool(text), "-invalid")
        self.query_one(".sweep-error", Static).update(styled(text or ""))

    def show_spec(self, text: str) -> None:
        """A spec field as typed: its reason (grid.py's parser; pure, so here on the UI thread), or
        how many values it gives."""
        assert self.key is not None
        reason = spec_problem(self.key, text)
        self.show_error(reason)
        hint = self.query_one(".sweep-hint", Static)
        if reason is None and text.strip():
            values = parse_axis(f"{self.key}={text}").values
            shown = ", ".join(shown_value(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
            hint.update(styled(f"{len(values)} value{'s' if len(values) != 1 else ''}: {shown}", WARN))
        else:
            hint.update(styled(self.base_hint, MUTED))


class SweepScreen(Screen[None]):
    DEFAULT_CSS = """
    SweepScreen { layout: vertical; }
    SweepScreen #sweep-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepScreen #sweep-form { height: 1fr; }
    SweepScreen .sweep-section { margin-top: 1; text-style: bold; color: $text-accent; }
    SweepScreen #sweep-run-row { height: 1; margin-top: 1; }
    SweepScreen #sweep-run-row Button { margin-right: 2; }
    SweepScreen #sweep-status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    SweepScreen #sweep-status.-error { color: $error; }
    SweepScreen #sweep-progress { display: none; height: 1; }
    SweepScreen #sweep-progress.-running { display: block; }
    """

    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="sweep.run", tooltip="Start the sweep the fields describe"),
        Binding("escape,c", "cancel_run", "Cancel sweep", id="sweep.cancel", key_display="esc/c",
                tooltip="Stop the sweep: its workers stop and it writes no output"),
        Binding("escape", "back", "Back", id="sweep.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, root: Path, clock: Clock, form: CapsForm, last_trades: str = "") -> None:
        """`form` and `last_trades`: the root's two config files and the trades CSV the harness
        launcher used last, read off the UI thread before the screen opens (app.action_sweep)."""
        super().__init__()
        self.root = root
        self.clock = clock
        self.form = form
        self.last_trades = last_trades
        self.job: SweepJob | None = None
        self.out_created = False
        self.runs = 0  # finished sweeps of this screen (tests wait on it)
        self.progress_seen = 0
        self.last_outcome: Outcome | None = None
        self.check: GridCheck | None = None  # the last check of the fields as typed
        self.checked_values: dict[str, str] = {}
        self.checks = 0  # checks of the fields shown (tests and screenshots wait on it)

    # --- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(styled("Config sweep", bold=True) + styled(
            "  replay one trades CSV under a grid of caps, in a separate process; "
            "apply the row you pick", MUTED), id="sweep-title")
        with VerticalScroll(id="sweep-form", classes="panel") as form:
            form.border_title = "New sweep"
            form.border_subtitle = "empty = the base config's value"
            yield SweepRow(TRADES_ID, "Trades CSV", shown_path(self.last_trades, self.root) if self.last_trades
                           else "", "as for a harness run; parsed once for every config", wide=True)
            for kind in ("overlay", "policy"):
                yield Static(SECTIONS[kind] + "  " + styled(self.form.files[kind].rel, MUTED),
                             classes="sweep-section")
                for cap in self.form.fields:
                    if cap.kind == kind:
                        yield SweepRow(spec_id(cap.key), cap.key, "", SPEC_HINT,
                                       placeholder=f"base {shown_value(cap.current)}", key=cap.key)
            yield Static("Run", classes="sweep-section")
            yield SweepRow(WORKERS_ID, "Workers", "", "local processes; empty = one per core",
                           placeholder="one per core")
        with Horizontal(id="sweep-run-row"):
            yield Button("Run (ctrl+r)", id="sweep-run", variant="primary", compact=True)
            yield Static(styled("checking the fields...", MUTED), id="sweep-status")
        yield ProgressBar(id="sweep-progress", show_eta=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sweep-run", Button).can_focus = False
        if self.app.animation_level == "none":  # reduced motion (and fixed snapshots): a steady cursor
            for field in self.query(Input):
                field.cursor_blink = False
        self._focus_first_field()
        self.query_one("#sweep-run", Button).disabled = True
        self._check_form(self.values())

    # --- the fields --------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        return {row.input_id: row.query_one(Input).value.strip() for row in self.query(SweepRow)}

    @property
    def running(self) -> bool:
        return self.job is not None

    @property
    def ready(self) -> bool:
        return self.check is not None and self.check.ready and self.checked_values == self.values()

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        row = next((r for r in event.input.ancestors if isinstance(r, SweepRow)), None)
        if row is not None:
            if row.key is not None:
                row.show_spec(event.value)
            else:
                row.show_error(None)  # the reason was about the old text; the check says it again
        self.query_one("#sweep-run", Button).disabled = True  # until the new text is checked
        if not self.running:
            self._check_form(self.values())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == WORKERS_ID:
            self.action_run()
        else:
            self.focus_next(Input)

    @work(thread=True, exclusive=True, group="sweep-check", exit_on_error=False)
    def _check_form(self, values: dict[str, str]) -> None:
        self.post_message(SweepChecked(values, check_form(values, self.root, self.form)))

    def on_sweep_checked(self, message: SweepChecked) -> None:
        if self.running or message.values != self.values():
            return  # a sweep started, or the operator typed on: a newer check is on its way
        self.check, self.checked_values = message.check, message.values
        for row in self.query(SweepRow):
            if row.key is None:  # a spec's own reason is shown as it is typed
                row.show_error(message.check.problems.get(row.input_id))
        self.query_one("#sweep-run", Button).disabled = not message.check.ready
        self._status(self.status_text(message.check))
        self.checks += 1

    def status_text(self, check: GridCheck):
        size = check.size_text()
        if check.ready:
            return styled(size, WARN, bold=True) + styled("  ready: ctrl+r runs it", GAIN)
        problems = check.problems
        if not problems:
            return styled(size, MUTED)
        where, reason = next(iter(problems.items()))  # a spec's or the grid's reason names its key
        if where in (TRADES_ID, WORKERS_ID):
            reason = f"{'Trades CSV' if where == TRADES_ID else 'Workers'}: {reason}"
        return (styled(f"{size} · ", MUTED) if check.counts else "") + styled(f"not ready: {reason}", LOSS)

    def _status(self, text, *, error: bool = False) -> None:
        status = self.query_one("#sweep-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    # --- keys --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running
        if action in ("run", "back"):
            return not self.running
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sweep-run":
            self.action_run()

    # --- running -----------------------------------------------------------------------------------

    def request(self) -> SweepRequest | None:
        values = self.values()
        if not self.ready:
            return None
        assert self.check is not None
        files = self.form.files
        return SweepRequest(resolve(values[TRADES_ID], self.root), files["overlay"].path, files["policy"].path,
                            new_run_dir(self.root, self.clock(), SWEEPS_DIR), self.check.specs,
                            parse_workers(values[WORKERS_ID]))

    def action_run(self) -> None:
        if self.running:
            return
        request = self.request()
        if request is None:
            self._status(styled("not started: the fields are not checked yet, or something is wrong"
                                + (f" ({next(iter(self.check.problems.values()))})" if self.check and self.check.problems
                                   else ""), LOSS), error=True)
            return
        self.out_created = not request.out_dir.exists()
        self.job = SweepJob(request)
        self.progress_seen = 0
        self._set_running(True)
        assert self.check is not None
        self._status(styled(f"sweeping {self.check.size:,} configs -> {shown_path(request.out_dir, self.root)}"
                            "  (esc or c cancels)", WARN))
        self._run_job(self.job, self.out_created)

    def _set_running(self, running: bool) -> None:
        for widget in self.query(Input):
            widget.disabled = running
        self.query_one("#sweep-run", Button).disabled = running or not self.ready
        bar = self.query_one(ProgressBar)
        bar.set_class(running, "-running")
        if running:
            bar.update(total=None, progress=0)
            self.query_one("#sweep-form").focus()  # off the inputs: `c` cancels, it does not type
        else:
            self._focus_first_field()
        self.refresh_bindings()

    def _focus_first_field(self) -> None:
        """The trades CSV while it is empty (nothing runs without it), else the first key to vary."""
        trades = self.query_one(f"#{TRADES_ID}", Input)
        (trades if not trades.value.strip() else self.query_one(f"#{spec_id(CAP_KEYS[0][1])}", Input)).focus()

    def action_cancel_run(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._status(styled("cancelling: the workers stop; the sweep writes nothing...", WARN))

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _run_job(self, job: SweepJob, out_created: bool) -> None:
        """Start the child, relay its progress, and report how it ended (reading the sweep back if done)."""
        try:
            remember(self.root, **{LAST_TRADES_KEY: str(job.request.trades_csv)})
        except OSError:
            pass  # only a default for next time
        outcome, result = job.run_to_end(lambda done, total: self.post_message(HarnessProgress(done, total)),
                                         load_sweep, out_created)
        self.post_message(SweepFinished(outcome, result))

    def on_harness_progress(self, message: HarnessProgress) -> None:
        if self.job is not None:
            self.progress_seen += 1
            self.query_one(ProgressBar).update(total=max(1, message.total), progress=message.done)

    def on_sweep_finished(self, message: SweepFinished) -> None:
        outcome = message.outcome
        self.job = None
        self.last_outcome = outcome
        self.runs += 1
        self._set_running(False)
        if outcome.status == "done" and message.result is not None:
            self._status(styled(f"finished: {shown_path(message.result.path, self.root)}", GAIN))
            self.app.push_screen(SweepResultScreen(message.result, self.root))
        elif outcome.status == "cancelled":
            self._status(styled("cancelled: the sweep wrote nothing", WARN))
            self.app.notify("sweep cancelled; nothing was written", title="Sweep", severity="warning")
        else:
            text = outcome.text.replace(f"{self.root}/", "")
            self._status(styled(f"error: {text}", LOSS), error=True)
            self.app.notify(text, title="Sweep failed", severity="error", timeout=20)

    def on_unmount(self) -> None:
        if self.job is not None:  # the console is closing mid-sweep: stop the child, it writes nothing
            self.job.cancel()
