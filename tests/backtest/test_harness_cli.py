"""`tc1 harness` as a real subprocess (docs/harness.md outputs, one-line errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness_tools import write_configs, write_trades

ROWS = ("BTC,long,2024-01-01T00:00:00Z,100,98,2024-01-01T00:10:00Z,104",
        "ETH,short,2024-01-01T00:05:00Z,50,51,2024-01-01T00:20:00Z,52",
        "SOL,up,2024-01-01T00:15:00Z,20,19,2024-01-01T00:30:00Z,20.5")


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tc1console", "harness", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def files(tmp_path):
    risk, pol = write_configs(tmp_path / "configs", policy={"max_trades_per_day": 10})
    return write_trades(tmp_path, *ROWS), risk, pol


def test_cli_runs_and_writes_outputs(tmp_path, files):
    trades, risk, pol = files
    proc = harness("--trades_csv", str(trades), "--risk_config", str(risk), "--policy_config", str(pol),
                   "--out_dir", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json"):
        assert (tmp_path / "out" / name).is_file()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["trades_in"] == 3 and summary["skipped_by_reason"]["invalid_input"] == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith("final balance") and "10,000.00" in line for line in lines)
    assert len({line.index(":") for line in lines}) == 1  # aligned key: value lines
    assert "Traceback" not in proc.stderr
    assert "%" in proc.stderr  # plain progress lines when stderr is not a terminal


def test_cli_accepts_dashed_flag_spellings(tmp_path, files):
    trades, risk, pol = files
    proc = harness("--trades-csv", str(trades), "--risk-config", str(risk), "--policy-config", str(pol),
                   "--out-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.parametrize("case", ["missing_file", "missing_column", "bad_config", "missing_flag"])
def test_cli_errors_are_one_line_exit_2(tmp_path, files, case):
    trades, risk, _ = files
    args = ["--trades_csv", str(trades), "--risk_config", str(risk), "--out_dir", str(tmp_path / "out")]
    if case == "missing_file":
        args[1] = str(tmp_path / "nope.csv")
    elif case == "missing_column":
        args[1] = str(write_trades(tmp_path, "BTC,long", header="symbol,side", name="bad.csv"))
    elif case == "bad_config":
        risk.write_text("initial_balance = -5\n")
    else:
        args = args[2:]
    proc = harness(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tc1: error: ")
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "out" / "summary.json").exists()


def test_add_arguments_and_main_from_args_are_reusable(tmp_path, files, capsys):
    """The `tc1 harness` subcommand puts the harness's flags and runner on its own parser."""
    import argparse

    from tc1console.backtest.cli import add_arguments, main_from_args
    trades, risk, pol = files
    parser = argparse.ArgumentParser(prog="tc1 harness")
    add_arguments(parser)
    args = parser.parse_args(["--trades-csv", str(trades), "--risk_config", str(risk),
                              "--out-dir", str(tmp_path / "o")])
    assert main_from_args(args) == 0
    assert "trades in" in capsys.readouterr().out


def test_harness_imports_no_ui_libraries(tmp_path):
    """The harness runs headless: importing it pulls in no textual, rich or watchfiles."""
    code = ("import sys, tc1console.backtest, tc1console.backtest.cli; "
            "print([m for m in ('textual', 'rich', 'watchfiles') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
