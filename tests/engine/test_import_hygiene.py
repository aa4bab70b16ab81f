"""The engine stays headless and small: importing it pulls in no UI or file-watching package, and
nothing of the backtest harness that drives it (CONVENTIONS.md; the preamble's rule "the engine
package must never import textual, rich, watchfiles or the backtest")."""

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
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter holds after importing `module`."""
    proc = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def backtest_modules(loaded: set[str]) -> set[str]:
    return {name for name in loaded if name == "tc1console.backtest" or name.startswith("tc1console.backtest.")}


def test_engine_module_list_covers_the_core() -> None:
    """CONVENTIONS.md: the core the bot imports is config, sizing, rails, core and errors (at least)."""
    for name in ("config", "sizing", "rails", "core", "errors"):
        assert f"tc1console.engine.{name}" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_engine_module_imports_without_textual_rich_or_watchfiles(module: str) -> None:
    """CONVENTIONS.md (the engine): standard library + filelock (+ tomli-w), nothing from
    the UI: in a fresh interpreter, importing it loads no textual, rich or watchfiles module,
    and nothing of the backtest (nor orjson, which only the backtest's accelerations use)."""
    loaded = loaded_by(module)
    top = {name.split(".")[0] for name in loaded}
    assert "tc1console" in top
    assert top & (FORBIDDEN | {"orjson"}) == set()
    assert backtest_modules(loaded) == set()


def test_the_bots_import_loads_nothing_of_the_backtest() -> None:
    """Issue 15: `import tc1console.engine`, what a bot does, loads no module of
    tc1console.backtest (the harness with its forked reader lives next to the engine, not in it)."""
    loaded = loaded_by("tc1console.engine")
    assert "tc1console.engine.live" in loaded  # the probe saw the bot's API load
    assert backtest_modules(loaded) == set()
    assert not (ENGINE_DIR / "harness.py").exists()
