"""Reports read from the journal: a trade's story, and the table of the last N UTC days.

Readers, never writers: no lock, and they cost what the answer needs, not what the journal holds
(the journal is read backward from its end and the read stops once it has gone far enough back).
Kinds of journal entries this module does not know are kept in a story and skipped by the daily
sums, never an error; an unreadable line is skipped too (the store names it on the next load).

`daily_table` is pure (entries in, rows out): `tc1 daily`, `tc1 dashboard` and the console's daily
screen all show its rows.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Mapping

from .events import event_time
from .rails import MS_PER_DAY, RAIL_NAMES, day_index, day_key, day_key_of_index
from .store import JOURNAL_FILE, read_state, resolve_root

CHUNK = 1 << 16
# Skips a safety rail caused (docs/engine.md §1 policy, §7); caps, market rules, bad input and a pause
# are not rail hits.
RAIL_REASONS = frozenset(RAIL_NAMES)
# How far ahead of its commit (`at_ms`) an event may be stamped: the live API refuses more than a day.
STAMP_AHEAD_MS = 2 * MS_PER_DAY
DAYS_DEFAULT = 14
MIN_TS_MS = 100_000_000_000


def journal_backward(root: str | os.PathLike[str] | None, *,
                     needle: bytes | None = None) -> Iterator[dict[str, Any]]:
    """The journal's complete entries, newest first (optionally only lines containing `needle`).

    A last line without its newline (a write in progress) and lines that do not parse are skipped.
    """
    path = resolve_root(root) / "runtime" / JOURNAL_FILE
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        pos = f.seek(0, os.SEEK_END)
        # `tail`: the start of the file's text not yielded yet, up to the first newline after it;
        # complete once a newline was seen after it (the file's last line may still be being written).
        tail, complete = b"", False
        while pos > 0:
            step = min(pos, CHUNK)
            pos -= step
            f.seek(pos)
            data = f.read(step) + tail
            lines = data.split(b"\n")
            if len(lines) == 1:  # one long line spanning chunks
                tail = data
                continue
            rest = lines[1:] if complete else lines[1:-1]
            tail, complete = lines[0], True
            for line in reversed(rest):
                entry = _parse(line, needle)
                if entry is not None:
                    yield entry
        if complete:
            entry = _parse(tail, needle)
            if entry is not None:
                yield entry


def _parse(line: bytes, needle: bytes | None) -> dict[str, Any] | None:
    if not line or (needle is not None and needle not in line):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _int_ms(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= MIN_TS_MS else None


def _part(entry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = entry.get(key)
    return value if isinstance(value, Mapping) else {}


event_ts = event_time  # when an entry happened: the journal's event model says (events.event_time)


def trade_of(entry: Mapping[str, Any]) -> Any:
    """The trade id an entry is about (None for account-wide entries: resets, configs, flows...)."""
    for value in (entry.get("trade_id"), _part(entry, "position").get("trade_id"),
                  _part(entry, "result").get("trade_id")):
        if value is not None:
            return value
    return None


# --- a trade's story -------------------------------------------------------------------------------

def trade_story(root: str | os.PathLike[str] | None, trade_id: str) -> list[dict[str, Any]]:
    """Every journal entry about `trade_id`, oldest first, from its open on (the backward read stops
    at the open; skips of the same id before it, and any entry if it never opened, are included when
    the read reaches them)."""
    needle = json.dumps(trade_id).encode()  # as the store writes it (ASCII escapes included)
    story = []
    for entry in journal_backward(root, needle=needle):
        if trade_of(entry) != trade_id:
            continue
        story.append(entry)
        if entry.get("type") == "open":
            break
    story.reverse()
    return story


# --- the daily table ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DayRow:
    """One UTC day. None means not known (a day only the state's day buckets still hold)."""

    day: str
    entries: int | None = 0
    closes: int | None = 0
    wins: int | None = 0
    pnl: float | None = 0.0
    r_sum: float | None = 0.0
    fees: float | None = 0.0
    balance: float | None = None  # after the journal's latest booking stamped on or before the day
    rail_hits: Mapping[str, int] = field(default_factory=dict)  # skips by rail reason
    source: str = ""  # "journal", "buckets" (the state's counters: the journal does not cover it) or ""

    @property
    def hits(self) -> int:
        return sum(self.rail_hits.values())

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "entries": self.entries, "closes": self.closes, "wins": self.wins,
                "pnl": self.pnl, "r_sum": self.r_sum, "fees": self.fees, "balance": self.balance,
                "rail_hits": dict(self.rail_hits), "rail_hits_total": self.hits, "source": self.source}


def window(today: str, days: int) -> list[str]:
    """The `days` UTC day keys ending with `today`, oldest first."""
    last = day_index(today)
    return [day_key_of_index(i) for i in range(last - max(1, days) + 1, last + 1)]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def balance_after(entry: Mapping[str, Any]) -> float | None:
    """The balance an entry leaves, when it says (a close, an adopted state, a cash flow...)."""
    for value in (_part(entry, "result").get("balance_after"), entry.get("balance_after"),
                  _part(entry, "book").get("balance")):
        number = _number(value)
        if number is not None:
            return number
    return None


class _Day:
    __slots__ = ("entries", "closes", "wins", "pnl", "r", "fees", "hits", "balance")

    def __init__(self) -> None:
        self.entries = self.closes = self.wins = 0
        self.pnl: list[float] = []
        self.r: list[float] = []
        self.fees: list[float] = []
        self.hits: dict[str, int] = {}
        self.balance: tuple[int, float] | None = None  # (journal position, balance) of its last booking


