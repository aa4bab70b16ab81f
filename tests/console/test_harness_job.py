"""The console's child jobs (console/harness_job.py): a cancelled child that ignores SIGTERM is killed
with every process it started (docs/console.md section 2.5.1), so no sweep worker outlives it."""

from __future__ import annotations

import os
import select
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tc1console.console.harness_job import HarnessJob

# Ignores SIGTERM, forks a grandchild that ignores it too (as a stuck worker would), says its pid.
STUCK = """
import os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    while True:
        signal.pause()
print(pid, flush=True)
while True:
    signal.pause()
"""


@dataclass(frozen=True)
class StuckRequest:
    out_dir: Path

    def command(self) -> list[str]:
        return [sys.executable, "-c", STUCK]


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="waiting on another process's exit needs pidfd_open (Linux)")
def test_a_cancelled_child_that_ignores_sigterm_is_killed_with_its_workers(tmp_path: Path) -> None:
    job = HarnessJob(StuckRequest(tmp_path), kill_after_s=0.2)
    job.start()
    assert job.proc is not None and job.proc.stdout is not None
    worker = int(job.proc.stdout.readline())
    pidfd = os.pidfd_open(worker)
    try:
        job.cancel()
        outcome = job.wait()
        assert outcome.status == "cancelled"
        gone, _, _ = select.select([pidfd], [], [], 60)  # readable once the worker has exited
        assert gone, "the child's worker outlived the kill"
    finally:
        os.close(pidfd)
        try:
            os.kill(worker, signal.SIGKILL)
        except ProcessLookupError:
            pass
