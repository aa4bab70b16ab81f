"""tests/faults/ shares the helpers of tests/live/ (live_tools, live_bot_child) and tests/cli/
(cli_tools: `tc1` as a real process at the tests' fixed clock)."""

import sys
from pathlib import Path

for folder in ("live", "cli"):
    path = str(Path(__file__).resolve().parent.parent / folder)
    if path not in sys.path:
        sys.path.insert(0, path)
