"""Watch a root's runtime/ and configs/ folders for the files the console reads (watchfiles, no polling).

Folders, not files: a watch on a file dies at the first atomic replace, and a rename into place
arrives as "added". Only the state files, the journal, the marks and the two configs pass the filter (a
writer's `.risk_state.json.<pid>.tmp` and the lock file do not). A folder that does not exist yet
(a fresh root has no runtime/) is waited for by watching the nearest folder above it; when it
appears, or a watched folder goes away, the watch restarts on the new set of folders.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Protocol

from watchfiles import Change, awatch

from ..engine.marks import MARKS_FILE
from ..engine.store import JOURNAL_FILE, POLICY_FILE, STATE_FILE

RUNTIME_FILES = frozenset({STATE_FILE, POLICY_FILE, JOURNAL_FILE, MARKS_FILE})
CONFIG_FILE = re.compile(r"^risk_(overlay|policy)\.(toml|json)$")
RETRY_S = 0.5  # after a folder vanished between planning the watch and starting it
STEP_MS = 50  # how long the folder must stay quiet before a batch of changes is reported
DEBOUNCE_MS = 150  # the longest a busy writer can delay a report


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Wake:
    """Why the watcher woke the console: `start` (a (re)started watch: catch up) or `changed`."""

    reason: str
    paths: tuple[str, ...] = ()

    @property
    def marks_only(self) -> bool:
        """Only runtime/marks.json changed: the state need not be read again."""
        return self.reason == "changed" and all(Path(p).name == MARKS_FILE for p in self.paths)


def wanted(root: Path, path: Path) -> bool:
    """Is `path` one of the files the console reads (or a folder it is waiting for)?"""
    name, parent = path.name, path.parent
    if parent == root / "runtime":
        return name in RUNTIME_FILES
    if parent == root / "configs":
        return bool(CONFIG_FILE.match(name))
    # Folders on the way to runtime/ and configs/ (watched while one of them is missing), and the
    # watched folders themselves (their removal restarts the watch).
    return path in _chain(root) or path in (root / "runtime", root / "configs")


def _chain(root: Path) -> set[Path]:
    return {root, *root.parents}


def watch_plan(root: Path) -> tuple[list[Path], bool]:
    """The folders to watch now, and whether one is missing (so the plan must change when it appears)."""
    folders = [root / "runtime", root / "configs"]
    present = [f for f in folders if f.is_dir()]
    if len(present) == len(folders):
        return present, False
    anchor = root
    while not anchor.is_dir() and anchor != anchor.parent:
        anchor = anchor.parent
    return [*present, anchor], True


async def watch_root(root: Path, stop: StopFlag, *, step_ms: int = STEP_MS,
                     debounce_ms: int = DEBOUNCE_MS) -> AsyncIterator[Wake]:
    """Yield a Wake whenever a file the console reads changes, until `stop` is set.

    A `start` Wake comes first and after each restart of the watch, and once more when the new
    watch has been up for its first quiet period, so a change made while the watch was being set
    up is never missed. Cancelling the consumer (or setting `stop`) ends the watch within a step.
    """
    root = Path(root)

    def keep(change: Change, path: str) -> bool:
        return wanted(root, Path(path))

    while not stop.is_set():
        folders, incomplete = watch_plan(root)
        yield Wake("start")
        caught_up = False
        try:
            async for changes in awatch(*folders, watch_filter=keep, step=step_ms, debounce=debounce_ms,
                                        stop_event=stop, recursive=False, yield_on_timeout=True):
                if not changes:  # the watch has been up for a quiet period: one catch-up read
                    if not caught_up:
                        caught_up = True
                        yield Wake("start")
                    continue
                paths = tuple(sorted({p for _, p in changes}))
                files = tuple(p for p in paths if Path(p).parent in (root / "runtime", root / "configs"))
                if files:
                    yield Wake("changed", files)
                gone = any(not f.is_dir() for f in folders)
                if gone or (incomplete and watch_plan(root)[0] != folders):
                    break  # the set of folders to watch changed: restart the watch on the new set
        except FileNotFoundError:
            # A folder went away between planning the watch and starting it: plan again shortly.
            await asyncio.sleep(RETRY_S)
