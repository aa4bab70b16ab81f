"""Config files are re-read when they change on disk (docs/live.md): an edit reaches the running
bot on its next call without a restart; an invalid edit is logged and the last good config stays."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from live_tools import OVERLAY, POLICY, T0, journal, make_root
from tc1console.engine import config
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def _replace(path: Path, text: str) -> None:
    """Save the way an editor does: write a temp file beside it, rename it over the original."""
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_edited_caps_apply_on_the_next_call_without_a_restart(tmp_path: Path) -> None:
    """docs/live.md hot reload: per-trade cap and a rail edited between two calls."""
    root = make_root(tmp_path)
    live = LiveRisk(root)
    a = live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)
    assert a["budget"] == 50.0  # 0.5% of 10,000
    _replace(root / "configs" / "risk_overlay.toml", config.dump_toml("overlay", {**OVERLAY, "per_trade_risk_cap": 20.0}))
    b = live.try_open(trade_id="b", entry_ts_ms=T0 + 1, **OPEN)
    assert b["budget"] == 20.0 and b["risk_amount"] <= 20.0
    # An in-place edit (no rename) is seen too.
    (root / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", {**POLICY, "max_trades_per_day": 2}))
    c = live.try_open(trade_id="c", entry_ts_ms=T0 + 2, **OPEN)
    assert c["skipped_reason"] == "max_trades_per_day"
    detected = [e for e in journal(root) if e["type"] == "config" and e["by"] == "detected"]
    assert [e["kind"] for e in detected[-2:]] == ["overlay", "policy"]
    assert detected[-2]["changes"] == {"per_trade_risk_cap": [100.0, 20.0]}


@pytest.mark.parametrize("bad_text, fragment", [
    ("percent_risk = 2.0\n", "percent_risk"),
    ("this is = = not toml\n", "invalid TOML"),
    ("per_trade_risk_cap = nan\n", "per_trade_risk_cap"),
    ("surprise_key = 1\n", "surprise_key"),
], ids=["out-of-range", "syntax", "nan", "unknown-key"])
def test_invalid_edit_is_logged_and_the_last_good_config_stays_in_force(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, bad_text: str, fragment: str) -> None:
    """docs/engine.md §1/§4: the engine never runs on a config it could not validate, and a bad edit
    under a running bot does not crash it: it logs the error and keeps trading on the last good one."""
    root = make_root(tmp_path)
    path = root / "configs" / "risk_overlay.toml"
    live = LiveRisk(root)
    good = config.dump_toml("overlay", {**OVERLAY, "per_trade_risk_cap": 30.0})
    _replace(path, good)
    assert live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)["budget"] == 30.0
    # A broken edit: the rest of the file is the good one, the bad line replaces a valid one.
    lines = [ln for ln in good.splitlines(keepends=True) if not ln.startswith(bad_text.split("=")[0].strip() + " ")]
    _replace(path, "".join(lines) + bad_text)
    with caplog.at_level(logging.ERROR, logger="tc1console"):
        b = live.try_open(trade_id="b", entry_ts_ms=T0 + 1, **OPEN)
        live.try_open(trade_id="c", entry_ts_ms=T0 + 2, **OPEN)  # logged once per bad edit, not per call
    assert b["skipped_reason"] is None and b["budget"] == 30.0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and fragment in errors[0].getMessage() and str(path) in errors[0].getMessage()
    _replace(path, config.dump_toml("overlay", {**OVERLAY, "per_trade_risk_cap": 15.0}))
    assert live.try_open(trade_id="d", entry_ts_ms=T0 + 3, **OPEN)["budget"] == 15.0


def test_console_style_save_reaches_a_bot_in_another_store(tmp_path: Path) -> None:
    """docs/live.md: a cap saved through `Store.save_config` (what the console does) applies on the
    bot's next call; the change is journaled old -> new."""
    root = make_root(tmp_path)
    bot = LiveRisk(root)
    console = LiveRisk(root).store
    changes = console.save_config("overlay", {"per_trade_risk_cap": 12.5}, by="console")
    assert changes == {"per_trade_risk_cap": [100.0, 12.5]}
    assert bot.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)["budget"] == 12.5
    last_config = [e for e in journal(root) if e["type"] == "config"][-1]
    assert last_config["by"] == "console" and last_config["changes"] == changes
