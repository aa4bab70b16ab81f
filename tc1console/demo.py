"""A simulated bot for `tc1 demo`: random-walk prices, real trades through the live API into runtime/.

It exists so a new user can watch the console move: balance, open risk, positions, equity, rails
and events all change, stamped with the current wall-clock time. Positions it leaves open when it
stops are picked up again by the next run (their trade ids start with `demo-`).
"""

from __future__ import annotations

import math
import os
import random
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .engine.errors import ConfigError, Tc1Error
from .engine.live import LiveRisk
from .engine.store import resolve_root

PREFIX = "demo-"
START_PRICES = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}
TICK_VOL = 0.0015  # 0.15% per tick: a stop ~0.8% away is hit after a few dozen ticks
WANT_OPEN = 3  # the demo bot keeps about this many positions open
RAIL_COOLDOWN = 20  # ticks to wait after a rail or cap refused an entry, so it does not spam skips
RAIL_REASONS = {"equity_floor", "daily_loss_cap", "max_trades_per_day", "max_concurrent_trades",
                "total_open_risk_cap", "max_leverage"}


@dataclass
class _Trade:
    trade_id: str
    symbol: str
    is_long: bool
    entry_ts_ms: int
    stop: float
    target: float
    max_ticks: int
    ticks: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


def _clock() -> str:
    return time.strftime("%H:%M:%S", time.gmtime())


