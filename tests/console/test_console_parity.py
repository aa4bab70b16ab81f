"""The console's "Parity" palette command (issue 15): `tc1 parity` run in a worker, its report shown.
Real roots, a real Pilot, the command palette typed into; nothing under runtime/ is written."""

from __future__ import annotations

import json

import pytest
from console_tools import run_from_palette, toasts, tree_bytes, wait_until
from tc1console.console.screenshots import demo_app
from tc1console.engine import store

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def test_parity_from_the_palette_reports_0_differences_and_writes_nothing(demo_root):
    """The journal of the demo root, decided again, agrees to the bit; the check only reads."""
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await run_from_palette(pilot, "Parity")
        await wait_until(pilot, lambda: any("0 differences" in t for t in toasts(app)), "the parity report")
        report = next(t for t in toasts(app) if "0 differences" in t)
        assert "decided again  :" in report and "final state    : equal to" in report
    assert tree_bytes(demo_root) == before


async def test_parity_from_the_palette_names_a_tampered_entry(demo_root):
    """A journal line edited by hand: the toast gives its seq, field and likely cause."""
    path = demo_root / "runtime" / store.JOURNAL_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "open")
    entry = json.loads(lines[at])
    entry["position"]["qty"] *= 2
    lines[at] = (json.dumps(entry) + "\n").encode()
    path.write_bytes(b"".join(lines))
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)
        await run_from_palette(pilot, "Parity")
        await wait_until(pilot, lambda: any("DIFFERENCE" in t for t in toasts(app)), "the parity report")
        report = next(t for t in toasts(app) if "DIFFERENCE" in t)
        assert f"DIFFERENCE at seq {entry['seq']}" in report and "position.qty" in report
        assert "a hand edit of this journal line" in report
