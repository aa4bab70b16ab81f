"""Durable file writes, and signal handlers held back while a commit runs: the store's lowest layer.

A commit must be all or nothing as the caller sees it. Two things can break that: a write that
fails half way (a full disk, a file-size limit, too many open files, a short write), and an
exception raised by the caller's own signal handler (a watchdog's SIGALRM, Ctrl-C) at any bytecode
of the commit, cleanup code included. The first is handled by cutting the journal back to where
it was; the second by `HeldSignals`, which keeps Python-level handlers from running inside the
commit and runs them right after it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Callable


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may be short: a signal, a pipe, a quota)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never for a regular file, but a loop must not spin on it
            raise OSError(f"write returned {written}")
        view = view[written:]


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash at any instant leaves the old or the new file, whole.

    On a failure the temporary file is removed (best effort) and the OSError is raised.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def append_durably(path: Path, offset: int, data: bytes) -> None:
    """Append `data` to the file at `path` whose committed length is `offset`, and fsync it.

    Whatever lies past `offset` (a torn line a crash left) is cut off first. When the write or the
    fsync fails, the file is cut back to `offset` before the error is raised, so nothing of `data`
    can be read back as committed later. A file this call creates has its folder fsynced too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        try:
            if os.fstat(fd).st_size != offset:
                os.ftruncate(fd, offset)
            write_all(fd, data)
            os.fsync(fd)
            if offset == 0:
                fsync_dir(path.parent)  # the file itself was just created
        except BaseException:
            try:
                os.ftruncate(fd, offset)
                os.fsync(fd)
            except OSError:
                pass  # the torn tail has no newline-terminated line the load would take, or is cut next time
            raise
    finally:
        os.close(fd)


# Signals a handler may be set for but that are about faults in this very process: never held.
_NEVER_HELD = {getattr(signal, name) for name in ("SIGKILL", "SIGSTOP", "SIGSEGV", "SIGBUS", "SIGFPE",
                                                  "SIGILL", "SIGABRT", "SIGTRAP") if hasattr(signal, name)}
_SIGNALS = tuple(s for s in signal.valid_signals() if s not in _NEVER_HELD) if hasattr(
    signal, "valid_signals") else ()


class HeldSignals:
    """While active, Python-level signal handlers do not run; each signal that came meanwhile is
    raised again, in order, when it ends, so its handler runs then (and may raise then).

    Only the main thread runs Python signal handlers, so elsewhere this does nothing. The handlers
    are swapped for a recorder rather than the signals blocked: a signal sent to the process may
    be taken by any thread, and a handler already due would still run at the next bytecode.
    `release_for(seconds)` lets the handlers run during a wait (a lock held by another process),
    so a watchdog can still interrupt a call that is only waiting.
    """

    def __init__(self) -> None:
        self.active = False
        self.pending: list[int] = []
        self.saved: dict[int, Any] = {}

    def _record(self, signum: int, _frame: FrameType | None) -> None:
        self.pending.append(signum)

    def _hold(self) -> None:
        saved: dict[int, Any] = {}
        try:
            for sig in _SIGNALS:
                handler = signal.getsignal(sig)
                if callable(handler):
                    saved[sig] = handler
                    signal.signal(sig, self._record)
        finally:
            self.saved = saved  # whatever was swapped, even if a swap failed half way

    def _restore(self) -> None:
        saved, self.saved = list(self.saved.items()), {}
        try:
            _each_in_order(saved, lambda item: signal.signal(*item))
        finally:
            pending, self.pending = self.pending, []
            _each_in_order(pending, signal.raise_signal)

    def __enter__(self) -> "HeldSignals":
        self.active = threading.current_thread() is threading.main_thread() and bool(_SIGNALS)
        if self.active:
            try:
                self._hold()
            except BaseException:
                self._restore()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            self.active = False
            self._restore()

    def release_for(self, seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Wait `seconds` with the handlers in place (they may raise: then nothing is held)."""
        if not self.active:
            sleep(seconds)
            return
        self.active = False
        self._restore()
        sleep(seconds)
        self.active = True  # first: a swap that fails half way is still undone by __exit__
        self._hold()


def _each_in_order(items: list[Any], do: Callable[[Any], Any]) -> None:
    """do(item) for each item, the rest still done when one raises (a handler put back may run and
    raise at once; the exception comes out after the last item)."""
    if not items:
        return
    try:
        do(items[0])
    finally:
        _each_in_order(items[1:], do)
