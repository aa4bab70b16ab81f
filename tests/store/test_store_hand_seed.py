"""A hand-written state is a starting point: "since start" counts from the balance it names."""

from __future__ import annotations

import json
from pathlib import Path

from tc1console.engine import config
from tc1console.engine.live import LiveRisk
from tc1console.engine.store import read_state

SEED = {"balance": 2500.0, "total_open_risk": 0.0, "open_positions": {}, "equity_points": []}


def test_hand_written_seed_starts_at_its_own_balance(tmp_path: Path) -> None:
    """docs/live.md: the contract's hand-written seed loads; adopting it is not a 7,500 loss."""
    (tmp_path / "configs").mkdir()
    for kind in ("overlay", "policy"):
        (tmp_path / "configs" / f"risk_{kind}.toml").write_text(config.default_text(kind))
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "risk_state.json").write_text(json.dumps(SEED))
    live = LiveRisk(tmp_path)  # adopts the seed as the journal's base
    assert live.store._loaded.engine.start_balance == 2500.0
    doc = json.loads((tmp_path / "runtime" / "risk_state.json").read_text())
    assert doc["balance"] == doc["start_balance"] == 2500.0
    _, _, loaded = read_state(tmp_path)
    assert loaded.engine.balance - loaded.engine.start_balance == 0.0
