"""Backtest/live parity (docs/harness.md "Parity"): the harness and the live API, fed the same events,
give identical allocations, closes and final state, to the last bit, with the process restarted
between any two events.

One generated trades CSV (fixed seed, ~3,000 rows over 72 UTC days, every skip reason present, equal
timestamps, rows out of time order) goes through `run_harness`. The same events then go through
`LiveRisk` in a fresh root with the same configs: the events are the rows the harness echoed in
open_allocations.csv, ordered by this file's own restatement of the §5 order rule, and each event
gets a brand-new `LiveRisk(root)` (nothing kept in memory), a few dozen of them a whole new `python`
process (parity_child.py). Every output field is compared as text against `repr()` of the live
value: no tolerance anywhere.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import shutil
import subprocess
import tempfile
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest

from tc1console.backtest import run_harness
from tc1console.engine import config, store
from tc1console.engine.core import CLOSE_HISTORY, DAY_WINDOW, EQUITY_WINDOW, SKIP_REASONS, CloseResult, OpenResult
from tc1console.engine.live import LiveRisk
from tc1console.engine.rails import day_index, day_key

HERE = Path(__file__).resolve().parent
CHILD = HERE / "parity_child.py"

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
T0 = 1_740_960_000_000  # 2025-03-03T00:00:00Z
DAYS = 72  # more than DAY_WINDOW, so the live state files prune day buckets the way the harness does
CRASH_DAYS = range(64, DAYS)  # one big loss a day until the balance sinks under the equity floor
HEADER = ["symbol", "side", "timestamp", "entry_price", "sl_price", "exit_time", "exit_price", "trade_id"]

OVERLAY: dict[str, Any] = {
    "initial_balance": 10_000.0,
    "flat_risk_until": 9_500.0,
    "flat_risk_amount": 30.0,
    "percent_risk": 0.005,
    "per_trade_risk_cap": 50.0,
    "total_open_risk_cap": 250.0,
    "max_concurrent_trades": 8,
    "max_leverage": 3.0,
    "fee_bps_per_side": 4.0,
    "fees_in_risk": True,
    "default_qty_step": 0.001,
    "default_min_qty": 0.001,
    "default_min_notional": 5.0,
    config.OVERRIDES_KEY: {
        "BTCUSDT": {"qty_step": 0.001, "min_qty": 0.001, "min_notional": 100.0},
        "ETHUSDT": {"qty_step": 0.01, "min_qty": 0.01, "min_notional": 20.0},
        "SOLUSDT": {"qty_step": 0.1, "min_qty": 0.1, "min_notional": 5.0},
        # Whole units and no fee: risks are whole dollars, so caps can be reached exactly.
        "BIG": {"qty_step": 1.0, "min_qty": 1.0, "min_notional": 10.0, "fee_bps_per_side": 0.0},
        "DUST": {"qty_step": 1.0, "min_qty": 1.0, "min_notional": 1_000.0, "fee_bps_per_side": 2.5},
    },
}
POLICY: dict[str, Any] = {"equity_floor": 8_000.0, "daily_loss_cap": 250.0, "max_trades_per_day": 25}

# Filler symbols: start price and the decimals prices are rounded to.
FILLER = {"BTCUSDT": (60_000.0, 1), "ETHUSDT": (3_000.0, 2), "SOLUSDT": (150.0, 3), "XRPUSDT": (0.6, 4)}


# --- the generated trades -------------------------------------------------------------------------

@dataclass
class Row:
    """One CSV row as written, and what the test needs to know about it beyond the harness's echo."""

    cells: list[str]  # in HEADER order
    exit_ts: int  # exit time in ms (what the row's exit_time text means)
    exit_price: float
    csv_bad: bool = False  # a row the CSV reader itself rejects: it never reaches the engine
    line: int = 0  # the file line, set once the rows have their final order


def _iso(ms: int, naive: bool = False) -> str:
    text = datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return text if naive else text + "Z"


