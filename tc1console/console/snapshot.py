"""One frozen snapshot of everything the console shows, built off the UI thread from runtime/ and configs/.

`build_snapshot` is pure (configs, loaded state, journal tail and a clock reading in; a value out), so
it is tested without the UI; `load_snapshot` adds the file reads. The numbers come from the engine's
own `account_view`, so the console and `tc1 dashboard` agree on "today" and "headroom". The UI
receives the snapshot in a message and only ever compares and renders it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..engine import store
from ..engine.config import OverlayConfig, PolicyConfig
from ..engine.core import EQUITY_WINDOW
from ..engine.marks import read_marks
from ..engine.store import Loaded
from ..engine.view import account_view, value_text
from . import format as fmt

if TYPE_CHECKING:
    from ..engine.core import CloseResult, Position
    from ..engine.marks import BookMarks

EVENTS_KEPT = 50  # journal entries the events panel holds (it scrolls)

# Tones the widgets map to theme colours: losses use the theme's error colour.
LOSS, GAIN, MUTED, PLAIN, WARN = "loss", "gain", "muted", "", "warn"


def tone_of(value: float | None) -> str:
    if value is None or value == 0:
        return PLAIN
    return LOSS if value < 0 else GAIN


@dataclass(frozen=True, slots=True)
class BalanceInfo:
    balance: float
    start_balance: float
    change_today: float
    change_since_start: float
    change_since_start_pct: float | None


@dataclass(frozen=True, slots=True)
class OpenRiskInfo:
    total: float
    cap: float | None
    pct_of_balance: float | None


@dataclass(frozen=True, slots=True)
class SlotsInfo:
    count: int
    max: int | None


@dataclass(frozen=True, slots=True)
class RailLine:
    name: str
    label: str
    configured: bool
    limit: float | int | None
    value: float | int
    blocked: bool


@dataclass(frozen=True, slots=True)
class RailsInfo:
    status: str  # "ACTIVE" or "BLOCKED: <reason>"
    blocked_by: str | None
    detail: str
    checks: tuple[RailLine, ...]
    other_blocks: tuple[str, ...]  # blocks that are caps, not rails (slots, open risk, leverage)
    entries_today: int
    pnl_today: float
    loss_today: float


@dataclass(frozen=True, slots=True)
class HeadroomInfo:
    daily_loss_left: float | None
    open_risk_left: float | None
    trades_left_today: int | None
    slots_left: int | None
    distance_to_floor: float | None
    next_trade_budget: float
    # The rollover countdown is not here: the UI derives it from its clock every second.


@dataclass(frozen=True, slots=True)
class EquityInfo:
    values: tuple[float, ...]  # balances after each close in the kept window (from the start balance
    # while the window still holds the whole history), oldest first
    closes: int
    low: float | None
    high: float | None
    last: float | None
    first_ts_ms: int | None
    last_ts_ms: int | None


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One open position, its cells already formatted (the age cell is the UI's: it ticks)."""

    trade_id: str
    entry_ts_ms: int
    cells: tuple[str, ...]  # symbol, side, qty, entry, stop, risk $, risk %
    marks: tuple[tuple[str, str], ...] = ()  # mark, unrealized, R now, to stop: (text, tone) (marks_view)
    position: "Position | None" = field(default=None, compare=False)  # to mark again without a re-read


@dataclass(frozen=True, slots=True)
class EventLine:
    seq: int
    when: str  # UTC time of the journal entry (date too when not today)
    kind: str
    parts: tuple[tuple[str, str], ...]  # (text, tone) pieces


@dataclass(frozen=True, slots=True)
class Snapshot:
    root: str
    now_ms: int  # the clock reading the day-dependent numbers were computed for
    today: str  # YYYY-MM-DD (UTC) of now_ms
    seq: int  # last journal entry included
    note: str  # "" or why the state is not journaled yet (a fresh root: no state yet)
    balance: BalanceInfo
    open_risk: OpenRiskInfo
    slots: SlotsInfo
    rails: RailsInfo
    headroom: HeadroomInfo
    equity: EquityInfo
    positions: tuple[PositionRow, ...]
    events: tuple[EventLine, ...]
    marks: "BookMarks | None" = None  # the book at the bot's marks (marks_view.with_marks)
    closes: "tuple[CloseResult, ...]" = ()  # the closes the state keeps, oldest first (the history screen)
    overlay: OverlayConfig | None = field(default=None, compare=False)  # qty steps, for the other screens

    @property
    def fresh(self) -> bool:
        return self.note.startswith("fresh")


