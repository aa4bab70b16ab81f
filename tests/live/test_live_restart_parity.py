"""Parity across restarts (docs/harness.md parity, §4 persistence): the same events fed in one process
or with the process restarted between every two events give identical results and state files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from live_tools import (HERE, PARITY_OVERLAY, PARITY_POLICY, apply_event, assert_files_equal_replay,
                        configs, make_root, parity_events)
from tc1console.engine import store
from tc1console.engine.core import RiskEngine
from tc1console.engine.live import LiveRisk


def _state_files(root: Path) -> tuple[bytes, bytes]:
    return ((root / "runtime" / store.STATE_FILE).read_bytes(), (root / "runtime" / store.POLICY_FILE).read_bytes())


def _one_process(root: Path, events: list[dict]) -> list[dict]:
    live = LiveRisk(root)
    return [apply_event(live, ev) for ev in events]


def _engine_run(root: Path, events: list[dict]) -> list[dict]:
    engine = RiskEngine(*configs(root))
    return [apply_event(engine, ev) for ev in events]


def _roundtrip(results: list[dict]) -> list[dict]:
    return json.loads(json.dumps(results))


def _assert_parity(base: Path, events: list[dict], restarted: list[dict], restarted_root: Path) -> set:
    """Results equal, state files byte-identical, and both equal to the bare engine's answers."""
    reference = _one_process(base, events)
    assert _roundtrip(restarted) == _roundtrip(reference)
    assert _state_files(restarted_root) == _state_files(base)  # byte for byte
    assert reference == _engine_run(base, events)  # and the live API answers exactly as the bare engine
    assert_files_equal_replay(restarted_root)
    reasons = {r.get("skipped_reason") for r in reference} | {r.get("error") for r in reference}
    return reasons


def test_restart_in_a_new_process_between_every_event_changes_nothing(tmp_path: Path) -> None:
    """docs/harness.md parity: each event in its own `python` process vs all in one process."""
    events = parity_events(14, seed=3)
    root = make_root(tmp_path / "restarted", PARITY_OVERLAY, PARITY_POLICY)
    restarted = []
    for ev in events:
        out = subprocess.run([sys.executable, str(HERE / "live_parity_child.py"), str(root), json.dumps(ev)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        restarted.append(json.loads(out.stdout))
    _assert_parity(make_root(tmp_path / "one", PARITY_OVERLAY, PARITY_POLICY), events, restarted, root)


def test_fresh_live_engine_per_event_over_a_long_list_matches_one_engine(tmp_path: Path) -> None:
    """docs/harness.md parity over a long list that trips every rail: a fresh LiveRisk (a full reload
    from runtime/) per event vs one LiveRisk for all, vs the bare RiskEngine."""
    events = parity_events(300, seed=4)
    root = make_root(tmp_path / "restarted", PARITY_OVERLAY, PARITY_POLICY)
    restarted = [apply_event(LiveRisk(root), ev) for ev in events]
    reasons = _assert_parity(make_root(tmp_path / "one", PARITY_OVERLAY, PARITY_POLICY), events, restarted, root)
    # The list is only a good test if it exercised the interesting paths.
    assert {None, "daily_loss_cap", "max_trades_per_day", "duplicate_trade_id",
            "UnknownTradeError"} <= reasons, reasons
