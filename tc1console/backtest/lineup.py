"""`tc1 parity --trades_csv F`: a backtest input lined up with the live trades, and the PnL gap explained.

    lineup = line_up(root, "backtest.csv")      # configs: the root's, or risk_config= / policy_config=
    print(format_lineup(lineup))

The CSV is replayed through a fresh engine exactly as `tc1 harness` would (reader.py, replay.py);
the live side is the journal's trade set (export.py). Trades are paired by trade_id when the CSV
has that column, then the rest by symbol, side and the nearest entry time within a tolerance. Live
trades are taken from the CSV's time span only (its first to last entry, widened by the tolerance).

The PnL gap (backtest realized PnL - live realized PnL) is split into classes that add up to it:
trades on one side only, trades taken or closed on one side only, and for each trade closed on
both sides a walk from the live PnL to the backtest's changing one input at a time: the entry
price, then the exit price, then the fee rate, and what is left is the size (the quantity, from a
different stop or the balance a different history left). Times change no PnL by themselves; their
differences are listed, and what they change (order, rails, balance) shows up as size.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import config as cfg
from ..engine import sizing, store
from ..engine.config import PolicyConfig
from ..engine.core import RiskEngine
from ..engine.numbers import signed_money
from .export import LiveTrade, exportable, live_trades
from .reader import read_trades
from .replay import Batch, chunks, replay
from .trades import STILL_OPEN, Trades

ONLY_LIVE, ONLY_BACKTEST = "only in live", "only in the backtest"
TAKEN_ONE_SIDE, CLOSED_ONE_SIDE = "taken on one side only", "closed on one side only"
ENTRY, EXIT, FEES, SIZE = "entry price", "exit price", "fees", "size (qty: stop or balance)"
FIELDS = ("entry_price", "stop_price", "exit_price", "entry_time", "exit_time", "fees", "qty")


@dataclass(slots=True)
class Side:
    """One trade as one side saw it. `taken` False: skipped (`reason`); `exit_ts` None: no exit."""

    trade_id: str
    symbol: str
    is_long: bool
    entry_ts: int
    entry_price: float
    stop_price: float
    taken: bool
    reason: str | None
    qty: float = 0.0
    fee_rate: float = 0.0
    exit_ts: int | None = None
    exit_price: float | None = None
    fees: float | None = None
    pnl: float | None = None


@dataclass(slots=True)
class Pair:
    live: Side | None
    backtest: Side | None
    differs: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (live, backtest)
    explains: dict[str, float] = field(default_factory=dict)  # class -> $ of the gap

    @property
    def trade_id(self) -> str:
        return (self.live or self.backtest).trade_id  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class Lineup:
    csv: Path
    matched_by_id: int
    matched_by_time: int
    pairs: list[Pair]
    live_pnl: float
    backtest_pnl: float
    classes: list[tuple[str, int, float]]  # (class, trades, $ of the gap), largest first
    diff_counts: dict[str, int]
    tolerance_s: float

    @property
    def gap(self) -> float:
        return self.backtest_pnl - self.live_pnl

    @property
    def ok(self) -> bool:
        return not any(p.differs or p.live is None or p.backtest is None for p in self.pairs)


# --- the two sides ----------------------------------------------------------------------------------

def _live_side(t: LiveTrade) -> Side:
    return Side(t.trade_id, t.symbol, t.is_long, t.entry_ts, t.entry_price, t.stop_price, t.skipped_reason is None,
                t.skipped_reason, t.qty, t.fee_rate, t.exit_ts, t.exit_price, t.fees, t.pnl)


class _Collect:
    """The replay's sink: each row's entry result and close, by input position."""

    def __init__(self) -> None:
        self.opens: dict[int, tuple[str | None, float]] = {}
        self.closes: dict[int, tuple[float, float]] = {}

    def start(self, ts_ms: int, balance: float) -> None:
        pass

    def feed(self, batch: Batch) -> None:
        for k, i in enumerate(batch.opos):
            self.opens[i] = (batch.oreason[k], batch.ofl[4 * k])
        for k, i in enumerate(batch.cpos):
            self.closes[i] = (batch.cfl[7 * k + 3], batch.cfl[7 * k + 4])  # fees, pnl_after_fees


def _backtest_sides(t: Trades, engine: RiskEngine) -> list[Side]:
    got = _Collect()
    replay(engine, t, got, chunks(t.replay_order()))
    sides = []
    for i in range(len(t)):
        if i in t.invalid:
            continue
        reason, qty = got.opens[i]
        s = Side(t.trade_ids[i], t.symbols[i], t.is_long[i], t.entry_ts[i], t.entry_price[i], t.stop_price[i],
                 reason is None, reason, qty, engine.market(t.symbols[i]).fee_rate)
        if reason is None and t.exit_ts[i] != STILL_OPEN:
            s.exit_ts, s.exit_price = t.exit_ts[i], t.exit_price[i]
        if i in got.closes:
            s.fees, s.pnl = got.closes[i]
        sides.append(s)
    return sides


def _configs(root: Path, risk_config: str | os.PathLike[str] | None,
             policy_config: str | os.PathLike[str] | None) -> tuple[cfg.OverlayConfig, cfg.PolicyConfig]:
    overlay = cfg.load_overlay(Path(risk_config) if risk_config else cfg.find_config(root, "overlay"))
    if policy_config:
        return overlay, cfg.load_policy(Path(policy_config))
    return overlay, (cfg.load_policy(cfg.find_config(root, "policy")) if not risk_config else PolicyConfig())


# --- pairing ------------------------------------------------------------------------------------------

def _pair(live: list[Side], backtest: list[Side], by_id: bool, tolerance_ms: int) -> tuple[list[Pair], int, int]:
    pairs: list[Pair] = []
    left_live = list(live)
    left_bt: list[Side] = []
    n_id = n_time = 0
    if by_id:
        ids: dict[str, Side] = {}
        for s in live:  # an id asked for twice (skipped, then taken): the taken one
            if s.trade_id not in ids or s.taken:
                ids[s.trade_id] = s
        used: set[int] = set()
        for b in backtest:
            s = ids.get(b.trade_id)
            if s is not None and id(s) not in used:
                used.add(id(s))
                pairs.append(Pair(s, b))
                n_id += 1
            else:
                left_bt.append(b)
        left_live = [s for s in live if id(s) not in used]
    else:
        left_bt = list(backtest)
    pool: dict[tuple[str, bool], list[Side]] = {}
    for s in left_live:
        pool.setdefault((s.symbol, s.is_long), []).append(s)
    for b in left_bt:
        candidates = pool.get((b.symbol, b.is_long), [])
        best = min(candidates, key=lambda s: abs(s.entry_ts - b.entry_ts), default=None)
        if best is not None and abs(best.entry_ts - b.entry_ts) <= tolerance_ms:
            candidates.remove(best)
            pairs.append(Pair(best, b))
            n_time += 1
        else:
            pairs.append(Pair(None, b))
    pairs += [Pair(s, None) for group in pool.values() for s in group]
    return pairs, n_id, n_time


def _pnl(s: Side, qty: float, entry: float, exit_: float, rate: float) -> float:
    return sizing.gross_pnl(s.is_long, qty, entry, exit_) - sizing.fees(rate, qty, entry, exit_)


def _explain(p: Pair) -> None:
    """Fill `p.differs` and `p.explains` (the module doc's walk from the live PnL to the backtest's)."""
    lv, bt = p.live, p.backtest
    if lv is None or bt is None:
        side = lv or bt
        p.explains[ONLY_LIVE if bt is None else ONLY_BACKTEST] = (-(side.pnl or 0.0) if bt is None  # type: ignore[union-attr]
                                                                   else side.pnl or 0.0)  # type: ignore[union-attr]
        return
    values = {"entry_price": (lv.entry_price, bt.entry_price), "stop_price": (lv.stop_price, bt.stop_price),
              "entry_time": (lv.entry_ts, bt.entry_ts), "exit_price": (lv.exit_price, bt.exit_price),
              "exit_time": (lv.exit_ts, bt.exit_ts), "fees": (lv.fees, bt.fees),
              "qty": (lv.qty, bt.qty)}
    if lv.taken != bt.taken:
        values["taken"] = (lv.reason or "taken", bt.reason or "taken")
    p.differs = {k: v for k, v in values.items() if v[0] != v[1]}
    gap = (bt.pnl or 0.0) - (lv.pnl or 0.0)
    if lv.taken != bt.taken:
        p.explains[TAKEN_ONE_SIDE] = gap
    elif lv.pnl is None or bt.pnl is None:
        if gap or lv.pnl is not bt.pnl:
            p.explains[CLOSED_ONE_SIDE] = gap
    elif lv.exit_price is not None and bt.exit_price is not None:
        base = _pnl(lv, lv.qty, lv.entry_price, lv.exit_price, lv.fee_rate)
        p1 = _pnl(lv, lv.qty, bt.entry_price, lv.exit_price, lv.fee_rate)
        p2 = _pnl(lv, lv.qty, bt.entry_price, bt.exit_price, lv.fee_rate)
        p3 = _pnl(lv, lv.qty, bt.entry_price, bt.exit_price, bt.fee_rate)
        # base is lv.pnl recomputed: any sliver between them (none, the formula is the engine's) goes to size
        for name, amount in ((ENTRY, p1 - base), (EXIT, p2 - p1), (FEES, p3 - p2), (SIZE, bt.pnl - p3 + base - lv.pnl)):
            if amount:
                p.explains[name] = amount


def line_up(root: str | os.PathLike[str] | None, trades_csv: str | os.PathLike[str], *,
            risk_config: str | os.PathLike[str] | None = None, policy_config: str | os.PathLike[str] | None = None,
            tolerance_s: float = 60.0) -> Lineup:
    """Line `trades_csv` up with the live trades of `root` (the module doc). Raises InputError or
    ConfigError for a bad file."""
    from ..engine.errors import InputError

    if not tolerance_s >= 0 or tolerance_s == float("inf"):
        raise InputError(f"--tolerance must be a number of seconds >= 0, got {tolerance_s!r}")
    root_path = store.resolve_root(root)
    overlay, policy = _configs(root_path, risk_config, policy_config)
    t = read_trades(Path(trades_csv))
    backtest = _backtest_sides(t, RiskEngine(overlay, policy))
    tol = int(tolerance_s * 1000)
    live_all = [_live_side(x) for x in live_trades(root_path).trades if exportable(x)]
    if backtest:
        lo, hi = min(s.entry_ts for s in backtest) - tol, max(s.entry_ts for s in backtest) + tol
        live = [s for s in live_all if lo <= s.entry_ts <= hi]
    else:
        live = []
    pairs, n_id, n_time = _pair(live, backtest, t.has_trade_ids, tol)
    pairs.sort(key=lambda p: ((p.live or p.backtest).entry_ts, p.trade_id))  # type: ignore[union-attr]
    totals: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    for p in pairs:
        _explain(p)
        for name, amount in p.explains.items():
            entry = totals.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += amount
        for name in p.differs:
            counts[name] = counts.get(name, 0) + 1
    classes = sorted(((k, v[0], v[1]) for k, v in totals.items()), key=lambda c: (-abs(c[2]), c[0]))
    live_pnl = sum(s.pnl for s in live if s.pnl is not None)
    bt_pnl = sum(s.pnl for s in backtest if s.pnl is not None)
    return Lineup(Path(trades_csv), n_id, n_time, pairs, live_pnl, bt_pnl, classes, counts, tolerance_s)


# --- in words -----------------------------------------------------------------------------------------

def _v(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 10**11:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(value // 1000)) + f".{value % 1000:03d}Z"
    return str(value)


def format_lineup(x: Lineup, examples: int = 3) -> str:
    """What `tc1 parity --trades_csv` prints: the pairing, the differences, the gap by class."""
    live_n = sum(1 for p in x.pairs if p.live)
    bt_n = sum(1 for p in x.pairs if p.backtest)
    only_l = [p for p in x.pairs if p.backtest is None]
    only_b = [p for p in x.pairs if p.live is None]
    lines = [f"backtest : {x.csv}: {bt_n:,} trades",
             f"live     : {live_n:,} trades from the journal in the CSV's time span",
             f"paired   : {x.matched_by_id:,} by trade_id, {x.matched_by_time:,} by symbol, side and entry time "
             f"(within {x.tolerance_s:g} s)",
             f"only live: {len(only_l):,}" + (f" ({', '.join(p.trade_id for p in only_l[:examples])}"
                                               f"{', ...' if len(only_l) > examples else ''})" if only_l else ""),
             f"only CSV : {len(only_b):,}" + (f" ({', '.join(p.trade_id for p in only_b[:examples])}"
                                               f"{', ...' if len(only_b) > examples else ''})" if only_b else "")]
    diffs = ", ".join(f"{k.replace('_', ' ')} {x.diff_counts[k]:,}" for k in (*FIELDS, "taken") if x.diff_counts.get(k))
    lines.append(f"differ   : {diffs or 'none'} (paired trades)")
    lines.append(f"PnL      : live {signed_money(x.live_pnl)}, backtest {signed_money(x.backtest_pnl)}, "
                 f"gap {signed_money(x.gap)} (backtest - live)")
    if x.classes:
        width = max(len(c[0]) for c in x.classes)
        lines.append(f"  {'explained by':<{width}}  trades  {'$':>12}")
        for name, n, amount in x.classes:
            lines.append(f"  {name:<{width}}  {n:>6,}  {signed_money(amount):>12}")
        for name, _n, _amount in x.classes:
            shown = [p for p in x.pairs if name in p.explains][:examples]
            for p in shown:
                detail = "; ".join(f"{k.replace('_', ' ')} {_v(a)} live, {_v(b)} backtest" for k, (a, b) in p.differs.items())
                lines.append(f"    {name}: {p.trade_id} {signed_money(p.explains[name])}" + (f" ({detail})" if detail else ""))
    lines.append("0 differences" if x.ok else f"{sum(1 for p in x.pairs if p.differs or not p.live or not p.backtest):,} "
                                              f"trades differ")
    return "\n".join(lines)
