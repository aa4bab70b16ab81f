"""Config sweeps: one trades table, parsed once, replayed under many configs on local cores or Dask.

    result = run_sweep("trades.csv", "configs/risk_overlay.toml", "out/", ["percent_risk=0.005:0.02:0.005"])

Each config runs the very replay loop of `tc1 harness` (replay.py) into a sink that keeps only the
tally of its closes (summary.py's Tally), and its figures are the harness's summary.json figures
(summary.py), so a row equals a standalone harness run with that config, to the bit. The table is
read once: local worker processes inherit it through fork; a Dask cluster gets it scattered once to
every worker. Outputs, all or nothing (as writer.py's for a harness run): sweep.csv, sweep.json, best_risk_overlay.toml,
best_risk_policy.toml and curves/ for the top `keep_curves` (and the base config's, with
`base_curve`), written in a temporary folder inside
out_dir and renamed into place, sweep.json last. grid.py parses and validates the grid;
sweep_cli.py is `tc1 sweep`.
"""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import uuid
from array import array
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..engine import config
from ..engine.config import OverlayConfig, PolicyConfig
from ..engine.core import SKIP_REASONS, RiskEngine
from ..engine.errors import ConfigError, InputError, Tc1Error
from .grid import Grid, Point, parse_axis
from .progress import Cancel
from .reader import check_header, read_trades
from .replay import Batch, replay
from .rows import Rows
from .summary import Tally, summary as make_summary
from .trades import Trades
from .writer import EQUITY_COLUMNS

SCHEDULER_ENV = "TC1_DASK_SCHEDULER"
SWEEP_CSV, SWEEP_JSON, CURVES = "sweep.csv", "sweep.json", "curves"
BEST = {"overlay": "best_risk_overlay.toml", "policy": "best_risk_policy.toml"}
BASE_CURVE = "base"  # curves/base.csv: the base configs' own curve (run_sweep's base_curve)
BASE_INDEX = -1  # the base config's task index (a grid position is 0 or more)
# The summary's figures a row carries, in column order (their formulas live in summary.py).
FIGURES = ("final_balance", "return_pct", "max_drawdown", "max_drawdown_pct", "return_over_max_dd",
           "profit_factor", "win_rate", "avg_R", "total_R", "trades_taken", "trades_closed", "trades_skipped")
LOWER_IS_BETTER = {"max_drawdown", "max_drawdown_pct", "trades_skipped"}
DEFAULT_OBJECTIVE = "return_over_max_dd"

Progress = Callable[[int, int], None]


class SweepCancelled(Tc1Error):
    """The sweep was cancelled: its workers stopped and no output file was written."""


# --- one config -----------------------------------------------------------------------------------

class _TallySink:
    """The replay's sink for a sweep: the harness's Tally of the closes, and the equity curve if asked
    (the points equity_curve.csv holds: the first event, then each close's exit time and balance)."""

    def __init__(self, t: Trades, balance: float, curve: bool) -> None:
        self.t, self.tally = t, Tally(balance)
        self.ts: array | None = array("q") if curve else None
        self.balance: array | None = array("d") if curve else None

    def start(self, ts_ms: int, balance: float) -> None:
        if self.ts is not None:
            self.ts.append(ts_ms), self.balance.append(balance)

    def feed(self, b: Batch) -> None:
        self.tally.add_batch(b.cfl)
        if self.ts is not None:
            exit_ts = self.t.exit_ts
            self.ts.extend(exit_ts[i] for i in b.cpos)
            self.balance.extend(b.cfl[6::7])


def run_config(t: Trades, overlay: OverlayConfig, policy: PolicyConfig, *, curve: bool = False,
               cancel: Cancel | None = None) -> tuple[dict[str, Any], tuple[array, array] | None]:
    """Replay `t` under one config: its summary (summary.json's figures, without the file paths and
    the list of trades still open) and, with `curve`, its equity curve as (ts_ms, balance) arrays.
    `cancel.is_set()` is polled between chunks of events; once true, SweepCancelled."""
    engine = RiskEngine(overlay, policy)
    sink = _TallySink(t, engine.balance, curve)

    def tick(done: int) -> None:
        if cancel is not None and cancel.is_set():
            raise SweepCancelled("sweep cancelled")
    replayed = replay(engine, t, sink, tick=tick)
    result = make_summary(engine, t, replayed, sink.tally, {})
    result["still_open"] = len(result["still_open"])
    return result, ((sink.ts, sink.balance) if curve else None)


