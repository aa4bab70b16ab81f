"""RiskEngine: try_open / close over in-memory state. No I/O, no clock, deterministic.

The live API (one locked transaction per call) and the backtest harness (a loop over events)
both drive this class, so backtest/live parity holds by construction. Every state change goes
through one of the `apply_*` methods, which are also what replays the journal after a crash.
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict, deque
from functools import partial
from typing import Any, Iterable, Mapping, NamedTuple

from .config import OverlayConfig, PolicyConfig
from .errors import InvalidExitError, UnknownTradeError
from .rails import (DAILY_LOSS_CAP, EQUITY_FLOOR, MAX_TRADES_PER_DAY, MS_PER_DAY, DayBucket, Rails, day_index,
                    day_key, day_key_of_index)
from .sizing import Step, step_of

# Bounded state: the state files keep these windows; the journal keeps everything.
EQUITY_WINDOW = 1_000  # equity points (one per close)
CLOSE_HISTORY = 100  # closed trades remembered for idempotent re-close and duplicate ids
DAY_WINDOW = 62  # UTC-day buckets, counted back from the newest day seen

MIN_TS_MS = 100_000_000_000  # 1973-03-03: anything smaller is a seconds timestamp by mistake
MAX_TS_MS = 253_402_300_800_000  # 10000-01-01: past it no UTC day key exists (datetime stops at 9999)

# Skip reasons, in the order the checks run.
INVALID_INPUT = "invalid_input"
DUPLICATE_TRADE_ID = "duplicate_trade_id"
# EQUITY_FLOOR, DAILY_LOSS_CAP, MAX_TRADES_PER_DAY: the rails' own names (rails.py)
MAX_CONCURRENT_TRADES = "max_concurrent_trades"
TOTAL_OPEN_RISK_CAP = "total_open_risk_cap"
MAX_LEVERAGE = "max_leverage"
BELOW_MIN_QTY = "below_min_qty"
BELOW_MIN_NOTIONAL = "below_min_notional"
SKIP_REASONS = (INVALID_INPUT, DUPLICATE_TRADE_ID, EQUITY_FLOOR, DAILY_LOSS_CAP, MAX_TRADES_PER_DAY,
                MAX_CONCURRENT_TRADES, TOTAL_OPEN_RISK_CAP, MAX_LEVERAGE, BELOW_MIN_QTY,
                BELOW_MIN_NOTIONAL)


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


class Position(NamedTuple):
    """An open trade: its allocation, and the fee rate it was sized with (charged again on exit)."""

    alloc: OpenResult
    fee_rate: float

    def to_record(self) -> dict[str, Any]:
        record = self.alloc._asdict()
        del record["skipped_reason"], record["detail"]
        record["fee_rate"] = self.fee_rate
        return record

    @classmethod
    def from_record(cls, trade_id: str, record: Mapping[str, Any]) -> "Position":
        qty, entry = float(record["qty"]), float(record["entry_price"])
        alloc = OpenResult(
            trade_id, str(record["symbol"]), bool(record["is_long"]), int(record["entry_ts_ms"]),
            float(entry), float(record["stop_price"]), qty, float(record["risk_amount"]),
            float(record.get("notional", qty * entry)), float(record.get("budget", record["risk_amount"])),
            None, str(record.get("detail", "")))
        return cls(alloc, float(record.get("fee_rate", 0.0)))


class _Rules(NamedTuple):
    step: Step
    min_qty: float
    min_notional: float
    fee_rate: float
    below_min_qty: str  # the tail of the skip details, the same for every entry in the symbol
    below_min_notional: str


def _as_ms(value: Any) -> int | None:
    """`value` as an integer millisecond timestamp, or None when it is not one."""
    if type(value) is not int:  # the common case skips all of this
        if isinstance(value, bool):
            return None
        if isinstance(value, float):
            if not value.is_integer():
                return None
            value = int(value)
        try:
            value = operator.index(value)
        except TypeError:
            return None
    return value if MIN_TS_MS <= value < MAX_TS_MS else None


MAX_PRICE = 1e300  # finite, and far below where float(int) would overflow


def _bad_price(value: Any) -> bool:
    """Not a finite number > 0 (NaN fails the chained comparison too)."""
    if type(value) is float or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return not 0 < value < MAX_PRICE
    return True


# Results are built with tuple.__new__ directly: the same tuples as OpenResult(...) etc., without
# a Python-level __new__ call on every event (a measurable share of a backtest's time).
_open_result = partial(tuple.__new__, OpenResult)
_close_result = partial(tuple.__new__, CloseResult)
_position = partial(tuple.__new__, Position)


def _skip(args: tuple, reason: str, detail: str, budget: float = 0.0) -> OpenResult:
    """A skipped entry: the call's own arguments (`args`), qty 0, and why."""
    return _open_result((*args, 0.0, 0.0, 0.0, budget, reason, detail))