def _time_text(rng: random.Random, ms: int) -> str:
    """The same instant in one of the input formats docs/harness.md accepts."""
    form = rng.randrange(4)
    if form == 0:
        return str(ms)
    if form == 1:
        return str(ms // 1000)  # epoch seconds (the times sit on whole minutes)
    return _iso(ms, naive=form == 3)


def _row(symbol: str, side: str, ts: int, entry: Any, stop: Any, exit_ts: int, exit_price: float,
         trade_id: str = "", *, rng: random.Random | None = None, ts_text: str | None = None) -> Row:
    if ts_text is None:
        ts_text = _time_text(rng, ts) if rng else str(ts)
    exit_text = _time_text(rng, exit_ts) if rng else str(exit_ts)
    return Row([symbol, side, ts_text, str(entry), str(stop), exit_text, repr(exit_price), trade_id],
               exit_ts, exit_price)


def _bad(cells: list[str]) -> Row:
    return Row(cells, 0, 0.0, csv_bad=True)


def scenario_day0(d: int) -> list[Row]:
    """Day 0, nothing else that day: the balance is exactly initial_balance when it starts.

    - max_leverage: 1000/999 on BIG wants qty 50, gets the leverage room 30 (notional 30,000 =
      10,000 * 3 exactly), so the next entry at the same ms finds room 0.
    - duplicate_trade_id twice (open with other arguments, then already closed) and one retry
      (identical arguments while open: the same allocation back, its exit ignored).
    - equal timestamps: an exit and two entries at 06:00, one of them exiting at its own entry time.
    - below_min_qty, below_min_notional, engine-rejected inputs and rows the CSV reader rejects.
    """
    t = T0 + d * DAY
    return [
        _row("BIG", "long", t + 1 * HOUR, 1000, 999, t + 3 * HOUR, 1000.5, "s0-lev"),
        _row("SOLUSDT", "long", t + 1 * HOUR, 150, 148, t + 2 * HOUR, 151.0, "s0-lev-blocked"),
        _row("ETHUSDT", "LONG", t + 4 * HOUR, 3000, 2970, t + 6 * HOUR, 3030.0, "dup-A"),
        _row("ETHUSDT", "buy", t + 4 * HOUR, 3000.0, 2970.0, t + 5 * HOUR, 2990.0, "dup-A"),  # retry
        _row("ETHUSDT", "long", t + 5 * HOUR, 3001, 2970, t + 7 * HOUR, 3010.0, "dup-A"),  # other args
        _row("SOLUSDT", "short", t + 6 * HOUR, 150, 152, t + 6 * HOUR, 149.5, "tie-own-exit"),
        _row("ETHUSDT", "1", t + 6 * HOUR, 3030, 3000, t + 6 * HOUR, 3031.0, "tie-2"),
        _row("ETHUSDT", "long", t + 7 * HOUR, 3000, 2990, t + 8 * HOUR, 3001.0, "dup-A"),  # closed
        _row("BIG", "long", t + 8 * HOUR, 1000, 940, t + 9 * HOUR, 1001.0, "s0-min-qty"),
        _row("DUST", "long", t + 8 * HOUR, 100, 90, t + 9 * HOUR, 101.0, "s0-min-notional"),
        # Engine-rejected: the CSV parses, try_open says invalid_input.
        _row("SOLUSDT", "long", t + 9 * HOUR, 150, 151, t + 10 * HOUR, 150.0, "bad-long-stop"),
        _row("SOLUSDT", "-1", t + 9 * HOUR, 150, 149, t + 10 * HOUR, 150.0, "bad-short-stop"),
        _row("SOLUSDT", "sell", t + 9 * HOUR, 150, 150, t + 10 * HOUR, 150.0, "bad-equal-stop"),
        _row("SOLUSDT", "long", t + 9 * HOUR, "nan", 149, t + 10 * HOUR, 150.0, "bad-nan"),
        _row("SOLUSDT", "short", t + 9 * HOUR, 150, "inf", t + 10 * HOUR, 150.0, "bad-inf"),
        _row("SOLUSDT", "long", t + 9 * HOUR, -150, -151, t + 10 * HOUR, 150.0, "bad-negative"),
        _row("SOLUSDT", "long", 1_000_000_000, 150, 149, 1_000_060_000, 150.0, "bad-1970",
             ts_text="1000000"),  # epoch seconds in 1970: before any ms epoch the engine accepts
        # Rejected by the CSV reader: the row never reaches the engine.
        _bad(["SOLUSDT", "long", str(t + 9 * HOUR), "abc", "149", str(t + 10 * HOUR), "150", "csv-price"]),
        _bad(["SOLUSDT", "sideways", str(t + 9 * HOUR), "150", "149", str(t + 10 * HOUR), "150", "csv-side"]),
        _bad(["SOLUSDT", "long", "not-a-time", "150", "149", str(t + 10 * HOUR), "150", "csv-time"]),
        _bad(["SOLUSDT", "long", str(t + 9 * HOUR), "150", "149", str(t + 8 * HOUR), "150", "csv-exit-early"]),
        _bad(["SOLUSDT", "long", str(t + 9 * HOUR), "150", "149", str(t + 10 * HOUR), "0", "csv-exit-price"]),
        _bad(["SOLUSDT", "long", str(t + 9 * HOUR), "150", "149"]),  # too few fields
    ]


def scenario_open_risk(d: int) -> list[Row]:
    """total_open_risk_cap: BIG 1000/990 risks whole tens, so the open risk reaches 250 exactly."""
    t = T0 + d * DAY + 21 * HOUR
    return [_row("BIG", "long", t + k * MIN, 1000, 990, t + 2 * HOUR, 1000.0 + k, f"s1-{k}") for k in range(10)]


def scenario_concurrency(d: int) -> list[Row]:
    """max_concurrent_trades: BIG 1000/970 risks 30 each, 8 open hold 240 < 250, the 9th is refused."""
    t = T0 + d * DAY + 21 * HOUR
    return [_row("BIG", "short", t + k * MIN, 1000, 1030, t + 2 * HOUR, 999.0 - k, f"s2-{k}") for k in range(10)]


def scenario_trades_per_day(d: int) -> list[Row]:
    """max_trades_per_day: 30 quick trades, each exiting at its own entry time (so they never pile up)."""
    t = T0 + d * DAY + 20 * HOUR
    return [_row("SOLUSDT", "long", t + 2 * k * MIN, 150, 149, t + 2 * k * MIN, 150.2, f"s3-{k}")
            for k in range(30)]


def crash(d: int) -> list[Row]:
    """A big loss late in the day, then an entry the daily loss cap (or the equity floor) refuses."""
    t = T0 + d * DAY + 22 * HOUR
    return [_row("BIG", "long", t, 1000, 990, t + 30 * MIN, 500.0, f"crash-{d}"),
            _row("SOLUSDT", "long", t + HOUR, 150, 148, t + 90 * MIN, 151.0, f"after-crash-{d}")]


def filler_day(rng: random.Random, d: int, n: int, prices: dict[str, float], ids: list[int]) -> list[Row]:
    """Random trades between 00:00 and 14:00 on a 5-minute grid (equal times are common), held up to
    6 hours (so scenario blocks after 21:00 start flat), some exiting at their own entry time."""
    start = T0 + d * DAY
    rows = []
    for _ in range(n):
        sym = rng.choice(list(FILLER))
        dec = FILLER[sym][1]
        entry = round(prices[sym] * (1 + rng.uniform(-0.01, 0.01)), dec)
        is_long = rng.random() < 0.5
        roll = rng.random()
        if sym == "BTCUSDT" and roll < 0.04:
            dist = entry * rng.uniform(0.58, 0.7)  # qty 0.001 at best: below BTC's min notional
            is_long = True
        elif sym == "BTCUSDT" and roll < 0.06:
            dist = entry * rng.uniform(0.95, 1.2)  # a short whose stop is so far that qty floors to 0
            is_long = False
        else:
            dist = entry * rng.uniform(0.002, 0.02)
        stop = round(entry - dist if is_long else entry + dist, dec)
        if stop == entry or stop <= 0:
            stop = round(entry * (0.99 if is_long else 1.01), dec)
        ts = start + rng.randrange(0, 168) * 5 * MIN
        exit_ts = ts if rng.random() < 0.06 else ts + rng.randrange(1, 73) * 5 * MIN
        r = rng.choice([-1.0, -1.0, -1.0, -0.5, 0.0, 1.0, 1.5, 2.0, rng.uniform(-1.2, 2.5)])
        exit_price = round(entry + r * abs(entry - stop) * (1 if is_long else -1), dec)
        if exit_price <= 0:
            exit_price = round(entry * 1.01, dec)
        side = rng.choice(["long", "buy", "Long", "1"] if is_long else ["short", "sell", "SHORT", "-1"])
        trade_id = ""
        if rng.random() < 0.15:
            ids[0] += 1
            trade_id = f"f{ids[0]}"
        rows.append(_row(sym, side, ts, entry, stop, exit_ts, exit_price, trade_id, rng=rng))
    return rows


def generate(seed: int, days: int = DAYS, scale: float = 1.0) -> list[Row]:
    """The trades CSV rows in their final (partly out of time order) input order, lines numbered."""
    rng = random.Random(seed)
    prices = {s: p for s, (p, _) in FILLER.items()}
    ids = [0]
    blocks: list[tuple[bool, list[Row]]] = []  # (may be moved around, rows)
    for d in range(days):
        for sym in prices:
            prices[sym] *= math.exp(rng.gauss(0.0, 0.02))
        if d == 0:
            blocks.append((False, scenario_day0(d)))
        elif d == 1:
            blocks.append((False, scenario_open_risk(d)))
        elif d == 2:
            blocks.append((False, scenario_concurrency(d)))
        elif d == 3:
            blocks.append((False, scenario_trades_per_day(d)))
        else:
            crashing = d in CRASH_DAYS
            n = round(rng.randint(5, 15) if crashing else rng.randint(15, 80) * scale)
            rows = filler_day(rng, d, n, prices, ids)
            rows.sort(key=lambda r: _entry_ms(r))
            shape = rng.random()
            if shape < 0.15:
                rows.reverse()  # a day written backwards
            elif shape < 0.3:
                rng.shuffle(rows)  # a day in no order at all
            blocks.append((True, rows))
            if crashing:
                blocks.append((False, crash(d)))
    movable = [k for k, (m, _) in enumerate(blocks) if m]
    for _ in range(4):  # some whole days written later than the days after them
        a, b = sorted(rng.sample(movable, 2))
        blocks[a], blocks[b] = blocks[b], blocks[a]
    rows = [r for _, block in blocks for r in block]
    late = [r for r in rows if not r.csv_bad and r.cells[-1].startswith("f")][:: 37][:12]
    rows = [r for r in rows if all(r is not x for x in late)] + late  # stragglers at the end of the file
    for k, r in enumerate(rows):
        r.line = k + 2  # line 1 is the header
    return rows


def _entry_ms(r: Row) -> int:
    text = r.cells[2]
    if text.isdigit():
        ms = int(text)
        return ms if ms >= 100_000_000_000 else ms * 1000
    return int(datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text + "+00:00")
               .timestamp() * 1000)


