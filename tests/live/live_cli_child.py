"""`tc1` run as a real process that stops for good at a known instant, for the parent to SIGKILL it
there (not a test module).

    python live_cli_child.py POINT TC1_ARGS...

POINT is where it stops, printing {"ack": "stalled", "at": POINT} first:
- `lock`: just before it waits for the store's lock (the parent holds the lock: it waits there);
- `journal`: just before it appends its journal line (the commit point);
- `state1`: after the journal line, just before the first state file is written;
- `state2`: between the two state files;
- `none`: nowhere (a plain `tc1` run).
The stops wrap the functions the store calls (filelock's acquire, durable's writers), as
live_bot_child.py's --stall-at-write does.
"""

import json
import os
import sys
import threading


def stall(point):
    print(json.dumps({"ack": "stalled", "at": point}), flush=True)
    threading.Event().wait()


def install(point):
    from filelock import FileLock

    from tc1console.engine import store

    if point == "lock":
        real_acquire = FileLock.acquire

        def acquire(self, *args, **kwargs):
            if os.path.basename(self.lock_file) == store.LOCK_FILE:
                print(json.dumps({"ack": "stalled", "at": point}), flush=True)  # then waits: the parent holds it
            return real_acquire(self, *args, **kwargs)

        FileLock.acquire = acquire
    elif point == "journal":
        real_append = store.append_durably

        def append(*args, **kwargs):
            stall(point)
            return real_append(*args, **kwargs)

        store.append_durably = append
    elif point in ("state1", "state2"):
        real_write, seen = store.atomic_write, [0]

        def write(path, data):
            if os.path.basename(path) in (store.STATE_FILE, store.POLICY_FILE):
                seen[0] += 1
                if seen[0] == int(point[-1]):
                    stall(point)
            return real_write(path, data)

        store.atomic_write = write
    elif point != "none":
        sys.exit(f"unknown point {point!r}")


def main():
    point, args = sys.argv[1], sys.argv[2:]
    install(point)
    from tc1console.cli import main as tc1_main

    sys.exit(tc1_main(args))


if __name__ == "__main__":
    main()