# --- executors: a task is (grid index, overlay, policy, curve) ----------------------------------

_SHARED: Trades | None = None  # the table, set before the local workers fork (they inherit it)
_CANCEL: Any = None  # a multiprocessing Event the local workers poll


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it (it sets _CANCEL).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_shared(index: int, overlay: OverlayConfig, policy: PolicyConfig, curve: bool) -> tuple:
    assert _SHARED is not None
    return (index, *run_config(_SHARED, overlay, policy, curve=curve, cancel=_CANCEL))


class _ClusterCancel:
    """A distributed.Event by name, asked at most once a second (each ask is a scheduler round trip)."""

    def __init__(self, name: str) -> None:
        self.name, self.event, self.next_at = name, None, 0.0

    def is_set(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + 1.0
        if self.event is None:
            from distributed import Event
            self.event = Event(self.name)
        return self.event.is_set()


def _run_scattered(t: Trades, index: int, overlay: OverlayConfig, policy: PolicyConfig, curve: bool,
                   cancel_name: str) -> tuple | None:
    try:
        return (index, *run_config(t, overlay, policy, curve=curve, cancel=_ClusterCancel(cancel_name)))
    except SweepCancelled:
        return None  # not an error for the worker to log: the client is gone already


Task = tuple[int, OverlayConfig, PolicyConfig, bool]
Done = Callable[[tuple], None]


def run_in_process(t: Trades, tasks: Sequence[Task], done: Done) -> None:
    for index, overlay, policy, curve in tasks:
        done((index, *run_config(t, overlay, policy, curve=curve)))


def run_local(t: Trades, tasks: Sequence[Task], done: Done, workers: int) -> None:
    """The tasks on `workers` forked processes that inherit `t` (copy-on-write, never pickled)."""
    global _SHARED, _CANCEL
    ctx = multiprocessing.get_context("fork")
    _SHARED, _CANCEL = t, ctx.Event()
    gc.freeze()  # the table's objects leave the collector's lists: the workers' pages stay shared
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init)
    try:
        pending = {pool.submit(_run_shared, *task) for task in tasks}
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                done(future.result())
    except BaseException:
        _CANCEL.set()  # the running configs stop at their next chunk of events
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        _SHARED, _CANCEL = None, None
        gc.unfreeze()


def run_dask(t: Trades, tasks: Sequence[Task], done: Done, scheduler: Any) -> None:
    """The tasks on a Dask distributed cluster: `scheduler` is its address (tcp://HOST:PORT) or a
    distributed.Client. The table is scattered once to every worker."""
    try:
        from distributed import Client, Event, as_completed
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'tc1console[cluster]'") from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    else:
        client = scheduler
    futures: list = []
    cancel = Event(f"tc1-sweep-{uuid.uuid4().hex}", client=client)
    try:
        shared = client.scatter(t, broadcast=True)
        futures = [client.submit(_run_scattered, shared, *task, cancel.name, pure=False) for task in tasks]
        for future in as_completed(futures):
            done(future.result())
    except BaseException:
        if futures:
            client.cancel(futures)  # the others never start
        cancel.set()  # the running configs stop within a second
        raise
    finally:
        if own:
            client.close()


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --- the sweep ------------------------------------------------------------------------------------

def row_of(point: Point, s: dict[str, Any]) -> dict[str, Any]:
    """A results row: the config's grid values, then the summary's figures and skips per reason.
    return_over_max_dd = return_pct / max_drawdown_pct (null with no drawdown)."""
    dd = s["max_drawdown_pct"]
    figures = {**s, "return_over_max_dd": s["return_pct"] / dd if dd else None}
    return {"config": point.index, "values": dict(point.values),
            **{name: figures[name] for name in FIGURES},
            "skipped_by_reason": dict(s["skipped_by_reason"])}


