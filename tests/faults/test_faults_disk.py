"""A full disk for real: the root on a small tmpfs, filled to the brim (issue 19: on a full disk,
calls raised a bare OSError after their journal line was committed). Every call is all or nothing
(docs/live.md): NotRecordedError and nothing kept, or its result and its journal line."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from faults_tools import check_invariants, finish, run_until_done, start_faulty_bot
from live_tools import make_root
from tc1console.engine.live import LiveRisk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs mounted for the test (root and CAP_SYS_ADMIN needed: skipped otherwise)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot run mount to make a small file system: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (root and CAP_SYS_ADMIN needed): {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def fill(path: Path) -> int:
    """Write `path` until the file system is full; its size."""
    chunk = b"\0" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                return os.fstat(fd).st_size
    finally:
        os.close(fd)


def test_a_full_disk_never_loses_or_doubles_a_call(small_disk: Path) -> None:
    root = make_root(small_disk / "root")
    LiveRisk(root)  # the first transaction (the adopted start and the configs), while there is room
    filler = small_disk / "filler"
    assert fill(filler) > 0
    proc = start_faulty_bot(root, 14, 5, "tmpfs", "--filler", str(filler))
    try:
        lines = run_until_done(proc)
        counts = check_invariants(root, lines)
    except BaseException:
        proc.kill()
        raise
    log = finish(proc)
    # Both sides of the commit point met the full disk: journal appends refused (NotRecordedError,
    # and nothing else came out), state-file writes after a durable line (logged, call returned).
    assert set(counts["raised"]) == {"NotRecordedError"}
    assert "state files not written" in log
    errors = [ln["error"] for ln in lines if "raised" in ln]
    assert all("safe to make it again" in e for e in errors), errors
