"""One frozen snapshot of everything the console shows, built off the UI thread from runtime/ and configs/.

`build_snapshot` is pure (configs, loaded state, journal tail and a clock reading in; a value out), so
it is tested without the UI; `load_snapshot` adds the file reads. The numbers come from the engine's
own `account_view`, so the console and `tc1 dashboard` agree on "today" and "headroom". The UI
receives the snapshot in a message and only ever compares and renders it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..engine import store
from ..engine.config import OverlayConfig, PolicyConfig
from ..engine.core import EQUITY_WINDOW
from ..engine.events import GAIN, LOSS, MUTED, PLAIN, WARN, EventLine, clean, describe
from ..engine.rails import Headroom, RailStatus
from ..engine.marks import read_marks
from ..engine.store import Loaded
from ..engine.view import account_view
from . import format as fmt

if TYPE_CHECKING:
    from ..engine.core import CloseResult, Position
    from ..engine.marks import BookMarks

EVENTS_KEPT = 50  # journal entries the events panel holds (it scrolls)

# Tones (engine.events' names) the widgets map to theme colours: losses use the theme's error colour.
__all__ = ["GAIN", "LOSS", "MUTED", "PLAIN", "WARN", "EventLine", "Snapshot", "build_snapshot", "load_snapshot",
           "describe"]


def tone_of(value: float | None) -> str:
    if value is None or value == 0:
        return PLAIN
    return LOSS if value < 0 else GAIN


@dataclass(frozen=True, slots=True)
class BalanceInfo:
    balance: float
    start_balance: float
    change_today: float  # trading PnL since the UTC day began (cash flows left out)
    trading_pnl: float  # balance - start - net cash flows
    trading_pnl_pct: float | None
    net_flows: float


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
class RailsInfo:
    status: str  # "ACTIVE", "PAUSED" or "BLOCKED: <reason>"
    word: str  # "ACTIVE", "PAUSED" or "BLOCKED"
    blocked_by: str | None
    detail: str
    checks: tuple[RailStatus, ...]  # every rail, configured or not, in check order
    blocks: tuple[tuple[str, str], ...]  # (label, detail) of every reason an entry would be refused now
    paused: tuple[str, str, int] | None  # (by, reason, since ms) while paused
    entries_today: int
    pnl_today: float
    loss_today: float
    peak: float | None = None  # the rails' state: the peak max_drawdown_pct measures from
    streak: int = 0  # losing closes in a row
    streak_until: int | None = None  # entries stamped before this are blocked by the loss streak


@dataclass(frozen=True, slots=True)
class HeadroomInfo:
    items: tuple[Headroom, ...]  # the rails' lines, then the caps', each with its rank
    # The rollover countdown is not here: the UI derives it from its clock every second.


@dataclass(frozen=True, slots=True)
class EquityInfo:
    values: tuple[float, ...]  # balances after each close in the kept window (from the start balance
    # while the window still holds the whole history), oldest first
    closes: int  # the kept points (one per close or cash flow)
    low: float | None
    high: float | None
    last: float | None
    first_ts_ms: int | None
    last_ts_ms: int | None
    flows: int = 0  # how many of the kept points a cash flow made (docs/live.md section 6), not a close


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One open position, its cells already formatted (the age cell is the UI's: it ticks)."""

    trade_id: str
    entry_ts_ms: int
    cells: tuple[str, ...]  # symbol, side, qty, entry, stop, risk $, risk %
    marks: tuple[tuple[str, str], ...] = ()  # mark, unrealized, R now, to stop: (text, tone) (marks_view)
    position: "Position | None" = field(default=None, compare=False)  # to mark again without a re-read


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
    config_problem: str = ""  # a config file is bad: the numbers use the config the journal last recorded
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
        rows.append(PositionRow(clean(x["trade_id"], 80), int(x["entry_ts_ms"]), (
            clean(x["symbol"], 30), x["side"], fmt.qty(x["qty"], step), fmt.price(x["entry_price"]),
            fmt.price(x["stop_price"]), fmt.money(x["risk_amount"]), fmt.pct(x["risk_pct"])),
            position=engine.positions.get(x["trade_id"])))

    points = engine.equity_points
    values = tuple(pt[1] for pt in points)
    if values and len(values) < EQUITY_WINDOW:
        values = (engine.start_balance, *values)  # the whole history is kept: the curve starts at the start
    equity = EquityInfo(values, len(points), min(values) if values else None, max(values) if values else None,
                        values[-1] if values else None, points[0][0] if points else None,
                        points[-1][0] if points else None, view["equity"]["flows"])

    paused = rails["paused"]
    return Snapshot(
        root=root, now_ms=now_ms, today=view["today"], seq=loaded.seq, note=loaded.needs_adopt,
        balance=BalanceInfo(b["balance"], b["start_balance"], b["change_today"], b["trading_pnl"],
                            b["trading_pnl_pct"], b["net_flows"]),
        open_risk=OpenRiskInfo(r["total"], r["cap"], r["pct_of_balance"]),
        slots=SlotsInfo(p["count"], p["max"]),
        rails=RailsInfo(rails["status"], rails["status_word"], rails["blocked_by"], rails["detail"],
                        tuple(_status(c) for c in rails["checks"]),
                        tuple((x["label"], x["detail"]) for x in rails["blocks"]),
                        None if paused is None else (clean(paused.get("by"), 40), clean(paused.get("reason") or ""),
                                                     int(paused.get("ts_ms") or 0)),
                        t["entries"], t["pnl"], t["loss"], rails["state"]["peak"], rails["state"]["streak"],
                        rails["state"]["streak_until"]),
        headroom=HeadroomInfo(tuple(Headroom(**x) for x in h["items"])),
        equity=equity,
        positions=tuple(rows),
        events=tuple(describe(e, overlay, view["today"]) for e in events),
        config_problem=loaded.config_problem,
        closes=tuple(engine.recent_closes.values()),
        overlay=overlay,
    )


def _status(c: Mapping[str, Any]) -> RailStatus:
    """A rail's status back from the view's plain dict (the view computed it once for everyone)."""
    return RailStatus(c["name"], c["label"], c["short"], c["configured"], c["blocked"], c["value"], c["limit"],
                      c["text"], c["fraction"], c["detail"], tuple(Headroom(**h) for h in c["headroom"]))


def load_snapshot(root: str | os.PathLike[str], now_ms: int, *, events: int = EVENTS_KEPT) -> Snapshot:
    """Read configs/ and runtime/ (no lock, no writes) and build the snapshot.

    Raises ConfigError / StateError (both Tc1Error) naming the file, like `store.read_state`.
    """
    from .marks_view import with_marks  # it builds on this module's types

    overlay, policy, loaded = store.read_state(root)
    tail = store.tail_events(root, events)
    return with_marks(build_snapshot(overlay, policy, loaded, tail, now_ms, root=str(root)), read_marks(root))