def write_csv(path: Path, rows: list[Row]) -> Path:
    path.write_text("\n".join([",".join(HEADER), *(",".join(r.cells) for r in rows)]) + "\n", encoding="utf-8")
    return path


def make_root(path: Path, overlay: dict[str, Any] = OVERLAY, policy: dict[str, Any] = POLICY) -> Path:
    """A root with both configs written by the project's own writer."""
    (path / "configs").mkdir(parents=True, exist_ok=True)
    (path / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", overlay), encoding="utf-8")
    (path / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", policy), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cell(value: Any) -> str:
    """A live value as the harness's CSV writer renders it (floats by repr, None as empty)."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


# --- the live feed ------------------------------------------------------------------------------

def open_args(echo: dict[str, str]) -> dict[str, Any]:
    """try_open's arguments, taken back from the row the harness echoed in open_allocations.csv."""
    assert echo["is_long"] in ("True", "False"), echo
    return {"trade_id": echo["trade_id"], "symbol": echo["symbol"], "is_long": echo["is_long"] == "True",
            "entry_ts_ms": int(echo["entry_ts_ms"]), "entry_price": float(echo["entry_price"]),
            "stop_price": float(echo["stop_price"])}


def in_child(root: Path, op: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], int]:
    out = subprocess.run([sys.executable, str(CHILD), str(root), json.dumps({"op": op, **kwargs})],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    reply = json.loads(out.stdout)
    return reply["result"], reply["pid"]


def live_feed(root: Path, echoes: list[dict[str, str]], rows: list[Row], *, one_process: bool = False,
              in_children: Callable[[int], bool] = lambda k: False) -> SimpleNamespace:
    """Feed the harness's events to the live API in the order docs/harness.md prescribes, restated here
    independently of the harness: entries by (entry time, input position); before each entry every
    due exit with exit time <= its entry time, by (exit time, input position); a trade's exit is due
    only once its entry was taken (a retry of an open trade schedules nothing); at the end the
    remaining exits. CSV-level invalid rows never reach the engine, here as in the harness.

    Each event gets a brand-new `LiveRisk(root)` (all memory dropped, state reloaded from runtime/),
    or, where `in_children(event_number)`, a brand-new `python` process; with `one_process`, one
    LiveRisk serves every event instead.
    """
    valid = [i for i, r in enumerate(rows) if not r.csv_bad]
    args = {i: open_args(echoes[i]) for i in valid}
    order = sorted(valid, key=lambda i: (args[i]["entry_ts_ms"], i))
    shared = LiveRisk(root) if one_process else None
    state_path = root / "runtime" / store.STATE_FILE
    opens: dict[int, dict[str, Any]] = {}
    closes: list[dict[str, Any]] = []
    balances_on_disk: list[float] = []  # risk_state.json's balance right after each close
    child_events: list[tuple[str, dict[str, Any]]] = []
    child_pids: set[int] = set()
    events = 0

    def call(op: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        nonlocal events
        if in_children(events):
            result, pid = in_child(root, op, kwargs)
            child_events.append((op, result))
            child_pids.add(pid)
        else:
            live = shared if shared is not None else LiveRisk(root)
            result = getattr(live, op)(**kwargs)
        events += 1
        result.pop("replayed")  # the live API's own flag (docs/engine.md 6); the harness rows have no such column
        return result

    waiting: list[tuple[int, int]] = []  # (exit time, input position) of each taken, still open trade
    open_ids: set[str] = set()

    def close_due(until: float) -> None:
        waiting.sort()
        while waiting and waiting[0][0] <= until:
            exit_ts, i = waiting.pop(0)
            result = call("close", {"trade_id": args[i]["trade_id"], "exit_ts_ms": exit_ts,
                                    "exit_price": rows[i].exit_price})
            open_ids.discard(args[i]["trade_id"])
            closes.append(result)
            balances_on_disk.append(json.loads(state_path.read_bytes())["balance"])

    for i in order:
        close_due(args[i]["entry_ts_ms"])
        result = opens[i] = call("try_open", args[i])
        if result["skipped_reason"] is None and args[i]["trade_id"] not in open_ids:
            open_ids.add(args[i]["trade_id"])
            waiting.append((rows[i].exit_ts, i))
    close_due(math.inf)
    return SimpleNamespace(opens=opens, closes=closes, balances_on_disk=balances_on_disk, events=events,
                           child_events=child_events, child_pids=child_pids, first_ts=args[order[0]]["entry_ts_ms"])


def state_docs(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    runtime = root / "runtime"
    return (json.loads((runtime / store.STATE_FILE).read_bytes()),
            json.loads((runtime / store.POLICY_FILE).read_bytes()))


def essentials(engine: Any) -> dict[str, Any]:
    return {"balance": engine.balance, "total_open_risk": engine.total_open_risk,
            "positions": {t: p.to_record() for t, p in engine.positions.items()},
            "days": engine.days_state(), "equity_points": [list(p) for p in engine.equity_points],
            "recent_closes": {t: r._asdict() for t, r in engine.recent_closes.items()}}


def run_both(tmp: Path, rows: list[Row], overlay: dict[str, Any] = OVERLAY, policy: dict[str, Any] = POLICY,
             **feed: Any) -> SimpleNamespace:
    """The harness over `rows`, then the live feed of the same events in a fresh root."""
    h_root = make_root(tmp / "harness", overlay, policy)
    trades = write_csv(tmp / "harness" / "trades.csv", rows)
    out = tmp / "harness" / "out"
    summary = run_harness(trades, h_root / "configs" / "risk_overlay.toml", out,
                          h_root / "configs" / "risk_policy.toml")
    echoes = read_csv(out / "open_allocations.csv")
    assert len(echoes) == len(rows)
    live_root = make_root(tmp / "live", overlay, policy)
    live = live_feed(live_root, echoes, rows, **feed)
    return SimpleNamespace(rows=rows, summary=summary, trades=trades, h_root=h_root, out=out,
                           echoes=echoes, closes=read_csv(out / "realized_pnl.csv"),
                           equity=read_csv(out / "equity_curve.csv"), live=live, live_root=live_root,
                           summary_file=json.loads((out / "summary.json").read_text(encoding="utf-8")))


# --- the big run ----------------------------------------------------------------------------------

CHILD_SLICES = (range(0, 25), range(2_000, 2_025))  # event numbers run in a process of their own


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder in RAM (/dev/shm) when there is one, else the usual tmp folder.

    Each live event is a durable transaction: about five fsyncs, some 5 ms on a real disk, which
    over ~4,500 events would double this test's time. Parity does not depend on durability (the
    crash and kill tests in tests/live cover that), so the live root sits where fsync is cheap.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="tc1-parity-", dir=shm))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("parity")


@pytest.fixture(scope="module")
def big(scratch: Path) -> SimpleNamespace:
    rows = generate(seed=20250303)
    return run_both(scratch / "big", rows, in_children=lambda k: any(k in s for s in CHILD_SLICES))


def test_the_forked_row_writer_gives_the_same_bytes(big: SimpleNamespace, tmp_path: Path) -> None:
    """A large file's rows are rendered in a forked child (workers=2): on these events, proven
    equal to the live API by the tests below, its four files are byte-identical too."""
    if not hasattr(os, "fork"):
        pytest.skip("the forked writer needs os.fork")
    configs = big.h_root / "configs"
    run_harness(big.trades, configs / "risk_overlay.toml", tmp_path / "forked", configs / "risk_policy.toml",
                workers=2)
    for name in ("open_allocations.csv", "realized_pnl.csv", "equity_curve.csv", "summary.json"):
        assert (tmp_path / "forked" / name).read_bytes() == (big.out / name).read_bytes(), name


def test_generated_trades_hit_every_skip_reason(big: SimpleNamespace) -> None:
    """The data is only a good parity test if every path of try_open ran (docs/engine.md §2, §5 "Parity"):
    every skip reason, a retried open, equal timestamps and rows out of time order."""
    skipped = big.summary["skipped_by_reason"]
    assert set(skipped) == set(SKIP_REASONS)
    # The rails beyond the seed have their own parity run (test_harness_rails_parity.py); no CSV
    # row can be paused (an operator action).
    beyond = {"paused", "max_drawdown", "weekly_loss_cap", "monthly_loss_cap", "loss_streak", "symbol_cooldown"}
    assert all(skipped[reason] > 0 for reason in SKIP_REASONS if reason not in beyond), skipped
    assert big.summary["retried_opens"] == 1
    assert 2_500 <= len(big.rows) <= 3_500 and big.summary["trades_taken"] > 600
    ms = [_entry_ms(r) for r in big.rows if not r.csv_bad]
    assert any(b < a for a, b in zip(ms, ms[1:])), "rows out of time order"
    assert len(ms) - len(set(ms)) > 100, "entries at equal timestamps"
    assert any(r.exit_ts == _entry_ms(r) for r in big.rows if not r.csv_bad and r.exit_ts)
    exits = {int(c["exit_ts_ms"]) for c in big.closes}
    assert len(exits & {int(e["entry_ts_ms"]) for e in big.echoes if e["skipped_reason"] == ""}) > 50, \
        "exits and entries at the same ms"


def test_csv_level_invalid_rows_are_reported_with_their_line_and_never_reach_live(big: SimpleNamespace) -> None:
    """docs/harness.md: a row that fails validation is an invalid_input skip with its line number; it
    never reaches the engine, so the live feed skips it too (and the live journal never saw it)."""
    bad = [(i, r) for i, r in enumerate(big.rows) if r.csv_bad]
    assert len(bad) == 6
    for i, r in bad:
        echo = big.echoes[i]
        assert echo["skipped_reason"] == "invalid_input"
        assert echo["line"] == str(r.line)
        assert echo["detail"].startswith(f"line {r.line}: "), echo["detail"]
        assert i not in big.live.opens
    journal = [json.loads(x) for x in (big.live_root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()]
    journaled_ids = {e.get("trade_id") for e in journal}
    assert not journaled_ids & {r.cells[-1] for _, r in bad if len(r.cells) == len(HEADER)}


def test_every_allocation_matches_the_live_try_open_to_the_last_bit(big: SimpleNamespace) -> None:
    """docs/harness.md "Parity": every open_allocations.csv row (input order) equals, field by field as
    text, the live try_open answer for the same event, with the process restarted between events."""
    assert len(big.live.opens) == len(big.rows) - 6
    for i, live in big.live.opens.items():
        echo = big.echoes[i]
        assert echo["line"] == str(big.rows[i].line)
        got = {f: echo[f] for f in OpenResult._fields}
        want = {f: cell(live[f]) for f in OpenResult._fields}
        assert got == want, f"line {echo['line']}"


def test_every_close_matches_the_live_close_in_order(big: SimpleNamespace) -> None:
    """docs/harness.md "Parity": realized_pnl.csv, row by row in close order, equals the live close
    results (every CloseResult field as text), and every taken trade was closed."""
    assert len(big.closes) == len(big.live.closes) == big.summary["trades_closed"] == big.summary["trades_taken"]
    for k, (row, live) in enumerate(zip(big.closes, big.live.closes)):
        assert row == {f: cell(live[f]) for f in CloseResult._fields}, f"close #{k}"


def test_equity_curve_matches_the_live_balance_after_each_close(big: SimpleNamespace) -> None:
    """docs/harness.md "Parity": the equity curve is the start point, then one point per close whose
    balance is what risk_state.json held right after that live close (and the close's balance_after)."""
    curve = [(row["ts_ms"], row["balance"]) for row in big.equity]
    start = (cell(big.live.first_ts), cell(OVERLAY["initial_balance"]))
    live = [(cell(c["exit_ts_ms"]), cell(b)) for c, b in zip(big.live.closes, big.live.balances_on_disk)]
    assert curve == [start, *live]
    assert [c["balance_after"] for c in big.live.closes] == big.live.balances_on_disk


def test_final_live_state_matches_the_harness(big: SimpleNamespace) -> None:
    """docs/harness.md "Parity": final balance, nothing left open, the state files' equity window and
    kept closes are the tail of the harness's equity curve and realized_pnl.csv."""
    book, _ = state_docs(big.live_root)
    assert big.summary_file["final_balance"] == big.summary["final_balance"]
    assert cell(book["balance"]) == cell(big.summary_file["final_balance"])
    assert book["open_positions"] == {} and big.summary["still_open"] == []
    assert book["total_open_risk"] == 0.0
    assert book["start_balance"] == big.summary["initial_balance"]
    points = [[int(r["ts_ms"]), float(r["balance"])] for r in big.equity[1:]]
    assert len(points) > EQUITY_WINDOW  # the window really dropped points
    assert book["equity_points"] == points[-EQUITY_WINDOW:]
    kept = list(book["recent_closes"].values())
    assert [{f: cell(c[f]) for f in CloseResult._fields} for c in kept] == big.closes[-CLOSE_HISTORY:]


def test_day_buckets_left_by_live_match_the_harness_outputs(big: SimpleNamespace) -> None:
    """docs/engine.md §1/§5: the live risk_policy_state.json day buckets equal the buckets the harness's
    outputs imply: entries per entry day of each taken trade, pnl summed per exit day in close order,
    the oldest days dropped past the DAY_WINDOW kept in the state file."""
    days: dict[str, dict[str, Any]] = {}
    # (time, 0 for a close / 1 for an entry, close number, pnl): chronological, closes in close order
    events: list[tuple[int, int, int, float]] = []
    seen: set[tuple[str, str]] = set()
    for echo in big.echoes:
        if echo["skipped_reason"] == "" and (echo["trade_id"], echo["entry_ts_ms"]) not in seen:
            seen.add((echo["trade_id"], echo["entry_ts_ms"]))  # a retried open counts once
            events.append((int(echo["entry_ts_ms"]), 1, 0, 0.0))
    for k, c in enumerate(big.closes):
        events.append((int(c["exit_ts_ms"]), 0, k, float(c["pnl_after_fees"])))
    for ts, is_entry, _, pnl in sorted(events):
        key = day_key(ts)
        if key not in days:
            days[key] = {"entries": 0, "pnl": 0.0}
            if len(days) > DAY_WINDOW:  # the engine's pruning, restated
                newest = max(day_index(k) for k in days)
                for old in [k for k in days if day_index(k) <= newest - DAY_WINDOW]:
                    del days[old]
        if is_entry:
            days[key]["entries"] += 1
        else:
            days[key]["pnl"] += pnl
    _, policy = state_docs(big.live_root)
    assert policy["days"] == days
    assert day_key(T0) not in days  # the window really dropped the oldest days


def test_live_journal_replays_to_the_live_state_files(big: SimpleNamespace) -> None:
    """docs/live.md: the state files are rebuildable from the journal; and the journal holds one
    open per taken trade, one close per close, one skip per engine-level skip."""
    overlay = config.load_overlay(big.live_root / "configs" / "risk_overlay.toml")
    policy = config.load_policy(big.live_root / "configs" / "risk_policy.toml")
    loaded = store.load(big.live_root, overlay, policy)
    replayed = store.replay_journal(big.live_root / "runtime" / store.JOURNAL_FILE, overlay, policy)
    assert essentials(loaded.engine) == essentials(replayed.engine)
    assert loaded.seq == replayed.seq
    journal = [json.loads(x) for x in (big.live_root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()]
    kinds = [e["type"] for e in journal]
    assert kinds.count("open") == big.summary["trades_taken"]
    assert kinds.count("close") == big.summary["trades_closed"]
    assert kinds.count("skip") == big.summary["trades_skipped"] - 6


def test_events_in_a_process_of_their_own_took_part(big: SimpleNamespace) -> None:
    """docs/harness.md "Parity" with a real restart: the events of CHILD_SLICES each ran in a new
    `python` process (their answers are among those compared above) and covered opens, skips and closes."""
    assert len(big.live.child_events) == sum(len(s) for s in CHILD_SLICES) < big.live.events
    assert len(big.live.child_pids) == len(big.live.child_events) and os.getpid() not in big.live.child_pids
    ops = [(op, r.get("skipped_reason", "close")) for op, r in big.live.child_events]
    assert any(op == "close" for op, _ in ops)
    assert any(op == "try_open" and why is None for op, why in ops)
    assert {why for op, why in ops if op == "try_open"} >= {None, "max_leverage", "duplicate_trade_id"}


# --- one process vs a restart per event ----------------------------------------------------------

def test_one_process_and_a_restart_per_event_leave_byte_identical_state(scratch: Path) -> None:
    """docs/harness.md "Parity" and §4: the same events through one LiveRisk, and through a new LiveRisk
    per event, give the same answers and byte-identical risk_state.json and risk_policy_state.json.

    Nothing is excepted: `seq` and `journal_offset` are equal because both runs journal the same
    records (the first transaction adopts the fresh state and notes both configs, later ones find
    nothing new) and a journal line's length does not depend on when it was written (`at_ms` is
    always 13 digits), and `config` is equal because both roots hold the same config bytes. The
    journals differ only in `at_ms`, the wall-clock time of each commit.
    """
    tmp_path = scratch / "small"
    rows = generate(seed=7, days=6, scale=0.5)
    restarted = run_both(tmp_path / "restarted", rows)
    one = live_feed(make_root(tmp_path / "one"), restarted.echoes, rows, one_process=True)
    def text(results: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [{k: cell(v) for k, v in r.items()} for r in results]  # as text: a NaN echo equals itself

    assert one.opens.keys() == restarted.live.opens.keys()
    assert text(list(one.opens.values())) == text(list(restarted.live.opens.values()))
    assert text(one.closes) == text(restarted.live.closes)
    assert one.balances_on_disk == restarted.live.balances_on_disk
    for name in (store.STATE_FILE, store.POLICY_FILE):
        assert (tmp_path / "one" / "runtime" / name).read_bytes() == \
            (restarted.live_root / "runtime" / name).read_bytes(), name

    def journal(root: Path) -> list[dict[str, Any]]:
        lines = (root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()
        return [{k: v for k, v in json.loads(x).items() if k != "at_ms"} for x in lines]

    assert journal(tmp_path / "one") == journal(restarted.live_root)
    # The smaller run still exercised the harness against live on closes and skips.
    assert text(one.closes) == restarted.closes
    assert restarted.summary["trades_closed"] > 20 and restarted.summary["trades_skipped"] > 20
