"""tests/faults/ shares the reliability helpers of tests/live/ (live_tools, live_bot_child)."""

import sys
from pathlib import Path

LIVE = str(Path(__file__).resolve().parent.parent / "live")
if LIVE not in sys.path:
    sys.path.insert(0, LIVE)
