"""One live API call in a brand-new process, for the harness/live parity test (not a test module).

    python parity_child.py ROOT '{"op": "try_open" | "close", ...keyword arguments}'

prints `{"pid": ..., "result": {...}}` as one JSON line: the call's result dict, and the pid that
shows the call really ran in a process of its own.
"""

import json
import os
import sys

from tc1console.engine.live import LiveRisk


def main() -> None:
    root, event = sys.argv[1], json.loads(sys.argv[2])
    op = event.pop("op")
    live = LiveRisk(root)
    result = live.try_open(**event) if op == "try_open" else live.close(**event)
    print(json.dumps({"pid": os.getpid(), "result": result}), flush=True)


if __name__ == "__main__":
    main()
