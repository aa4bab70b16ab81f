"""Helpers for the console tests: a bounded wait for the UI to catch up, and what a panel shows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from textual.command import CommandPalette
from textual.widgets import OptionList

# The longest a test waits for the console to show a change: it takes ~0.1 s, up to ~5 s when the
# change lands while the watch starts (the watch's catch-up read), and a loaded CI box stretches
# that. Only a failing test ever waits this long.
WAIT_S = 30.0


async def wait_until(pilot, condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> float:
    """Let the app run until `condition()` holds; return how long it took. Fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.01)
    return time.monotonic() - start


def shown(widget) -> str:
    """The plain text a panel renders now."""
    return widget.render().plain


def toasts(app) -> list[str]:
    """Every notification the app has shown (run_test(notifications=True)), oldest first, including
    those that have expired from the screen since (a slow run must not miss one). The first call
    starts recording: make it as the test starts."""
    seen = getattr(app, "_test_toasts", None)
    if seen is None:
        seen = app._test_toasts = [n.message for n in app._notifications]
        notify = app.notify

        def recording(message, *args, **kwargs):
            seen.append(message)
            return notify(message, *args, **kwargs)

        app.notify = recording
    return list(seen)


def tree_bytes(root) -> dict[str, bytes]:
    """Every file under configs/ and runtime/ (the lock file aside), by relative path: for
    "nothing was written" checks, byte for byte."""
    out = {}
    for sub in ("configs", "runtime"):
        folder = root / sub
        if folder.exists():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and p.name != ".lock":
                    out[str(p.relative_to(root))] = p.read_bytes()
    return out


def showing(app, screen_type: type, selector: str) -> bool:
    """Is `screen_type` the active screen, composed down to `selector` and past its own on_mount (a
    screen is active before its widgets are mounted, and its widgets before its on_mount ran)?"""
    screen = app.screen
    return isinstance(screen, screen_type) and screen.is_mounted and bool(screen.query(selector))


async def run_from_palette(pilot, query: str) -> None:
    """Open the command palette, type `query`, and run the first hit once the palette lists it."""
    await pilot.press("ctrl+p")
    await pilot.press(*query)

    def listed() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, CommandPalette):
            return False
        options = screen.query_one(OptionList)
        return options.option_count > 0 and query.lower() in str(options.get_option_at_index(0).prompt).lower()

    await wait_until(pilot, listed, f"the palette to list {query!r}")
    await pilot.press("enter")


def write_long_csv(path: Path, rows: int) -> Path:
    """A trades CSV of `rows` SOLUSDT trades a minute apart, long enough to cancel a run mid-way."""
    t0 = 1_727_740_800
    lines = [f"SOLUSDT,{'long' if i % 3 else 'short'},{t0 + i * 60},{150 + i % 97 * 0.1:.2f},"
             f"{(148.5 if i % 3 else 151.5) + i % 97 * 0.1:.2f},{t0 + i * 60 + 30},{150.5 + i % 89 * 0.1:.2f}"
             for i in range(rows)]
    path.write_text("symbol,side,timestamp,entry_price,sl_price,exit_time,exit_price\n" + "\n".join(lines) + "\n")
    return path