def daily_table(entries: Iterable[Mapping[str, Any]], today: str, days: int = DAYS_DEFAULT, *,
                buckets: Mapping[str, Any] | None = None, balance_now: float | None = None) -> list[DayRow]:
    """The last `days` UTC days up to `today`, oldest first, from journal `entries` in journal order.

    A day counts the opens stamped in it (`entries`), the closes stamped in it (with wins, PnL after
    fees, R and fees), and the skips stamped in it by rail reason. Its balance at the close is the one
    left by the latest booking in journal order (a close, an adopted state, or any entry carrying
    `balance_after`) among those stamped on or before it. A day the entries say nothing about but the state's `buckets` (day ->
    {entries, pnl}) still hold shows those counters, the rest unknown (None). Days before the first
    one anything is known of are left out (a young account has fewer rows than `days`). Today's
    balance, when no booking says it (a fresh or hand-written state), is `balance_now`.
    """
    keys = window(today, days)
    first = keys[0]
    seen: dict[str, _Day] = {k: _Day() for k in keys}
    carry: tuple[int, float] | None = None  # (journal position, balance): the last booking before the window
    for index, entry in enumerate(entries):
        ts = event_ts(entry)
        if ts is None:
            continue
        try:
            key = day_key(ts)
        except (ValueError, OverflowError):  # past year 9999: a hand edit
            continue
        balance = balance_after(entry)
        if key < first:
            if balance is not None:
                carry = (index, balance)
            continue
        day = seen.get(key)
        if day is None:  # after today (a clock ahead of the console's)
            continue
        if balance is not None:
            day.balance = (index, balance)
        kind = entry.get("type")
        if kind == "open":
            day.entries += 1
        elif kind == "cancel":  # an entry that never filled no longer counts on its entry's day
            entered = _int_ms(_part(entry, "result").get("entry_ts_ms"))
            cancelled_day = seen.get(day_key(entered)) if entered is not None else None
            if cancelled_day is not None:
                cancelled_day.entries -= 1
        elif kind == "close":
            result = _part(entry, "result")
            pnl, r, fee = (_number(result.get(k)) for k in ("pnl_after_fees", "R_multiple", "fees"))
            day.closes += 1
            day.wins += 1 if pnl is not None and pnl > 0 else 0
            day.pnl.append(pnl or 0.0)
            day.r.append(r or 0.0)
            day.fees.append(fee or 0.0)
        elif kind == "skip":
            reason = _part(entry, "result").get("skipped_reason")
            if reason in RAIL_REASONS:
                day.hits[reason] = day.hits.get(reason, 0) + 1
    rows = []
    latest = carry  # the latest booking in journal order stamped on or before the day
    for key in keys:
        d = seen[key]
        if d.balance is not None and (latest is None or d.balance[0] > latest[0]):
            latest = d.balance
        balance = None if latest is None else latest[1]
        if d.entries or d.closes or d.hits or d.balance is not None:
            rows.append(DayRow(key, d.entries, d.closes, d.wins, math.fsum(d.pnl), math.fsum(d.r),
                               math.fsum(d.fees), balance, dict(sorted(d.hits.items())), "journal"))
            continue
        bucket = (buckets or {}).get(key)
        if isinstance(bucket, Mapping) and (bucket.get("entries") or bucket.get("pnl")):
            rows.append(DayRow(key, int(bucket.get("entries") or 0), None, None, _number(bucket.get("pnl")),
                               None, None, balance, {}, "buckets"))
        else:
            rows.append(DayRow(key, balance=balance))
    if rows[-1].balance is None and balance_now is not None and rows[-1].day == today:
        rows[-1] = replace(rows[-1], balance=balance_now)
    while len(rows) > 1 and rows[0].source == "" and rows[0].balance is None:
        del rows[0]  # before the account's first known day: nothing to show
    return rows


def journal_since(root: str | os.PathLike[str] | None, start_ms: int) -> list[dict[str, Any]]:
    """The journal entries a daily table from `start_ms` on needs, oldest first: everything committed
    since shortly before it (an event may be stamped up to a day ahead of its commit), back to the
    last booking before it (the balance the window opens with)."""
    out: list[dict[str, Any]] = []
    have_carry = False
    for entry in journal_backward(root):
        out.append(entry)
        ts = event_ts(entry)
        if ts is not None and ts < start_ms and balance_after(entry) is not None:
            have_carry = True
        at = _int_ms(entry.get("at_ms"))
        if have_carry and at is not None and at < start_ms - STAMP_AHEAD_MS:
            break
    out.reverse()
    return out


def read_daily(root: str | os.PathLike[str] | None, today: str, days: int = DAYS_DEFAULT, *,
               buckets: Mapping[str, Any] | None = None, balance_now: float | None = None) -> list[DayRow]:
    """`daily_table` over root's journal for the `days` UTC days up to `today`."""
    start_ms = day_index(window(today, days)[0]) * MS_PER_DAY
    return daily_table(journal_since(root, start_ms), today, days, buckets=buckets, balance_now=balance_now)


def load_daily(root: str | os.PathLike[str] | None, today: str, days: int = DAYS_DEFAULT, *,
               config_problem: Callable[[str], None] | None = None) -> list[DayRow]:
    """The daily table of a root: its journal, and its state's day buckets for days the journal does
    not cover. Read without the lock; a bad state file raises its Tc1Error, and so does a bad config
    file unless the state records a config to read it with (read_state): then `config_problem` is
    called with what is wrong."""
    _overlay, _policy, loaded = read_state(root)
    if loaded.config_problem and config_problem is not None:
        config_problem(loaded.config_problem)
    return read_daily(root, today, days, buckets=loaded.engine.days_state(), balance_now=loaded.engine.balance)
