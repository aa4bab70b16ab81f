"""`tc1 console`: the Textual app that shows a root's runtime/ and configs/ live, and `run_console`.

Data flows one way. A worker watches the folders (watchfiles, no polling loop); on each change it
reads and computes a frozen `Snapshot` in a thread and posts it in a message; the UI thread renders
it, each panel repainting only what changed. A read that fails (a missing, half-written or corrupt
file) posts the problem instead: the last good view stays up under a banner naming the file.

The operator actions (bindings.ACTIONS) write only through the store, off the UI thread: a reset
asks for confirmation (ConfirmScreen) then calls `LiveRisk.reset`; the cap editor (CapsScreen)
calls `Store.save_config`; the harness launcher (HarnessScreen) runs the harness in a child process,
and the sweep screen (SweepScreen) a config sweep, whose chosen row it saves as the cap editor does.
Each reports back in a message and ends in a toast; a failure is an error toast, never a crash.

The reports only read: trade history (HistoryScreen, from the snapshot, and a trade's journal story
read off the UI thread), the daily table (DailyScreen) and two harness runs side by side
(CompareScreen, from the launcher's run list). A screen over the dashboard that shows live state
(a LiveScreen) is handed every new snapshot. When only the bot's marks changed, the last snapshot is
marked again without reading the state.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from textual import work
from textual.app import App
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import Screen

from .. import words
from ..engine import config as cfg
from ..engine.advice import traded_symbols
from ..engine.core import Position
from ..engine.errors import ConfigError, InputError, StateError, Tc1Error
from ..engine.events import cleared_lines
from ..engine.live import LiveRisk
from ..engine.marks import read_marks
from ..engine.rails import day_key
from ..engine.store import Store, resolve_root
from . import format as fmt
from . import operator
from .bindings import ACTIONS, APP_BINDINGS, KEYMAP_ENV, parse_keymap
from .caps import describe_changes, read_caps
from .commands import ConsoleCommands
from .marks_view import with_marks
from .messages import (ActionDone, ActionFailed, LoadFailed, ParityChecked, Problem, ResetDone, ResetPlanned,
                       SnapshotLoaded, SweepOpened)
from .runs import read_console_state
from .reset import ResetPlan, confirm_lines, confirm_title, done_text, nothing_text, plan_reset
from .screens.caps_screen import CapsScreen
from .screens.confirm_screen import ConfirmScreen
from .screens.daily_screen import DailyScreen
from .screens.form_screen import FormField, FormScreen
from .screens.harness_screen import LAST_TRADES_KEY, HarnessScreen
from .screens.help_screen import HelpScreen, keys_of
from .screens.history_screen import HistoryScreen
from .screens.live_screen import LiveScreen
from .screens.main_screen import MainScreen
from .screens.sweep_screen import SweepScreen
from .snapshot import Snapshot, load_snapshot
from .widgets.positions_table import PositionsTable
from .watch import watch_root

Clock = Callable[[], int]
TICK_S = 1.0  # the age column, the clock and the rollover countdown; not a file poll
WATCH_RETRY_S = 2.0  # after the file watch itself failed (not a poll: the watch restarts)
# Keys that act on the dashboard: off while another screen (a form, the harness launcher) is up.
# Comparing runs also works from the harness launcher, where the runs are marked.
COMPARE = "compare_runs"
# The positions table's actions and the rail resets act on the dashboard's account too.
DASHBOARD_ACTIONS = frozenset({b.action for b in ACTIONS} | {"reload", "close_position", "cancel_position",
                                                             "reset_peak", "reset_streak"}) - {COMPARE}
BY = "console"  # who the journal says acted


def wall_clock() -> int:
    """Now, in epoch milliseconds (UTC)."""
    return time.time_ns() // 1_000_000


def problem_of(exc: BaseException, root: Path) -> Problem:
    """What went wrong, for the banner; paths inside the root are shown relative to it (the title has it)."""
    if isinstance(exc, Tc1Error):
        text = str(exc).replace(f"{root}{os.sep}", "")
        return Problem(text, "config" if isinstance(exc, ConfigError) else
                       "state" if isinstance(exc, StateError) else "error")
    return Problem(f"cannot read the state ({exc.__class__.__name__}: {exc})")


def root_label(root: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(root.relative_to(home)) if root != home else "~"
    except ValueError:
        return str(root)


class DemoBot:
    """The simulated bot of `tc1 console --demo`, in a thread that stops when the console quits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stop = threading.Event()
        self.error = ""
        self.thread = threading.Thread(target=self._run, name="tc1-demo-bot", daemon=True)

    def _run(self) -> None:
        from ..demo import run_demo

        try:
            run_demo(self.root, stop=self.stop, echo=None)
        except Exception as exc:  # noqa: BLE001 - shown in the console, which keeps running
            self.error = f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, Tc1Error) else str(exc)

    def start(self) -> None:
        self.thread.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


