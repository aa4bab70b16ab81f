"""Helpers for the command-line tests: real `python -m tc1console` processes on real roots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tc1console.console.fixtures import FIXED_NOW_MS
from tc1console.engine import config

# The clock every `tc1` process of these tests runs at ($TC1_NOW_MS), read by the test too: one
# clock, so "today" is the same day on both sides whatever the hour the suite runs.
NOW_MS = FIXED_NOW_MS  # 2024-11-19 14:30:00 UTC


def make_root(path: Path, policy: dict | None = None) -> Path:
    (path / "configs").mkdir(parents=True, exist_ok=True)
    for kind, stem in config.STEMS.items():
        text = config.default_text(kind) if kind == "overlay" or policy is None else config.dump_toml(kind, policy)
        (path / "configs" / f"{stem}.toml").write_text(text)
    return path


def tc1(*args: str, root: Path | None = None, env: dict | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m tc1console ARGS` at the tests' clock (NOW_MS, unless `env` sets TC1_NOW_MS)."""
    argv = [sys.executable, "-m", "tc1console", *args]
    if root is not None:
        argv += ["--root", str(root)]
    full_env = {k: v for k, v in os.environ.items() if k != "TC1_ROOT"}
    full_env["TC1_NOW_MS"] = str(NOW_MS)
    full_env.update(env or {})
    return subprocess.run(argv, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """docs/console.md: errors are one clear line on stderr and a non-zero exit, never a traceback."""
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tc1: error: ") and "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
