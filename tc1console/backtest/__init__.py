"""The backtest harness: a trades CSV replayed through the engine's RiskEngine (docs/harness.md).

Next to the engine, not inside it: the bot imports `tc1console.engine`, which loads nothing of
this package. `tc1 harness` is its command (cli.py); from Python:

    from tc1console.backtest import run_harness
    summary = run_harness("trades.csv", "configs/risk_overlay.toml", "out/", "configs/risk_policy.toml")

The modules, in the order the data flows: reader.py (CSV -> Trades, with fast_reader.py as an
acceleration) -> replay.py (Trades -> RiskEngine, in event order, results in batches) ->
writer.py (batches -> the CSVs, rendered by rows.py or fast_rows.py) and summary.py; runner.py
runs the lot, forked.py (with pipes.py) spreads it over two cores, progress.py reports.
sweep.py (with grid.py and sweep_cli.py) replays one table under a grid of configs, on local
cores or a Dask cluster (`tc1 sweep`).
"""

from .progress import HarnessCancelled
from .reader import read_trades
from .replay import Batch, Replayed, Sink, replay
from .runner import default_workers, run_harness
from .trades import Trades
from .writer import EQUITY_CURVE, OPEN_ALLOCATIONS, REALIZED_PNL, SUMMARY

__all__ = [
    "EQUITY_CURVE", "OPEN_ALLOCATIONS", "REALIZED_PNL", "SUMMARY", "Batch", "HarnessCancelled", "Replayed",
    "Sink", "Trades", "default_workers", "read_trades", "replay", "run_harness",
]