def rank(rows: list[dict[str, Any]], objective: str) -> list[dict[str, Any]]:
    """Best first by `objective` (lowest first for a drawdown or a skip count), a null last, ties in
    grid order; each row gets its `rank` (1 = best)."""
    if objective not in FIGURES:
        raise InputError(f"--objective: {objective!r} is not one of {', '.join(FIGURES)}")
    sign = 1 if objective in LOWER_IS_BETTER else -1

    def key(row: dict[str, Any]) -> tuple:
        v = row[objective]
        return (v is None, 0.0 if v is None else sign * v, row["config"])
    ranked = sorted(rows, key=key)
    return [{"rank": k + 1, **row} for k, row in enumerate(ranked)]


def run_sweep(trades_csv: str | os.PathLike[str], risk_config: str | os.PathLike[str],
              out_dir: str | os.PathLike[str], grid: Iterable[str],
              policy_config: str | os.PathLike[str] | None = None, *, random_n: int | None = None,
              seed: int = 0, objective: str = DEFAULT_OBJECTIVE, workers: int | None = None,
              scheduler: Any = None, keep_curves: int = 0, base_curve: bool = False,
              progress: Progress | None = None,
              started: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Run every config of the grid over the trades and write the outputs into `out_dir`.

    `grid`: KEY=SPEC texts (grid.py). `workers`: local processes (default: one per core; 1 runs
    in this process); `scheduler`: a Dask scheduler address or Client instead (default:
    $TC1_DASK_SCHEDULER when set). `base_curve`: also replay the base configs as they are and keep
    their curve as curves/base.csv (what a row is compared with). `progress(done, total)` after each config; `started(configs,
    trades, where)` once the grid is validated and the table read. Returns sweep.json's content.
    Raises ConfigError for a bad spec or value (before anything runs), InputError for an unreadable
    trades file or out_dir; KeyboardInterrupt leaves no output file.
    """
    if objective not in FIGURES:
        raise InputError(f"--objective: {objective!r} is not one of {', '.join(FIGURES)}")
    if keep_curves < 0:
        raise InputError(f"--keep_curves: must be 0 or more, not {keep_curves}")
    axes = [parse_axis(spec) for spec in grid]
    if not axes:
        raise ConfigError("--grid: give at least one KEY=SPEC")
    risk_path = Path(risk_config)
    overlay_raw = config.read_raw(risk_path)
    policy_raw = config.read_raw(Path(policy_config)) if policy_config is not None else {}
    g = Grid(axes, overlay_raw, policy_raw, str(risk_path), str(policy_config) if policy_config else None)
    points = g.points(random_n, seed)
    out_path = Path(out_dir)
    check_header(Path(trades_csv))  # a file that cannot be read fails before out_dir is touched
    _check_out_dir(out_path)
    t = read_trades(trades_csv)

    if scheduler is None and workers is None:  # an explicit --workers means these cores
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise InputError(f"--workers: must be 1 or more, not {workers}")
    workers = min(workers, len(points))

    def execute(tasks: Sequence[Task], done: Done) -> None:
        if scheduler is not None:
            run_dask(t, tasks, done, scheduler)
        elif workers == 1 or not hasattr(os, "fork"):
            run_in_process(t, tasks, done)
        else:
            run_local(t, tasks, done, workers)

    where = (f"Dask at {scheduler}" if isinstance(scheduler, str) else "a Dask cluster") if scheduler is not None \
        else f"{workers} local worker{'s' if workers > 1 else ''}"
    if started is not None:
        started(len(points), len(t), where)
    by_index = {p.index: p for p in points}
    rows: list[dict[str, Any]] = []

    def collect(result: tuple) -> None:
        index, s, _ = result
        rows.append(row_of(by_index[index], s))
        if progress is not None:
            progress(len(rows), len(points))
    execute([(p.index, p.overlay, p.policy, False) for p in points], collect)
    ranked = rank(rows, objective)

    curves: dict[int, tuple[array, array]] = {}
    top = [(i, by_index[i].overlay, by_index[i].policy, True) for i in (row["config"] for row in ranked[:keep_curves])]
    if base_curve:  # the base files as read, validated as the grid's own base was
        top.append((BASE_INDEX, config.validate("overlay", overlay_raw, str(risk_path)),
                    config.validate("policy", policy_raw, g.sources["policy"]), True))
    if top:
        execute(top, lambda result: curves.__setitem__(result[0], result[2]))

    best = ranked[0]
    result = {
        "trades_csv": str(Path(trades_csv).resolve()), "risk_config": str(risk_path.resolve()),
        "policy_config": str(Path(policy_config).resolve()) if policy_config is not None else None,
        "objective": objective, "grid": {a.key: list(a.values) for a in axes},
        "random": random_n, "seed": seed if random_n is not None else None,
        "trades_in": len(t), "configs": len(ranked), "rows": ranked,
    }
    bests = {"overlay": config.render(Path(BEST["overlay"]), "overlay", g.raw_at("overlay", best["values"]))}
    if policy_config is not None or any(a.kind == "policy" for a in axes):
        bests["policy"] = config.render(Path(BEST["policy"]), "policy", g.raw_at("policy", best["values"]))
    write_outputs(out_path, result, [(a.key, a.kind) for a in axes], bests,
                  [(f"rank_{row['rank']}", curves[row["config"]]) for row in ranked[:keep_curves]]
                  + ([(BASE_CURVE, curves[BASE_INDEX])] if base_curve else []))
    return result


# --- outputs --------------------------------------------------------------------------------------

def _check_out_dir(out: Path) -> None:
    """Fail before the sweep runs, not after, when out_dir cannot be made or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".sweep-probe-", dir=out)
        os.rmdir(probe)
    except OSError as exc:
        raise InputError(f"{out}: cannot write outputs ({exc.strerror or exc})") from None


