"""Messages that carry background work to the UI thread: a new snapshot or why there is none, what
the operator actions (resets, cap saves, harness runs, sweeps) did off the UI thread, and the reports
read off it (a trade's story, the daily table, two runs to compare, a sweep's results)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..engine.ledger import DayRow
from .caps import CapsForm
from .compare import RunSide
from .harness_job import Outcome
from .history import StoryLine
from .reset import ResetPlan
from .runs import RunResult
from .snapshot import Snapshot
from .sweeps import GridCheck, SweepResult


class SnapshotLoaded(Message):
    """A fresh read of the root, ready to render (built off the UI thread)."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


@dataclass(frozen=True, slots=True)
class Problem:
    """A read that failed: the message names the file and what is wrong with it."""

    message: str
    kind: str = "error"  # "config", "state" or "error"


class LoadFailed(Message):
    """A read failed (missing, half-written or corrupt file); the last good view stays up."""

    def __init__(self, problem: Problem) -> None:
        super().__init__()
        self.problem = problem


# --- operator actions: work done off the UI thread reports back with these ------------------------

class ActionFailed(Message):
    """An operator action could not be done; `text` is one line saying why (shown as an error toast)."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title = title
        self.text = text


class ActionDone(Message):
    """An operator action was booked: a toast says what it did (tc1console.words' sentence)."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title = title
        self.text = text


class ParityChecked(Message):
    """`tc1 parity` ran in a worker: its report in words, and whether it found no difference."""

    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text = text
        self.ok = ok


class ResetPlanned(Message):
    """The day buckets a reset would clear were read: ask for confirmation (a `reset.ResetPlan`), or
    with `refresh`, count them again in the confirmation already up."""

    def __init__(self, plan: ResetPlan, *, refresh: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.refresh = refresh


class ResetDone(Message):
    """`LiveRisk.reset` returned: what it cleared ({"days": {key: {entries, pnl}}, ...})."""

    def __init__(self, plan: ResetPlan, cleared: dict) -> None:
        super().__init__()
        self.plan = plan
        self.cleared = cleared


class CapsSaved(Message):
    """`Store.save_config` returned for each changed file: {kind: {key: [old, new]}}."""

    def __init__(self, changes: dict) -> None:
        super().__init__()
        self.changes = changes


class CapsSaveFailed(Message):
    """A save was refused or failed; `saved` holds what was written before (a two-file save)."""

    def __init__(self, text: str, saved: dict) -> None:
        super().__init__()
        self.text = text
        self.saved = saved


class FormChecked(Message):
    """The harness form's fields were checked off the UI thread: what is wrong, by input id ({} = ready),
    and what will run when that is not just the file typed ("live trades of the last 7 days: 42 trades")."""

    def __init__(self, values: dict[str, str], problems: dict[str, str], note: str = "") -> None:
        super().__init__()
        self.values = values
        self.problems = problems
        self.note = note


class HarnessProgress(Message):
    """The harness child reported progress (row-steps done of total); a sweep child too (configs)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class HarnessFinished(Message):
    """The harness child exited: a `harness_job.Outcome`, and the run read back when it finished."""

    def __init__(self, outcome: Outcome, result: RunResult | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.result = result


class RunLoaded(Message):
    """A finished run was read back (a `runs.RunResult`), or could not be (`error`)."""

    def __init__(self, result: RunResult | None = None, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


class PairLoaded(Message):
    """Two finished runs were read back for a comparison (`compare.RunSide` each), or not (`error`)."""

    def __init__(self, first: RunSide | None = None, second: RunSide | None = None, error: str = "") -> None:
        super().__init__()
        self.first = first
        self.second = second
        self.error = error


class StoryLoaded(Message):
    """A trade's journal entries, told (`history.StoryLine`s), or why they could not be read."""

    def __init__(self, lines: list[StoryLine], error: str = "") -> None:
        super().__init__()
        self.lines = lines
        self.error = error


class DailyLoaded(Message):
    """The daily table's rows (`ledger.DayRow`, oldest first), or why they could not be read."""

    def __init__(self, rows: list[DayRow], error: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.error = error


class SweepChecked(Message):
    """The sweep form was checked off the UI thread (`sweeps.GridCheck`), for the values typed."""

    def __init__(self, values: dict[str, str], check: GridCheck) -> None:
        super().__init__()
        self.values = values
        self.check = check


class SweepFinished(Message):
    """The sweep child exited: a `harness_job.Outcome`, and the sweep read back when it finished."""

    def __init__(self, outcome: Outcome, result: SweepResult | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.result = result


class ApplyPlanned(Message):
    """The config files were read for a sweep row's apply: the changes and the confirmation's lines
    ({} changes: the files already hold the row's values), or why they could not be read (`error`)."""

    def __init__(self, rank: int, changes: dict, lines: list[tuple[str, str]], error: str = "") -> None:
        super().__init__()
        self.rank = rank
        self.changes = changes
        self.lines = lines
        self.error = error


class SweepOpened(Message):
    """The sweep form's inputs, read off the UI thread: the config files (`caps.CapsForm`) and the
    trades CSV the harness launcher used last ("" when none)."""

    def __init__(self, form: CapsForm, last_trades: str) -> None:
        super().__init__()
        self.form = form
        self.last_trades = last_trades
