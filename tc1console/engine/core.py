"""RiskEngine: every decision and booking over in-memory state. No I/O, no clock, deterministic.

The live API (one locked transaction per call) and the backtest (a loop over events) both drive
this class, so backtest/live parity holds by construction. Every state change goes through one of
the `apply_*` methods, which are also what replays the journal (events.py) after a crash.

The rules: docs/engine.md sections 2 (try_open), 3 (close) and 7 (the rails beyond the seed), and
docs/live.md section 6 (operator actions: cash flows, cancels, partial fills, pause, resets).
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from functools import lru_cache, partial
from typing import Any, Iterable, Mapping, NamedTuple, get_type_hints

from . import sizing
from .config import OverlayConfig, PolicyConfig
from .errors import InputError, InvalidExitError, UnknownTradeError
from .numbers import (MAX_BALANCE, MAX_PRICE, MAX_TS_MS, MIN_TS_MS, as_ms, as_number, exact_partials, money,
                      qty_text, short, type_name)
from .rails import (DAILY_LOSS_CAP, EQUITY_FLOOR, MAX_TRADES_PER_DAY, MS_PER_DAY, RAIL_NAMES, DayBucket,
                    Rails, RailState, day_index, day_key, day_key_of_index,
                    utc_time)

# Bounded state: the state files keep these windows; the journal keeps everything.
EQUITY_WINDOW = 1_000  # equity points (one per close or cash flow)
CLOSE_HISTORY = 100  # closed trades remembered for idempotent re-close and duplicate ids
ACTION_HISTORY = 100  # cash flows and cancels remembered for idempotent retries
DAY_WINDOW = 62  # UTC-day buckets, counted back from the newest day seen (covers a calendar month)

# Skip reasons, in the order the checks run (docs/engine.md section 2).
INVALID_INPUT = sizing.INVALID_INPUT
DUPLICATE_TRADE_ID = "duplicate_trade_id"
PAUSED = "paused"
# then the rails' own names (rails.RAIL_NAMES: equity_floor ... symbol_cooldown)
MAX_CONCURRENT_TRADES = "max_concurrent_trades"
TOTAL_OPEN_RISK_CAP = sizing.TOTAL_OPEN_RISK_CAP
MAX_LEVERAGE = sizing.MAX_LEVERAGE
BELOW_MIN_QTY = sizing.BELOW_MIN_QTY
BELOW_MIN_NOTIONAL = sizing.BELOW_MIN_NOTIONAL
SKIP_REASONS = (INVALID_INPUT, DUPLICATE_TRADE_ID, PAUSED, *RAIL_NAMES, MAX_CONCURRENT_TRADES,
                TOTAL_OPEN_RISK_CAP, MAX_LEVERAGE, BELOW_MIN_QTY, BELOW_MIN_NOTIONAL)
FLOW = "flow"  # the mark of an equity point that a cash flow, not a close, made

__all__ = ["RiskEngine", "OpenResult", "CloseResult", "FlowResult", "CancelResult", "FillResult", "Position",
           "SKIP_REASONS", "MIN_TS_MS", "MAX_TS_MS", "MAX_PRICE", "EQUITY_FLOOR", "DAILY_LOSS_CAP",
           "MAX_TRADES_PER_DAY"]


class OpenResult(NamedTuple):
    """The answer to `try_open`: how much to buy, or why not (`skipped_reason`, qty 0)."""

    trade_id: Any
    symbol: Any
    is_long: Any
    entry_ts_ms: Any
    entry_price: Any
    stop_price: Any
    qty: float
    risk_amount: float
    notional: float
    budget: float
    skipped_reason: str | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


class CloseResult(NamedTuple):
    """The booking of one exit: PnL after fees, R multiple and the balance after it."""

    trade_id: str
    symbol: str
    is_long: bool
    qty: float
    entry_price: float
    exit_price: float
    entry_ts_ms: int
    exit_ts_ms: int
    risk_amount: float
    gross_pnl: float
    fees: float
    pnl_after_fees: float
    R_multiple: float
    balance_after: float

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


class FlowResult(NamedTuple):
    """A cash flow booked: a deposit (amount > 0), a withdrawal (< 0) or a sync to the exchange's balance."""

    flow_id: str
    kind: str  # "deposit", "withdraw", "set" (a sync), or "adopt" (a hand edit kept by `tc1 state adopt`)
    amount: float
    balance_before: float
    balance_after: float
    ts_ms: int
    reason: str


class CancelResult(NamedTuple):
    """An entry that never filled, dropped: no PnL, no fees; its risk, notional and day entry freed."""

    trade_id: str
    symbol: str
    is_long: bool
    qty: float
    entry_price: float
    entry_ts_ms: int
    risk_amount: float
    reason: str