def csv_rows(rows: list[dict[str, Any]], axes: list[tuple[str, str]]) -> Iterable[list[Any]]:
    """sweep.csv: a header, then one line per row (a null figure or an unset value is empty). A key's
    column is its name, or KIND.KEY where a figure has that name (policy.max_drawdown_pct)."""
    keys = [key for key, _ in axes]
    names = [f"{kind}.{key}" if key in FIGURES else key for key, kind in axes]
    yield ["rank", "config", *names, *FIGURES, *(f"skipped_{r}" for r in SKIP_REASONS)]
    for row in rows:
        yield [row["rank"], row["config"], *(row["values"][k] for k in keys),
               *(row[name] for name in FIGURES), *(row["skipped_by_reason"][r] for r in SKIP_REASONS)]


def write_outputs(out: Path, result: dict[str, Any], axes: list[tuple[str, str]], bests: dict[str, str],
                  curves: list[tuple[str, tuple[array, array]]]) -> None:
    """Every file in a temporary folder inside `out`, then renamed into place with sweep.json last
    (it marks a finished sweep, as summary.json does a harness run); on any failure or Ctrl-C the
    temporary folder goes and `out` keeps what it had."""
    tmp = Path(tempfile.mkdtemp(prefix=".sweep-partial-", dir=out))
    try:
        with open(tmp / SWEEP_CSV, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(csv_rows(result["rows"], axes))
        for kind, text in bests.items():
            (tmp / BEST[kind]).write_text(text, encoding="utf-8")
        if curves:
            (tmp / CURVES).mkdir()
            rows = Rows()
            for name, (ts, balance) in curves:
                with open(tmp / CURVES / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                    f.write(rows.row(EQUITY_COLUMNS))
                    f.writelines(map(rows.point, ts, balance))
        (tmp / SWEEP_JSON).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (out / SWEEP_JSON).unlink(missing_ok=True)  # no folder claims a finished sweep meanwhile
        for name in (SWEEP_CSV, *BEST.values()):
            if (tmp / name).exists():
                os.replace(tmp / name, out / name)
            else:
                (out / name).unlink(missing_ok=True)  # an older sweep's, not this one's
        if (out / CURVES).exists():
            shutil.rmtree(out / CURVES)
        if curves:
            os.replace(tmp / CURVES, out / CURVES)
        os.replace(tmp / SWEEP_JSON, out / SWEEP_JSON)
    except OSError as exc:
        raise InputError(f"{out}: cannot write outputs ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
