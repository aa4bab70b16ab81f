"""Marks: the bot's latest prices in runtime/marks.json, and what they say about the open book.

Display only. A mark never reaches sizing, the rails or the journal: writing one takes no lock and
no fsync (a lost mark is replaced by the next tick), and reading one never fails: a missing, stale
or corrupt file is reported as such (`Marks.status`) and the console and dashboard carry on.

The file, as the bot writes it (a person may also write the short form `{"BTCUSDT": 91250.0}`: every
price is then as old as the file's `ts_ms`, else its modification time):

    {"ts_ms": 1732026597000, "marks": {"BTCUSDT": {"price": 91250.0, "ts_ms": 1732026597000}}}
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .core import Position
from .errors import InputError
from .sizing import fees, gross_pnl

log = logging.getLogger("tc1console")

MARKS_FILE = "marks.json"
STALE_AFTER_MS = 60_000  # marks older than this are flagged ("marks 5 min old"), still shown
KEEP_MS = 86_400_000  # a symbol not marked for a day is dropped from the file
MAX_FILE_BYTES = 8 * 1024 * 1024  # a marks file bigger than this is refused as corrupt, not parsed

OK, STALE, MISSING, CORRUPT = "ok", "stale", "missing", "corrupt"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def as_price(value: Any) -> float | None:
    """`value` as a finite price > 0 (int, float, Decimal, a numpy scalar), or None."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    try:
        price = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return price if 0.0 < price < math.inf else None


# --- writing (the bot) ----------------------------------------------------------------------------

