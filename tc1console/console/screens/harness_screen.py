"""The harness launcher: pick a trades CSV, configs and an output folder, run, watch, cancel; earlier runs.

The run itself is a child process (harness_runner) read by a thread worker, so a CPU-heavy replay
never competes with the UI for the GIL. Progress and the outcome arrive as messages; a finished
run opens in its own screen (RunScreen), and every finished run under runtime/runs/ is listed
below the form, newest first, to open again; two of them marked there (m) open side by side (v,
CompareScreen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, ProgressBar, Static

from ...engine import config as cfg
from ...engine.errors import ConfigError, Tc1Error
from ...backtest import SUMMARY
from ...backtest.reader import REQUIRED, TRADE_ID
from .. import format as fmt
from ..compare import load_side
from ..harness_job import HarnessJob, HarnessRequest, LiveWindow, Outcome
from ..live_input import LIVE_TRADES, PREFIX, count_live, live_days, no_trades, window_words
from ..messages import FormChecked, HarnessFinished, HarnessProgress, PairLoaded, RunLoaded
from ..runs import (list_runs, load_run, new_run_dir, read_console_state, remember, resolve,
                    run_label, shown_path)
from ..snapshot import GAIN, MUTED, WARN
from ..widgets.base import styled
from ..widgets.runs_table import RunsTable
from .compare_screen import CompareScreen
from .run_screen import RunScreen

Clock = Callable[[], int]
LAST_TRADES_KEY = "last_trades_csv"
FORM = (
    # input id, label, hint
    ("h-trades", "Trades", "columns: " + ", ".join(REQUIRED) + f" [, {TRADE_ID}]"),
    ("h-risk", "Risk config", "overlay: sizing, caps and market rules (.toml or .json)"),
    ("h-policy", "Policy config", "safety rails; empty = no rails"),
    ("h-out", "Output folder", "a new folder for the four outputs (a folder holding a finished run is refused)"),
)
LAST_FIELD = FORM[-1][0]  # enter here starts the run
READY = "ready: ctrl+r (or enter in the last field) starts the run"
LIVE_DEFAULT = "live:7"  # what ctrl+l puts in the trades field
LIVE_HINT = "live:N = the live trades of the last N days, exported from the journal into the output folder"


def form_problems(values: dict[str, str], root: Path) -> dict[str, str]:
    """What is wrong with each field of the form (by input id); {} when a run can start.

    Stats the paths typed, so the screen calls it off the UI thread as the operator types and once
    more when the run starts. Of a `live:N` in the trades field it checks N; whether the journal
    has trades in that window is `live_check`'s."""
    errors: dict[str, str] = {}
    for input_id, what, required in (("h-trades", "trades CSV", True), ("h-risk", "risk config", True),
                                     ("h-policy", "policy config", False)):
        text = values.get(input_id, "").strip()
        if not text:
            if required:
                errors[input_id] = f"a {what} is required"
            continue
        if input_id == "h-trades":
            try:
                days = live_days(text)
            except ValueError as exc:
                errors[input_id] = str(exc)
                continue
            if days is not None:
                continue
        path = resolve(text, root)
        if not path.is_file():
            errors[input_id] = f"{shown_path(path, root)}: {'not a file' if path.exists() else 'not found'}"
    out_text = values.get("h-out", "").strip()
    out = resolve(out_text, root) if out_text else None
    if out is None:
        errors["h-out"] = "an output folder is required"
    elif out.exists() and not out.is_dir():
        errors["h-out"] = f"{shown_path(out, root)}: exists and is not a folder"
    elif (out / SUMMARY).exists():
        errors["h-out"] = f"{shown_path(out, root)} already holds a finished run; pick a new folder"
    elif "h-trades" not in errors and live_days(values.get("h-trades", "")) is not None \
            and (out / LIVE_TRADES).exists():
        errors["h-out"] = f"{shown_path(out, root)} already holds a {LIVE_TRADES}; pick a new folder for the export"
    return errors


