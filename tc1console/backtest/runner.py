"""One backtest run: a trades CSV replayed through a fresh RiskEngine into the four outputs (docs/harness.md).

Reads the configs, reads the CSV (reader.py) or has a forked child read it (forked.py), replays it
(replay.py), renders the results (writer.py) and writes summary.json last (summary.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..engine import config
from ..engine.config import PolicyConfig
from ..engine.core import RiskEngine
from .forked import Disorder, ForkedReader
from .progress import Cancel, Progress, Ticker, estimate_lines
from .reader import check_header, read_trades
from .replay import chunks, replay
from .summary import summary as make_summary
from .writer import Outputs, RowWriter

PARALLEL_MIN_BYTES = 1 << 20  # ~12,000 rows: below this a forked reader and writer cost more than they save


def default_workers(trades_csv: Path) -> int:
    """2 (a forked child reads and renders beside this process) for a trades file of
    PARALLEL_MIN_BYTES or more on a machine with two or more CPUs and os.fork, else 1."""
    try:
        size = trades_csv.stat().st_size
    except OSError:
        return 1  # read_trades reports it properly
    if not hasattr(os, "fork") or size < PARALLEL_MIN_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def run_harness(trades_csv: str | os.PathLike[str], risk_config: str | os.PathLike[str],
                out_dir: str | os.PathLike[str], policy_config: str | os.PathLike[str] | None = None,
                *, progress: Progress | None = None, cancel: Cancel | None = None,
                workers: int | None = None) -> dict[str, Any]:
    """Replay `trades_csv` through a fresh RiskEngine and write the four outputs into `out_dir`.

    Returns the summary (also written to summary.json). `progress(done, total)` is called at most
    about 100 times; `cancel.is_set()` is polled every few thousand rows and, once true, the run
    stops, deletes its partial files and raises HarnessCancelled. `workers`: 1 does all the work
    in this process; 2 forks a child that reads the file, streaming its rows to this process,
    which replays them as they come, and then renders the output rows (the same bytes, in less
    time on two cores; see forked.py); None picks 2 for a file of PARALLEL_MIN_BYTES or more
    on a machine with two or more CPUs and `os.fork`.
    Raises ConfigError for a bad config and InputError for an unreadable or headerless CSV or an
    unwritable out_dir; a bad row is only an `invalid_input` skip.
    """
    if workers not in (None, 1, 2):
        raise ValueError(f"workers must be 1, 2 or None, not {workers!r}")
    trades_path, risk_path, out_path = Path(trades_csv), Path(risk_config), Path(out_dir)
    overlay = config.load_overlay(risk_path)
    policy = config.load_policy(Path(policy_config)) if policy_config is not None else PolicyConfig()
    tick = Ticker(progress, cancel, 2 * estimate_lines(trades_path) if progress else 0)
    if workers is None:
        workers = default_workers(trades_path)
    paths = {"trades_csv": str(trades_path.resolve()), "risk_config": str(risk_path.resolve()),
             "policy_config": str(Path(policy_config).resolve()) if policy_config is not None else None}
    engine = RiskEngine(overlay, policy)
    if workers == 1:
        trades = read_trades(trades_path, tick)
        tick.set_total(2 * len(trades))
    else:
        check_header(trades_path)  # a file that cannot be read fails before out_dir is touched
    out = Outputs(out_path)
    sink: RowWriter | ForkedReader | None = None
    try:
        if workers == 1:
            sink = RowWriter(trades, out, engine.balance)
            replayed = replay(engine, trades, sink, chunks(trades.replay_order()),
                              lambda k: tick(len(trades) + k))
        else:
            sink = reader = ForkedReader(trades_path, out, engine.balance)
            trades = reader.t
            try:
                replayed = replay(engine, trades, reader, reader.replay_order(tick),
                                  lambda k: tick(reader.received + k))
            except Disorder:  # replay the whole table afresh, now that it is all here
                engine = RiskEngine(overlay, policy)
                replayed = replay(engine, trades, reader, chunks(trades.replay_order()),
                                  lambda k: tick(len(trades) + k))
        tally = sink.finish()
        tick.check_cancel()  # a last check before anything is renamed into place
        summary = make_summary(engine, trades, replayed, tally, paths)
    except BaseException:
        if sink is not None:
            sink.close()
        out.discard()
        raise
    out.commit(summary)
    tick.finish(2 * len(trades))
    return summary