def build_snapshot(overlay: OverlayConfig, policy: PolicyConfig, loaded: Loaded,
                   events: Sequence[Mapping[str, Any]], now_ms: int, *, root: str = "") -> Snapshot:
    """Everything the console shows at clock reading `now_ms`, from state already read."""
    engine = loaded.engine
    view = account_view(overlay, policy, engine, now_ms, equity_tail=0)
    b, r, p, rails, h, t = (view["balance"], view["open_risk"], view["positions"], view["rails"],
                            view["headroom"], view["today_counters"])

    rows = []
    for x in p["rows"]:
        step = overlay.rules_for(x["symbol"]).qty_step
        rows.append(PositionRow(str(x["trade_id"]), int(x["entry_ts_ms"]), (
            str(x["symbol"]), x["side"], fmt.qty(x["qty"], step), fmt.price(x["entry_price"]),
            fmt.price(x["stop_price"]), fmt.money(x["risk_amount"]), fmt.pct(x["risk_pct"])),
            position=engine.positions.get(x["trade_id"])))

    points = engine.equity_points
    values = tuple(bal for _, bal in points)
    if values and len(values) < EQUITY_WINDOW:
        values = (engine.start_balance, *values)  # the whole history is kept: the curve starts at the start
    equity = EquityInfo(values, len(points), min(values) if values else None, max(values) if values else None,
                        values[-1] if values else None, points[0][0] if points else None,
                        points[-1][0] if points else None)

    rail_names = {c["name"] for c in rails["checks"]}
    return Snapshot(
        root=root, now_ms=now_ms, today=view["today"], seq=loaded.seq, note=loaded.needs_adopt,
        balance=BalanceInfo(b["balance"], b["start_balance"], b["change_today"], b["change_since_start"],
                            b["change_since_start_pct"]),
        open_risk=OpenRiskInfo(r["total"], r["cap"], r["pct_of_balance"]),
        slots=SlotsInfo(p["count"], p["max"]),
        rails=RailsInfo(rails["status"], rails["blocked_by"], rails["detail"],
                        tuple(RailLine(c["name"], c["label"], c["configured"], c["limit"], c["value"],
                                       c["blocked"]) for c in rails["checks"]),
                        tuple(f"{x['name']}: {x['detail']}" for x in rails["blocks"]
                              if x["name"] not in rail_names),
                        t["entries"], t["pnl"], t["loss"]),
        headroom=HeadroomInfo(h["daily_loss_left"], h["open_risk_left"], h["trades_left_today"],
                              h["slots_left"], h["distance_to_floor"], h["next_trade_budget"]),
        equity=equity,
        positions=tuple(rows),
        events=tuple(describe_event(e, overlay, view["today"]) for e in events),
        closes=tuple(engine.recent_closes.values()),
        overlay=overlay,
    )


def load_snapshot(root: str | os.PathLike[str], now_ms: int, *, events: int = EVENTS_KEPT) -> Snapshot:
    """Read configs/ and runtime/ (no lock, no writes) and build the snapshot.

    Raises ConfigError / StateError (both Tc1Error) naming the file, like `store.read_state`.
    """
    from .marks_view import with_marks  # it builds on this module's types

    overlay, policy, loaded = store.read_state(root)
    tail = store.tail_events(root, events)
    return with_marks(build_snapshot(overlay, policy, loaded, tail, now_ms, root=str(root)), read_marks(root))


# --- events ----------------------------------------------------------------------------------------

def _utc_when(ms: Any, today: str) -> str:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return "--:--:--"
    t = time.gmtime(ms / 1000)
    if time.strftime("%Y-%m-%d", t) == today:
        return time.strftime("%H:%M:%S", t)
    return time.strftime("%m-%d %H:%M", t)


def _event_time(e: Mapping[str, Any]) -> Any:
    """When it happened: a trade event's own timestamp (what the rails count by), else the journal's."""
    kind = e.get("type")
    own = None
    if kind == "open":
        own = (e.get("position") or {}).get("entry_ts_ms")
    elif kind == "close":
        own = (e.get("result") or {}).get("exit_ts_ms")
    elif kind == "skip":
        own = (e.get("result") or {}).get("entry_ts_ms")
    if isinstance(own, int) and not isinstance(own, bool) and own > 100_000_000_000:
        return own
    return e.get("at_ms")