def run_demo(root: str | os.PathLike[str] | None, *, seed: int = 0, interval_s: float = 0.5,
             count: int | None = None, stop: threading.Event | None = None,
             echo: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Trade a simulated bot against `root` for `count` ticks (None: until `stop` or Ctrl-C).

    Each tick moves the prices, closes positions whose stop or target was hit or that were held
    long enough, and now and then opens a new one with a stop 0.4-1.2% away. Returns a summary.
    Raises ConfigError when the root has no configs/ (the demo trades with the root's own caps).
    """
    say = echo or (lambda _line: None)
    root_path = resolve_root(root)
    if not (root_path / "configs").is_dir():
        raise ConfigError(f"{root_path / 'configs'} not found: the demo trades with the root's own configs; "
                          f"copy the shipped configs/ folder there or pass --root")
    rng = random.Random(seed)
    live = LiveRisk(root_path)
    configs = live.store.configs()
    symbols = [s for s in configs.overlay.symbol_overrides if s in START_PRICES] or list(START_PRICES)
    prices = {s: START_PRICES[s] * math.exp(rng.gauss(0, 0.01)) for s in symbols}
    stats = {"ticks": 0, "opens": 0, "closes": 0, "wins": 0, "losses": 0, "skips": 0}
    trades: dict[str, _Trade] = {}
    # Resume the positions an earlier demo run left open, with prices starting where they entered.
    with live.store.transaction() as tx:
        for tid, pos in tx.engine.positions.items():
            a = pos.alloc
            if tid.startswith(PREFIX):
                dist = abs(a.entry_price - a.stop_price)
                trades[tid] = _Trade(tid, a.symbol, a.is_long, a.entry_ts_ms, a.stop_price,
                                     a.entry_price + (2 * dist if a.is_long else -2 * dist), rng.randint(40, 120))
                prices.setdefault(a.symbol, a.entry_price)
                if a.symbol not in symbols:
                    symbols.append(a.symbol)
        balance = tx.engine.balance
    say(f"demo: trading {', '.join(symbols)} into {root_path / 'runtime'} (balance {balance:,.2f}"
        f"{f', resuming {len(trades)} open demo positions' if trades else ''}); Ctrl-C stops")
    cooldown, serial = 0, 0
    run_id = _base36(int(time.time()) % 36**4)  # trade ids stay unique across runs for about 19 days
    # Ctrl-C only raises a flag the loop reads between ticks: an interrupt landing inside a
    # transaction (say, between taking the runtime lock and the code that gives it back) could
    # leave the lock held and the final balance read waiting on it for ever.
    interrupted: list[bool] = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: interrupted.append(True))
    try:
        while count is None or stats["ticks"] < count:
            if interrupted or (stop is not None and stop.is_set()):
                break
            first = stats["ticks"] == 0
            stats["ticks"] += 1
            for s in prices:
                prices[s] *= math.exp(rng.gauss(0, TICK_VOL))
            live.mark({s: _round_price(p) for s, p in prices.items()})  # for the console: display only
            for t in list(trades.values()):
                t.ticks += 1
                price = prices[t.symbol]
                stopped = price <= t.stop if t.is_long else price >= t.stop
                hit = price >= t.target if t.is_long else price <= t.target
                if stopped or hit or t.ticks >= t.max_ticks:
                    why = "stop" if stopped else "target" if hit else "time"
                    _close(live, t, price, why, trades, stats, say)
            cooldown = max(0, cooldown - 1)
            if (first or (len(trades) < WANT_OPEN and rng.random() < 0.35)) and cooldown == 0:
                serial += 1
                reason = _open(live, rng, prices, symbols, serial, run_id, trades, stats, say)
                if reason in RAIL_REASONS:
                    cooldown = RAIL_COOLDOWN
            if count is not None and stats["ticks"] >= count:
                break
            if interval_s > 0:
                if stop is not None:
                    if stop.wait(interval_s):
                        break
                else:
                    time.sleep(interval_s)
    except KeyboardInterrupt:
        pass  # a Ctrl-C from before the handler above, or where it could not be set
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    stats["open_positions"] = len(trades)
    stats["balance"] = _balance(live)
    say(f"demo stopped after {stats['ticks']} ticks: opened {stats['opens']}, closed {stats['closes']} "
        f"({stats['wins']} won, {stats['losses']} lost), skipped {stats['skips']}; balance "
        f"{stats['balance']:,.2f}; {len(trades)} left open for the next run. Bye.")
    return stats


def _balance(live: LiveRisk) -> float:
    with live.store.transaction() as tx:
        return tx.engine.balance


def _open(live: LiveRisk, rng: random.Random, prices: dict[str, float], symbols: list[str], serial: int,
          run_id: str, trades: dict[str, _Trade], stats: dict[str, int], say: Callable[[str], None]) -> str | None:
    symbol = rng.choice(symbols)
    is_long = rng.random() < 0.55
    entry = _round_price(prices[symbol])
    dist = entry * rng.uniform(0.004, 0.012)
    stop = _round_price(entry - dist if is_long else entry + dist)
    target = entry + rng.uniform(1.2, 2.5) * dist * (1 if is_long else -1)
    now = _now_ms()
    tid = f"{PREFIX}{run_id}-{serial}"
    a = live.try_open(trade_id=tid, symbol=symbol, is_long=is_long, entry_ts_ms=now, entry_price=entry,
                      stop_price=stop)
    side = "long " if is_long else "short"
    if a["skipped_reason"]:
        stats["skips"] += 1
        say(f"[{_clock()}] skip  {symbol:8} {side} @ {entry:,.2f} stop {stop:,.2f}: {a['skipped_reason']}"
            f"{' (' + a['detail'] + ')' if a['detail'] else ''}")
        return a["skipped_reason"]
    stats["opens"] += 1
    trades[tid] = _Trade(tid, symbol, is_long, now, stop, target, rng.randint(40, 120))
    say(f"[{_clock()}] open  {symbol:8} {side} {a['qty']:g} @ {entry:,.2f} stop {stop:,.2f} "
        f"risk ${a['risk_amount']:,.2f}  ({tid})")
    return None


def _close(live: LiveRisk, t: _Trade, price: float, why: str, trades: dict[str, _Trade],
           stats: dict[str, int], say: Callable[[str], None]) -> None:
    del trades[t.trade_id]
    try:
        r = live.close(trade_id=t.trade_id, exit_ts_ms=max(_now_ms(), t.entry_ts_ms),
                       exit_price=_round_price(price))
    except Tc1Error as exc:  # closed elsewhere, or a bad price: report it and stop tracking it
        say(f"[{_clock()}] cannot close {t.trade_id}: {exc}")
        return
    stats["closes"] += 1
    stats["wins" if r["pnl_after_fees"] > 0 else "losses"] += 1
    say(f"[{_clock()}] close {t.symbol:8} {'long ' if t.is_long else 'short'} {r['qty']:g} @ "
        f"{r['exit_price']:,.2f} ({why}): pnl {r['pnl_after_fees']:+,.2f} ({r['R_multiple']:+.2f}R), "
        f"balance {r['balance_after']:,.2f}")


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _round_price(price: float) -> float:
    """Prices as an exchange quotes them: 2 decimals above $10, 4 below."""
    return round(price, 2 if price >= 10 else 4)
