"""The replay loop: a Trades table fed to a RiskEngine in docs/harness.md event order, results in batches.

    engine = RiskEngine(overlay, policy)
    replayed = replay(engine, trades, sink)    # sink.start(ts, balance), then sink.feed(batch)...

Each event is exactly the call the live API makes (`RiskEngine.try_open` for an entry,
`RiskEngine.close` for an exit), in event-time order, so a backtest and a live run of the same
events agree to the last bit. The loop reads nothing but the Trades columns (trade_ids, symbols,
is_long, entry_ts, entry_price, stop_price, exit_ts, exit_price, has_trade_ids): whatever filled
the table, a CSV or a live journal, is replayed the same way. Rows in `Trades.invalid` never
reach it (the `order` holds only valid rows). What becomes of the results (rendered rows,
a comparison) is the sink's business.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from ..engine.core import SKIP_REASONS, RiskEngine
from .trades import STILL_OPEN, Trades

CHUNK = 4096  # events between two calls of `tick` and of `sink.feed` (a few ms of work)


class Batch:
    """A chunk of replay results as compact columns, in event order.

    Per entry (one per replayed row, the order's chunk): `opos`, its input position; `ofl`, the
    four floats qty, risk_amount, notional, budget; `oreason`, skipped_reason (None when taken);
    `odetail`, detail. Per close: `cpos`, the input position of its entry; `cfl`, the seven floats
    qty, risk_amount, gross_pnl, fees, pnl_after_fees, R_multiple, balance_after.
    The rest of an OpenResult or CloseResult is not carried: an entry's first six fields
    (trade_id .. stop_price) and a close's first three echo the engine's arguments, the Trades
    columns at that position, and so do a close's exit_price and exit_ts_ms, and its entry_price
    and entry_ts_ms, which are its position's: the one that row's own entry opened (a trade_id
    seen again while it is open is a retry or a duplicate, never a second position).
    """

    __slots__ = ("opos", "ofl", "oreason", "odetail", "cpos", "cfl")

    def __init__(self) -> None:
        self.opos, self.cpos = array("q"), array("q")
        # Plain lists while the replay fills them: list.extend(r[6:10]) costs half of what
        # array.extend does for a tuple.
        self.ofl: Sequence[float] = []
        self.oreason: list[str | None] = []
        self.odetail: list[str] = []
        self.cfl: Sequence[float] = []

    def clear(self) -> None:
        for name in self.__slots__:
            del getattr(self, name)[:]


class Sink(Protocol):
    """Where the replay hands its results. A batch is cleared and reused once `feed` returns."""

    def start(self, ts_ms: int, balance: float) -> None:
        """Before the first event: its time and the engine's balance then."""

    def feed(self, batch: Batch) -> None:
        """A chunk's results, in event order."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """What the loop counted. `skipped`: the engine's skips by reason (every reason, 0 if none);
    `retried`: opens the engine answered as a harmless retry of an open trade; `peak_open`,
    `peak_risk`: the most positions and open risk at once; `first_ts`: the first event's time
    (None with nothing to replay)."""

    skipped: dict[str, int]
    taken: int
    retried: int
    peak_open: int
    peak_risk: float
    first_ts: int | None


def chunks(order: Sequence[int]) -> Iterator[Sequence[int]]:
    """`order` in slices of CHUNK rows."""
    return (order[start:start + CHUNK] for start in range(0, len(order), CHUNK))


def _no_tick(done: int) -> None:
    pass


def replay(engine: RiskEngine, t: Trades, sink: Sink, order: Iterable[Sequence[int]] | None = None,
           tick: Callable[[int], None] = _no_tick) -> Replayed:
    """Feed every event of `t` to `engine` in docs/harness.md order; hand the results to `sink`.

    `order`: the valid rows by (entry time, input position), in chunks (default: all of `t`'s,
    `chunks(t.replay_order())`; the forked reader hands them out as they arrive). Before an entry
    at time T, every pending exit with exit time <= T is closed, by (exit time, input position):
    so exits come first at an equal timestamp, and an exit stamped at its own entry time closes
    right after that entry. Only a taken entry schedules its exit, and a trade whose exit_ts is
    STILL_OPEN has none: it stays in `engine.positions` at the end. Each event is the very call the
    live API makes: `engine.try_open(trade_id, symbol, is_long, entry_ts_ms, entry_price,
    stop_price)` and `engine.close(trade_id, exit_ts_ms, exit_price)`. `tick(entries so far)` runs
    between chunks (it may raise, to cancel). The exits still pending after the last entry close
    in time order, in the last batch.
    """
    if order is None:
        order = chunks(t.replay_order())
    tids, syms, longs = t.trade_ids, t.symbols, t.is_long
    ets, eps, sps, xts, xps = t.entry_ts, t.entry_price, t.stop_price, t.exit_ts, t.exit_price
    try_open, close, positions = engine.try_open, engine.close, engine.positions
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    taken = retried = peak_open = done = 0
    peak_risk = 0.0
    first_ts = None
    heap: list[tuple[int, int]] = []  # (exit_ts_ms, input position) of each taken trade
    inf = float("inf")
    batch = Batch()
    open_floats = batch.ofl.extend
    open_reason, open_detail = batch.oreason.append, batch.odetail.append
    close_pos, close_floats = batch.cpos.append, batch.cfl.extend

    def close_due(until: float) -> float:
        """Close every pending exit stamped <= until; return the next exit's time."""
        while heap and heap[0][0] <= until:
            x_ts, x = heappop(heap)
            c = close(tids[x], x_ts, xps[x])  # the live API's risk_close, exactly
            close_pos(x)
            close_floats(c[3:9:5])  # qty, risk_amount
            close_floats(c[9:])  # gross_pnl .. balance_after; the rest is row x's (see Batch)
        return heap[0][0] if heap else inf

    next_exit = inf
    for chunk in order:
        tick(done)
        done += len(chunk)
        if first_ts is None:
            first_ts = ets[chunk[0]]
            sink.start(first_ts, engine.balance)
        check_retry = t.has_trade_ids  # only ids from the source can repeat one that is open
        batch.opos.extend(chunk)
        for i in chunk:
            ts = ets[i]
            if next_exit <= ts:
                next_exit = close_due(ts)
            tid = tids[i]
            known = positions.get(tid) if check_retry else None
            r = try_open(tid, syms[i], longs[i], ts, eps[i], sps[i])  # the live API's risk_try_open
            reason = r[10]  # skipped_reason (an index: no attribute lookup on the hot path)
            if reason is not None:
                skipped[reason] += 1
            elif known is not None and known.alloc is r:
                retried += 1  # the same trade_id and arguments again: the engine's harmless retry
            else:
                taken += 1
                x_ts = xts[i]
                if x_ts != STILL_OPEN:
                    heappush(heap, (x_ts, i))
                    if x_ts < next_exit:
                        next_exit = x_ts
                if len(positions) > peak_open:
                    peak_open = len(positions)
                if engine.total_open_risk > peak_risk:
                    peak_risk = engine.total_open_risk
            open_floats(r[6:10])
            open_reason(reason)
            open_detail(r[11])
        sink.feed(batch)
        batch.clear()
    close_due(inf)  # the exits still pending after the last entry, in time order
    sink.feed(batch)
    return Replayed(skipped, taken, retried, peak_open, peak_risk, first_ts)
