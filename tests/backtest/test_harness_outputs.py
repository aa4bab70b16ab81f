"""The harness's output files, determinism, progress and cancel (docs/harness.md)."""

from __future__ import annotations

import threading

import pytest

from harness_tools import Run, header_of, write_configs, write_trades
from tc1console.backtest import HarnessCancelled, run_harness
from tc1console.engine.core import SKIP_REASONS, CloseResult, OpenResult

ROWS = tuple(
    f"{sym},{side},2024-01-0{1 + i % 3}T{i % 24:02d}:{i % 60:02d}:00Z,{100 + i},"
    f"{98 + i if side == 'long' else 102 + i},2024-01-0{1 + i % 3}T{i % 24:02d}:{i % 60:02d}:30Z,"
    f"{101 + i + (i % 5 - 2)}"
    for i, (sym, side) in enumerate([("BTC", "long"), ("ETH", "short"), ("SOL", "long")] * 20))
SUMMARY_KEYS = {
    "final_balance", "initial_balance", "trades_in", "trades_taken", "skipped_by_reason", "return_pct",
    "max_drawdown", "max_drawdown_pct", "win_rate", "avg_R", "total_R", "profit_factor", "total_fees",
    "peak_concurrency", "peak_open_risk", "risk_config", "policy_config", "still_open",
}


def test_output_files_and_columns(tmp_path):
    """docs/harness.md: the four outputs; allocation columns are OpenResult's plus the line."""
    run = Run(tmp_path, *ROWS, overlay={"fee_bps_per_side": 4.0})
    assert sorted(p.name for p in run.out.iterdir()) == [
        "equity_curve.csv", "open_allocations.csv", "realized_pnl.csv", "summary.json"]
    assert header_of(run.out / "open_allocations.csv") == [*OpenResult._fields, "line"]
    assert header_of(run.out / "realized_pnl.csv") == list(CloseResult._fields)
    assert header_of(run.out / "equity_curve.csv") == ["ts_ms", "balance"]
    assert len(run.opens) == len(ROWS)  # one row per input row, in input order
    assert [int(r["line"]) for r in run.opens] == list(range(2, len(ROWS) + 2))
    assert len(run.closes) == run.summary["trades_closed"] == run.summary["trades_taken"]
    assert len(run.equity) == len(run.closes) + 1
    assert [b for _, b in run.equity[1:]] == [float(r["balance_after"]) for r in run.closes]
    exit_times = [int(r["exit_ts_ms"]) for r in run.closes]
    assert exit_times == sorted(exit_times)  # realized_pnl.csv is in close order


def test_summary_fields(tmp_path):
    """docs/harness.md: counts by every skip reason, balance, return, drawdown, R, fees, peaks."""
    run = Run(tmp_path, *ROWS, overlay={"max_concurrent_trades": 1})
    s = run.summary
    assert SUMMARY_KEYS <= set(s)
    assert list(s["skipped_by_reason"]) == list(SKIP_REASONS)
    assert s["trades_in"] == s["trades_taken"] + s["trades_skipped"] + s["retried_opens"]
    assert s["final_balance"] == run.equity[-1][1] == float(run.closes[-1]["balance_after"])
    assert s["total_R"] == sum(float(r["R_multiple"]) for r in run.closes)


def test_full_float_precision_in_files(tmp_path):
    """Numbers are written as Python's shortest repr, so a file read back gives the same float."""
    run = Run(tmp_path, *ROWS, overlay={"fee_bps_per_side": 3.7, "percent_risk": 0.0123,
                                        "default_qty_step": 0.001})
    # sizing outputs are the floats nearest exact decimals (often short); PnL is float arithmetic
    assert any(len(r["pnl_after_fees"]) > 12 for r in run.closes)
    assert run.summary_file["final_balance"] == run.summary["final_balance"]
    assert float(run.closes[-1]["balance_after"]) == run.summary["final_balance"]


def test_two_runs_are_byte_identical(tmp_path):
    """docs/harness.md parity rests on determinism: the same inputs give the same bytes."""
    risk, pol = write_configs(tmp_path / "c", {"fee_bps_per_side": 4.0}, {"daily_loss_cap": 50.0})
    trades = write_trades(tmp_path, *reversed(ROWS))
    run_harness(trades, risk, tmp_path / "one", pol)
    run_harness(trades, risk, tmp_path / "two", pol)
    for name in ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_cancel_from_progress_leaves_no_claimed_output(tmp_path):
    """A cancel set mid-run raises HarnessCancelled; no summary.json and no partial files remain."""
    risk, _ = write_configs(tmp_path / "c")
    trades = write_trades(tmp_path, *ROWS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")  # a previous run's marker must not survive either
    stop = threading.Event()
    calls = []

    def progress(done, total):
        calls.append((done, total))
        stop.set()

    with pytest.raises(HarnessCancelled):
        run_harness(trades, risk, out, progress=progress, cancel=stop)
    assert calls
    assert list(out.iterdir()) == []


def test_cancel_already_set_stops_before_writing(tmp_path):
    risk, _ = write_configs(tmp_path / "c")
    trades = write_trades(tmp_path, *ROWS)
    stop = threading.Event()
    stop.set()
    with pytest.raises(HarnessCancelled):
        run_harness(trades, risk, tmp_path / "out", cancel=stop)
    assert not (tmp_path / "out" / "summary.json").exists()


def test_progress_is_bounded_and_ends_at_total(tmp_path):
    rows = [ROWS[i % len(ROWS)].replace("BTC", f"B{i}") for i in range(20_000)]
    calls: list[tuple[int, int]] = []
    Run(tmp_path, *rows, progress=lambda d, t: calls.append((d, t)))
    assert 2 <= len(calls) <= 105
    assert calls[-1][0] == calls[-1][1]
    fractions = [d / t for d, t in calls]
    assert fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)


