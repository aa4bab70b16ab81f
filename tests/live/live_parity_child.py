"""One event in a brand-new process, for the restart parity test (not a test module).

    python live_parity_child.py ROOT EVENT_JSON    -> prints the result as one JSON line
"""

import json
import sys

from live_tools import apply_event
from tc1console.engine.live import LiveRisk

if __name__ == "__main__":
    print(json.dumps(apply_event(LiveRisk(sys.argv[1]), json.loads(sys.argv[2]))), flush=True)
