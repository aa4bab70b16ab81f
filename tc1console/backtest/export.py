"""The live trade set, read from runtime/journal.jsonl: for `tc1 journal export` and `tc1 parity --trades_csv`.

    trades = live_trades(root)                          # LiveTrade per entry the bot asked for
    done = export_trades(root, "live.csv", since="2025-11-24")

An export is a harness input (docs/harness.md columns, plus trade_id) holding every entry the
bot asked for, in journal order: the ones taken, with their exit (blank while still open, which the
harness counts as still open) and the ones the engine skipped, whose exit never happened (blank
too: a re-run with other caps may take them, and then holds them open). Left out: entries
cancelled before they filled, and skips of arguments the engine could not use (invalid_input) or of
a trade_id already in use (duplicate_trade_id): none of them is a trade. Run through `tc1 harness`
with the configs the live run used, the export gives the live allocations and closes to the bit,
as long as the journal holds no operator action that a backtest has no event for (a cash flow, a
partial fill, a cancel, a pause, a reset, a config change): `format_export` names those it holds.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import ledger, store
from ..engine.core import DUPLICATE_TRADE_ID, INVALID_INPUT
from ..engine.errors import InputError
from ..engine.numbers import parse_time_ms
from .parity import journal_entries
from .reader import REQUIRED, TRADE_ID

COLUMNS = (*REQUIRED, TRADE_ID)  # the harness's own names, in its own order
NOT_TRADES = (INVALID_INPUT, DUPLICATE_TRADE_ID)
# Entries a harness run has no event for: a re-run of the export matches the live run only up to the first.
OPERATOR_KINDS = ("flow", "fill", "cancel", "pause", "resume", "reset", "config", "adopt")


@dataclass(slots=True)
class LiveTrade:
    """One entry the bot asked for, as the journal tells it. `skipped_reason` None: taken (`qty`
    the allocation after any partial fill); `exit_ts` None: no exit (still open, or skipped)."""

    trade_id: str
    symbol: str
    is_long: bool
    entry_ts: int
    entry_price: float
    stop_price: float
    seq: int
    skipped_reason: str | None = None
    qty: float = 0.0
    risk_amount: float = 0.0
    fee_rate: float = 0.0
    exit_ts: int | None = None
    exit_price: float | None = None
    fees: float | None = None
    pnl: float | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class LiveSet:
    """The journal's trades in journal order, and what else it holds (entries by kind)."""

    trades: list[LiveTrade]
    kinds: dict[str, int]
    orphan_closes: int  # closes of trades opened before the journal's first entry


