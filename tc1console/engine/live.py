"""The bot's API: each call is one locked, journaled store transaction around the engine (docs/live.md).

    from tc1console.engine import init_risk, risk_try_open, risk_close
    init_risk()                      # loads configs/, restores runtime/ (root: TC1_ROOT or cwd)
    alloc = risk_try_open("t1", "BTCUSDT", True, 1_732_000_000_000, 50_000.0, 49_500.0)
    if not alloc["skipped_reason"]:
        ... buy alloc["qty"] ...
    done = risk_close("t1", 1_732_000_360_000, 50_600.0)

Every call is all or nothing: it returns and its journal line is durable, or it raises and nothing
of it remains. `NotRecordedError` means an I/O failure stopped it before the commit: make the same
call again. A call that was recorded returns the same answer when made again, with
`replayed: True` (a retry after a crash or a timeout is safe). `LiveRisk` is the same API as an
object, with `by` naming who acted (the CLI and the console pass their own names).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from .core import RiskEngine
from .errors import InputError, Tc1Error
from .marks import MarkWriter
from .numbers import as_number, short
from .rails import MS_PER_DAY
from .store import Store, Transaction, jsonable
from .view import account_view

FUTURE_MS = MS_PER_DAY  # an event stamped further ahead of the wall clock is refused (docs/live.md)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class LiveRisk:
    """The engine behind the bot API: every call is one transaction over runtime/ under `root`.

    `check=True` (the bot) opens one transaction at once, so a bad config or state file stops the
    bot at start-up, not mid-trade; the console and the CLI pass False and meet such a file when
    they act.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, check: bool = True) -> None:
        self.store = Store(root)
        self.marks = MarkWriter(self.store.runtime)
        if check:
            with self.store.transaction():
                pass

    @property
    def root(self):
        return self.store.root

    def _engine(self, tx: Transaction) -> RiskEngine:
        engine = tx.engine
        engine.ts_limit = now_ms() + FUTURE_MS + 1
        return engine

    # --- the bot's calls ---------------------------------------------------------------------------

    def try_open(self, trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                 stop_price: Any) -> dict[str, Any]:
        """Size an entry (docs/engine.md section 2). Taken: `skipped_reason` is None and `qty` > 0."""
        with self.store.transaction() as tx:
            engine = self._engine(tx)
            known = engine.positions.get(trade_id) if type(trade_id) is str else None
            result = engine.try_open(trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)
            replayed = known is not None and known.alloc is result  # a retry of an open changes nothing
            if result.skipped_reason is not None:
                tx.record({"type": "skip", "trade_id": jsonable(trade_id), "result": jsonable(result._asdict())})
            elif not replayed:
                tx.record({"type": "open", "trade_id": trade_id, "position": engine.positions[trade_id].to_record()})
            return {**result._asdict(), "replayed": replayed}

    def close(self, trade_id: Any, exit_ts_ms: Any, exit_price: Any, *, by: str | None = None,
              reason: str = "") -> dict[str, Any]:
        """Book an exit (docs/engine.md section 3): PnL after fees, R multiple and the new balance. A trade
        already closed returns its recorded result (with its recorded exit price), `replayed: True`."""
        with self.store.transaction() as tx:
            engine = self._engine(tx)
            replayed = type(trade_id) is str and trade_id in engine.recent_closes
            result = engine.close(trade_id, exit_ts_ms, exit_price)
            if not replayed:
                record: dict[str, Any] = {"type": "close", "trade_id": trade_id, "result": result._asdict()}
                if by is not None:
                    record.update(by=by, reason=reason)
                tx.record(record)
            return {**result._asdict(), "replayed": replayed}

    # --- operator actions (docs/live.md section 6) ------------------------------------------------------

    def adjust_balance(self, amount: Any, reason: str = "", ts_ms: int | None = None, flow_id: str | None = None,
                       *, by: str = "bot") -> dict[str, Any]:
        """Book a deposit (amount > 0) or withdrawal (< 0): not trading PnL. A repeated `flow_id`
        returns the recorded flow, `replayed: True`."""
        return self._flow(amount, "deposit" if _positive(amount) else "withdraw", reason, ts_ms, flow_id, by)

    def set_balance(self, balance: Any, reason: str = "", ts_ms: int | None = None, flow_id: str | None = None,
                    *, by: str = "bot") -> dict[str, Any] | None:
        """Sync the balance to the exchange's: books the difference as a flow of kind "set". None when
        the balance already is `balance` (nothing to book)."""
        target = as_number(balance)
        if target is None or target < 0:
            raise InputError(f"balance must be a finite number >= 0, got {short(balance)}")
        with self.store.transaction(recorded_config_ok=True) as tx:
            engine = self._engine(tx)
            if flow_id is not None and flow_id in engine.recent_flows:
                return self._flow_in(tx, engine, 0.0, "set", reason, ts_ms, flow_id, by)
            if target == engine.balance:
                return None
            return self._flow_in(tx, engine, target - engine.balance, "set", reason, ts_ms, flow_id, by)

    def _flow(self, amount: Any, kind: str, reason: str, ts_ms: int | None, flow_id: str | None,
              by: str) -> dict[str, Any]:
        with self.store.transaction(recorded_config_ok=True) as tx:
            return self._flow_in(tx, self._engine(tx), amount, kind, reason, ts_ms, flow_id, by)

    @staticmethod
    def _flow_in(tx: Transaction, engine: RiskEngine, amount: Any, kind: str, reason: str, ts_ms: int | None,
                 flow_id: str | None, by: str) -> dict[str, Any]:
        flow_id = _text(flow_id, "flow_id") if flow_id is not None else f"flow-{uuid.uuid4().hex[:12]}"
        replayed = flow_id in engine.recent_flows
        result = engine.adjust_balance(amount, kind=kind, reason=_text(reason, "reason", empty=True),
                                       ts_ms=now_ms() if ts_ms is None else ts_ms, flow_id=flow_id)
        if not replayed:
            tx.record({"type": "flow", "result": result._asdict(), "by": by})
        return {**result._asdict(), "replayed": replayed}

    def cancel(self, trade_id: Any, reason: str = "", *, by: str = "bot") -> dict[str, Any]:
        """Drop an open entry that never filled: no PnL, no fees, its risk, notional and day entry freed."""
        with self.store.transaction(recorded_config_ok=True) as tx:
            engine = self._engine(tx)
            replayed = type(trade_id) is str and trade_id in engine.recent_cancels
            result = engine.cancel(trade_id, reason=_text(reason, "reason", empty=True))
            if not replayed:
                tx.record({"type": "cancel", "trade_id": trade_id, "result": result._asdict(), "by": by})
            return {**result._asdict(), "replayed": replayed}

    def fill(self, trade_id: Any, filled_qty: Any, *, by: str = "bot") -> dict[str, Any]:
        """The exchange filled `filled_qty` of an allocation: qty, risk and notional scaled to it."""
        with self.store.transaction() as tx:
            engine = self._engine(tx)
            before = engine.positions.get(trade_id) if type(trade_id) is str else None
            result, position = engine.fill(trade_id, filled_qty)
            if before is None or position.alloc.qty != before.alloc.qty:
                tx.record({"type": "fill", "trade_id": trade_id, "result": result._asdict(),
                           "position": position.to_record(), "by": by})
            return result._asdict()

    def mark(self, prices: Any, ts_ms: Any = None) -> dict[str, Any]:
        """Latest prices for the console (runtime/marks.json): display only; no lock, never journaled."""
        return self.marks.write(prices, ts_ms)

    def pause(self, reason: str = "", *, by: str = "bot", ts_ms: int | None = None) -> dict[str, Any]:
        """Skip every new entry with `paused` until `resume` (closes, cancels and fills go on); `ts_ms`
        (default: the wall clock) is when, as the status shows it."""
        with self.store.transaction(recorded_config_ok=True) as tx:
            engine = self._engine(tx)
            changed = engine.pause(by=_text(by, "by"), reason=_text(reason, "reason", empty=True),
                                   ts_ms=now_ms() if ts_ms is None else ts_ms)
            if changed:
                tx.record({"type": "pause", "paused": engine.paused, "by": by, "reason": reason})
            return {"paused": dict(engine.paused or {}), "changed": changed}

    def resume(self, reason: str = "", *, by: str = "bot") -> dict[str, Any]:
        with self.store.transaction(recorded_config_ok=True) as tx:
            ended = tx.engine.resume()
            if ended is not None:
                tx.record({"type": "resume", "ended": ended, "by": by, "reason": reason})
            return {"ended": ended, "changed": ended is not None}

    def reset(self, days: str | list[str] | None = "all", *, peak: bool = False, streak: bool = False,
              today_key: str | None = None, by: str = "bot", reason: str = "") -> dict[str, Any]:
        """Clear counters: `days` "all", "today" (UTC, `today_key` or the wall clock's), a list of day
        keys, or None for no days; `peak` (to the balance now); `streak` (and its block). Journals and
        returns exactly what was cleared: {"days": {key: {entries, pnl}}, "peak": {...}, "streak": {...}}."""
        with self.store.transaction(recorded_config_ok=True) as tx:
            if days == "all":
                keys: list[str] | None = None
            elif days == "today":
                keys = [today_key or time.strftime("%Y-%m-%d", time.gmtime())]
            elif days is None:
                keys = []
            elif isinstance(days, list) and all(isinstance(k, str) for k in days):
                keys = days
            else:
                raise InputError(f"days must be 'all', 'today', a list of YYYY-MM-DD keys or None, got {short(days)}")
            cleared = tx.engine.reset(keys, peak=peak, streak=streak)
            scope = "all" if keys is None else ("today" if days == "today" else "days")
            tx.record({"type": "reset", "scope": scope, "days": keys, "peak": tx.engine.rail_state.peak if peak else None,
                       "streak": streak, "cleared": cleared, "by": by, "reason": reason})
            return cleared

    def status(self, now: int | None = None) -> dict[str, Any]:
        """ACTIVE / PAUSED / BLOCKED, every reason a new entry would be refused now, and each rail's
        headroom: what `tc1 dashboard` and the console show, as of the wall clock (or `now`)."""
        with self.store.transaction() as tx:
            view = account_view(tx.configs.overlay, tx.configs.policy, tx.engine, now_ms() if now is None else now)
        return {"status": view["rails"]["status_word"], **view}