def live_check(values: dict[str, str], root: Path, now_ms: int) -> tuple[str | None, str]:
    """For a trades field holding a valid `live:N`: (what is wrong, what will run), e.g. (None,
    "live trades of the last 7 days: 42 trades"), or (why not, "") for a window without trades or
    an unreadable journal; (None, "") for a path. Reads the journal: off the UI thread."""
    try:
        days = live_days(values.get("h-trades", ""))
    except ValueError:
        return None, ""  # form_problems says why
    if days is None:
        return None, ""
    try:
        n = count_live(root, days, now_ms)
    except Tc1Error as exc:
        return " ".join(str(exc).replace(f"{root}/", "").split()), ""
    if n == 0:
        return no_trades(days), ""
    return None, f"{window_words(days)}: {n:,} trade{'s' if n != 1 else ''}"


class FormRow(Vertical):
    """A label and its input on one line; below, what the field wants, or why it is wrong."""

    DEFAULT_CSS = """
    FormRow { height: auto; }
    FormRow > Horizontal { height: 1; }
    FormRow Label { width: 16; }
    FormRow Input { width: 1fr; max-width: 90; }
    FormRow .form-hint { padding-left: 16; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    FormRow .form-error { display: none; padding-left: 16; color: $error; }
    FormRow.-invalid .form-error { display: block; }
    FormRow.-invalid .form-hint { display: none; }
    FormRow.-invalid Label { color: $error; }
    """

    def __init__(self, input_id: str, label: str, hint: str, value: str) -> None:
        super().__init__(id=f"row-{input_id}")
        self.input_id, self.label, self.hint, self.value = input_id, label, hint, value
        self.shown_hint = hint

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label)
            yield Input(self.value, id=self.input_id, compact=True)
        yield Static(styled(self.shown_hint, MUTED), classes="form-hint")
        yield Static("", classes="form-error")

    def show_hint(self, text: str) -> None:
        self.query_one(".form-hint", Static).update(styled(text, MUTED))

    def show_error(self, text: str | None) -> None:
        self.set_class(bool(text), "-invalid")
        self.query_one(".form-error", Static).update(styled(text or ""))


