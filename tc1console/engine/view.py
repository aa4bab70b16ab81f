"""What an operator sees of an account: balance, open risk, rails and headroom, as one plain dict.

Pure: no I/O, no clock (the caller passes `now_ms`), no UI imports. `tc1 dashboard`, `tc1 policy
show`, `risk_status()` and the console all read it, so they agree on "today", "blocked" and
"headroom": each rail's numbers come from the rail itself (rails.py), the budget from sizing.py.

"Today" here is the wall-clock UTC day of `now_ms` (an operator's question), while the engine's
rails bucket each event by its own timestamp; with a bot stamping events with the current time the
two are the same day.
"""

from __future__ import annotations

from typing import Any

from . import sizing
from .config import OverlayConfig, PolicyConfig
from .core import EQUITY_WINDOW, FLOW, MAX_CONCURRENT_TRADES, PAUSED, RiskEngine
from .numbers import money
from .rails import MS_PER_DAY, RAILS, Headroom, Rails, RailStatus, day_key, duration, utc_time

LABELS = {  # every reason a status can show, in words (the rails' own labels first)
    PAUSED: "paused",
    MAX_CONCURRENT_TRADES: "slots full",
    sizing.TOTAL_OPEN_RISK_CAP: "open-risk cap",
    sizing.MAX_LEVERAGE: "leverage cap",
}


def reason_label(name: str) -> str:
    """A skip or block reason as an operator reads it: `daily_loss_cap` -> `daily loss cap`."""
    for rail in RAILS:
        if rail.name == name:
            return rail.block_label
    return LABELS.get(name, name.replace("_", " "))


def _left(limit: float | int | None, used: float | int) -> float | int | None:
    """What is left of `limit` after `used` (never below 0); None when there is no limit."""
    if limit is None:
        return None
    left = limit - used
    return left if left > 0 else type(left)(0)


def value_text(value: Any) -> str:
    """A config value as people read it in a change list: money with separators, small numbers as is."""
    if value is None:
        return "unset"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:g}"
    return str(value)


def _day_start_balance(engine: RiskEngine, day_start_ms: int) -> float | None:
    """The balance when the UTC day began, read from the equity window (None: the window does not
    reach back that far)."""
    points = engine.equity_points
    for pt in reversed(points):
        if pt[0] < day_start_ms:
            return pt[1]
    if len(points) < EQUITY_WINDOW:  # the window holds the whole history
        return engine.start_balance
    return None


def _flows_since(engine: RiskEngine, since_ms: int) -> float:
    return sum(f.amount for f in engine.recent_flows.values() if f.ts_ms >= since_ms)