class RiskEngine:
    """Sizing, caps, market rules and rails over one account's in-memory state."""

    def __init__(self, overlay: OverlayConfig, policy: PolicyConfig, *, balance: float | None = None,
                 start_balance: float | None = None) -> None:
        self.balance: float = overlay.initial_balance if balance is None else float(balance)
        self.start_balance: float = self.balance if start_balance is None else float(start_balance)
        self.positions: dict[str, Position] = {}
        # Each open position's risk_amount and notional by trade_id, kept beside `positions`
        # so the totals are one fsum over a dict's values.
        self._risks: dict[str, float] = {}
        self._notionals: dict[str, float] = {}
        self.total_open_risk: float = 0.0
        self.open_notional: float = 0.0
        self.equity_points: deque[tuple[int, float]] = deque(maxlen=EQUITY_WINDOW)
        self.recent_closes: OrderedDict[str, CloseResult] = OrderedDict()
        self.days: dict[str, DayBucket] = {}
        self._day: int | None = None  # the last UTC day index asked for, and its key (a memo)
        self._day_key = ""
        self.set_config(overlay, policy)

    # --- configuration -----------------------------------------------------------------------------

    def set_config(self, overlay: OverlayConfig, policy: PolicyConfig) -> None:
        """Use new caps from the next call on; open positions keep the sizing they were given."""
        self.overlay, self.policy = overlay, policy
        self.rails = Rails(policy)
        self._rules: dict[str, _Rules] = {}
        o = overlay  # read once here, not attribute by attribute on every entry
        self._caps = (o.max_concurrent_trades, o.flat_risk_until, o.flat_risk_amount, o.percent_risk,
                      o.per_trade_risk_cap, o.total_open_risk_cap, o.fees_in_risk, o.max_leverage)

    def rules(self, symbol: str) -> _Rules:
        rules = self._rules.get(symbol)
        if rules is None:
            r = self.overlay.rules_for(symbol)
            step = step_of(r.qty_step)
            rules = self._rules[symbol] = _Rules(
                step, r.min_qty, r.min_notional, r.fee_rate,
                f" below min qty {r.min_qty!r} (step {step.value!r})", f" below min notional {r.min_notional!r}")
        return rules

    # --- opening -----------------------------------------------------------------------------------

    def try_open(self, trade_id: Any, symbol: Any, is_long: Any, entry_ts_ms: Any, entry_price: Any,
                 stop_price: Any) -> OpenResult:
        """Size a new entry, or say why to skip it. A taken entry is stored as an open position."""
        # The common, well-typed call passes this check and skips `_invalid_open`; anything else
        # (a bad value, or an int price the careful path accepts) is judged there, as always.
        if not (type(trade_id) is str and trade_id and type(symbol) is str and symbol
                and type(is_long) is bool and type(entry_ts_ms) is int
                and MIN_TS_MS <= entry_ts_ms < MAX_TS_MS
                and type(entry_price) is float and 0.0 < entry_price < MAX_PRICE
                and type(stop_price) is float and 0.0 < stop_price < MAX_PRICE
                and (stop_price < entry_price if is_long else entry_price < stop_price)):
            ts = _as_ms(entry_ts_ms)
            problem = self._invalid_open(trade_id, symbol, is_long, ts, entry_ts_ms, entry_price,
                                         stop_price)
            if problem:
                return _open_result((trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price,
                                     0.0, 0.0, 0.0, 0.0, INVALID_INPUT, problem))
            entry_ts_ms, entry_price, stop_price = ts, float(entry_price), float(stop_price)
        args = (trade_id, symbol, is_long, entry_ts_ms, entry_price, stop_price)

        positions = self.positions
        existing = positions.get(trade_id)
        if existing is not None:
            a = existing.alloc
            if (a.symbol, a.is_long, a.entry_ts_ms, a.entry_price, a.stop_price) == args[1:]:
                return a  # a retried call after a crash is harmless
            return _skip(args, DUPLICATE_TRADE_ID,
                         f"trade_id {trade_id!r} is already open with other arguments")
        if trade_id in self.recent_closes:
            return _skip(args, DUPLICATE_TRADE_ID, f"trade_id {trade_id!r} was already closed")

        balance = self.balance
        if balance <= 0:
            return _skip(args, EQUITY_FLOOR, f"balance {balance!r} <= 0")
        rails = self.rails
        if rails.active:
            day = entry_ts_ms // MS_PER_DAY
            if day != self._day:  # events come in time order: the day seldom changes
                self._day, self._day_key = day, day_key_of_index(day)
            today = self.days.get(self._day_key)
            blocked = rails.first_block(balance, today)
            if blocked:
                return _skip(args, blocked, self._rail_detail(blocked, today or DayBucket()))

        limit, flat_until, flat_amount, percent, per_trade_cap, cap, fees_in_risk, lev = self._caps
        if limit is not None and len(positions) >= limit:
            return _skip(args, MAX_CONCURRENT_TRADES, f"{len(positions)} open, max {limit}")

        budget = flat_amount if balance < flat_until else balance * percent
        if per_trade_cap is not None and per_trade_cap < budget:
            budget = per_trade_cap
        if cap is not None:  # total_open_risk_cap
            headroom = cap - self.total_open_risk
            if headroom <= 0:
                return _skip(args, TOTAL_OPEN_RISK_CAP,
                             f"open risk {self.total_open_risk!r} already at cap {cap!r}", budget)
            if headroom < budget:
                budget = headroom

        rules = self._rules.get(symbol) or self.rules(symbol)
        floor = rules.step.floor
        unit_risk = abs(entry_price - stop_price)
        if fees_in_risk:
            unit_risk += rules.fee_rate * (entry_price + stop_price)
        qty = floor(budget / unit_risk)
        while qty > 0 and qty * unit_risk > budget:  # the float quotient rounded up onto a step
            qty = floor(math.nextafter(qty, 0.0))

        if lev is not None:
            room = balance * lev - self.open_notional
            if room <= 0:
                return _skip(args, MAX_LEVERAGE, f"open notional {self.open_notional!r} already at "
                                                 f"balance * {lev!r}", budget)
            # qty is a multiple of the step, so when it is <= room / entry_price and its notional
            # fits, the room's own floor (below) comes out >= qty and would change nothing: the
            # common case skips it. (floor is monotone, and its guard stops at the first multiple
            # whose notional fits, which is qty or above.)
            if not (qty * entry_price <= room and room / entry_price >= qty):
                room_qty = floor(room / entry_price)
                while room_qty > 0 and room_qty * entry_price > room:  # same rounding guard as above
                    room_qty = floor(math.nextafter(room_qty, 0.0))
                if room_qty < qty:
                    qty = room_qty

        if qty == 0 or qty < rules.min_qty:
            return _skip(args, BELOW_MIN_QTY, f"qty {qty!r}{rules.below_min_qty}", budget)
        notional = qty * entry_price
        if notional < rules.min_notional:
            return _skip(args, BELOW_MIN_NOTIONAL, f"notional {notional!r}{rules.below_min_notional}", budget)

        alloc = _open_result((*args, qty, qty * unit_risk, notional, budget, None, ""))
        self.apply_open(_position((alloc, rules.fee_rate)))
        return alloc

    @staticmethod
    def _invalid_open(trade_id: Any, symbol: Any, is_long: Any, ts: int | None, raw_ts: Any,
                      entry: Any, stop: Any) -> str:
        if not isinstance(trade_id, str) or not trade_id:
            return f"trade_id must be a non-empty string, got {trade_id!r}"
        if not isinstance(symbol, str) or not symbol:
            return f"symbol must be a non-empty string, got {symbol!r}"
        if not isinstance(is_long, bool):
            return f"is_long must be true or false, got {is_long!r}"
        if ts is None:
            return f"entry_ts_ms must be an integer millisecond epoch, got {raw_ts!r}"
        if _bad_price(entry):
            return f"entry_price must be a finite number > 0, got {entry!r:.40}"
        if _bad_price(stop):
            return f"stop_price must be a finite number > 0, got {stop!r:.40}"
        if stop == entry:
            return f"stop_price must differ from entry_price, both are {entry!r}"
        if is_long and stop > entry:
            return f"stop_price {stop!r} must be below entry_price {entry!r} for a long"
        if not is_long and stop < entry:
            return f"stop_price {stop!r} must be above entry_price {entry!r} for a short"
        return ""

    def _rail_detail(self, rail: str, today: DayBucket) -> str:
        p = self.policy
        if rail == EQUITY_FLOOR:
            return f"balance {self.balance!r} <= equity floor {p.equity_floor!r}"
        if rail == DAILY_LOSS_CAP:
            return f"today's loss {today.loss!r} >= daily loss cap {p.daily_loss_cap!r}"
        return f"{today.entries} entries today, max {p.max_trades_per_day}"

    # --- closing -----------------------------------------------------------------------------------

    def close(self, trade_id: str, exit_ts_ms: Any, exit_price: Any) -> CloseResult:
        """Book an exit. A repeated close returns the recorded result; nothing is counted twice."""
        done = self.recent_closes.get(trade_id)
        if done is not None:
            return done
        pos = self.positions.get(trade_id)
        if pos is None:
            raise UnknownTradeError(f"unknown trade_id {trade_id!r}: not open, and not among the last "
                                    f"{CLOSE_HISTORY} closes")
        # As in try_open, the well-typed call skips the careful checks (same outcome, less work).
        if type(exit_ts_ms) is int and MIN_TS_MS <= exit_ts_ms < MAX_TS_MS:
            ts = exit_ts_ms
        else:
            ts = _as_ms(exit_ts_ms)
            if ts is None:
                raise InvalidExitError(f"trade {trade_id!r}: exit_ts_ms must be an integer millisecond "
                                       f"epoch, got {exit_ts_ms!r}")
        if not (type(exit_price) is float and 0.0 < exit_price < MAX_PRICE) and _bad_price(exit_price):
            raise InvalidExitError(f"trade {trade_id!r}: exit_price must be a finite number > 0, "
                                   f"got {exit_price!r}")
        a = pos.alloc
        if ts < a.entry_ts_ms:
            raise InvalidExitError(f"trade {trade_id!r}: exit_ts_ms {ts} is before entry_ts_ms "
                                   f"{a.entry_ts_ms}")
        qty, entry, is_long, risk = a.qty, a.entry_price, a.is_long, a.risk_amount
        gross = (exit_price - entry) * qty if is_long else (entry - exit_price) * qty
        fee = pos.fee_rate * qty * (entry + exit_price)
        pnl = gross - fee
        result = _close_result((trade_id, a.symbol, is_long, qty, entry, float(exit_price), a.entry_ts_ms,
                                ts, risk, gross, fee, pnl, pnl / risk, self.balance + pnl))
        self.apply_close(result)
        return result

    # --- the one mutation path, shared with journal replay ---------------------------------------

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
            self.balance += pnl
            self.equity_points.append((result.exit_ts_ms, self.balance))
            closes = self.recent_closes
            closes[result.trade_id] = result
            if len(closes) > CLOSE_HISTORY:
                closes.popitem(last=False)
        if days:
            self._bucket(result.exit_ts_ms).pnl += pnl

    def apply_reset(self, day_keys: Iterable[str] | None, *, book: bool = True, days: bool = True) -> None:
        """Drop the named day buckets, or all of them when `day_keys` is None."""
        if not days:
            return
        if day_keys is None:
            self.days.clear()
        else:
            for key in day_keys:
                self.days.pop(key, None)

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

    # --- views -------------------------------------------------------------------------------------

    def today(self, ts_ms: int) -> DayBucket:
        """The bucket of the UTC day of `ts_ms` (empty if nothing happened that day)."""
        return self.days.get(day_key(ts_ms)) or DayBucket()

    # --- state documents (what runtime/ holds) ---------------------------------------------------

    def book_state(self) -> dict[str, Any]:
        """The book as plain JSON-able data: balance, open risk, positions, equity, recent closes."""
        return {
            "balance": self.balance,
            "total_open_risk": self.total_open_risk,
            "start_balance": self.start_balance,
            "open_positions": {tid: p.to_record() for tid, p in self.positions.items()},
            "equity_points": [list(pt) for pt in self.equity_points],
            "recent_closes": {tid: r._asdict() for tid, r in self.recent_closes.items()},
        }

    def days_state(self) -> dict[str, dict[str, Any]]:
        return {k: {"entries": b.entries, "pnl": b.pnl} for k, b in self.days.items()}

    def load_book(self, doc: Mapping[str, Any]) -> None:
        """Replace the book with `doc` (see `book_state`). Raises ValueError naming the bad field."""
        balance = _finite(doc, "balance")
        positions: dict[str, Position] = {}
        for tid, rec in _mapping(doc.get("open_positions", {}), "open_positions").items():
            try:
                positions[tid] = Position.from_record(tid, rec)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"open_positions.{tid}: bad or missing field {exc}") from None
        points: deque[tuple[int, float]] = deque(maxlen=EQUITY_WINDOW)
        for i, pt in enumerate(_list(doc.get("equity_points", []), "equity_points")):
            if not (isinstance(pt, (list, tuple)) and len(pt) == 2):
                raise ValueError(f"equity_points[{i}] must be [ts_ms, balance], got {pt!r}")
            points.append((int(pt[0]), float(pt[1])))
        closes: OrderedDict[str, CloseResult] = OrderedDict()
        for tid, rec in _mapping(doc.get("recent_closes", {}), "recent_closes").items():
            try:
                closes[tid] = CloseResult(**rec)
            except TypeError as exc:
                raise ValueError(f"recent_closes.{tid}: {exc}") from None
        self.balance = balance
        self.start_balance = float(doc.get("start_balance", balance))  # a hand-written state starts where it says
        self.positions = positions
        self._risks = {tid: p.alloc.risk_amount for tid, p in positions.items()}
        self._notionals = {tid: p.alloc.notional for tid, p in positions.items()}
        self.equity_points = points
        self.recent_closes = closes
        self._resum()

    def load_days(self, doc: Mapping[str, Any]) -> None:
        """Replace the day buckets with `doc`: a mapping of `YYYY-MM-DD` to {entries, pnl}."""
        days: dict[str, DayBucket] = {}
        for key, bucket in _mapping(doc, "days").items():
            try:
                day_index(key)
            except ValueError:
                raise ValueError(f"day key {key!r} is not a YYYY-MM-DD date") from None
            b = _mapping(bucket, key)
            entries = b.get("entries", 0)
            if isinstance(entries, bool) or not isinstance(entries, int) or entries < 0:
                raise ValueError(f"{key}.entries must be a whole number >= 0, got {entries!r}")
            days[key] = DayBucket(entries, _finite(b, "pnl", key, default=0.0))
        self.days = days


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _finite(doc: Mapping[str, Any], key: str, where: str = "", default: float | None = None) -> float:
    name = f"{where}.{key}" if where else key
    if key not in doc:
        if default is None:
            raise ValueError(f"{name} is missing")
        return default
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)
