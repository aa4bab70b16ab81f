"""A bad config on disk does not blind the read-only commands (docs/live.md section 5.3): each shows
the state, read with the config the journal last recorded, plus one warning line on stderr naming
the bad file and what is wrong; `tc1 smoke` checks the user's own configs and says so. Real roots,
real `tc1` processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1

from tc1console.engine.live import LiveRisk

BAD_KEY = "percent_risk"


def traded_root(tmp_path: Path) -> Path:
    """A root with history (a close, an open position) and then an overlay edit that does not load."""
    root = make_root(tmp_path / "live")
    live = LiveRisk(root)
    live.try_open(trade_id="t1", symbol="BTCUSDT", is_long=True, entry_ts_ms=NOW_MS - 60_000,
                  entry_price=50_000.0, stop_price=49_500.0)
    live.close(trade_id="t1", exit_ts_ms=NOW_MS - 30_000, exit_price=50_600.0)
    live.try_open(trade_id="still-open", symbol="ETHUSDT", is_long=False, entry_ts_ms=NOW_MS,
                  entry_price=3_000.0, stop_price=3_030.0)
    with live.store.transaction() as tx:
        (root / "balance.txt").write_text(f"{tx.engine.balance:,.2f}")  # what the state holds, for the checks
    path = root / "configs" / "risk_overlay.toml"
    path.write_text(path.read_text().replace("percent_risk = 0.005", "percent_risk = 5"))  # meant 5%
    return root


def the_warning(proc, root: Path) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tc1: warning: ") and "Traceback" not in proc.stderr
    assert str(root / "configs" / "risk_overlay.toml") in lines[0] and repr(BAD_KEY) in lines[0]
    assert "the config the journal last recorded" in lines[0]
    return lines[0]


@pytest.mark.parametrize("args", [("dashboard",), ("daily",), ("policy", "show"), ("positions",)])
def test_read_only_commands_show_the_state_and_warn_once_on_stderr(tmp_path: Path, args) -> None:
    root = traded_root(tmp_path)
    proc = tc1(*args, root=root)
    assert proc.returncode == 0, proc.stderr
    the_warning(proc, root)
    balance = (root / "balance.txt").read_text()
    shown = {"dashboard": ("still-open", balance), "daily": (balance,), "policy": (balance,),
             "positions": ("still-open",)}[args[0]]
    for text in shown:
        assert text in proc.stdout, proc.stdout
    assert "warning" not in proc.stdout  # stdout is the view alone (a pipe gets no warnings)


@pytest.mark.parametrize("args", [("dashboard", "--json"), ("daily", "--json"), ("policy", "show", "--json"),
                                  ("positions", "--json")])
def test_the_json_forms_stay_parsable_with_the_warning_on_stderr(tmp_path: Path, args) -> None:
    root = traded_root(tmp_path)
    proc = tc1(*args, root=root)
    assert proc.returncode == 0, proc.stderr
    the_warning(proc, root)
    doc = json.loads(proc.stdout)
    if args[0] in ("dashboard", "policy"):
        assert BAD_KEY in doc["config_problem"]


def test_state_rebuild_uses_the_recorded_config_and_says_so(tmp_path: Path) -> None:
    root = traded_root(tmp_path)
    proc = tc1("state", "rebuild", root=root)
    assert proc.returncode == 0, proc.stderr
    assert "rebuilt with the config the journal last recorded" in the_warning(proc, root)
    assert "no differences" in proc.stdout and "1 open positions" in proc.stdout


def test_without_any_recorded_config_the_bad_file_is_the_error(tmp_path: Path) -> None:
    """A root with no state yet has no last config to fall back on: one error line naming the file."""
    root = make_root(tmp_path / "fresh")
    path = root / "configs" / "risk_overlay.toml"
    path.write_text(path.read_text().replace("percent_risk = 0.005", "percent_risk = 5"))
    proc = tc1("dashboard", root=root)
    assert proc.returncode == 2
    assert_one_line_error(proc, str(path), repr(BAD_KEY))


def test_smoke_checks_the_users_configs_and_fails_on_a_bad_one(tmp_path: Path) -> None:
    root = traded_root(tmp_path)
    proc = tc1("smoke", root=root)
    assert proc.returncode == 1
    line = next(x for x in proc.stdout.splitlines() if " configs " in x)
    assert line.lstrip().startswith("FAIL configs") and str(root / "configs" / "risk_overlay.toml") in line
    assert repr(BAD_KEY) in line
    assert proc.stdout.rstrip().splitlines()[-1].startswith("smoke: 1 of ")  # the live checks still ran


def test_smoke_says_the_users_configs_load(tmp_path: Path) -> None:
    root = make_root(tmp_path / "live")
    proc = tc1("smoke", root=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if " configs " in x)
    assert line.lstrip().startswith("ok   configs") and "your configs load" in line and "(no warnings)" in line
    assert proc.stdout.rstrip().splitlines()[-1].startswith("smoke: all ")
