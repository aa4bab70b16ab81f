"""A simulated bot for `tc1 demo`: random-walk prices, real trades through the live API into runtime/.

It exists so a new user can watch the console move: balance, open risk, positions, equity, rails
and events all change, stamped with the current wall-clock time, at a pace the shipped configs let
it keep up for about ten minutes (its first line says which rail stops it, and when). Positions it
leaves open when it stops are picked up again by the next run (their trade ids start with `demo-`).
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

from .engine import config as cfg
from .engine.core import MAX_CONCURRENT_TRADES, MAX_LEVERAGE, PAUSED, TOTAL_OPEN_RISK_CAP
from .engine.errors import Tc1Error
from .engine.live import LiveRisk
from .engine.rails import RAIL_NAMES
from .engine.store import resolve_root
from .engine.view import account_view

PREFIX = "demo-"
START_PRICES = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}
# The pace is set so the shipped configs let it trade for about ten minutes: an entry every
# OPEN_EVERY ticks (30 s at the default --interval 0.5) meets max_trades_per_day (20) after ~10
# minutes. Each symbol drifts with a trend the bot mostly trades along, a small edge that pays the
# fees, so the daily loss cap ($200, four losing trades) is rarely what stops it first.
OPEN_EVERY = 60
TICK_VOL = 0.0006  # 0.06% per tick: a stop 0.5-1.2% away is hit in minutes, not seconds
TREND = 0.00012  # per-tick drift of a symbol's trend (either way), re-drawn every TREND_TICKS
TREND_TICKS = (120, 360)
WITH_TREND = 0.7  # how often the bot trades along the trend
HOLD_TICKS = (90, 300)  # longest hold, then it exits on time
WANT_OPEN = 3  # the demo bot keeps at most this many positions open
RAIL_COOLDOWN = 20  # ticks to wait after a rail or cap refused an entry, so it does not spam skips
# Skips that say "not now" rather than "not this trade": wait a while before asking again.
RAIL_REASONS = frozenset({*RAIL_NAMES, PAUSED, MAX_CONCURRENT_TRADES, TOTAL_OPEN_RISK_CAP, MAX_LEVERAGE})


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
    long enough, and every OPEN_EVERY ticks opens a new one with a stop 0.5-1.2% away. The first
    line says which rail will stop its entries and about when. Returns a summary, with
    `interrupted` true when Ctrl-C stopped it. Raises ConfigError when the root has no configs/.
    """
    say = echo or (lambda _line: None)
    root_path = resolve_root(root)
    cfg.check_root(root_path)  # before LiveRisk, which would make runtime/ in a mistyped folder
    rng = random.Random(seed)
    live = LiveRisk(root_path)
    configs = live.store.configs()
    symbols = [s for s in configs.overlay.symbol_overrides if s in START_PRICES] or list(START_PRICES)
    prices = {s: START_PRICES[s] * math.exp(rng.gauss(0, 0.01)) for s in symbols}
    stats: dict[str, Any] = {"ticks": 0, "opens": 0, "closes": 0, "wins": 0, "losses": 0, "skips": 0,
                             "interrupted": False}
    trades: dict[str, _Trade] = {}
    # Resume the positions an earlier demo run left open, with prices starting where they entered.
    with live.store.transaction() as tx:
        for tid, pos in tx.engine.positions.items():
            a = pos.alloc
            if tid.startswith(PREFIX):
                dist = abs(a.entry_price - a.stop_price)
                trades[tid] = _Trade(tid, a.symbol, a.is_long, a.entry_ts_ms, a.stop_price,
                                     a.entry_price + (2 * dist if a.is_long else -2 * dist), rng.randint(*HOLD_TICKS))
                prices.setdefault(a.symbol, a.entry_price)
                if a.symbol not in symbols:
                    symbols.append(a.symbol)
        balance = tx.engine.balance
        view = account_view(tx.engine.overlay, tx.engine.policy, tx.engine, _now_ms(), equity_tail=0)
    trends = {s: _Trend() for s in prices}
    say(f"demo: trading {', '.join(symbols)} into {root_path / 'runtime'} (balance {balance:,.2f}"
        f"{f', resuming {len(trades)} open demo positions' if trades else ''}); {plan_text(view, interval_s)}. "
        f"Ctrl-C stops")
    cooldown, serial, since_open = 0, 0, OPEN_EVERY
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
            stats["ticks"] += 1
            for s in prices:
                prices[s] *= math.exp(trends[s].step(rng) + rng.gauss(0, TICK_VOL))
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
            since_open += 1
            if since_open >= OPEN_EVERY and len(trades) < WANT_OPEN and cooldown == 0:
                since_open, serial = 0, serial + 1
                reason = _open(live, rng, prices, trends, symbols, serial, run_id, trades, stats, say)
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
        interrupted.append(True)  # a Ctrl-C from before the handler above, or where it could not be set
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    stats["interrupted"] = bool(interrupted)
    stats["open_positions"] = len(trades)
    stats["balance"] = _balance(live)
    say(f"demo stopped after {stats['ticks']} ticks: opened {stats['opens']}, closed {stats['closes']} "
        f"({stats['wins']} won, {stats['losses']} lost), skipped {stats['skips']}; balance "
        f"{stats['balance']:,.2f}; {len(trades)} left open for the next run. Bye.")
    return stats


