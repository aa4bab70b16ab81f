"""Fixtures for the console tests: real roots in tmp_path, built through the live API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tc1console.console.fixtures import (build_demo_live_run, build_demo_root, build_demo_run, build_demo_run_pair,
                                        write_default_configs)

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # for anything that starts a fresh interpreter


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (Textual's loop) through anyio's pytest plugin."""
    return "asyncio"


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    """The fixed demo state the snapshots and screenshots use."""
    return build_demo_root(tmp_path / "tc1-demo")


@pytest.fixture
def fresh_root(tmp_path: Path) -> Path:
    """Shipped configs and no runtime/ folder at all: a first start."""
    root = tmp_path / "fresh"
    write_default_configs(root)
    return root


@pytest.fixture
def demo_run_root(tmp_path: Path) -> Path:
    """The demo state plus one finished harness run of the fixed demo trades (runtime/runs/DEMO_RUN)."""
    root = build_demo_root(tmp_path / "tc1-demo")
    build_demo_run(root)
    return root


@pytest.fixture
def demo_pair_root(tmp_path: Path) -> Path:
    """The demo state plus two finished runs of the demo trades: DEMO_RUN (the shipped caps) and
    DEMO_RUN_B (wider caps), to compare."""
    root = build_demo_root(tmp_path / "tc1-demo")
    build_demo_run_pair(root)
    return root


@pytest.fixture
def demo_live_run_root(tmp_path: Path) -> Path:
    """The demo state plus one finished re-run of its live trades of the last 7 days
    (runtime/runs/DEMO_LIVE_RUN), as the launcher's live:7 leaves it."""
    root = build_demo_root(tmp_path / "tc1-demo")
    build_demo_live_run(root)
    return root
