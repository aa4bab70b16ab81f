"""`tc1 policy reset --peak` and `--streak` as real processes (docs/live.md section 6 "Resets", section 7
"Peak and drawdown" and "Loss streak"): each prints exactly what it cleared, journals a reset naming
it, lifts the block it caused, and the lift survives a restart; the journal then rebuilds the files
with no difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_tools import NOW_MS, make_root, tc1
from tc1console.engine import config, store
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
POLICY = config.DEFAULTS["policy"]  # equity floor 8,000, daily cap 200, 20 trades a day
CASES = {
    # Two losses of about $72 take the balance below 10,000 * (1 - 0.01) = 9,900.
    "peak": ({**POLICY, "max_drawdown_pct": 0.01}, "max_drawdown"),
    # Two losses in a row, the second closed at 14:29: entries blocked until 16:29.
    "streak": ({**POLICY, "loss_streak_limit": 2, "loss_streak_cooldown_minutes": 120.0}, "loss_streak"),
}


def _show(root: Path) -> dict:
    out = tc1("policy", "show", "--json", root=root)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _blocked(doc: dict, rail: str) -> bool:
    return next(c for c in doc["rails"] if c["name"] == rail)["blocked"]


@pytest.mark.parametrize("what", list(CASES))
def test_policy_reset_of_the_peak_or_streak_says_what_it_cleared_and_lifts_its_block(tmp_path: Path, what: str) -> None:
    policy, rail = CASES[what]
    root = make_root(tmp_path / "root", policy)
    live = LiveRisk(root)
    for k, at in enumerate((NOW_MS - 240_000, NOW_MS - 120_000)):
        assert live.try_open(trade_id=f"lost{k}", entry_ts_ms=at, **OPEN)["skipped_reason"] is None
        live.close(trade_id=f"lost{k}", exit_ts_ms=at + 60_000, exit_price=2_955.0)
    assert live.try_open(trade_id="refused", entry_ts_ms=NOW_MS - 1, **OPEN)["skipped_reason"] == rail
    before = _show(root)
    assert _blocked(before, rail) and before["status"] == f"BLOCKED: {rail}"
    balance = before["balance"]["balance"]
    assert 9_800 < balance < 9_900 and before["state"]["peak"] == 10_000.0

    reset = tc1("policy", "reset", f"--{what}", "--reason", "checked the account", root=root)
    assert reset.returncode == 0, reset.stderr
    # docs/engine.md 6: it prints what it cleared, that part only (no day counter is touched).
    expected = (f"peak reset: 10,000.00 -> {balance:,.2f}" if what == "peak"
                else "loss streak reset: 0 losses in a row cleared, block until 2024-11-19 16:29 UTC lifted")
    assert reset.stdout.splitlines() == [expected]
    event = store.tail_events(root, 1)[0]
    assert event["type"] == "reset" and event["by"] == "cli" and event["reason"] == "checked the account"
    assert event["cleared"]["days"] == {} and set(event["cleared"]) == {"days", what}
    if what == "peak":
        assert event["peak"] == balance and event["cleared"]["peak"] == {"from": 10_000.0, "to": balance}
    else:
        assert event["streak"] is True and event["cleared"]["streak"] == {"count": 0, "until": NOW_MS - 60_000 + 7_200_000}

    # A restart (a new `tc1` process, then a new LiveRisk) sees the block lifted and the days kept.
    after = _show(root)
    assert not _blocked(after, rail) and after["status"] == "ACTIVE"
    assert after["days"] == before["days"]
    assert (after["state"]["peak"] == balance) if what == "peak" else (after["state"]["streak_until"] is None)
    assert LiveRisk(root).try_open(trade_id="again", entry_ts_ms=NOW_MS, **OPEN)["skipped_reason"] is None
    rebuilt = tc1("state", "rebuild", root=root)
    assert rebuilt.returncode == 0 and "no differences" in rebuilt.stdout, rebuilt.stdout