def account_view(overlay: OverlayConfig, policy: PolicyConfig, engine: RiskEngine, now_ms: int, *,
                 equity_tail: int = 20) -> dict[str, Any]:
    """A JSON-able snapshot of `engine` at wall-clock `now_ms` (UTC ms)."""
    balance = engine.balance
    today_key = day_key(now_ms)
    today = engine.days.get(today_key)
    entries_today = today.entries if today else 0
    pnl_today = today.pnl if today else 0.0
    open_risk = engine.total_open_risk
    n_open = len(engine.positions)
    day_start = now_ms - now_ms % MS_PER_DAY

    positions = []
    for tid, pos in engine.positions.items():
        a = pos.alloc
        positions.append({
            "trade_id": tid, "symbol": a.symbol, "side": "long" if a.is_long else "short",
            "qty": a.qty, "entry_price": a.entry_price, "stop_price": a.stop_price,
            "risk_amount": a.risk_amount,
            "risk_pct": a.risk_amount / balance * 100 if balance > 0 else None,
            "notional": a.notional, "entry_ts_ms": a.entry_ts_ms,
            "age_ms": max(0, now_ms - a.entry_ts_ms),
        })
    positions.sort(key=lambda p: (p["entry_ts_ms"], p["trade_id"]))

    points = list(engine.equity_points)
    values = [pt[1] for pt in points]
    equity = {
        "points": len(points),
        "recent": [list(pt) for pt in points[-equity_tail:]] if equity_tail > 0 else [],
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "flows": sum(1 for pt in points if len(pt) > 2 and pt[2] == FLOW),
    }

    rails = Rails(policy)
    statuses = rails.statuses(engine, now_ms)
    o = overlay
    risk_left = _left(o.total_open_risk_cap, open_risk)
    slots_left = _left(o.max_concurrent_trades, n_open)
    leverage_room = None if o.max_leverage is None else balance * o.max_leverage - engine.open_notional
    caps = sizing.Caps(o.flat_risk_until, o.flat_risk_amount, o.percent_risk, o.per_trade_risk_cap,
                       o.total_open_risk_cap, o.fees_in_risk, o.max_leverage)
    daily = rails.daily
    next_budget, budget_skip = 0.0, None
    if balance > 0:
        kind, est, exact, budget_skip = sizing.risk_budget(
            balance, caps, open_risk, None if daily is None else (daily.limit, pnl_today))
        if budget_skip is None:
            next_budget = sizing.budget_value(kind, est, exact, balance, caps)

    # Every reason a new entry would be refused right now, in the order the engine checks them
    # (docs/engine.md section 2 items 3-7); input-dependent checks (min qty, notional) cannot be known here.
    blocks: list[tuple[str, str]] = []
    paused = engine.paused
    if paused is not None:
        blocks.append((PAUSED, f"paused by {paused.get('by')} since {_when(paused.get('ts_ms'))}"
                               + (f": {paused.get('reason')}" if paused.get("reason") else "")))
    if balance <= 0:
        blocks.append(("equity_floor", f"balance {money(balance)} <= 0"))
    blocks += [(s.name, s.detail) for s in statuses if s.blocked]
    if slots_left == 0:
        blocks.append((MAX_CONCURRENT_TRADES, f"{n_open} open, max {o.max_concurrent_trades}"))
    if budget_skip is not None:
        blocks.append((budget_skip.reason or "", budget_skip.detail))
    if leverage_room is not None and leverage_room <= 0:
        blocks.append((sizing.MAX_LEVERAGE, f"open notional {money(engine.open_notional)} at balance x "
                                            f"{o.max_leverage:g}"))
    if paused is not None:
        word, status = "PAUSED", "PAUSED"
    elif blocks:
        word, status = "BLOCKED", f"BLOCKED: {blocks[0][0]}"
    else:
        word, status = "ACTIVE", "ACTIVE"
    reason, detail = (blocks[0] if blocks else (None, ""))

    headroom: list[Headroom] = [h for s in statuses for h in s.headroom]
    headroom += [
        Headroom("open_risk_left", "open-risk budget left", risk_left, money(risk_left) if risk_left is not None else "no cap", 20),
        Headroom("slots_left", "position slots left", slots_left, f"{slots_left:,}" if slots_left is not None else "no limit", 70),
        Headroom("next_trade_budget", "next trade's budget", 0.0 if blocks else max(next_budget, 0.0),
                 money(0.0 if blocks else max(next_budget, 0.0)), 80),
    ]
    headroom.append(Headroom("leverage_room", "leverage room", None if leverage_room is None else max(leverage_room, 0.0),
                             "no cap" if leverage_room is None else money(max(leverage_room, 0.0)), 90))
    headroom.sort(key=lambda h: h.rank)

    start = engine.start_balance
    day_start_balance = _day_start_balance(engine, day_start)
    flows_today = _flows_since(engine, day_start)
    change_today = (balance - day_start_balance - flows_today) if day_start_balance is not None else pnl_today
    return {
        "now_ms": now_ms,
        "today": today_key,
        "balance": {
            "balance": balance,
            "start_balance": start,
            "net_flows": engine.net_flows,
            "trading_pnl": engine.trading_pnl,
            "trading_pnl_pct": engine.trading_pnl / start * 100 if start else None,
            "change_today": change_today,
            "flows_today": flows_today,
            # kept for readers of the earlier JSON: the balance change since start is trading PnL + flows
            "change_since_start": balance - start,
        },
        "open_risk": {
            "total": open_risk,
            "cap": o.total_open_risk_cap,
            "pct_of_balance": open_risk / balance * 100 if balance > 0 else None,
            "open_notional": engine.open_notional,
        },
        "positions": {"count": n_open, "max": o.max_concurrent_trades, "rows": positions},
        "equity": equity,
        "rails": {
            "status": status, "status_word": word, "blocked_by": reason, "detail": detail,
            "paused": dict(paused) if paused is not None else None,
            "state": engine.rail_state.to_record(),  # the peak, the streak and its block, the last losses
            "checks": [_status_dict(s) for s in statuses],
            "blocks": [{"name": n, "label": reason_label(n), "detail": d} for n, d in blocks],
        },
        "today_counters": {"day": today_key, "entries": entries_today, "pnl": pnl_today,
                           "loss": -pnl_today if pnl_today < 0 else 0.0},
        # Each line's number by its key (None: unset), then the lines in order for a screen.
        "headroom": {
            **{h.key: h.value for h in headroom},
            "ms_to_rollover": MS_PER_DAY - now_ms % MS_PER_DAY,
            "items": [_headroom_dict(h) for h in headroom],
        },
    }


def _status_dict(s: RailStatus) -> dict[str, Any]:
    return {"name": s.name, "label": s.label, "short": s.short, "configured": s.configured, "blocked": s.blocked,
            "value": s.value, "limit": s.limit, "text": s.text, "fraction": s.fraction, "detail": s.detail,
            "headroom": [_headroom_dict(h) for h in s.headroom]}


def _headroom_dict(h: Headroom) -> dict[str, Any]:
    return {"key": h.key, "label": h.label, "value": h.value, "text": h.text, "rank": h.rank, "left": h.left}


def _when(ts: Any) -> str:
    return utc_time(ts) if isinstance(ts, int) and not isinstance(ts, bool) else "?"


def format_duration(ms: int) -> str:
    """`3h05m12s`-style durations are rails.duration; kept under this name for the CLI."""
    return duration(ms)