def _positive(amount: Any) -> bool:
    value = as_number(amount)
    return value is not None and value > 0


def _text(value: Any, name: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise InputError(f"{name} must be a {'' if empty else 'non-empty '}string, got {short(value)}")
    return value


# --- the module-level API the README shows ----------------------------------------------------------

_ENGINE: LiveRisk | None = None


def init_risk(root: str | os.PathLike[str] | None = None) -> LiveRisk:
    """Load configs/ and restore runtime/ under `root` (default $TC1_ROOT, else the current folder)."""
    global _ENGINE
    _ENGINE = LiveRisk(root)
    return _ENGINE


def _live() -> LiveRisk:
    if _ENGINE is None:
        raise Tc1Error("call init_risk() before the other risk_* calls")
    return _ENGINE


def risk_try_open(trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                  stop_price: Any) -> dict[str, Any]:
    return _live().try_open(trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)


def risk_close(trade_id: Any, exit_ts_ms: Any, exit_price: Any) -> dict[str, Any]:
    return _live().close(trade_id, exit_ts_ms, exit_price)


def risk_adjust_balance(amount: Any, reason: str = "", ts_ms: int | None = None,
                        flow_id: str | None = None) -> dict[str, Any]:
    return _live().adjust_balance(amount, reason, ts_ms, flow_id)


def risk_cancel(trade_id: Any, reason: str = "") -> dict[str, Any]:
    return _live().cancel(trade_id, reason)


def risk_fill(trade_id: Any, filled_qty: Any) -> dict[str, Any]:
    return _live().fill(trade_id, filled_qty)


def risk_pause(reason: str = "") -> dict[str, Any]:
    return _live().pause(reason)


def risk_resume() -> dict[str, Any]:
    return _live().resume()


def risk_status() -> dict[str, Any]:
    return _live().status()


def risk_mark(prices: Any, ts_ms: Any = None) -> dict[str, Any]:
    return _live().mark(prices, ts_ms)