@pytest.mark.parametrize("sample_bytes", [256, 1 << 16])
def test_progress_total_is_estimated_then_exact(tmp_path, monkeypatch, sample_bytes):
    """While the file is read, progress runs against its line count, sampled from blocks
    spread over a large file (256-byte blocks make this one large; its second half has longer
    lines) and counted in a small one; once every row is in, the total is exact and progress
    ends there."""
    from tc1console.backtest import progress
    monkeypatch.setattr(progress, "SAMPLE_BYTES", sample_bytes)
    rows = [ROWS[i % len(ROWS)].replace("BTC", "B" * (1 + i % 7 if i < 10_000 else 40)) for i in range(20_000)]
    calls: list[tuple[int, int]] = []
    Run(tmp_path, *rows, progress=lambda d, t: calls.append((d, t)))
    first_total, exact = calls[0][1], 2 * len(rows)
    assert abs(first_total - exact) <= exact * 0.05
    assert calls[-1] == (exact, exact)
    assert all(0 <= d <= t for d, t in calls)


def test_stale_summary_is_replaced_and_other_files_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"stale": true}')
    (out / "notes.txt").write_text("mine")
    run = Run(tmp_path, *ROWS[:3])
    assert "stale" not in run.summary_file
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]


def test_a_run_into_a_used_folder_replaces_its_outputs_and_a_cancelled_one_keeps_them(tmp_path):
    """docs/harness.md outputs: a second run into the folder of a longer one leaves exactly what a
    fresh folder gets (the old files are removed before the new ones are renamed in); a run
    cancelled there once its outputs were started removes only summary.json: the CSVs stay."""
    risk, policy = write_configs(tmp_path / "c")
    long_run = write_trades(tmp_path, *ROWS, name="long.csv")
    short_run = write_trades(tmp_path, *ROWS[:5], name="short.csv")
    run_harness(long_run, risk, tmp_path / "used", policy)
    run_harness(short_run, risk, tmp_path / "used", policy)
    run_harness(short_run, risk, tmp_path / "fresh", policy)
    for name in ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv"):
        assert (tmp_path / "used" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    kept = (tmp_path / "used" / "open_allocations.csv").read_bytes()
    stop = threading.Event()
    with pytest.raises(HarnessCancelled):  # cancelled while replaying: its partial files are gone
        run_harness(long_run, risk, tmp_path / "used", policy, cancel=stop,
                    progress=lambda done, total: done * 2 >= total and stop.set())
    assert sorted(p.name for p in (tmp_path / "used").iterdir()) == [
        "equity_curve.csv", "open_allocations.csv", "realized_pnl.csv"]
    assert (tmp_path / "used" / "open_allocations.csv").read_bytes() == kept


def test_a_run_discarding_late_leaves_a_newer_runs_files_alone(tmp_path):
    """A killed run's helper deletes its partial files when it notices (see test_harness_workers);
    if a new run into that folder has begun by then, the new run's files are other files (not the
    old ones truncated), so they stay and the new run finishes whole."""
    from tc1console.backtest.writer import Outputs
    out = tmp_path / "out"
    old = Outputs(out)
    old.files["open_allocations.csv"].write("stale\n")
    new = Outputs(out)  # under way while the old run's helper discards
    old.discard(summary=False)
    new.commit({"done": True})
    assert sorted(p.name for p in out.iterdir()) == [
        "equity_curve.csv", "open_allocations.csv", "realized_pnl.csv", "summary.json"]
    assert header_of(out / "open_allocations.csv") == [*OpenResult._fields, "line"]
    assert (out / "open_allocations.csv").read_text().count("\n") == 1


def test_unwritable_out_dir_is_input_error(tmp_path):
    from tc1console.engine.errors import InputError
    risk, _ = write_configs(tmp_path / "c")
    trades = write_trades(tmp_path, *ROWS[:3])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write outputs"):
        run_harness(trades, risk, blocker / "out")
