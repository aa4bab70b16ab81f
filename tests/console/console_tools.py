"""Helpers for the console tests: a bounded wait for the UI to catch up, and what a panel shows."""

from __future__ import annotations

import time
from typing import Callable

WAIT_S = 10.0  # the longest any test waits for the console to show a change (it usually takes ~0.1 s)


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