class HarnessScreen(Screen[None]):
    DEFAULT_CSS = """
    HarnessScreen { layout: vertical; }
    HarnessScreen #harness-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    HarnessScreen #harness-form { height: auto; }
    HarnessScreen #harness-run-row { height: 1; margin-top: 1; }
    HarnessScreen #harness-run-row Button { margin-right: 2; }
    HarnessScreen #harness-status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    HarnessScreen #harness-status.-error { color: $error; }
    HarnessScreen #harness-progress { display: none; height: 1; margin-top: 1; }
    HarnessScreen #harness-progress.-running { display: block; }
    HarnessScreen #harness-runs { height: 1fr; min-height: 5; padding: 0 0 0 1; }
    """

    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="harness.run", tooltip="Start the run with the fields above"),
        Binding("ctrl+l", "live_trades", "Live trades", id="harness.live",
                tooltip="Re-run the live trades of the last N days (live:N in the trades field); again: back"),
        Binding("escape,c", "cancel_run", "Cancel run", id="harness.cancel", key_display="esc/c",
                tooltip="Stop the run: the harness deletes its partial outputs; no summary.json"),
        Binding("escape", "back", "Back", id="harness.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, root: Path, clock: Clock, *, pick_runs: bool = False) -> None:
        super().__init__()
        self.root = root
        self.clock = clock
        self.pick_runs = pick_runs  # opened to compare runs: start on the run list
        self.job: HarnessJob | None = None
        self.out_created = False
        self.run_count = 0  # finished runs of this screen (tests wait on it)
        self.progress_seen = 0  # progress reports of the current run
        self.last_outcome: Outcome | None = None
        self.ready: bool | None = None  # the last check of the fields as typed (None: not checked yet)
        self.checked_values: dict[str, str] = {}  # the field values that check was of
        self.checked_problems: dict[str, str] = {}  # and what it found wrong
        self.note = ""  # what it found will run, for live trades ("live trades of the last 7 days: 42 trades")
        self.csv_before_live = ""  # the trades field before ctrl+l put live:N in it (ctrl+l again restores it)
        self.checks = 0  # checks of the fields shown (tests and screenshots wait on it)

    # --- layout ------------------------------------------------------------------------------------

    def defaults(self) -> dict[str, str]:
        state = read_console_state(self.root)
        last = state.get(LAST_TRADES_KEY)
        values = {"h-trades": shown_path(last, self.root) if isinstance(last, str) else "",
                  "h-out": shown_path(new_run_dir(self.root, self.clock()), self.root)}
        for input_id, kind in (("h-risk", "overlay"), ("h-policy", "policy")):
            try:
                values[input_id] = shown_path(cfg.find_config(self.root, kind), self.root)
            except ConfigError:
                values[input_id] = ""
        return values

    def compose(self) -> ComposeResult:
        yield Static(styled("Harness run", bold=True) + styled(
            "  replay a trades CSV through the bot's own engine, in a separate process · "
            "paths are relative to the root", MUTED), id="harness-title")
        values = self.defaults()
        with Vertical(id="harness-form", classes="panel") as form:
            form.border_title = "New run"
            for input_id, label, hint in FORM:
                row = FormRow(input_id, label, hint, values.get(input_id, ""))
                if input_id == "h-trades" and row.value.lower().startswith(PREFIX):  # remembered from last time
                    row.shown_hint = LIVE_HINT
                yield row
            with Horizontal(id="harness-run-row"):
                yield Button("Run (ctrl+r)", id="harness-run", variant="primary", compact=True)
                yield Static(styled("checking the fields...", MUTED), id="harness-status")
            yield ProgressBar(id="harness-progress", show_eta=True)
        runs = RunsTable(id="harness-runs", classes="panel", cursor_type="row", zebra_stripes=False)
        runs.border_title = "Earlier runs"
        runs.border_subtitle = "enter opens a run"
        yield runs
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#harness-run", Button).can_focus = False
        table = self.query_one(DataTable)
        for label, key, width in (("run", "run", 17), ("trades CSV", "csv", 24), ("in", "in", 9),
                                  ("taken", "taken", 9), ("final balance", "final", 14),
                                  ("return", "ret", 9), ("max DD", "dd", 8), ("win rate", "win", 8)):
            table.add_column(label, key=key, width=width)
        self.refresh_runs()
        if self.app.animation_level == "none":  # reduced motion (and fixed snapshots): a steady cursor
            for field in self.query(Input):
                field.cursor_blink = False
        if self.pick_runs:
            self.query_one(RunsTable).focus()
            self._status(styled("compare: m marks two runs in the list below, v shows them side by side", WARN))
        else:
            self.query_one("#h-trades", Input).focus()
            self._check_form(self.values())

    def refresh_runs(self) -> None:
        table = self.query_one(RunsTable)
        table.clear()
        runs = list_runs(self.root)
        for info in runs:
            s = info.summary
            win = s.get("win_rate")
            table.add_run(str(info.path), info.name, run_label(s), f"{s.get('trades_in', 0):,}",
                          f"{s.get('trades_taken', 0):,}", fmt.money(s.get("final_balance")),
                          fmt.pct(s.get("return_pct"), signed=True), fmt.pct(s.get("max_drawdown_pct")),
                          "-" if win is None else f"{win * 100:.1f}%")
        table.forget_missing()
        table.border_subtitle = (f"{len(runs):,} in {shown_path(self.root / 'runtime' / 'runs', self.root)}/"
                                 " · enter opens · m marks, v compares two" if runs else "none yet")

    # --- keys ------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.job is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running
        if action in ("run", "back", "live_trades"):
            return not self.running
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_live_trades(self) -> None:
        """Put live:7 in the trades field (the live trades of the last 7 days), or back what was there."""
        field = self.query_one("#h-trades", Input)
        try:
            live = live_days(field.value)
        except ValueError:  # a live: with a bad N: make it a good one
            live = None
        if live is None:
            self.csv_before_live = field.value
            field.value = LIVE_DEFAULT
        else:
            field.value = self.csv_before_live
        field.focus()
        field.cursor_position = len(field.value)

    def action_cancel_run(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._status(styled("cancelling: the harness stops and deletes its partial outputs...", WARN))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # Enter in the last field runs; in another it moves on, so a half-filled form never starts
        # a long run by accident.
        if event.input.id == LAST_FIELD:
            self.action_run()
        else:
            self.focus_next(Input)

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        row = next((r for r in event.input.ancestors if isinstance(r, FormRow)), None)
        if row is not None:
            row.show_error(None)  # the red reason was about the old text
            if row.input_id == "h-trades":  # a path or live:N: the hint says which (no file read here)
                row.show_hint(LIVE_HINT if event.value.strip().lower().startswith(PREFIX) else row.hint)
        if not self.running:
            self._check_form(self.values())

    @work(thread=True, exclusive=True, group="harness-check", exit_on_error=False)
    def _check_form(self, values: dict[str, str]) -> None:
        problems = form_problems(values, self.root)
        note = ""
        if "h-trades" not in problems:
            live_problem, note = live_check(values, self.root, self.clock())
            if live_problem:
                problems["h-trades"] = live_problem
        ordered = {input_id: problems[input_id] for input_id, _label, _hint in FORM if input_id in problems}
        self.post_message(FormChecked(values, ordered, note))

    def on_form_checked(self, message: FormChecked) -> None:
        if self.running or message.values != self.values():
            return  # a run started, or the operator typed on: a newer check is on its way
        self.ready, self.checked_values = not message.problems, message.values
        self.checked_problems, self.note = message.problems, message.note
        if self.ready:
            self._status(styled(f"ready: {self.note} · ctrl+r starts the run" if self.note else READY, GAIN))
        else:
            input_id, problem = next(iter(message.problems.items()))
            label = next(label for i, label, _hint in FORM if i == input_id)
            self._status(styled(f"not ready: {label}: {problem}", MUTED))
        self.checks += 1

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "harness-run":
            self.action_run()

    @on(DataTable.RowSelected, "#harness-runs")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.open_run(Path(event.row_key.value))

    # --- starting a run ------------------------------------------------------------------------------

    def _value(self, input_id: str) -> str:
        return self.query_one(f"#{input_id}", Input).value.strip()

    def values(self) -> dict[str, str]:
        return {input_id: self._value(input_id) for input_id, _label, _hint in FORM}

    def request(self) -> HarnessRequest | None:
        """The request the form describes, or None after marking every field that is wrong."""
        values = self.values()
        errors = form_problems(values, self.root)
        live = live_days(values["h-trades"]) if "h-trades" not in errors else None
        if live is not None and values == self.checked_values and self.checked_problems.get("h-trades"):
            # The journal was read as the field was typed (never here, on the UI thread): no trades in
            # that window. When that check has not caught up yet, the run itself refuses such a window.
            errors = {**errors, "h-trades": self.checked_problems["h-trades"]}
        for row in self.query(FormRow):
            row.show_error(errors.get(row.input_id))
        if errors:
            return None
        policy = values["h-policy"]
        out = resolve(values["h-out"], self.root)
        return HarnessRequest(out / LIVE_TRADES if live is not None else resolve(values["h-trades"], self.root),
                              resolve(values["h-risk"], self.root), resolve(policy, self.root) if policy else None,
                              out, LiveWindow(self.root, live, self.clock()) if live is not None else None)

    def action_run(self) -> None:
        if self.running:
            return
        request = self.request()
        if request is None:
            self._status(styled("not started: fix the fields marked in red", "loss"), error=True)
            return
        live = request.live
        try:  # live:N is remembered as typed: next time, the same window back from then
            remember(self.root, **{LAST_TRADES_KEY: str(request.trades_csv) if live is None
                                   else f"{PREFIX}{live.days}"})
        except OSError as exc:  # only a default for next time: say so, and run anyway
            self.app.notify(f"could not remember the trades CSV: {exc}", severity="warning")
        self.out_created = not request.out_dir.exists()
        self.job = HarnessJob(request)
        self.progress_seen = 0
        self._set_running(True)
        what = request.trades_csv.name if live is None else (
            self.note if self.note and self.checked_values == self.values() else window_words(live.days))
        self._status(styled(f"running {what} -> {shown_path(request.out_dir, self.root)}"
                            "  (esc or c cancels)", WARN))
        self._run_job(self.job, self.out_created)

    def _set_running(self, running: bool) -> None:
        for widget in self.query(Input):
            widget.disabled = running
        self.query_one("#harness-run", Button).disabled = running
        bar = self.query_one(ProgressBar)
        bar.set_class(running, "-running")
        if running:
            bar.update(total=None, progress=0)
            self.query_one(DataTable).focus()  # off the inputs: `c` cancels, it does not type
        else:
            self.query_one("#h-trades", Input).focus()  # ready for the next run
        self.refresh_bindings()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#harness-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    @work(thread=True, exclusive=True, group="harness", exit_on_error=False)
    def _run_job(self, job: HarnessJob, out_created: bool) -> None:
        """Start the child, relay its progress, and report how it ended (reading the run back if done)."""
        outcome, result = job.run_to_end(lambda done, total: self.post_message(HarnessProgress(done, total)),
                                         load_run, out_created)
        self.post_message(HarnessFinished(outcome, result))

    def on_harness_progress(self, message: HarnessProgress) -> None:
        if self.job is not None:
            self.progress_seen += 1
            self.query_one(ProgressBar).update(total=max(1, message.total), progress=message.done)

    def on_harness_finished(self, message: HarnessFinished) -> None:
        outcome = message.outcome
        self.job = None
        self.last_outcome = outcome
        self.run_count += 1
        self._set_running(False)
        out = self.query_one("#h-out", Input)
        if outcome.status == "done" and message.result is not None:
            path = shown_path(message.result.path, self.root)
            self._status(styled(f"finished: {path}", "gain"))
            with out.prevent(Input.Changed):  # a default for the next run, not an edit: keep "finished"
                out.value = shown_path(new_run_dir(self.root, self.clock()), self.root)
            self.refresh_runs()
            # No toast: the result view says "finished" itself, and a toast would sit on its summary.
            self.app.push_screen(RunScreen(message.result, self.root, just_finished=True))
        elif outcome.status == "cancelled":
            self._status(styled("cancelled: no outputs were kept (no summary.json)", WARN))
            self.app.notify("harness run cancelled; no outputs were kept", title="Harness run",
                            severity="warning")
        else:
            text = outcome.text.replace(f"{self.root}/", "")
            self._status(styled(f"error: {text}", "loss"), error=True)
            self.app.notify(text, title="Harness run failed", severity="error", timeout=20)

    # --- earlier runs ------------------------------------------------------------------------------------

    def open_run(self, folder: Path) -> None:
        """Read a finished run off the UI thread and show it."""
        self._load_run(Path(folder))

    @work(thread=True, exclusive=True, group="open-run", exit_on_error=False)
    def _load_run(self, folder: Path) -> None:
        try:
            self.post_message(RunLoaded(load_run(folder)))
        except (OSError, ValueError) as exc:
            self.post_message(RunLoaded(error=f"cannot open {shown_path(folder, self.root)}: {exc}"))

    def on_run_loaded(self, message: RunLoaded) -> None:
        if message.result is None:
            self.app.notify(message.error, title="Harness run", severity="error")
            return
        self.app.push_screen(RunScreen(message.result, self.root))

    # --- two runs side by side ---------------------------------------------------------------------

    def action_compare(self) -> None:
        """Compare the marked runs (the palette's command; `v` on the run list does the same)."""
        self.query_one(RunsTable).action_compare()

    def on_runs_table_need_two(self, _message: RunsTable.NeedTwo) -> None:
        self.app.notify("mark two runs in the list with m (or one, with the cursor on the other), then v",
                        title="Compare runs", severity="warning")

    def on_runs_table_compare_requested(self, message: RunsTable.CompareRequested) -> None:
        self._load_pair(message.first, message.second)

    @work(thread=True, exclusive=True, group="open-run", exit_on_error=False)
    def _load_pair(self, first: Path, second: Path) -> None:
        try:
            self.post_message(PairLoaded(load_side(first), load_side(second)))
        except (OSError, ValueError) as exc:
            self.post_message(PairLoaded(error=f"cannot compare: {exc}"))

    def on_pair_loaded(self, message: PairLoaded) -> None:
        if message.first is None or message.second is None:
            self.app.notify(message.error, title="Compare runs", severity="error")
            return
        self.app.push_screen(CompareScreen(message.first, message.second, self.root))

    def on_unmount(self) -> None:
        if self.job is not None:  # the console is closing mid-run: stop the child, it cleans up
            self.job.cancel()