class _Trend:
    """A symbol's drift per tick, re-drawn now and then: what the demo bot's small edge rides on."""

    def __init__(self) -> None:
        self.drift, self.left = 0.0, 0

    def step(self, rng: random.Random) -> float:
        if self.left <= 0:
            self.drift, self.left = rng.choice((-TREND, TREND)), rng.randint(*TREND_TICKS)
        self.left -= 1
        return self.drift


def plan_text(view: dict[str, Any], interval_s: float) -> str:
    """Which rail will stop the demo's entries first and about when, from today's counters (`view`
    is `account_view` of the state at start)."""
    rails, left, today = view["rails"], view["headroom"], view["today_counters"]
    cap = next((c["limit"] for c in rails["checks"] if c["name"] == "daily_loss_cap" and c["configured"]), None)
    if rails["blocked_by"] is not None:
        return (f"new entries are blocked now ({rails['blocked_by']}: {rails['detail']}), so it only closes "
                f"what is open, until the UTC rollover or a reset (t in the console, tc1 policy reset --today)")
    every_s = OPEN_EVERY * interval_s
    pace = f"an entry every {every_s:g} s" if every_s else f"an entry every {OPEN_EVERY} ticks"
    loss = f"the daily loss cap ({cap:,.2f}, {today['loss']:,.2f} used today)" if cap is not None else ""
    n = left["trades_left_today"]
    if n is not None:
        when = f", in about {_about(n * every_s)}" if every_s else ""
        return (f"{pace}, so max_trades_per_day stops new entries after {n} more today{when}"
                + (f"; {loss} only if it loses faster" if loss else ""))
    if loss:
        return f"{pace}; no trade limit is set: {loss} stops new entries once today's loss reaches it"
    return f"{pace}; no daily rail is set, so it trades until Ctrl-C"


def _about(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{round(seconds / 60)} minutes"


def _balance(live: LiveRisk) -> float:
    with live.store.transaction() as tx:
        return tx.engine.balance


def _open(live: LiveRisk, rng: random.Random, prices: dict[str, float], trends: dict[str, _Trend],
          symbols: list[str], serial: int, run_id: str, trades: dict[str, _Trade], stats: dict[str, Any],
          say: Callable[[str], None]) -> str | None:
    symbol = rng.choice(symbols)
    along = trends[symbol].drift >= 0
    is_long = along if rng.random() < WITH_TREND else not along
    entry = _round_price(prices[symbol])
    dist = entry * rng.uniform(0.005, 0.012)
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
    trades[tid] = _Trade(tid, symbol, is_long, now, stop, target, rng.randint(*HOLD_TICKS))
    say(f"[{_clock()}] open  {symbol:8} {side} {a['qty']:g} @ {entry:,.2f} stop {stop:,.2f} "
        f"risk ${a['risk_amount']:,.2f}  ({tid})")
    return None


def _close(live: LiveRisk, t: _Trade, price: float, why: str, trades: dict[str, _Trade],
           stats: dict[str, Any], say: Callable[[str], None]) -> None:
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