def live_trades(root: str | os.PathLike[str] | None = None) -> LiveSet:
    """Every entry the bot asked for (not the retries the engine answered from memory), in journal
    order. Raises InputError for a missing journal or a line that is no journal entry."""
    path = store.resolve_root(root) / "runtime" / store.JOURNAL_FILE
    trades: list[LiveTrade] = []
    open_now: dict[str, LiveTrade] = {}
    kinds: dict[str, int] = {}
    orphans = 0
    for lineno, e in journal_entries(path):
        kind = e["type"]
        kinds[kind] = kinds.get(kind, 0) + 1
        try:
            if kind == "open":
                p = e["position"]
                t = LiveTrade(p["trade_id"], p["symbol"], p["is_long"], p["entry_ts_ms"], p["entry_price"],
                              p["stop_price"], e["seq"], None, p["qty"], p["risk_amount"], p.get("fee_rate", 0.0))
                trades.append(t)
                open_now[t.trade_id] = t
            elif kind == "skip":
                r = e["result"]
                trades.append(LiveTrade(r["trade_id"], r["symbol"], r["is_long"], r["entry_ts_ms"],
                                        r["entry_price"], r["stop_price"], e["seq"], r["skipped_reason"]))
            elif kind == "fill":
                t = open_now.get(e["result"]["trade_id"])
                if t is not None:
                    t.qty, t.risk_amount = e["position"]["qty"], e["position"]["risk_amount"]
            elif kind == "cancel":
                t = open_now.pop(e["result"]["trade_id"], None)
                if t is not None:
                    t.cancelled = True
            elif kind == "close":
                r = e["result"]
                t = open_now.pop(r["trade_id"], None)
                if t is None:
                    orphans += 1
                else:
                    t.exit_ts, t.exit_price, t.fees, t.pnl = (r["exit_ts_ms"], r["exit_price"], r["fees"],
                                                              r["pnl_after_fees"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{path}: line {lineno} (seq {e['seq']}): a {kind} entry of the wrong shape "
                             f"(missing {exc})") from None
    return LiveSet(trades, kinds, orphans)


def exportable(t: LiveTrade) -> bool:
    """A trade the bot really asked for with usable arguments (see the module doc)."""
    return not t.cancelled and t.skipped_reason not in NOT_TRADES and isinstance(t.trade_id, str) \
        and isinstance(t.entry_price, float) and isinstance(t.stop_price, float) and type(t.entry_ts) is int


def row_of(t: LiveTrade) -> list[Any]:
    """The harness input row of a trade: epoch ms times, prices as their repr (read back to the same
    float), blank exits when it has none."""
    return [t.symbol, "long" if t.is_long else "short", t.entry_ts, repr(t.entry_price), repr(t.stop_price),
            "" if t.exit_ts is None else t.exit_ts, "" if t.exit_price is None else repr(t.exit_price), t.trade_id]


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    rows: int
    closed: int
    still_open: int
    skipped: int
    left_out: dict[str, int]  # cancelled, invalid_input, duplicate_trade_id, before/after the window
    operator: dict[str, int]  # entries of OPERATOR_KINDS the journal holds (adopt and config past the start)


def in_window(live: LiveSet, lo: int | None, hi: int | None) -> tuple[list[LiveTrade], dict[str, int]]:
    """The trades an export of [lo, hi) (epoch ms, None: open-ended) holds, and how many were left
    out, by why."""
    left: dict[str, int] = {}
    rows = []
    for t in live.trades:
        why = ("cancelled" if t.cancelled else t.skipped_reason if t.skipped_reason in NOT_TRADES
               else "unusable" if not exportable(t) else "outside --from/--to"
               if (lo is not None and t.entry_ts < lo) or (hi is not None and t.entry_ts >= hi) else "")
        if why:
            left[why] = left.get(why, 0) + 1
        else:
            rows.append(t)
    return rows, left


def live_equity(root: str | os.PathLike[str] | None, since_ms: int,
                until_ms: int | None = None) -> tuple[float | None, list[tuple[int, float]]]:
    """The live balance over [since_ms, until_ms): the balance the window opened with (the last one a
    journal entry left before it, None when none did), then (time, balance after) for each close and
    cash flow stamped in the window, in journal order; the curve a harness re-run of the window's
    export is compared with."""
    path = store.resolve_root(root) / "runtime" / store.JOURNAL_FILE
    balance: float | None = None
    opened: float | None = None
    points: list[tuple[int, float]] = []
    for _lineno, e in journal_entries(path):
        after = ledger.balance_after(e)
        if after is None:
            continue
        ts = ledger.event_ts(e) if e["type"] in ("close", "flow") else None
        if ts is not None and ts >= since_ms and (until_ms is None or ts < until_ms):
            if not points:
                opened = balance
            points.append((ts, after))
        balance = after
    return (balance if not points else opened), points


def _time(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_time_ms(text.strip())
    except (ValueError, OverflowError):
        raise InputError(f"{flag} {text!r} is not an ISO 8601 time (naive = UTC) or an epoch number") from None


def export_trades(root: str | os.PathLike[str] | None, out: str | os.PathLike[str], *, since: str | None = None,
                  until: str | None = None) -> Exported:
    """Write the live trade set entered in [since, until) to `out` (the module doc says what is in it)."""
    lo, hi = _time(since, "--from"), _time(until, "--to")
    if lo is not None and hi is not None and hi <= lo:
        raise InputError(f"--to {until!r} is not after --from {since!r}")
    live = live_trades(root)
    rows, left = in_window(live, lo, hi)
    out_path = Path(out)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            w.writerows(row_of(t) for t in rows)
        os.replace(tmp, out_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{out_path}: cannot write ({exc.strerror or exc})") from None
    # The first adopt and the first config of each kind are the journal's start, not actions.
    operator = {k: live.kinds.get(k, 0) - {"adopt": 1, "config": 2}.get(k, 0) for k in OPERATOR_KINDS}
    return Exported(out_path, len(rows), sum(1 for t in rows if t.exit_ts is not None and t.skipped_reason is None),
                    sum(1 for t in rows if t.exit_ts is None and t.skipped_reason is None),
                    sum(1 for t in rows if t.skipped_reason is not None), left,
                    {k: v for k, v in operator.items() if v > 0})


def format_export(x: Exported) -> str:
    """What `tc1 journal export` prints."""
    lines = [f"exported {x.rows:,} trades to {x.path}: {x.closed:,} closed, {x.still_open:,} still open "
             f"(blank exit), {x.skipped:,} skipped live (blank exit)"]
    if x.left_out:
        lines.append("left out: " + ", ".join(f"{v:,} {k}" for k, v in x.left_out.items()))
    if x.operator:
        lines.append("note: the journal also holds " + ", ".join(f"{v:,} {k}" for k, v in x.operator.items())
                     + "; a harness run has no event for these, so it matches the live run only up to the "
                       "first of them (`tc1 parity --trades_csv` shows where it parts)")
    return "\n".join(lines)
