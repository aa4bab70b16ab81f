"""`tc1 sweep` (issue 16): a grid of configs over one trades file, on local processes or a Dask cluster.

The rule checked throughout: a sweep row is the harness run of that config (docs/harness.md:
the same replay loop, the same summary figures), whichever executor ran it; a bad spec is one
line naming the key, exit 2, before anything runs; a cancelled sweep leaves no file behind.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness_tools import HEADER, awkward_rows, in_time_order, write_configs, write_trades
from tc1console.backtest.sweep import FIGURES, run_sweep
from tc1console.cli import main
from tc1console.engine import config

GRID = ["percent_risk=0.005:0.015:0.005", "max_concurrent_trades=2,none", "max_trades_per_day=3,50"]
POLICY = {"daily_loss_cap": 150.0, "max_trades_per_day": 40}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trades file with every path the reader and replay have (bad rows, retries, still open)
    and base configs written by the project's writer."""
    tmp = tmp_path_factory.mktemp("sweep")
    risk, pol = write_configs(tmp / "configs", {"fee_bps_per_side": 2.0}, POLICY)
    rows = in_time_order(awkward_rows(400, seed=3), jitter=5, seed=3)
    trades = write_trades(tmp, *rows, header="trade_id," + HEADER)
    return tmp, trades, risk, pol


@pytest.fixture(scope="module")
def local(files):
    """The reference sweep: two local worker processes, the top two curves kept."""
    tmp, trades, risk, pol = files
    out = tmp / "local"
    return out, run_sweep(trades, risk, out, GRID, pol, workers=2, keep_curves=2)


