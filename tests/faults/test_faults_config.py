"""Every malformed config file is a ConfigError at start and a logged refusal on hot reload, the
last good config staying in force (docs/engine.md sections 1 and 4; issue 19 item 4): a non-UTF-8
byte, a write cut mid-character, an integer past the float range, both formats present, a file
deleted. The CLI says it in one line, exit 2. Counter resets need no valid overlay config."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import pytest

from cli_tools import assert_one_line_error, tc1
from live_tools import OVERLAY, T0, files, journal, make_root
from tc1console.engine import config
from tc1console.engine.errors import ConfigError
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
GOOD = {**OVERLAY, "per_trade_risk_cap": 30.0}


def _overlay(root: Path) -> Path:
    return root / "configs" / "risk_overlay.toml"


def _replace_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".swp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def latin1_comment(root: Path) -> None:
    _replace_bytes(_overlay(root), _overlay(root).read_bytes() + "# café, in Latin-1\n".encode("latin-1"))


def cut_mid_character(root: Path) -> None:
    _replace_bytes(_overlay(root), _overlay(root).read_bytes() + "# 5 €".encode()[:-1])


def huge_integer(root: Path) -> None:
    text = _overlay(root).read_text().replace("per_trade_risk_cap = 30.0", "per_trade_risk_cap = 1" + "0" * 400)
    assert "0" * 400 in text
    _replace_bytes(_overlay(root), text.encode())


def both_formats(root: Path) -> None:
    (root / "configs" / "risk_overlay.json").write_text('{"initial_balance": 10000.0}')


def deleted(root: Path) -> None:
    _overlay(root).unlink()


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "latin-1 byte": (latin1_comment, "risk_overlay.toml"),
    "cut mid-character": (cut_mid_character, "risk_overlay.toml"),
    "huge integer": (huge_integer, "per_trade_risk_cap"),
    "both formats": (both_formats, "risk_overlay"),
    "deleted": (deleted, "risk_overlay"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_config_file_at_start_is_one_config_error(tmp_path: Path, case: str) -> None:
    spoil, fragment = BAD[case]
    root = make_root(tmp_path / "root", GOOD)
    spoil(root)
    with pytest.raises(ConfigError, match=fragment):
        LiveRisk(root)
    assert not (root / "runtime" / "journal.jsonl").exists()
    assert_one_line_error(tc1("dashboard", root=root), fragment)
    assert_one_line_error(tc1("policy", "show", root=root), fragment)


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_config_edit_under_a_running_bot_keeps_the_last_good_config(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str) -> None:
    spoil, fragment = BAD[case]
    root = make_root(tmp_path / "root", GOOD)
    live = LiveRisk(root)
    assert live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)["budget"] == 30.0
    spoil(root)
    with caplog.at_level(logging.ERROR, logger="tc1console"):
        b = live.try_open(trade_id="b", entry_ts_ms=T0 + 1, **OPEN)
        c = live.close(trade_id="a", exit_ts_ms=T0 + 2, exit_price=3_010.0)
    assert b["skipped_reason"] is None and b["budget"] == 30.0 and c["pnl_after_fees"] > 0
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "keeping the last good config" in errors[0] and fragment in errors[0]
    assert [e["type"] for e in journal(root)][-2:] == ["open", "close"]  # no config change journaled
    # The file fixed: the new caps apply on the next call.
    for extra in root.glob("configs/risk_overlay.json"):
        extra.unlink()
    _overlay(root).write_text(config.dump_toml("overlay", {**OVERLAY, "per_trade_risk_cap": 15.0}))
    assert live.try_open(trade_id="d", entry_ts_ms=T0 + 3, **OPEN)["budget"] == 15.0


def test_policy_reset_while_the_overlay_is_half_written(tmp_path: Path) -> None:
    """A reset sizes nothing: with the overlay file cut half way (an editor's save in progress), it
    runs on the configs the state last recorded, and journals the reset."""
    root = make_root(tmp_path / "root", GOOD)
    live = LiveRisk(root)
    live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)
    data = _overlay(root).read_bytes()
    _overlay(root).write_bytes(data[:len(data) // 2])
    with pytest.raises(ConfigError):
        LiveRisk(root)
    before = files(root)
    done = tc1("policy", "reset", root=root)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    last = journal(root)[-1]
    assert last["type"] == "reset" and last["cleared"]["days"] and last["by"] == "cli"
    assert files(root)["configs/risk_overlay.toml"] == before["configs/risk_overlay.toml"]  # left as it was