class FillResult(NamedTuple):
    """A partial fill: the allocation scaled down to what the exchange filled."""

    trade_id: str
    symbol: str
    qty_before: float
    qty: float
    risk_amount: float
    notional: float


class Position(NamedTuple):
    """An open trade: its allocation and what it was sized with (the fee is charged again on exit)."""

    alloc: OpenResult
    fee_rate: float
    fee_bps: float
    fees_in_risk: bool

    def to_record(self) -> dict[str, Any]:
        record = self.alloc._asdict()
        del record["skipped_reason"], record["detail"]
        record["fee_rate"] = self.fee_rate
        record["fee_bps"] = self.fee_bps
        record["fees_in_risk"] = self.fees_in_risk
        return record

    @classmethod
    def from_record(cls, trade_id: str, record: Mapping[str, Any]) -> "Position":
        """Raises ValueError naming the bad field."""
        def number(key: str, positive: bool = True) -> float:
            value = record[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (
                    value <= 0 if positive else value < 0):
                raise ValueError(f"{key} must be a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
            return float(value)

        qty, entry = number("qty"), number("entry_price")
        ts = record["entry_ts_ms"]
        if as_ms(ts) is None or type(ts) is not int:
            raise ValueError(f"entry_ts_ms must be a whole number of ms since 1970, got {ts!r}")
        if not isinstance(record["symbol"], str) or not isinstance(record["is_long"], bool):
            raise ValueError("symbol must be a string and is_long true or false")
        rate = number("fee_rate", False) if "fee_rate" in record else 0.0
        bps = number("fee_bps", False) if "fee_bps" in record else rate * 10_000
        fees_in_risk = record.get("fees_in_risk", True)
        if not isinstance(fees_in_risk, bool):
            raise ValueError(f"fees_in_risk must be true or false, got {fees_in_risk!r}")
        risk = number("risk_amount", False)
        alloc = OpenResult(
            trade_id, record["symbol"], record["is_long"], ts, entry, number("stop_price"), qty, risk,
            number("notional") if "notional" in record else qty * entry,
            number("budget", False) if "budget" in record else risk, None, "")
        return cls(alloc, rate, bps, fees_in_risk)


# Results are built with tuple.__new__ directly: the same tuples as OpenResult(...) etc., without
# a Python-level __new__ call on every event (a measurable share of a backtest's time).
_open_result = partial(tuple.__new__, OpenResult)
_close_result = partial(tuple.__new__, CloseResult)
_position = partial(tuple.__new__, Position)


def _skip(args: tuple, reason: str, detail: str, budget: float = 0.0) -> OpenResult:
    """A skipped entry: the call's own arguments (`args`), qty 0, and why."""
    return _open_result((*args, 0.0, 0.0, 0.0, budget, reason, detail))


class RiskEngine:
    """Sizing, caps, market rules, rails and operator actions over one account's in-memory state.

    `ts_limit`: the live API sets it to the wall clock plus a day, so an event stamped further ahead
    is refused (a far-future stamp would otherwise prune today's bucket); the backtest has no clock
    and accepts any time.
    """

    def __init__(self, overlay: OverlayConfig, policy: PolicyConfig, *, balance: float | None = None,
                 start_balance: float | None = None) -> None:
        self.balance: float = overlay.initial_balance if balance is None else float(balance)
        self.start_balance: float = self.balance if start_balance is None else float(start_balance)
        self.net_flows = 0.0  # deposits minus withdrawals since the start
        self.positions: dict[str, Position] = {}
        # Each open position's risk_amount and notional by trade_id, kept beside `positions`
        # so the totals are one fsum over a dict's values.
        self._risks: dict[str, float] = {}
        self._notionals: dict[str, float] = {}
        self.total_open_risk: float = 0.0
        self.open_notional: float = 0.0
        self.equity_points: deque[tuple] = deque(maxlen=EQUITY_WINDOW)
        self.recent_closes: OrderedDict[str, CloseResult] = OrderedDict()
        self.recent_flows: OrderedDict[str, FlowResult] = OrderedDict()
        self.recent_cancels: OrderedDict[str, CancelResult] = OrderedDict()
        self.days: dict[str, DayBucket] = {}
        self.rail_state = RailState()
        self.paused: dict[str, Any] | None = None  # {"by", "reason", "ts_ms"} while new entries are paused
        self.ts_limit = MAX_TS_MS
        self._periods: dict[tuple[str, ...], float] = {}  # week and month losses, while their days are unchanged
        # Each period's days but the one PnL last changed on (`_hot_day`), as exact partials: while
        # closes book onto that one day, a period's fsum is redone over a few floats, not 7 or 31.
        self._period_rest: dict[tuple[str, ...], tuple[list[float], bool]] = {}
        self._hot_day = ""
        self._day: int | None = None  # the last UTC day index asked for, and its key (a memo)
        self._day_key = ""
        self.set_config(overlay, policy)

    # --- configuration -----------------------------------------------------------------------------

    def set_config(self, overlay: OverlayConfig, policy: PolicyConfig) -> None:
        """Use new caps from the next call on; open positions keep the sizing they were given."""
        self.overlay, self.policy = overlay, policy
        self.rails = Rails(policy)
        self._active_rails = self.rails.active
        self._streak_rule = self.rails.streak_rule()
        self._markets: dict[str, sizing.Market] = {}
        o = overlay  # read once here, not attribute by attribute on every entry
        self._limit = o.max_concurrent_trades
        self._caps = sizing.Caps(o.flat_risk_until, o.flat_risk_amount, o.percent_risk, o.per_trade_risk_cap,
                                 o.total_open_risk_cap, o.fees_in_risk, o.max_leverage)

    def market(self, symbol: str) -> sizing.Market:
        """The symbol's market rules and fee (its override, else the defaults), worked out once per config."""
        market = self._markets.get(symbol)
        if market is None:
            r = self.overlay.rules_for(symbol)
            market = self._markets[symbol] = sizing.Market(r.qty_step, r.min_qty, r.min_notional, r.fee_bps)
        return market

    # --- opening -----------------------------------------------------------------------------------

    def try_open(self, trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                 stop_price: Any) -> OpenResult:
        """Size a new entry, or say why to skip it. A taken entry is stored as an open position."""
        # The common, well-typed call passes this check and skips `_invalid_open`; anything else
        # (a bad value, or a number of another type: int, Decimal, numpy) is judged there.
        if not (type(trade_id) is str and trade_id and type(symbol) is str and symbol
                and type(is_long) is bool and type(entry_ts_ms) is int
                and MIN_TS_MS <= entry_ts_ms < self.ts_limit
                and type(entry_price) is float and 0.0 < entry_price < MAX_PRICE
                and type(stop_price) is float and 0.0 < stop_price < MAX_PRICE
                and (stop_price < entry_price if is_long else entry_price < stop_price)):
            problem, values = self._invalid_open(trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)
            if problem:
                return _open_result((trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price,
                                     0.0, 0.0, 0.0, 0.0, INVALID_INPUT, problem))
            entry_ts_ms, entry_price, stop_price = values
        args = (trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)

        positions = self.positions
        existing = positions.get(trade_id)
        if existing is not None:
            a = existing.alloc
            if (a.symbol, a.is_long, a.entry_ts_ms, a.entry_price, a.stop_price) == args[1:]:
                return a  # a retried call after a crash is harmless
            return _skip(args, DUPLICATE_TRADE_ID, f"trade_id {trade_id!r} is already open with other arguments")
        if trade_id in self.recent_closes:
            return _skip(args, DUPLICATE_TRADE_ID, f"trade_id {trade_id!r} was already closed")
        if trade_id in self.recent_cancels:
            return _skip(args, DUPLICATE_TRADE_ID, f"trade_id {trade_id!r} was cancelled")
        if self.paused is not None:
            return _skip(args, PAUSED, _pause_text(self.paused))

        balance = self.balance
        if balance <= 0:
            return _skip(args, EQUITY_FLOOR, f"balance {money(balance)} <= 0")
        today = None
        rails = self._active_rails
        if rails:
            day = entry_ts_ms // MS_PER_DAY
            if day != self._day:  # events come in time order: the day seldom changes
                self._day, self._day_key = day, day_key_of_index(day)
            today = self.days.get(self._day_key)
            for rail in rails:
                detail = rail.check(self, entry_ts_ms, symbol, today)
                if detail:
                    return _skip(args, rail.name, detail)

        limit = self._limit
        if limit is not None and len(positions) >= limit:
            return _skip(args, MAX_CONCURRENT_TRADES, f"{len(positions)} open, max {limit}")

        market = self._markets.get(symbol) or self.market(symbol)
        daily = self.rails.daily
        s = sizing.size(balance, self._caps, market, self.total_open_risk, self.open_notional,
                        None if daily is None else (daily.limit, 0.0 if today is None else today.pnl),
                        entry_price, stop_price)
        if s[4] is not None:  # reason
            return _skip(args, s[4], s[5], s[3])
        alloc = _open_result((*args, s[0], s[1], s[2], s[3], None, ""))
        self.apply_open(_position((alloc, market.fee_rate, market.fee_bps_f, self._caps.fees_in_risk)))
        return alloc

    def _invalid_open(self, trade_id: Any, symbol: Any, is_long: Any, raw_ts: Any, raw_entry: Any,
                      raw_stop: Any) -> tuple[str, tuple[int, float, float]]:
        """Why the entry's arguments are unusable ("" when they are fine), and its ts and prices as
        int and floats (a bot may pass an int, a Decimal or a numpy number)."""
        none = (0, 0.0, 0.0)
        if not isinstance(trade_id, str) or not trade_id:
            return f"trade_id must be a non-empty string, got {short(trade_id)}", none
        if not isinstance(symbol, str) or not symbol:
            return f"symbol must be a non-empty string, got {short(symbol)}", none
        if not isinstance(is_long, bool):
            return f"is_long must be true or false, got {short(is_long)}", none
        ts = as_ms(raw_ts)
        if ts is None:
            return f"entry_ts_ms must be an integer millisecond epoch, got {short(raw_ts)}", none
        if ts >= self.ts_limit:
            return (f"entry_ts_ms {ts} is more than a day ahead of the clock "
                    f"({day_key(ts) if ts < MAX_TS_MS else 'far future'})"), none
        entry, stop = as_number(raw_entry), as_number(raw_stop)
        if entry is None or not 0 < entry < MAX_PRICE:
            return f"entry_price must be a finite number > 0, got {short(raw_entry)}", none
        if stop is None or not 0 < stop < MAX_PRICE:
            return f"stop_price must be a finite number > 0, got {short(raw_stop)}", none
        if stop == entry:
            return f"stop_price must differ from entry_price, both are {entry!r}", none
        if is_long and stop > entry:
            return f"stop_price {stop!r} must be below entry_price {entry!r} for a long", none
        if not is_long and stop < entry:
            return f"stop_price {stop!r} must be above entry_price {entry!r} for a short", none
        return "", (ts, entry, stop)

    def period_loss(self, keys: tuple[str, ...]) -> float:
        """rails.period_loss of a week or month (its day keys), to the bit: remembered until a day's
        PnL changes, and then summed again from the other days' partials and the day that changed."""
        loss = self._periods.get(keys)
        if loss is None:
            days, hot = self.days, self._hot_day
            rest = self._period_rest.get(keys)
            if rest is None:
                rest = self._period_rest[keys] = (
                    exact_partials(b.pnl for k in keys if k != hot and (b := days.get(k)) is not None), hot in keys)
            partials, has_hot = rest
            pnl = math.fsum([*partials, b.pnl]) if has_hot and (b := days.get(hot)) is not None \
                else math.fsum(partials)
            loss = self._periods[keys] = -pnl if pnl < 0 else 0.0
        return loss

    def _days_changed(self) -> None:
        """Day buckets were replaced, reset or pruned: every period is summed again from scratch."""
        self._periods.clear()
        self._period_rest.clear()

    # --- closing -----------------------------------------------------------------------------------

    def close(self, trade_id: Any, exit_ts_ms: Any, exit_price: Any) -> CloseResult:
        """Book an exit. A repeated close returns the recorded result; nothing is counted twice."""
        if type(trade_id) is not str or not trade_id:
            raise InvalidExitError(f"trade_id must be a non-empty string, got {short(trade_id)}")
        done = self.recent_closes.get(trade_id)
        if done is not None:
            return done
        pos = self.positions.get(trade_id)
        if pos is None:
            raise UnknownTradeError(self._unknown(trade_id, "open"))
        # As in try_open, the well-typed call skips the careful checks (same outcome, less work).
        if type(exit_ts_ms) is int and MIN_TS_MS <= exit_ts_ms < self.ts_limit:
            ts = exit_ts_ms
        else:
            ts = self._exit_ts(trade_id, exit_ts_ms)
        if not (type(exit_price) is float and 0.0 < exit_price < MAX_PRICE):
            price = as_number(exit_price)
            if price is None or not 0.0 < price < MAX_PRICE:
                raise InvalidExitError(f"trade {trade_id!r}: exit_price must be a finite number > 0, "
                                       f"got {short(exit_price)}")
            exit_price = price
        a = pos.alloc
        if ts < a.entry_ts_ms:
            raise InvalidExitError(f"trade {trade_id!r}: exit_ts_ms {ts} is before entry_ts_ms "
                                   f"{a.entry_ts_ms}")
        qty, entry, is_long, risk = a.qty, a.entry_price, a.is_long, a.risk_amount
        gross = (exit_price - entry) * qty if is_long else (entry - exit_price) * qty  # sizing.gross_pnl
        fee = pos.fee_rate * qty * (entry + exit_price)  # sizing.fees
        pnl = gross - fee
        balance = self.balance + pnl
        r_multiple = pnl / risk if risk else 0.0
        if not (math.isfinite(balance) and math.isfinite(r_multiple)):
            raise InvalidExitError(f"trade {trade_id!r}: exit_price {exit_price!r} gives a PnL or balance "
                                   f"past the float range; nothing was booked")
        result = _close_result((trade_id, a.symbol, is_long, qty, entry, exit_price, a.entry_ts_ms,
                                ts, risk, gross, fee, pnl, r_multiple, balance))
        self.apply_close(result)
        return result

    def _exit_ts(self, trade_id: str, raw: Any) -> int:
        ts = as_ms(raw)
        if ts is None:
            raise InvalidExitError(f"trade {trade_id!r}: exit_ts_ms must be an integer millisecond epoch, "
                                   f"got {short(raw)}")
        if ts >= self.ts_limit:
            raise InvalidExitError(f"trade {trade_id!r}: exit_ts_ms {ts} is more than a day ahead of the clock")
        return ts

    def _unknown(self, trade_id: str, what: str) -> str:
        if trade_id in self.recent_cancels:
            return f"trade_id {trade_id!r} was cancelled, it is not {what}"
        return (f"unknown trade_id {trade_id!r}: not {what}, and not among the last {CLOSE_HISTORY} closes")

    # --- operator actions (docs/live.md section 6) ----------------------------------------------------

    def adjust_balance(self, amount: Any, *, kind: str, reason: str, ts_ms: int, flow_id: str) -> FlowResult:
        """A deposit (amount > 0) or withdrawal (< 0); `kind` "set" for a sync to the exchange's balance.
        A flow_id already booked returns its recorded result. Raises InputError for a bad amount."""
        done = self.recent_flows.get(flow_id)
        if done is not None:
            return done
        value = as_number(amount)
        if value is None or value == 0:
            raise InputError(f"amount must be a finite number other than 0, got {short(amount)}")
        if value < 0 and -value > self.balance:
            raise InputError(f"a withdrawal of {money(-value)} is larger than the balance {money(self.balance)}")
        after = self.balance + value
        if not math.isfinite(after) or after > MAX_BALANCE:
            raise InputError(f"amount {short(amount)} takes the balance past {money(MAX_BALANCE)}, beyond "
                             "which a float no longer holds every cent")
        result = FlowResult(flow_id, kind, value, self.balance, after, self._action_ts(ts_ms), reason)
        self.apply_flow(result)
        return result

    def cancel(self, trade_id: Any, *, reason: str) -> CancelResult:
        """Drop an open entry that never filled. A cancel already done returns its recorded result."""
        if type(trade_id) is not str or not trade_id:
            raise InputError(f"trade_id must be a non-empty string, got {short(trade_id)}")
        done = self.recent_cancels.get(trade_id)
        if done is not None:
            return done
        pos = self.positions.get(trade_id)
        if pos is None:
            if trade_id in self.recent_closes:
                raise InputError(f"trade {trade_id!r} is already closed; a closed trade cannot be cancelled")
            raise UnknownTradeError(self._unknown(trade_id, "open"))
        a = pos.alloc
        result = CancelResult(trade_id, a.symbol, a.is_long, a.qty, a.entry_price, a.entry_ts_ms, a.risk_amount,
                              reason)
        self.apply_cancel(result)
        return result

    def fill(self, trade_id: Any, filled_qty: Any) -> tuple[FillResult, Position]:
        """Scale an open allocation down to the quantity the exchange filled (0 < filled <= qty, a
        whole number of steps): qty, risk_amount and notional, exactly as sizing computes them."""
        if type(trade_id) is not str or not trade_id:
            raise InputError(f"trade_id must be a non-empty string, got {short(trade_id)}")
        pos = self.positions.get(trade_id)
        if pos is None:
            raise UnknownTradeError(self._unknown(trade_id, "open"))
        a = pos.alloc
        qty = as_number(filled_qty)
        step = self.market(a.symbol).step_f
        if qty is None or not 0 < qty <= a.qty:
            raise InputError(f"filled_qty must be a number above 0 and at most the allocation "
                             f"{qty_text(a.qty, step)}, got {short(filled_qty)}")
        if not sizing.is_multiple(qty, step):
            raise InputError(f"filled_qty {qty!r} is not a whole number of steps of {qty_text(step, step)}")
        risk, notional = sizing.scaled(qty, a.entry_price, a.stop_price, pos.fee_bps, pos.fees_in_risk)
        alloc = a._replace(qty=qty, risk_amount=risk, notional=notional)
        position = pos._replace(alloc=alloc)
        self.apply_fill(position)
        return FillResult(trade_id, a.symbol, a.qty, qty, risk, notional), position

    def pause(self, *, by: str, reason: str, ts_ms: int) -> bool:
        """Skip every new entry with `paused` until resumed. False when already paused (nothing changes)."""
        if self.paused is not None:
            return False
        self.apply_pause({"by": by, "reason": reason, "ts_ms": self._action_ts(ts_ms)})
        return True

    def resume(self) -> dict[str, Any] | None:
        """Let new entries through again; the pause that ended, or None when there was none."""
        paused = self.paused
        if paused is not None:
            self.apply_pause(None)
        return paused

    def reset(self, day_keys: list[str] | None, *, peak: bool = False, streak: bool = False) -> dict[str, Any]:
        """Clear day buckets (`day_keys`, or all of them when None; [] for none), the peak (to the
        balance now), the loss streak (and its block). Returns exactly what was cleared."""
        cleared_days = {k: {"entries": b.entries, "pnl": b.pnl} for k, b in sorted(self.days.items())
                        if day_keys is None or k in day_keys}
        state = self.rail_state
        cleared: dict[str, Any] = {"days": cleared_days}
        if peak:
            cleared["peak"] = {"from": state.peak, "to": self.balance}
        if streak:
            cleared["streak"] = {"count": state.streak, "until": state.streak_until}
        self.apply_reset(day_keys, peak=self.balance if peak else None, streak=streak)
        return cleared

    def _action_ts(self, ts_ms: Any) -> int:
        ts = as_ms(ts_ms)
        if ts is None or ts >= self.ts_limit:
            raise InputError(f"the time must be a millisecond epoch no more than a day ahead, got {short(ts_ms)}")
        return ts

    # --- the one mutation path, shared with journal replay ---------------------------------------
    # `book` applies what risk_state.json holds, `days` what risk_policy_state.json holds: a load
    # applies each journal entry to whichever file had not seen it yet.

    def apply_open(self, pos: Position, *, book: bool = True, days: bool = True) -> None:
        a = pos.alloc
        if book:
            tid = a.trade_id
            self.positions[tid] = pos
            self._risks[tid] = a.risk_amount
            self._notionals[tid] = a.notional
            self._resum()
        if days:
            self._bucket(a.entry_ts_ms).entries += 1

    def apply_close(self, result: CloseResult, *, book: bool = True, days: bool = True) -> None:
        pnl = result.pnl_after_fees
        if book:
            tid = result.trade_id
            if self.positions.pop(tid, None) is not None:
                del self._risks[tid], self._notionals[tid]
                self._resum()
            before = self.balance
            self.balance = after = before + pnl
            self.equity_points.append((result.exit_ts_ms, after))
            limit, cooldown = self._streak_rule
            self.rail_state.on_close(before, after, pnl, result.symbol, result.exit_ts_ms, limit, cooldown)
            closes = self.recent_closes
            closes[tid] = result
            if len(closes) > CLOSE_HISTORY:
                closes.popitem(last=False)
        if days:
            self._bucket(result.exit_ts_ms).pnl += pnl
            if self._day_key != self._hot_day:  # PnL moved on to another day (_bucket set _day_key)
                self._hot_day = self._day_key
                self._period_rest.clear()
            if self._periods:
                self._periods.clear()

    def apply_flow(self, result: FlowResult, *, book: bool = True, days: bool = True) -> None:
        if not book:
            return  # a flow touches no day bucket
        self.rail_state.on_flow(self.balance, result.amount)
        self.balance += result.amount
        self._flow_booked(result)

    def adopt_difference(self, balance_before: float, *, ts_ms: int, flow_id: str, reason: str) -> FlowResult | None:
        """State files kept as edited by hand (`tc1 state adopt`) hold this balance where the journal's
        account says `balance_before`: the difference is a cash flow of kind "adopt", not trading PnL
        (docs/live.md section 6): net flows, the peak and a flow-marked equity point move with it, and the
        balance stays the file's to the bit. None when the balances agree."""
        delta = self.balance - balance_before
        if delta == 0:
            return None
        result = FlowResult(flow_id, "adopt", delta, balance_before, self.balance, self._action_ts(ts_ms), reason)
        self.rail_state.on_flow(balance_before, delta)
        self._flow_booked(result)
        return result

    def _flow_booked(self, result: FlowResult) -> None:
        self.net_flows += result.amount
        self.equity_points.append((result.ts_ms, self.balance, FLOW))
        _remember(self.recent_flows, result.flow_id, result)

    def apply_cancel(self, result: CancelResult, *, book: bool = True, days: bool = True) -> None:
        tid = result.trade_id
        if book and self.positions.pop(tid, None) is not None:
            del self._risks[tid], self._notionals[tid]
            self._resum()
            _remember(self.recent_cancels, tid, result)
        if days:
            bucket = self.days.get(day_key(result.entry_ts_ms))
            if bucket is not None and bucket.entries > 0:
                bucket.entries -= 1

    def apply_fill(self, pos: Position, *, book: bool = True, days: bool = True) -> None:
        if book:
            self.apply_open(pos, days=False)

    def apply_pause(self, paused: Mapping[str, Any] | None, *, book: bool = True, days: bool = True) -> None:
        if book:
            self.paused = None if paused is None else dict(paused)

    def apply_reset(self, day_keys: Iterable[str] | None, *, peak: float | None = None, streak: bool = False,
                    book: bool = True, days: bool = True) -> None:
        """Drop the named day buckets (all when `day_keys` is None); set the peak to `peak` when
        given; clear the loss streak and its block with `streak`."""
        if book:
            if peak is not None:
                self.rail_state.peak = peak
            if streak:
                self.rail_state.streak, self.rail_state.streak_until = 0, None
        if not days:
            return
        if day_keys is None:
            self.days.clear()
        else:
            for key in day_keys:
                self.days.pop(key, None)
        self._days_changed()

    def set_recorded_config(self, overlay: OverlayConfig | None, policy: PolicyConfig | None) -> None:
        """A config event replayed: later events are decided under it, as they were live."""
        self.set_config(overlay or self.overlay, policy or self.policy)

    def _resum(self) -> None:
        # Exact sums (fsum: the correctly rounded sum, whatever the order) rather than running
        # totals: the total never drifts from the book, and a state rebuilt from files in any
        # order gives the very same float.
        self.total_open_risk = math.fsum(self._risks.values())
        self.open_notional = math.fsum(self._notionals.values())

    def _bucket(self, ts_ms: int) -> DayBucket:
        day = ts_ms // MS_PER_DAY
        if day != self._day:
            self._day, self._day_key = day, day_key_of_index(day)
        key = self._day_key
        bucket = self.days.get(key)
        if bucket is None:
            bucket = self.days[key] = DayBucket()
            self._prune_days()
        return bucket

    def _prune_days(self) -> None:
        if len(self.days) <= DAY_WINDOW:
            return
        newest = max(day_index(k) for k in self.days)
        for key in [k for k in self.days if day_index(k) <= newest - DAY_WINDOW]:
            del self.days[key]
        self._days_changed()

    # --- views -------------------------------------------------------------------------------------

    def today(self, ts_ms: int) -> DayBucket:
        """The bucket of the UTC day of `ts_ms` (empty if nothing happened that day)."""
        return self.days.get(day_key(ts_ms)) or DayBucket()

    @property
    def trading_pnl(self) -> float:
        """Balance change since the start that trading made: balance - start - net cash flows."""
        return self.balance - self.start_balance - self.net_flows

    # --- state documents (what runtime/ holds) ---------------------------------------------------

    def book_head(self) -> dict[str, Any]:
        """risk_state.json without its two windows (equity points and closes, appended at the end)."""
        return {
            "balance": self.balance,
            "total_open_risk": self.total_open_risk,
            "start_balance": self.start_balance,
            "net_flows": self.net_flows,
            "open_positions": {tid: p.to_record() for tid, p in self.positions.items()},
            "rails": self.rail_state.to_record(),
            "paused": self.paused,
            "recent_flows": {k: r._asdict() for k, r in self.recent_flows.items()},
            "recent_cancels": {k: r._asdict() for k, r in self.recent_cancels.items()},
        }

    def book_state(self) -> dict[str, Any]:
        """The book as plain JSON-able data: balance, open risk, positions, rails, equity, recent closes."""
        return {**self.book_head(), "equity_points": [list(pt) for pt in self.equity_points],
                "recent_closes": {tid: r._asdict() for tid, r in self.recent_closes.items()}}

    def days_state(self) -> dict[str, dict[str, Any]]:
        return {k: {"entries": b.entries, "pnl": b.pnl} for k, b in self.days.items()}

    def load_book(self, doc: Mapping[str, Any]) -> None:
        """Replace the book with `doc` (see `book_state`). Raises ValueError naming the bad field.

        Every number is checked: a non-finite or negative value where it makes no sense (a price, a
        quantity, a balance read as inf from 1e400) is refused, never carried into the next file.
        """
        balance = _finite(doc, "balance")
        positions: dict[str, Position] = {}
        for tid, rec in _mapping(doc.get("open_positions", {}), "open_positions").items():
            try:
                positions[tid] = Position.from_record(tid, _mapping(rec, f"open_positions.{tid}"))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"open_positions.{tid}: bad or missing field {exc}") from None
        points: deque[tuple] = deque(maxlen=EQUITY_WINDOW)
        for i, pt in enumerate(_list(doc.get("equity_points", []), "equity_points")):
            points.append(_equity_point(pt, i))
        closes: OrderedDict[str, CloseResult] = OrderedDict()
        for tid, rec in _mapping(doc.get("recent_closes", {}), "recent_closes").items():
            closes[tid] = _record(CloseResult, rec, f"recent_closes.{tid}")
        flows: OrderedDict[str, FlowResult] = OrderedDict(
            (k, _record(FlowResult, r, f"recent_flows.{k}"))
            for k, r in _mapping(doc.get("recent_flows", {}), "recent_flows").items())
        cancels: OrderedDict[str, CancelResult] = OrderedDict(
            (k, _record(CancelResult, r, f"recent_cancels.{k}"))
            for k, r in _mapping(doc.get("recent_cancels", {}), "recent_cancels").items())
        rails = RailState.from_record(_mapping(doc.get("rails", {}), "rails"))
        paused = doc.get("paused")
        if paused is not None:
            paused = dict(_mapping(paused, "paused"))
        start = _finite(doc, "start_balance", default=balance)  # a hand-written state starts where it says
        net_flows = _finite(doc, "net_flows", default=0.0)
        self.balance, self.start_balance, self.net_flows = balance, start, net_flows
        self.positions = positions
        self._risks = {tid: p.alloc.risk_amount for tid, p in positions.items()}
        self._notionals = {tid: p.alloc.notional for tid, p in positions.items()}
        self.equity_points = points
        self.recent_closes, self.recent_flows, self.recent_cancels = closes, flows, cancels
        self.rail_state, self.paused = rails, paused
        self._resum()

    def load_days(self, doc: Mapping[str, Any]) -> None:
        """Replace the day buckets with `doc`: a mapping of `YYYY-MM-DD` to {entries, pnl}."""
        days: dict[str, DayBucket] = {}
        for key, bucket in _mapping(doc, "days").items():
            try:
                day_index(key)
            except (ValueError, TypeError):
                raise ValueError(f"day key {key!r} is not a YYYY-MM-DD date") from None
            b = _mapping(bucket, key)
            entries = b.get("entries", 0)
            if isinstance(entries, bool) or not isinstance(entries, int) or entries < 0:
                raise ValueError(f"{key}.entries must be a whole number >= 0, got {entries!r}")
            days[key] = DayBucket(entries, _finite(b, "pnl", key, default=0.0))
        self.days = days
        self._days_changed()


def _pause_text(paused: Mapping[str, Any]) -> str:
    ts = paused.get("ts_ms")
    when = utc_time(ts) if isinstance(ts, int) and not isinstance(ts, bool) else "?"
    reason = f": {paused.get('reason')}" if paused.get("reason") else ""
    return f"new entries paused by {paused.get('by')} since {when}{reason}"


def _remember(history: OrderedDict, key: str, value: Any) -> None:
    history[key] = value
    if len(history) > ACTION_HISTORY:
        history.popitem(last=False)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object, got {type_name(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list, got {type_name(value)}")
    return value


def _finite(doc: Mapping[str, Any], key: str, where: str = "", default: float | None = None) -> float:
    name = f"{where}.{key}" if where else key
    if key not in doc:
        if default is None:
            raise ValueError(f"{name} is missing")
        return default
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {short(value)}")
    return float(value)


def _equity_point(pt: Any, i: int) -> tuple:
    if not (isinstance(pt, (list, tuple)) and len(pt) in (2, 3) and (len(pt) == 2 or pt[2] == FLOW)):
        raise ValueError(f"equity_points[{i}] must be [ts_ms, balance] or [ts_ms, balance, \"flow\"], "
                         f"got {short(pt)}")
    ts, balance = pt[0], pt[1]
    if type(ts) is not int or as_ms(ts) is None:
        raise ValueError(f"equity_points[{i}]: the time must be a whole number of ms since 1970, got {short(ts)}")
    if isinstance(balance, bool) or not isinstance(balance, (int, float)) or not math.isfinite(balance):
        raise ValueError(f"equity_points[{i}]: the balance must be a finite number, got {short(balance)}")
    return (ts, float(balance)) if len(pt) == 2 else (ts, float(balance), FLOW)


_JSON_TYPES = {float: (int, float), int: (int,), bool: (bool,), str: (str,)}  # what JSON gives for each


@lru_cache(maxsize=None)
def _field_types(kind: type) -> tuple[tuple[str, type, tuple[type, ...]], ...]:
    hints = get_type_hints(kind)
    return tuple((name, hints[name], _JSON_TYPES[hints[name]]) for name in kind._fields)


def _record(kind: type, rec: Any, where: str) -> Any:
    """A NamedTuple of `kind` (a result of plain float, int, bool and str fields) from its JSON
    record, each field checked against its type. Raises ValueError naming the bad field."""
    rec = _mapping(rec, where)
    missing = [f for f in kind._fields if f not in rec]
    extra = [k for k in rec if k not in kind._fields]
    if missing or extra:
        raise ValueError(f"{where}: missing {missing} / unknown {extra}")
    values = []
    for name, want, allowed in _field_types(kind):
        value = rec[name]
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            raise ValueError(f"{where}.{name} must be a {want.__name__}, got {short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}.{name} must be a finite number, got {short(value)}")
        values.append(float(value) if allowed == (int, float) else value)
    return kind(*values)