def tc1(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tc1console", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_local_sweep_runs_every_config_and_ranks_by_the_objective(local):
    out, result = local
    rows = result["rows"]
    assert result["configs"] == len(rows) == 3 * 2 * 2
    assert sorted(r["config"] for r in rows) == list(range(12))
    assert [r["rank"] for r in rows] == list(range(1, 13))
    scores = [r["return_over_max_dd"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert {r["values"]["max_concurrent_trades"] for r in rows} == {2, None}
    assert json.loads((out / "sweep.json").read_text()) == result
    with open(out / "sweep.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [int(r["config"]) for r in table] == [r["config"] for r in rows]
    first = table[0]
    assert first["percent_risk"] == repr(rows[0]["values"]["percent_risk"])
    assert float(first["final_balance"]) == rows[0]["final_balance"]
    assert int(first["skipped_invalid_input"]) == rows[0]["skipped_by_reason"]["invalid_input"] > 0
    assert sorted(p.name for p in (out / "curves").iterdir()) == ["rank_1.csv", "rank_2.csv"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_range_steps_are_decimal_exact(local):
    """0.005:0.015:0.005 is 0.005, 0.01, 0.015 exactly as typed, stop included (no 0.015000000000000001)."""
    _, result = local
    assert result["grid"]["percent_risk"] == [0.005, 0.01, 0.015]


def test_rows_equal_standalone_harness_runs_bit_for_bit(files, local):
    """docs/harness.md: each row is `tc1 harness` with that config, every figure to the last bit,
    and a kept curve is that run's equity_curve.csv byte for byte."""
    tmp, trades, risk, pol = files
    out, result = local
    best, last = result["rows"][0], result["rows"][-1]
    # The best row through the written best_*.toml; the last through configs made from its values.
    cases = [(best, out / "best_risk_overlay.toml", out / "best_risk_policy.toml")]
    overlay_keys = {f.key for f in config.FIELDS["overlay"]}
    own = {k: v for k, v in last["values"].items() if k in overlay_keys}
    pol_values = {k: v for k, v in last["values"].items() if k not in overlay_keys}
    last_risk, last_pol = write_configs(tmp / "last", {"fee_bps_per_side": 2.0, **own}, {**POLICY, **pol_values})
    cases.append((last, last_risk, last_pol))
    for k, (row, risk_file, pol_file) in enumerate(cases):
        harness_out = tmp / f"harness_{k}"
        proc = tc1("harness", "--trades_csv", str(trades), "--risk_config", str(risk_file),
                   "--policy_config", str(pol_file), "--out_dir", str(harness_out), cwd=tmp)
        assert proc.returncode == 0, proc.stderr
        summary = json.loads((harness_out / "summary.json").read_text())
        for name in FIGURES:
            if name != "return_over_max_dd":
                assert row[name] == summary[name], name
        assert row["return_over_max_dd"] == summary["return_pct"] / summary["max_drawdown_pct"]
        assert row["skipped_by_reason"] == summary["skipped_by_reason"]
    assert (out / "curves" / "rank_1.csv").read_bytes() == (tmp / "harness_0" / "equity_curve.csv").read_bytes()
    loaded = config.load_overlay(out / "best_risk_overlay.toml")
    assert loaded.percent_risk == best["values"]["percent_risk"]
    assert loaded.max_concurrent_trades == best["values"]["max_concurrent_trades"]


def test_one_process_gives_the_same_rows(files, local):
    tmp, trades, risk, pol = files
    _, result = local
    alone = run_sweep(trades, risk, tmp / "one", GRID, pol, workers=1, keep_curves=2)
    assert alone["rows"] == result["rows"]
    assert (tmp / "one" / "curves" / "rank_2.csv").read_bytes() == \
        (tmp / "local" / "curves" / "rank_2.csv").read_bytes()


def test_base_curve_is_the_base_configs_harness_curve(files, local):
    """ENGINE.md section 5: with base_curve, curves/base.csv is `tc1 harness` of the base configs as
    they are (what the console draws a row against), byte for byte; the rows do not change."""
    tmp, trades, risk, pol = files
    _, result = local
    out = tmp / "with_base"
    with_base = run_sweep(trades, risk, out, GRID, pol, workers=2, keep_curves=1, base_curve=True)
    assert with_base["rows"] == result["rows"]
    assert sorted(p.name for p in (out / "curves").iterdir()) == ["base.csv", "rank_1.csv"]
    proc = tc1("harness", "--trades_csv", str(trades), "--risk_config", str(risk), "--policy_config", str(pol),
               "--out_dir", str(tmp / "harness_base"), cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert (out / "curves" / "base.csv").read_bytes() == (tmp / "harness_base" / "equity_curve.csv").read_bytes()


def test_dask_cluster_gives_identical_rows(files, local):
    """The same grid on a real distributed.LocalCluster (worker processes, loopback TCP): the table
    is scattered to them and every row comes back identical."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed "
                                                            "(pip install 'tc1console[cluster]')")
    tmp, trades, risk, pol = files
    _, result = local
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        on_dask = run_sweep(trades, risk, tmp / "dask", GRID, pol, scheduler=cluster.scheduler_address,
                            keep_curves=2)
    assert on_dask["rows"] == result["rows"]
    for name in ("sweep.csv", "best_risk_overlay.toml", "best_risk_policy.toml", "curves/rank_1.csv"):
        assert (tmp / "dask" / name).read_bytes() == (tmp / "local" / name).read_bytes(), name


def test_random_draws_a_reproducible_subset(files, local):
    tmp, trades, risk, pol = files
    _, result = local
    by_config = {r["config"]: r for r in result["rows"]}
    drawn = [run_sweep(trades, risk, tmp / f"random_{k}", GRID, pol, random_n=5, seed=7, workers=1)
             for k in range(2)]
    assert drawn[0]["rows"] == drawn[1]["rows"] and len(drawn[0]["rows"]) == 5
    for row in drawn[0]["rows"]:
        assert {**row, "rank": 0} == {**by_config[row["config"]], "rank": 0}


@pytest.mark.parametrize("spec, names", [
    ("percent_risk=0.5:1.5:0.5", "'percent_risk'"),
    ("max_concurrent_trades=-1,2", "'max_concurrent_trades'"),
    ("loss_streak_limit=0,2", "'loss_streak_limit'"),
    ("percent_risk=abc", "percent_risk"),
    ("max_trades_per_day=1.5", "max_trades_per_day"),
    ("percent_risk=0.2:0.1:0.1", "percent_risk"),
    ("percent_risk=0.1:0.2:0", "percent_risk"),
    ("no_such_key=1", "'no_such_key'"),
    ("percent_risk", "percent_risk"),
])
def test_bad_spec_is_one_line_naming_the_key_exit_2(files, capsys, spec, names):
    tmp, trades, risk, pol = files
    out = tmp / "bad"
    code = main(["sweep", "--trades_csv", str(trades), "--risk_config", str(risk), "--policy_config", str(pol),
                 "--grid", "max_leverage=2", "--grid", spec, "--out_dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("tc1: error: ") and names in err, err
    assert not out.exists()  # nothing ran, nothing was written


def _start_ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `tc1 sweep ... &` in a script is started


@pytest.mark.parametrize("sig, ignored_at_start", [
    (signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "ctrl-c-started-with-sigint-ignored", "sigterm"])
def test_cancel_stops_the_workers_and_writes_nothing(files, sig, ignored_at_start):
    """Ctrl-C (SIGINT) or SIGTERM once the progress line is out: exit 130, no output and no partial
    file; an older sweep's files in the folder stay as they were. Ctrl-C works even when the sweep
    was started with SIGINT ignored (docs/console.md section 1: a background job of a script)."""
    tmp, trades, risk, pol = files
    out = tmp / f"cancel-{sig.name}-{ignored_at_start}"
    old = run_sweep(trades, risk, out, ["percent_risk=0.01"], workers=1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert old["configs"] == 1 and "sweep.json" in before
    proc = subprocess.Popen(
        [sys.executable, "-m", "tc1console", "sweep", "--trades_csv", str(trades), "--risk_config", str(risk),
         "--grid", "percent_risk=0.0001:0.5:0.0001", "--grid", "max_leverage=1,2", "--workers", "2",
         "--out_dir", str(out)], cwd=tmp, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        preexec_fn=_start_ignoring_sigint if ignored_at_start else None)
    try:
        line = proc.stderr.readline()
        assert line.startswith("sweep: 10,000 configs"), line
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_cli_prints_the_best_rows(files):
    tmp, trades, risk, pol = files
    proc = tc1("sweep", "--trades-csv", str(trades), "--risk-config", str(risk), "--grid",
               "percent_risk=0.005,0.01", "--objective", "max_drawdown_pct", "--workers", "1",
               "--out-dir", str(tmp / "cli"), cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("sweep: 2 configs over 4")
    assert "ETA" in proc.stderr
    result = json.loads((tmp / "cli" / "sweep.json").read_text())
    assert result["rows"][0]["max_drawdown_pct"] <= result["rows"][1]["max_drawdown_pct"]
    assert "best by max_drawdown_pct" in proc.stdout


def test_unreadable_trades_file_is_one_line_and_touches_nothing(files, capsys):
    tmp, trades, risk, pol = files
    out = tmp / "no_trades"
    code = main(["sweep", "--trades_csv", str(tmp / "missing.csv"), "--risk_config", str(risk),
                 "--grid", "percent_risk=0.01,0.02", "--out_dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "missing.csv" in err, err
    assert not out.exists()


def test_a_key_named_like_a_figure_gets_its_config_in_the_csv_header(files):
    """The policy's max_drawdown_pct rail and the max_drawdown_pct figure are two columns."""
    tmp, trades, risk, pol = files
    out = tmp / "rail"
    result = run_sweep(trades, risk, out, ["max_drawdown_pct=0.05,none"], pol, workers=1)
    with open(out / "sweep.csv", newline="") as f:
        header = next(csv.reader(f))
    assert "policy.max_drawdown_pct" in header and header.count("max_drawdown_pct") == 1
    assert {r["values"]["max_drawdown_pct"] for r in result["rows"]} == {0.05, None}
    assert config.load_policy(out / "best_risk_policy.toml").daily_loss_cap == POLICY["daily_loss_cap"]
