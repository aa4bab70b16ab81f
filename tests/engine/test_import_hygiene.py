"""The engine stays headless: importing it pulls in no UI or file-watching package (CONVENTIONS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tc1console

ENGINE_DIR = Path(tc1console.__file__).resolve().parent / "engine"
FORBIDDEN = {"textual", "rich", "watchfiles"}
# Every engine module, found on disk so that a new module is checked without editing this file.
MODULES = ["tc1console.engine"] + sorted(
    f"tc1console.engine.{p.stem}" for p in ENGINE_DIR.glob("*.py") if p.stem != "__init__")

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_engine_module_list_covers_the_core() -> None:
    """CONVENTIONS.md: the core the bot imports is config, sizing, rails, core and errors (at least)."""
    for name in ("config", "sizing", "rails", "core", "errors"):
        assert f"tc1console.engine.{name}" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_engine_module_imports_without_textual_rich_or_watchfiles(module: str) -> None:
    """CONVENTIONS.md (the engine): standard library + filelock (+ tomli-w), nothing from
    the UI: in a fresh interpreter, importing it loads no textual, rich or watchfiles module."""
    proc = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "tc1console" in loaded
    assert loaded & FORBIDDEN == set()
