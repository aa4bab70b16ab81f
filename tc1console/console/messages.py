"""Messages that carry background work to the UI thread: a new snapshot, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from .snapshot import Snapshot


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