class MarkWriter:
    """One process's marks: merged across calls (a bot may mark a few symbols at a time), written
    whole and atomically (temp file + rename, no fsync) on every call."""

    def __init__(self, runtime: Path) -> None:
        self.path = Path(runtime) / MARKS_FILE
        self._marks: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._last_error = ""

    def write(self, prices: Mapping[str, Any], ts_ms: Any = None) -> dict[str, Any]:
        """Record `prices` (symbol -> price) at `ts_ms` (default: now) and rewrite the file.

        A bad entry (empty symbol, a price that is not a finite number > 0) is left out and named
        in `ignored`; a failed write (a full disk) is logged and returned in `error`, never raised:
        marks must not stop a bot. Only a call that is wrong as a whole (not a mapping, a bad
        `ts_ms`) raises InputError.
        """
        if not isinstance(prices, Mapping):
            raise InputError(f"risk_mark: prices must be a mapping of symbol -> price, got {type(prices).__name__}")
        if ts_ms is None:
            ts = _now_ms()
        elif isinstance(ts_ms, bool) or not isinstance(ts_ms, (int, float)) or not math.isfinite(ts_ms):
            raise InputError(f"risk_mark: ts_ms must be a millisecond epoch, got {ts_ms!r}")
        else:
            ts = int(ts_ms)
        ignored: dict[str, str] = {}
        with self._lock:
            for symbol, value in prices.items():
                price = as_price(value)
                if not isinstance(symbol, str) or not symbol:
                    ignored[repr(symbol)] = "symbol must be a non-empty string"
                elif price is None:
                    ignored[symbol] = f"price must be a finite number > 0, got {value!r:.40}"
                else:
                    self._marks[symbol] = (price, ts)
            for symbol in [s for s, (_p, t) in self._marks.items() if t < ts - KEEP_MS]:
                del self._marks[symbol]
            doc = {"ts_ms": ts, "marks": {s: {"price": p, "ts_ms": t} for s, (p, t) in self._marks.items()}}
            error = self._replace(json.dumps(doc, separators=(",", ":")).encode())
        return {"ts_ms": ts, "marked": len(prices) - len(ignored), "ignored": ignored, "error": error}

    def _replace(self, data: bytes) -> str:
        tmp = self.path.with_name(f".{MARKS_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, self.path)
        except OSError as exc:
            text = f"{self.path}: marks not written ({exc.strerror or exc})"
            if text != self._last_error:  # once per distinct problem, not once per tick
                log.warning("%s", text)
            self._last_error = text
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            return text
        self._last_error = ""
        return ""


# --- reading (the console, the dashboard) ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Marks:
    """What runtime/marks.json holds: symbol -> (price, ts_ms), or why there is nothing to use."""

    status: str  # OK (read; see `age_ms` for staleness), MISSING or CORRUPT
    prices: Mapping[str, tuple[float, int]] = field(default_factory=dict)
    ts_ms: int | None = None  # the last write
    problem: str = ""  # for CORRUPT: what is wrong, one line


def read_marks(root: str | os.PathLike[str]) -> Marks:
    """Read root/runtime/marks.json. Never raises: a missing or unreadable file is a status.

    Entries that are not a finite price > 0 are left out (one bad symbol hides only itself).
    """
    path = Path(root) / "runtime" / MARKS_FILE
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
            written_ms = os.fstat(f.fileno()).st_mtime_ns // 1_000_000
    except FileNotFoundError:
        return Marks(MISSING)
    except OSError as exc:
        return Marks(CORRUPT, problem=f"cannot read ({exc.strerror or exc})")
    if len(data) > MAX_FILE_BYTES:
        return Marks(CORRUPT, problem=f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        doc = json.loads(data)
    except ValueError as exc:
        return Marks(CORRUPT, problem=f"not valid JSON ({exc})")
    return parse_marks(doc, written_ms)


def parse_marks(doc: Any, written_ms: int | None = None) -> Marks:
    """The marks in a decoded marks file (either form, see the module docstring); a file with no
    `ts_ms` (written by hand) is as old as `written_ms`, its modification time."""
    if not isinstance(doc, dict):
        return Marks(CORRUPT, problem=f"must be a JSON object, got {type(doc).__name__}")
    file_ts = doc.get("ts_ms")
    file_ts = int(file_ts) if _is_ms(file_ts) else None
    default_ts = written_ms if file_ts is None else file_ts
    entries = doc.get("marks") if isinstance(doc.get("marks"), dict) else {
        k: v for k, v in doc.items() if k != "ts_ms"}
    prices: dict[str, tuple[float, int]] = {}
    for symbol, entry in entries.items():
        if isinstance(entry, dict):
            price, ts = as_price(entry.get("price")), entry.get("ts_ms", default_ts)
        else:
            price, ts = as_price(entry), default_ts
        if price is not None and _is_ms(ts):
            prices[str(symbol)] = (price, int(ts))
    if file_ts is None:
        file_ts = max((t for _p, t in prices.values()), default=written_ms)
    return Marks(OK, prices, file_ts)


def _is_ms(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- what the marks say about the book ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PositionMark:
    """One open position at its mark: what closing there would book (both fees, as a close does)."""

    price: float
    ts_ms: int
    unrealized: float  # pnl after fees if closed at the mark, exactly as `close` would book it
    r_now: float  # unrealized / risk_amount
    to_stop_pct: float  # how far the mark may still move toward the stop, in % of the mark (<= 0: through it)


def mark_position(pos: Position, price: float, ts_ms: int) -> PositionMark:
    a = pos.alloc
    pnl = gross_pnl(a.is_long, a.qty, a.entry_price, price) - fees(pos.fee_rate, a.qty, a.entry_price, price)
    room = price - a.stop_price if a.is_long else a.stop_price - price
    return PositionMark(price, ts_ms, pnl, pnl / a.risk_amount if a.risk_amount else 0.0, room / price * 100)


def pnl_at_stop(pos: Position) -> float:
    """What the position books if its stop is hit (negative: the worst case, fees included)."""
    a = pos.alloc
    return (gross_pnl(a.is_long, a.qty, a.entry_price, a.stop_price)
            - fees(pos.fee_rate, a.qty, a.entry_price, a.stop_price))


@dataclass(frozen=True, slots=True)
class BookMarks:
    """The open book against the marks. Time enters only through `now_ms` in `freshness`,
    `age_ms` and `marks_note`, so a view of it can age by the clock without a re-read."""

    status: str  # the file's: OK, MISSING or CORRUPT
    problem: str
    mark_ts_ms: int | None  # the oldest mark in use, else the last write (None: no marks at all)
    positions: Mapping[str, PositionMark]  # by trade_id, only the marked ones
    open_count: int
    unrealized: float  # summed over the marked positions
    balance: float
    worst_case: float  # every stop hit, fees included (needs no marks)

    @property
    def marked(self) -> int:
        return len(self.positions)

    @property
    def equity(self) -> float | None:
        """Balance plus the unrealized PnL of the marked positions (None: nothing marked while open)."""
        if self.open_count and not self.positions:
            return None
        return self.balance + self.unrealized

    def age_ms(self, now_ms: int) -> int | None:
        return None if self.mark_ts_ms is None else max(0, now_ms - self.mark_ts_ms)

    def freshness(self, now_ms: int) -> str:
        """OK, STALE (older than STALE_AFTER_MS: flagged, still shown), MISSING or CORRUPT."""
        age = self.age_ms(now_ms)
        return STALE if self.status == OK and age is not None and age > STALE_AFTER_MS else self.status

    def as_dict(self, now_ms: int) -> dict[str, Any]:
        return {
            "status": self.freshness(now_ms), "problem": self.problem, "note": marks_note(self, now_ms),
            "age_ms": self.age_ms(now_ms), "marked": self.marked, "open": self.open_count,
            "unrealized": self.unrealized if self.positions else None,
            "equity": self.equity, "worst_case": self.worst_case,
            "positions": {tid: {"mark": m.price, "mark_ts_ms": m.ts_ms, "unrealized": m.unrealized,
                                "r_now": m.r_now, "to_stop_pct": m.to_stop_pct}
                          for tid, m in self.positions.items()},
        }


def mark_book(positions: Iterable[Position], balance: float, marks: Marks) -> BookMarks:
    """Each open position at its symbol's mark, and the sums."""
    marked: dict[str, PositionMark] = {}
    worst: list[float] = []
    oldest: int | None = None
    count = 0
    for pos in positions:
        count += 1
        worst.append(pnl_at_stop(pos))
        entry = marks.prices.get(pos.alloc.symbol)
        if entry is None:
            continue
        price, ts = entry
        marked[pos.alloc.trade_id] = mark_position(pos, price, ts)
        oldest = ts if oldest is None or ts < oldest else oldest
    if oldest is None:
        oldest = marks.ts_ms  # nothing marked: the last write says whether the bot is still marking
    return BookMarks(marks.status, marks.problem, oldest, marked, count,
                     math.fsum(m.unrealized for m in marked.values()), balance, math.fsum(worst))


def age_words(ms: int) -> str:
    """`4s`, `5 min`, `3 h`, `2 d`: how old a mark is, in the words of the note (seconds only in
    the first minute, so a view of it repaints once a minute after that)."""
    s = max(0, ms) // 1000
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 172_800:
        return f"{s // 3600} h"
    return f"{s // 86_400} d"


def marks_note(book: BookMarks, now_ms: int) -> str:
    """One line on the marks: `no marks`, `marks 5 min old`, `marks unreadable: ...`, `marks 2s old`."""
    if book.status == CORRUPT:
        return f"marks unreadable: {MARKS_FILE} {book.problem}"
    age = book.age_ms(now_ms)
    if book.status == MISSING or age is None:
        return "no marks"
    if book.open_count and not book.positions:
        return "no marks for the open symbols"
    partly = f" ({book.marked} of {book.open_count} marked)" if book.marked < book.open_count else ""
    return f"marks {age_words(age)} old{partly}"
