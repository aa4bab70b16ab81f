"""The incremental risk_state.json encoder writes exactly the bytes a plain json.dumps would."""

from __future__ import annotations

import json
from pathlib import Path

from tc1console.engine import config
from tc1console.engine.core import CLOSE_HISTORY, EQUITY_WINDOW
from tc1console.engine.live import LiveRisk
from tc1console.engine.store import _dumps, seal

T0 = 1_764_000_000_000


def make_root(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    overlay = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 3}
    (tmp_path / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", overlay))
    (tmp_path / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", {}))
    return tmp_path


def test_state_file_bytes_equal_plain_json_of_the_book_after_windows_roll(tmp_path: Path) -> None:
    """docs/live.md bounded state: the cached encoder is an optimisation, never a format change."""
    live = LiveRisk(make_root(tmp_path))
    n = max(EQUITY_WINDOW, CLOSE_HISTORY) + 25  # enough closes to roll both windows
    for i in range(n):
        r = live.try_open(trade_id=f"t{i}", symbol="ETHUSDT", is_long=i % 2 == 0, entry_ts_ms=T0 + i * 1000,
                          entry_price=3000.0 + i % 7, stop_price=(2970.5 if i % 2 == 0 else 3031.25) + i % 7)
        assert r["skipped_reason"] is None, r
        live.close(trade_id=f"t{i}", exit_ts_ms=T0 + i * 1000 + 500, exit_price=3010.0 + (i % 5) * 3.3)
        if i % 97 == 0 or i == n - 1:
            store = live.store
            on_disk = store.state_path.read_bytes()
            assert on_disk == seal(_dumps(store._docs(store._loaded)["book"]))
    doc = json.loads(store.state_path.read_bytes())
    assert len(doc["equity_points"]) == EQUITY_WINDOW
    assert len(doc["recent_closes"]) == CLOSE_HISTORY
    assert doc["equity_points"][-1] == [T0 + (n - 1) * 1000 + 500, doc["balance"]]


def test_policy_state_bytes_equal_plain_json_of_the_days(tmp_path: Path) -> None:
    """docs/live.md: risk_policy_state.json holds the day buckets; the cached encoder changes no byte."""
    live = LiveRisk(make_root(tmp_path))
    for i in range(40):  # one trade a day for 40 days, some days touched twice
        ts = T0 + i * 86_400_000
        live.try_open(trade_id=f"d{i}", symbol="ETHUSDT", is_long=True, entry_ts_ms=ts, entry_price=3000.0,
                      stop_price=2970.0)
        live.close(trade_id=f"d{i}", exit_ts_ms=ts + (86_400_000 if i % 3 == 0 else 1000),
                   exit_price=2990.0 + i)
        store = live.store
        assert store.policy_path.read_bytes() == seal(_dumps(store._days_doc(store._loaded)))
