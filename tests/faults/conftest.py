"""tests/faults/ shares the helpers of tests/live/ (live_tools, live_bot_child), tests/cli/
(cli_tools: `tc1` as a real process at the tests' fixed clock) and tests/console/ (console_tools)."""

import os
import sys
from pathlib import Path

import pytest

for folder in ("live", "cli", "console"):
    path = str(Path(__file__).resolve().parent.parent / folder)
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def anyio_backend() -> str:
    """The Pilot test runs on asyncio (Textual's loop), as tests/console/ does."""
    return "asyncio"
