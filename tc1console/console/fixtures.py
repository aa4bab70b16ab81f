"""A fixed demo root for snapshot tests and screenshots: the same trades, prices and times every run.

The state is produced through the live API (`LiveRisk`), so the files are exactly what a bot leaves
behind. Event times are fixed (the console shows a trade event at its own timestamp), and the view
is fixed by handing the app `FIXED_NOW_MS` as its clock.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Iterable

from ..engine import config as cfg
from ..engine import root as root_defaults
from ..engine.live import LiveRisk

FIXED_NOW_MS = 1_732_026_600_000  # 2024-11-19 14:30:00 UTC
MINUTE = 60_000
HOUR = 60 * MINUTE
PRICES = {"BTCUSDT": 91_250.0, "ETHUSDT": 3_120.0, "SOLUSDT": 238.0}
MARKS_AGE_MS = 3_000  # the demo root's marks were written this long before FIXED_NOW_MS


def fixed_clock() -> int:
    return FIXED_NOW_MS


def write_default_configs(root: Path) -> None:
    """The shipped configs, as `tc1 init` writes them."""
    root_defaults.write_default_configs(root)


def _round(price: float) -> float:
    return round(price, 2)


def build_demo_root(root: str | os.PathLike[str], *, seed: int = 7) -> Path:
    """Fill `root` with shipped configs and a day and a half of trading ending at FIXED_NOW_MS.

    Yesterday: 18 closed trades (a gently rising equity curve). Today (UTC): 7 closed trades, net
    a small loss; 3 positions still open (entered 2h10m, 38m and 4m before now), marked 3 s before
    now; and one skip.
    """
    root = Path(root)
    write_default_configs(root)
    live = LiveRisk(root)
    rng = random.Random(seed)
    prices = dict(PRICES)
    symbols = list(PRICES)

    def trade(n: int, entry_ts: int, exit_ts: int | None, r_outcome: float | None,
              symbol: str | None = None, is_long: bool | None = None) -> dict:
        symbol = symbol or rng.choice(symbols)
        is_long = rng.random() < 0.55 if is_long is None else is_long
        entry = _round(prices[symbol] * (1 + rng.gauss(0, 0.002)))
        prices[symbol] = entry
        dist = entry * rng.uniform(0.005, 0.011)
        stop = _round(entry - dist if is_long else entry + dist)
        tid = f"t{n:03d}-{symbol[:3].lower()}"
        alloc = live.try_open(trade_id=tid, symbol=symbol, is_long=is_long, entry_ts_ms=entry_ts,
                              entry_price=entry, stop_price=stop)
        if alloc["skipped_reason"] or exit_ts is None or r_outcome is None:
            return alloc
        move = r_outcome * abs(entry - stop)
        exit_price = _round(entry + move if is_long else entry - move)
        return live.close(trade_id=tid, exit_ts_ms=exit_ts, exit_price=exit_price)

    start = FIXED_NOW_MS - 38 * HOUR  # 2024-11-18 00:30 UTC
    n = 0
    yesterday = [1.2, -1.0, 0.6, 1.8, -1.0, -0.4, 2.1, -1.0, 0.9]  # R per trade, cycled
    for i in range(18):  # yesterday: a winning day, one trade at a time (max 20 a day)
        n += 1
        entry_ts = start + i * 74 * MINUTE
        trade(n, entry_ts, entry_ts + rng.randint(8, 30) * MINUTE, yesterday[i % len(yesterday)])

    day = FIXED_NOW_MS - FIXED_NOW_MS % (24 * HOUR)  # today 00:00 UTC
    outcomes = [-1.0, 0.8, -1.0, 1.5, -0.7, -1.0, 0.6]
    for i, outcome in enumerate(outcomes):  # today so far: down a little
        n += 1
        entry_ts = day + 40 * MINUTE + i * 95 * MINUTE
        trade(n, entry_ts, entry_ts + rng.randint(20, 70) * MINUTE, outcome)

    # Still open now, oldest first; then an entry the market rules refuse.
    for offset, symbol, is_long in ((130, "BTCUSDT", True), (38, "ETHUSDT", False), (4, "SOLUSDT", True)):
        n += 1
        trade(n, FIXED_NOW_MS - offset * MINUTE, None, None, symbol=symbol, is_long=is_long)
    n += 1
    live.try_open(trade_id=f"t{n:03d}-btc", symbol="BTCUSDT", is_long=True,
                  entry_ts_ms=FIXED_NOW_MS - 2 * MINUTE, entry_price=91_300.0, stop_price=58_000.0)
    # The bot's last marks, 3 s before now: BTC up, ETH up (the short is losing), SOL down a little.
    moves = {"BTCUSDT": 1.0031, "ETHUSDT": 1.0024, "SOLUSDT": 0.9987}
    live.mark({s: _round(prices[s] * moves[s]) for s in moves}, ts_ms=FIXED_NOW_MS - MARKS_AGE_MS)
    return root


# --- a large account, for the scale tests and bench/console_bench.py -----------------------------

LARGE_SYMBOLS = (("BTCUSDT", 60_000.0, 0.001), ("ETHUSDT", 3_000.0, 0.01), ("SOLUSDT", 150.0, 0.1))


def large_position(i: int, *, stop_shift: float = 0.0) -> dict:
    """Open position number `i` of a large account: ~$20 at risk, entered (600 - i) minutes before now."""
    symbol, price, step = LARGE_SYMBOLS[i % 3]
    entry = price * (1 + (i % 17) / 1000)
    is_long = i % 2 == 0
    stop = entry * (0.99 if is_long else 1.01) + stop_shift
    qty = round(20 / abs(entry - stop) / step) * step
    return {"symbol": symbol, "is_long": is_long, "entry_ts_ms": FIXED_NOW_MS - (600 - i) * MINUTE,
            "entry_price": entry, "stop_price": stop, "qty": qty, "risk_amount": qty * abs(entry - stop),
            "notional": qty * entry, "budget": 20.0, "fee_rate": 0.0004}


def write_large_state(root: str | os.PathLike[str], ids: Iterable[int], *, balance: float,
                      shifted: frozenset[int] = frozenset(), points: int = 1000) -> None:
    """A hand-written state holding the positions `ids` (those in `shifted` with their stop moved)
    and `points` equity points, as a person or another tool might leave it; replaced atomically."""
    runtime = Path(root) / "runtime"
    runtime.mkdir(exist_ok=True)
    book = {"balance": balance, "total_open_risk": 0.0,
            "open_positions": {f"p{i:04d}": large_position(i, stop_shift=1.0 if i in shifted else 0.0) for i in ids},
            "equity_points": [[FIXED_NOW_MS - (points - k) * MINUTE, 100_000 + (k % 97) * 10.0]
                              for k in range(points)]}
    tmp = runtime / ".risk_state.json.tmp"
    tmp.write_text(json.dumps(book))
    os.replace(tmp, runtime / "risk_state.json")


# --- a fixed harness run, for the result view's snapshot and screenshot ---------------------------

DEMO_RUN = "20241119-120000"  # the run folder's name (a launch time, fixed)
DEMO_TRADES = "trades/demo-trades.csv"


def write_demo_trades(path: Path, *, n: int = 160, seed: int = 11) -> Path:
    """A trades CSV in the harness's format: `n` overlapping trades from 2024-10-01 on (about two weeks).

    Mostly 1R losers and 1.5-2.5R winners; overlaps push against the caps, so some entries are
    skipped; one row has a side the harness refuses (an invalid_input skip).
    """
    rng = random.Random(seed)
    prices = dict(PRICES)
    t = 1_727_740_800_000  # 2024-10-01 00:00 UTC
    rows = ["symbol,side,timestamp,entry_price,sl_price,exit_time,exit_price"]
    for i in range(n):
        symbol = rng.choice(list(PRICES))
        t += rng.randint(40, 240) * MINUTE
        entry = _round(prices[symbol] * (1 + rng.gauss(0, 0.01)))
        prices[symbol] = entry
        is_long = rng.random() < 0.55
        dist = entry * rng.uniform(0.005, 0.012)
        stop = _round(entry - dist if is_long else entry + dist)
        r = rng.uniform(1.4, 2.6) if rng.random() < 0.38 else (-1.0 if rng.random() < 0.8 else rng.uniform(-0.6, 0.8))
        move = r * abs(entry - stop)
        exit_price = _round(entry + move if is_long else entry - move)
        exit_ts = t + rng.randint(60, 1500) * MINUTE
        side = "sideways" if i == 37 else ("long" if is_long else "short")
        rows.append(f"{symbol},{side},{t},{entry},{stop},{exit_ts},{exit_price}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def build_demo_run(root: str | os.PathLike[str]) -> Path:
    """A finished harness run of the demo trades under root/runtime/runs/DEMO_RUN, with the root's
    configs; the trades CSV is remembered as the last used one. Returns the run folder."""
    from ..backtest import run_harness
    from .runs import remember, runs_dir

    root = Path(root)
    trades = write_demo_trades(root / DEMO_TRADES)
    out = runs_dir(root) / DEMO_RUN
    run_harness(trades, cfg.find_config(root, "overlay"), out, cfg.find_config(root, "policy"))
    remember(root, last_trades_csv=str(trades))
    return out


DEMO_LIVE_RUN = "20241119-140000"  # a re-run of the demo's live trades (the launcher's live:7)
DEMO_LIVE_DAYS = 7


def build_demo_live_run(root: str | os.PathLike[str]) -> Path:
    """A finished re-run of the demo root's live trades of the last DEMO_LIVE_DAYS days before
    FIXED_NOW_MS, with the root's configs, under root/runtime/runs/DEMO_LIVE_RUN: what the
    launcher's `live:7` leaves (the child's steps, in this process). Returns the run folder."""
    from ..backtest import run_harness
    from .live_input import LIVE_TRADES, prepare
    from .runs import runs_dir

    root = Path(root)
    out = runs_dir(root) / DEMO_LIVE_RUN
    prepare(root, out, DEMO_LIVE_DAYS, FIXED_NOW_MS)
    run_harness(out / LIVE_TRADES, cfg.find_config(root, "overlay"), out, cfg.find_config(root, "policy"))
    return out


DEMO_RUN_B = "20241119-130000"  # the same trades under wider caps, to compare with DEMO_RUN
WIDER_CAPS = {"percent_risk": 0.01, "per_trade_risk_cap": 150.0, "total_open_risk_cap": 600.0,
              "max_concurrent_trades": 8}


def build_demo_run_pair(root: str | os.PathLike[str]) -> tuple[Path, Path]:
    """DEMO_RUN, and DEMO_RUN_B: the same demo trades under WIDER_CAPS (risk config in trades/)."""
    from ..backtest import run_harness
    from .runs import runs_dir

    root = Path(root)
    first = build_demo_run(root)
    overlay = cfg.read_raw(cfg.find_config(root, "overlay"))
    wider = root / "trades" / "wider-caps.toml"
    wider.write_text(cfg.dump_toml("overlay", {**overlay, **WIDER_CAPS}), encoding="utf-8")
    second = runs_dir(root) / DEMO_RUN_B
    run_harness(root / DEMO_TRADES, wider, second, cfg.find_config(root, "policy"))
    return first, second