def _side(is_long: Any) -> str:
    return "long " if is_long else "short"


def _qty(overlay: OverlayConfig, symbol: Any, value: Any) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    try:
        return fmt.qty(float(value), overlay.rules_for(str(symbol)).qty_step)
    except (TypeError, ValueError):
        return f"{value:g}"


def _num(value: Any, render=fmt.money) -> str:
    return render(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def describe_event(e: Mapping[str, Any], overlay: OverlayConfig, today: str) -> EventLine:
    """One journal entry as a line of (text, tone) parts: what happened, with the numbers that
    matter. (Also `tc1 dashboard`'s line, without the tones.) An entry of a shape no writer makes
    (a hand edit: a position that is a list, say) is still a line, saying so."""
    kind = str(e.get("type"))
    seq = e.get("seq") if isinstance(e.get("seq"), int) else 0
    try:
        when = _utc_when(_event_time(e), today)
        parts = _event_parts(kind, seq, e, overlay)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):
        when = _utc_when(e.get("at_ms"), today)
        parts = [(f"{kind:<6}", MUTED), (f" seq {seq}: unreadable entry", WARN)]
    return EventLine(seq, when, kind, tuple(parts))


def _event_parts(kind: str, seq: int, e: Mapping[str, Any], overlay: OverlayConfig) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]]
    if kind == "open":
        pos = e.get("position") or {}
        parts = [("open  ", GAIN),
                 (f"{pos.get('trade_id')} {pos.get('symbol')} {_side(pos.get('is_long'))} "
                  f"{_qty(overlay, pos.get('symbol'), pos.get('qty'))} @ {_num(pos.get('entry_price'), fmt.price)} "
                  f"stop {_num(pos.get('stop_price'), fmt.price)}  risk {_num(pos.get('risk_amount'))}", PLAIN)]
    elif kind == "skip":
        res = e.get("result") or {}
        detail = f" ({res['detail']})" if res.get("detail") else ""
        parts = [("skip  ", WARN),
                 (f"{e.get('trade_id', res.get('trade_id'))} {res.get('symbol')} {_side(res.get('is_long'))} "
                  f"@ {_num(res.get('entry_price'), fmt.price)}: ", PLAIN),
                 (str(res.get("skipped_reason")), WARN), (detail, MUTED)]
    elif kind == "close":
        res = e.get("result") or {}
        pnl = res.get("pnl_after_fees")
        r_mult = res.get("R_multiple")
        tone = tone_of(pnl if isinstance(pnl, (int, float)) else None)
        r_text = f"{r_mult:+.2f}R" if isinstance(r_mult, (int, float)) else "?R"
        parts = [("close ", PLAIN),
                 (f"{res.get('trade_id')} {res.get('symbol')} {_side(res.get('is_long'))} "
                  f"@ {_num(res.get('exit_price'), fmt.price)}  ", PLAIN),
                 (f"{r_text}  pnl {_num(pnl, fmt.signed_money)}", tone),
                 (f"  balance {_num(res.get('balance_after'))}", MUTED)]
    elif kind == "reset":
        cleared = e.get("cleared") or []
        what = ("all day counters" if e.get("scope") == "all"
                else f"today's counters ({', '.join(map(str, e.get('days') or []))})")
        parts = [("reset ", WARN), (f"{what} by {e.get('by')}: cleared {len(cleared)} "
                                    f"bucket{'s' if len(cleared) != 1 else ''}", PLAIN)]
    elif kind == "config":
        changes = e.get("changes") or {}
        shown = [f"{k} {value_text(v[0])} -> {value_text(v[1])}" for k, v in changes.items()
                 if isinstance(v, (list, tuple)) and len(v) == 2 and k != "symbol_overrides"]
        more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
        parts = [("config", MUTED), (f" {e.get('kind')} by {e.get('by')}: "
                                     f"{', '.join(shown[:3]) or 'no value changed'}{more}", MUTED)]
    elif kind == "adopt":
        book = e.get("book") or {}
        parts = [("adopt ", MUTED), (f"{e.get('reason')} (balance {_num(book.get('balance'))})", MUTED)]
    else:
        parts = [(f"{kind:<6}", MUTED), (f" seq {seq}", MUTED)]
    return parts


