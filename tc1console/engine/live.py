"""The bot's API: init_risk / risk_try_open / risk_close, each one locked store transaction around core.

    from tc1console.engine import init_risk, risk_try_open, risk_close
    init_risk()                      # loads configs/, restores runtime/ (root: TC1_ROOT or cwd)
    alloc = risk_try_open(trade_id="t1", symbol="BTCUSDT", is_long=True,
                          entry_ts_ms=1_732_000_000_000, entry_price=50_000.0, stop_price=49_500.0)
    if not alloc["skipped_reason"]:
        ... buy alloc["qty"] ...
    done = risk_close(trade_id="t1", exit_ts_ms=1_732_000_360_000, exit_price=50_600.0)
"""

from __future__ import annotations

import os
from typing import Any

from .errors import Tc1Error
from .marks import MarkWriter
from .store import Store, jsonable


class LiveRisk:
    """The engine behind the bot API: every call is one transaction over runtime/ under `root`."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.store = Store(root)
        self.marks = MarkWriter(self.store.runtime)
        # Validate configs and state now, so a bad file stops the bot at start-up, not mid-trade.
        with self.store.transaction():
            pass

    @property
    def root(self):
        return self.store.root

    def try_open(self, *, trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                 stop_price: Any) -> dict[str, Any]:
        """Size an entry (see ENGINE.md §2). Taken: `skipped_reason` is None and `qty` > 0."""
        with self.store.transaction() as tx:
            known = tx.engine.positions.get(trade_id) if isinstance(trade_id, str) else None
            result = tx.engine.try_open(trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)
            if result.skipped_reason is not None:
                tx.record({"type": "skip", "trade_id": jsonable(trade_id), "result": jsonable(result._asdict())})
            elif known is None or known.alloc is not result:  # a retry of an open changes nothing
                tx.record({"type": "open", "trade_id": trade_id,
                           "position": tx.engine.positions[trade_id].to_record()})
            return result._asdict()

    def close(self, *, trade_id: str, exit_ts_ms: Any, exit_price: Any) -> dict[str, Any]:
        """Book an exit (see ENGINE.md §3): PnL after fees, R multiple and the new balance."""
        with self.store.transaction() as tx:
            repeated = trade_id in tx.engine.recent_closes
            result = tx.engine.close(trade_id, exit_ts_ms, exit_price)
            if not repeated:
                tx.record({"type": "close", "trade_id": trade_id, "result": result._asdict()})
            return result._asdict()

    def mark(self, prices: Any, ts_ms: Any = None) -> dict[str, Any]:
        """Latest prices for the console (runtime/marks.json): display only; no lock, never journaled."""
        return self.marks.write(prices, ts_ms)


_ENGINE: LiveRisk | None = None


def init_risk(root: str | os.PathLike[str] | None = None) -> LiveRisk:
    """Load configs/ and restore runtime/ under `root` (default $TC1_ROOT, else the current folder)."""
    global _ENGINE
    _ENGINE = LiveRisk(root)
    return _ENGINE


def _engine() -> LiveRisk:
    if _ENGINE is None:
        raise Tc1Error("call init_risk() before risk_try_open / risk_close")
    return _ENGINE


def risk_try_open(*, trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                  stop_price: Any) -> dict[str, Any]:
    return _engine().try_open(trade_id=trade_id, symbol=symbol, is_long=is_long, entry_ts_ms=entry_ts_ms,
                              entry_price=entry_price, stop_price=stop_price)


def risk_close(*, trade_id: str, exit_ts_ms: Any, exit_price: Any) -> dict[str, Any]:
    return _engine().close(trade_id=trade_id, exit_ts_ms=exit_ts_ms, exit_price=exit_price)


def risk_mark(prices: Any, ts_ms: Any = None) -> dict[str, Any]:
    return _engine().mark(prices, ts_ms)