class Tc1ConsoleApp(App[int]):
    """Live panels over the runtime state of `root`.

    `clock` returns epoch ms (default: the wall clock); "today" is its UTC day. `watch=False` reads
    the files once at start-up on the UI thread and starts no worker: what snapshot tests and
    screenshots want (a fixed view, nothing running at capture).
    """

    CSS_PATH = "console.tcss"
    TITLE = "TC1 console"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    def __init__(self, root: str | os.PathLike[str], *, clock: Clock | None = None, watch: bool = True,
                 label: str | None = None, demo: DemoBot | None = None,
                 keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        if keymap:
            self.set_keymap(keymap)
        self.root = resolve_root(root)
        self.clock: Clock = clock or wall_clock
        self.watch_files = watch
        self.label = label if label is not None else root_label(self.root)
        self.demo = demo
        self.snapshot: Snapshot | None = None  # the last good read
        self.problem: Problem | None = None
        self.loads = 0  # good reads applied (tests wait on it)
        self.failures = 0  # failed reads reported
        self._stop = threading.Event()
        self._load_lock = asyncio.Lock()
        self._rollover_for = ""
        self._problem_since = ""
        self._demo_error_shown = False
        self._live: LiveRisk | None = None
        self._posted: Snapshot | None = None  # the last good read's snapshot, None after a failed read
        self._queued: Snapshot | None = None  # the newest snapshot posted and not shown yet
        # The reset confirmation up now and the plan it shows: read again on each new snapshot, so
        # what it counts is what is there when the operator confirms (docs/live.md section 6, resets).
        self._reset_asking: tuple[ConfirmScreen, ResetPlan] | None = None

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="main")

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    # --- life cycle --------------------------------------------------------------------------------

    def on_main_screen_ready(self, _message: MainScreen.Ready) -> None:
        self.main.set_root_label(self.label)
        if self.demo is not None:
            self.main.set_mode("demo bot trading")
        self.main.tick(self.clock())
        self.set_interval(TICK_S, self._tick, name="tick")
        if self.watch_files:
            self._watch()
        else:
            self._load_now()

    def on_unmount(self) -> None:
        self._stop.set()  # ends the watch within one step, even before the worker is cancelled

    async def action_quit(self) -> None:
        self._stop.set()
        self.exit(0)

    # --- reading -----------------------------------------------------------------------------------

    @work(exclusive=True, group="watch", name="watch runtime/ and configs/", exit_on_error=False)
    async def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                async for wake in watch_root(self.root, self._stop):
                    await (self._remark() if wake.marks_only else self._reload())
                return
            except Exception as exc:  # noqa: BLE001 - the console stays up; the banner says what stopped
                self.post_message(LoadFailed(Problem(
                    f"watching runtime/ and configs/ failed ({exc.__class__.__name__}: {exc}); "
                    f"trying again in {WATCH_RETRY_S:.0f}s (r reads the files now)")))
                await asyncio.sleep(WATCH_RETRY_S)

    async def _reload(self) -> None:
        """Read and compute in a thread, post the result; reads never overlap or land out of order."""
        async with self._load_lock:
            now = self.clock()
            try:
                snap = await asyncio.to_thread(load_snapshot, self.root, now)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a banner, never a crash
                self._posted = None
                self.post_message(LoadFailed(problem_of(exc, self.root)))
            else:
                self._post(snap)

    async def _remark(self) -> None:
        """Only the marks changed: the last snapshot posted, at the new marks (no state read)."""
        async with self._load_lock:
            base = self._posted
            if base is not None:
                self._post(await asyncio.to_thread(lambda: with_marks(base, read_marks(self.root))))
                return
        await self._reload()  # nothing read yet, or the last read failed: a full read says why

    def _post(self, snap: Snapshot) -> None:
        self._posted = self._queued = snap
        self.post_message(SnapshotLoaded(snap))

    def _load_now(self) -> None:
        try:
            snap = load_snapshot(self.root, self.clock())
        except Exception as exc:  # noqa: BLE001
            self._show_problem(problem_of(exc, self.root))
        else:
            self._posted = snap
            self._show(snap)

    def action_reload(self) -> None:
        """Read the files again now."""
        if self.watch_files:
            self.run_worker(self._reload(), group="reload", name="reload")
        else:
            self._load_now()

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        if self._queued is not None and message.snapshot is not self._queued:
            return  # a newer one is already on its way (marks ten times a second can outrun a busy UI)
        if message.snapshot is self._queued:
            self._queued = None
        if not self.screen_stack:
            return  # the app is closing: a read that finished meanwhile has no panels to go to
        try:
            self._show(message.snapshot)
        except NoMatches:
            return  # closing, the panels already gone

    def on_load_failed(self, message: LoadFailed) -> None:
        if not self.screen_stack:
            return  # the app is closing
        try:
            self._show_problem(message.problem)
        except NoMatches:
            return  # closing, the panels already gone

    def _show(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.loads += 1
        with self.batch_update():
            self.main.show_snapshot(snap, self.clock())
            if snap.config_problem:
                # The state is shown (read with the config the journal last recorded); the banner
                # names the bad file, and the running bot keeps its last good config too.
                self._show_problem(problem_of(ConfigError(
                    f"{snap.config_problem} (showing the config the journal last recorded)"), self.root))
            elif self.problem is not None:
                self.problem = None
                self.main.show_problem(None)
            for screen in self.screen_stack[1:]:
                if isinstance(screen, LiveScreen) and screen.is_mounted:
                    screen.follow(snap)
        if self._reset_asking is not None:
            self._replan_reset(self._reset_asking[1].scope)

    def _show_problem(self, problem: Problem) -> None:
        self.failures += 1
        if problem == self.problem:
            return
        if self.problem is None:  # the time it went wrong, kept while the message changes
            self._problem_since = time.strftime("%H:%M:%S", time.gmtime(self.clock() / 1000))
        self.problem = problem
        self.main.show_problem(problem, self._problem_since, has_view=self.snapshot is not None)

    # --- the 1 s tick --------------------------------------------------------------------------------

    def _tick(self) -> None:
        # The app is closing: the dashboard's panels, then its screens, go before its timers stop.
        if not self.screen_stack:
            return
        now = self.clock()
        try:
            self.main.tick(now)
        except NoMatches:
            return
        today = day_key(now)
        if self.snapshot is not None and self.snapshot.today != today and self._rollover_for != today:
            self._rollover_for = today  # a new UTC day: today's counters start from zero
            self.action_reload()
        if self.demo is not None and self.demo.error and not self._demo_error_shown:
            self._demo_error_shown = True
            self.main.set_mode("demo bot stopped")
            self.notify(self.demo.error, title="demo bot stopped", severity="error", timeout=30)

    # --- which keys apply where ---------------------------------------------------------------------

    def on_dashboard(self, screen: Screen | None = None) -> bool:
        """Is the dashboard the screen in use (the command palette over it aside)?"""
        if screen is None:
            screens = [s for s in self.screen_stack if not isinstance(s, CommandPalette)]
            screen = screens[-1] if screens else None
        return isinstance(screen, MainScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in DASHBOARD_ACTIONS and not self.on_dashboard():
            return False  # hidden from the footer, and the key falls through to the screen
        if action == COMPARE:
            return self.on_dashboard()  # on the harness launcher its run list has the key
        return True

    def command_available(self, action: str, screen: Screen) -> bool:
        """For the command palette: does `action` apply on `screen` (where the palette was opened)?"""
        if action == COMPARE:
            return self.on_dashboard(screen) or isinstance(screen, HarnessScreen)
        return action not in DASHBOARD_ACTIONS or self.on_dashboard(screen)

    def run_command(self, action: str) -> None:
        """Run `action` as its key would (the command palette's hits call this)."""
        self.call_later(self.run_action, action)

    @property
    def live(self) -> LiveRisk:
        """The console's handle on runtime/ for its writes: the bot's own API and store, `by` console
        (created on first use, in a worker)."""
        if self._live is None:
            self._live = LiveRisk(self.root, check=False)
        return self._live

    @property
    def store(self) -> Store:
        return self.live.store

    def _after_write(self) -> None:
        """Show the result of the console's own write now when no watcher will report it."""
        if not self.watch_files:
            self.action_reload()

    def _error_text(self, exc: BaseException) -> str:
        return problem_of(exc, self.root).message

    def on_action_failed(self, message: ActionFailed) -> None:
        self.notify(message.text, title=message.title, severity="error", timeout=20, markup=False)

    # --- reset today's / all counters -------------------------------------------------------------

    def action_reset_today(self) -> None:
        """Ask to clear today's (UTC, by the console clock) counters."""
        self._plan_reset("today", day_key(self.clock()))

    def action_reset_all(self) -> None:
        """Ask to clear every day's counters."""
        self._plan_reset("all", day_key(self.clock()))

    @work(thread=True, exclusive=True, group="reset", exit_on_error=False)
    def _plan_reset(self, scope: str, today: str) -> None:
        try:
            plan = plan_reset(self.root, scope, today)
        except Exception as exc:  # noqa: BLE001 - a bad state file: say so, write nothing
            self.post_message(ActionFailed("Reset: not done", f"cannot read the counters: {self._error_text(exc)}"))
        else:
            self.post_message(ResetPlanned(plan))

    @work(thread=True, exclusive=True, group="reset-plan", exit_on_error=False)
    def _replan_reset(self, scope: str) -> None:
        """Count the buckets again for the confirmation that is up (a bot trades meanwhile)."""
        try:
            plan = plan_reset(self.root, scope, day_key(self.clock()))
        except Exception:  # noqa: BLE001 - the dialog keeps its last count; the dashboard shows the problem
            return
        self.post_message(ResetPlanned(plan, refresh=True))

    def on_reset_planned(self, message: ResetPlanned) -> None:
        plan = message.plan
        if message.refresh:
            asking = self._reset_asking
            if asking is not None and asking[0].is_mounted and asking[1].scope == plan.scope and asking[1] != plan:
                self._reset_asking = (asking[0], plan)
                asking[0].update_lines(confirm_lines(plan))
            return
        if not plan.days:
            self.notify(nothing_text(plan), title="Reset")
            return
        if not self.on_dashboard():
            return  # another screen opened while the counters were read: do not stack a question on it
        screen = ConfirmScreen(confirm_title(plan), confirm_lines(plan),
                               "Reset today" if plan.scope == "today" else "Reset all")

        def answered(confirmed: bool | None) -> None:
            asking, self._reset_asking = self._reset_asking, None
            shown = asking[1] if asking is not None and asking[0] is screen else plan
            if confirmed:
                self._reset(shown)  # the toast compares what it cleared with what the dialog showed last
            else:
                self.notify("reset cancelled; nothing was written", title="Reset")

        self._reset_asking = (screen, plan)
        self.push_screen(screen, answered)

    @work(thread=True, exclusive=True, group="reset", exit_on_error=False)
    def _reset(self, plan: ResetPlan) -> None:
        try:
            cleared = self.live.reset(plan.scope, today_key=plan.today, by="console")
        except Exception as exc:  # noqa: BLE001 - the lock timed out, a bad state file...: shown
            self.post_message(ActionFailed("Reset failed", self._error_text(exc)))
        else:
            self.post_message(ResetDone(plan, cleared))

    def on_reset_done(self, message: ResetDone) -> None:
        self.notify(done_text(message.plan, message.cleared), title="Reset")
        self._after_write()

    # --- operator actions: pause, cash flows, a position closed or cancelled by hand, rail resets --------
    # Each: a form (what to book), a confirmation with the numbers as last read, then one call of the
    # bot's own API in a worker; the toast is the sentence the matching `tc1` command prints.

    def action_pause(self) -> None:
        """Pause new entries (with a reason), or resume them when paused."""
        snap = self._read_for("Pause")
        if snap is None:
            return
        if snap.rails.word == "PAUSED":
            self._confirm_then(operator.resume_confirm(snap.rails), "Resume",
                               lambda: self.live.resume(by=BY), words.resume_done)
        else:
            self._form_then("Pause new entries", [], operator.pause_fields(), operator.pause_confirm, "Pause",
                            lambda v: self.live.pause(v["reason"], by=BY, ts_ms=self.clock()),
                            lambda d: words.pause_done(d, BY))

    def action_cash_flow(self) -> None:
        """Book a deposit, a withdrawal or a sync to the exchange's balance."""
        snap = self._read_for("Cash flow")
        if snap is None:
            return
        balance = snap.balance.balance

        def book(values: dict[str, Any]) -> dict[str, Any]:
            (kind, value), why = values["flow"], values["reason"]
            if kind == "set":
                done = self.live.set_balance(value, why, self.clock(), by=BY)
                if done is None:
                    raise InputError(f"the balance already is {fmt.money(value)}: nothing booked")
                return done
            return self.live.adjust_balance(value if kind == "deposit" else -value, why, self.clock(), by=BY)

        self._form_then("Book a cash flow", operator.flow_intro(balance), operator.flow_fields(),
                        lambda v: operator.flow_confirm(v, balance), "Cash flow", book, words.flow_done)

    def action_close_position(self) -> None:
        """Close the position under the cursor by hand, at a price."""
        picked = self._selected_position("Close")
        if picked is not None:
            pos, step = picked
            tid = pos.alloc.trade_id
            self._form_then("Close a position by hand", [(operator.position_line(pos, step), "bold")],
                            operator.close_fields(self._mark_of(tid)),
                            lambda v: operator.close_confirm(pos, v, step, self.clock()), "Close",
                            lambda v: self.live.close(tid, self.clock() if v["at"] is None else v["at"], v["price"],
                                                      by=BY, reason=v["reason"]),
                            words.close_done)

    def action_cancel_position(self) -> None:
        """Cancel the position under the cursor as an entry that never filled."""
        picked = self._selected_position("Cancel")
        if picked is not None:
            pos, step = picked
            tid = pos.alloc.trade_id
            self._form_then("Cancel an entry that never filled", [(operator.position_line(pos, step), "bold")],
                            operator.cancel_fields(), lambda v: operator.cancel_confirm(pos, v, step), "Cancel",
                            lambda v: self.live.cancel(tid, v["reason"], by=BY), words.cancel_done)

    def action_reset_peak(self) -> None:
        snap = self._read_for("Reset the peak")
        if snap is not None:
            self._confirm_then(operator.peak_confirm(snap.rails.peak, snap.balance.balance), "Reset",
                               lambda: self.live.reset(None, peak=True, by=BY),
                               lambda cleared: "; ".join(cleared_lines(cleared, None, snap.today)))

    def action_reset_streak(self) -> None:
        snap = self._read_for("Reset the loss streak")
        if snap is not None:
            self._confirm_then(operator.streak_confirm(snap.rails.streak, snap.rails.streak_until, self.clock()),
                               "Reset", lambda: self.live.reset(None, streak=True, by=BY),
                               lambda cleared: "; ".join(cleared_lines(cleared, None, snap.today)))

    def _read_for(self, title: str) -> Snapshot | None:
        if self.snapshot is None:
            self.notify("the state has not been read yet", title=title, severity="warning")
        return self.snapshot

    def _selected_position(self, title: str) -> tuple[Position, float] | None:
        """The open position under the positions table's cursor, and its symbol's qty step."""
        snap = self._read_for(title)
        tid = self.main.query_one(PositionsTable).selected_trade_id if snap is not None else None
        row = next((r for r in snap.positions if r.trade_id == tid), None) if snap is not None else None
        if row is None or row.position is None:
            self.notify("no open position is selected (the positions table's cursor picks one)", title=title,
                        severity="warning")
            return None
        return row.position, self._step(row.position.alloc.symbol)

    def _step(self, symbol: str) -> float:
        overlay = self.snapshot.overlay if self.snapshot is not None else None
        return overlay.rules_for(symbol).qty_step if overlay is not None else 0.001

    def _mark_of(self, trade_id: str) -> float | None:
        """The bot's last mark of the trade, the exit price the close form starts from (None: no marks)."""
        marks = self.snapshot.marks if self.snapshot is not None else None
        mark = marks.positions.get(trade_id) if marks is not None else None
        return None if mark is None else mark.price

    def _form_then(self, title: str, intro: list[tuple[str, str]], fields: list[FormField],
                   confirm: Callable[[dict[str, Any]], tuple[str, list[tuple[str, str]], str]], toast_title: str,
                   call: Callable[[dict[str, Any]], Any], done: Callable[[Any], str]) -> None:
        def filled(values: dict[str, Any] | None) -> None:
            if values is None:
                self.notify("cancelled; nothing was written", title=toast_title)
            else:
                self._confirm_then(confirm(values), toast_title, lambda: call(values), done)

        self.push_screen(FormScreen(title, intro, fields), filled)

    def _confirm_then(self, question: tuple[str, list[tuple[str, str]], str], toast_title: str,
                      call: Callable[[], Any], done: Callable[[Any], str]) -> None:
        title, body, label = question

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._act(toast_title, call, done)
            else:
                self.notify("cancelled; nothing was written", title=toast_title)

        self.push_screen(ConfirmScreen(title, body, label), answered)

    @work(thread=True, group="operator", exit_on_error=False)
    def _act(self, title: str, call: Callable[[], Any], done: Callable[[Any], str]) -> None:
        """One call of the bot's API, off the UI thread: the same locked, journaled transaction."""
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - refused (a withdrawal above the balance...) or failed
            self.post_message(ActionFailed(f"{title}: not done", self._error_text(exc)))
        else:
            self.post_message(ActionDone(title, done(result)))

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.text, title=message.title, timeout=12, markup=False)
        self._after_write()

    # --- edit caps ---------------------------------------------------------------------------------

    def action_edit_caps(self) -> None:
        """Open the cap editor on the root's two config files."""
        try:
            form = read_caps(self.root)
        except Exception as exc:  # noqa: BLE001 - a missing or unparsable config: say which
            self.notify(self._error_text(exc), title="Edit caps: cannot open", severity="error", timeout=20)
            return
        snap = self.snapshot  # the warnings weigh the caps against the balance and the symbols traded
        traded = traded_symbols((r.position for r in snap.positions if r.position is not None), snap.closes) if snap else ()
        balance = snap.balance.balance if snap is not None and not snap.fresh else None
        self.push_screen(CapsScreen(self.root, form, balance=balance, traded=traded), self.caps_saved)

    def caps_saved(self, saved: dict | None) -> None:
        """Say what a save through the cap editor's save wrote (its screen or a sweep's apply), and show it."""
        if not saved:
            return
        text = "\n".join(f"{cfg.STEMS[kind]}: {describe_changes(changes)}" for kind, changes in saved.items())
        self.notify(text, title="Caps saved (the bot uses them on its next call)", timeout=15)
        self._after_write()

    # --- harness -----------------------------------------------------------------------------------

    def action_harness(self) -> None:
        """Open the harness launcher (and the list of earlier runs)."""
        self.push_screen(HarnessScreen(self.root, self.clock))

    def action_compare_runs(self) -> None:
        """Compare the two runs marked in the harness launcher's list; from the dashboard, open the
        launcher on its list, to mark them."""
        screen = next((s for s in reversed(self.screen_stack) if not isinstance(s, CommandPalette)), None)
        if isinstance(screen, HarnessScreen):
            screen.action_compare()
        else:
            self.push_screen(HarnessScreen(self.root, self.clock, pick_runs=True))

    # --- sweeps --------------------------------------------------------------------------------------

    def action_sweep(self) -> None:
        """Open the sweep screen on the root's two config files (read off the UI thread)."""
        self._open_sweep()

    @work(thread=True, exclusive=True, group="sweep-open", exit_on_error=False)
    def _open_sweep(self) -> None:
        try:
            form = read_caps(self.root)
        except Exception as exc:  # noqa: BLE001 - a missing or unparsable config: say which
            self.post_message(ActionFailed("Sweep: cannot open", self._error_text(exc)))
            return
        last = read_console_state(self.root).get(LAST_TRADES_KEY)
        self.post_message(SweepOpened(form, last if isinstance(last, str) else ""))

    def on_sweep_opened(self, message: SweepOpened) -> None:
        if self.on_dashboard():  # not stacked on a screen opened meanwhile
            self.push_screen(SweepScreen(self.root, self.clock, message.form, message.last_trades))

    # --- parity --------------------------------------------------------------------------------------

    def action_parity(self) -> None:
        """Replay the journal and compare it to the bit (`tc1 parity`), off the UI thread."""
        self.notify("replaying runtime/journal.jsonl through the engine...", title="Parity", timeout=5)
        self._check_parity()

    @work(thread=True, exclusive=True, group="parity", exit_on_error=False)
    def _check_parity(self) -> None:
        from ..backtest.parity import check_journal, format_report

        try:
            report = check_journal(self.root)
        except Exception as exc:  # noqa: BLE001 - no journal, a line that is no entry: said, nothing written
            self.post_message(ActionFailed("Parity: not checked", self._error_text(exc)))
        else:
            self.post_message(ParityChecked(format_report(report), report.ok))

    def on_parity_checked(self, message: ParityChecked) -> None:
        self.notify(message.text, title="Parity: 0 differences" if message.ok else "Parity: a difference",
                    severity="information" if message.ok else "warning", timeout=60, markup=False)

    # --- history and daily ---------------------------------------------------------------------------

    def action_history(self) -> None:
        """The closed trades the state keeps; enter on one shows its journal story."""
        self.push_screen(HistoryScreen(self.root, day_key(self.clock())))

    def action_daily(self) -> None:
        """PnL by UTC day, from the journal."""
        self.push_screen(DailyScreen(self.root, day_key(self.clock())))

    # --- help ----------------------------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        shown = [(ab.binding, self.get_key_display(ab.binding)) for ab in self.screen.active_bindings.values()
                 if ab.binding.id is not None or ab.binding.action == "command_palette"]
        self.push_screen(HelpScreen(keys_of(shown)))


def run_console(root: str | os.PathLike[str] | None, *, demo: bool = False) -> int:
    """Run the console on `root` until the operator quits; with `demo`, a simulated bot trades into it."""
    path = resolve_root(root)
    keymap = parse_keymap(os.environ.get(KEYMAP_ENV, ""))
    bot = DemoBot(path) if demo else None
    if bot is not None:
        bot.start()
    try:
        app = Tc1ConsoleApp(path, demo=bot, keymap=keymap)
        result = app.run()
    finally:
        if bot is not None:
            bot.shutdown()
    return int(result or 0)
