"""What an operator sees of an account: balance, open risk, rails and headroom, as one plain dict.

Pure: no I/O, no clock (the caller passes `now_ms`), no UI imports. `tc1 dashboard` prints it and
the console renders it, so both always agree on what "today" and "headroom" mean.

"Today" here is the wall-clock UTC day of `now_ms` (an operator's question), while the engine's
rails bucket each event by its own timestamp; with a bot stamping events with the current time the
two are the same day.
"""

from __future__ import annotations

from typing import Any

from .config import OverlayConfig, PolicyConfig
from .core import EQUITY_WINDOW, RiskEngine
from .rails import MS_PER_DAY, day_key

RAIL_LABELS = {
    "equity_floor": "equity floor",
    "daily_loss_cap": "daily loss cap",
    "max_trades_per_day": "trades per day",
}


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


def _change_today(engine: RiskEngine, day_start_ms: int, pnl_today: float) -> float:
    """Balance now minus the balance when the UTC day began, read from the equity window.

    Not today's counter: an operator's counter reset clears that (so the rails count from zero
    again) but does not undo the money made or lost today. When the window no longer reaches
    back to the day's start, the counter is the best there is.
    """
    points = engine.equity_points
    for ts, balance in reversed(points):
        if ts < day_start_ms:
            return engine.balance - balance
    if len(points) < EQUITY_WINDOW:  # the window holds the whole history
        return engine.balance - engine.start_balance
    return pnl_today


def account_view(overlay: OverlayConfig, policy: PolicyConfig, engine: RiskEngine, now_ms: int, *,
                 equity_tail: int = 20) -> dict[str, Any]:
    """A JSON-able snapshot of `engine` at wall-clock `now_ms` (UTC ms)."""
    balance = engine.balance
    today_key = day_key(now_ms)
    today = engine.days.get(today_key)
    entries_today = today.entries if today else 0
    pnl_today = today.pnl if today else 0.0
    loss_today = -pnl_today if pnl_today < 0 else 0.0
    open_risk = engine.total_open_risk
    n_open = len(engine.positions)

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
    values = [b for _, b in points]
    equity = {
        "points": len(points),
        "recent": [[ts, b] for ts, b in points[-equity_tail:]] if equity_tail > 0 else [],
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }

    rails = [
        _rail("equity_floor", policy.equity_floor, balance, balance <= policy.equity_floor
              if policy.equity_floor is not None else False,
              f"balance {balance:,.2f} <= floor {policy.equity_floor:,.2f}" if policy.equity_floor is not None
              else ""),
        _rail("daily_loss_cap", policy.daily_loss_cap, loss_today,
              loss_today >= policy.daily_loss_cap if policy.daily_loss_cap is not None else False,
              f"today's loss {loss_today:,.2f} >= cap {policy.daily_loss_cap:,.2f}"
              if policy.daily_loss_cap is not None else ""),
        _rail("max_trades_per_day", policy.max_trades_per_day, entries_today,
              entries_today >= policy.max_trades_per_day if policy.max_trades_per_day is not None else False,
              f"{entries_today} entries today, max {policy.max_trades_per_day}"
              if policy.max_trades_per_day is not None else ""),
    ]

    o = overlay
    risk_left = _left(o.total_open_risk_cap, open_risk)
    slots_left = _left(o.max_concurrent_trades, n_open)
    leverage_room = None if o.max_leverage is None else balance * o.max_leverage - engine.open_notional
    # The reasons a new entry would be refused right now, in the order the engine checks them
    # (ENGINE.md §2 steps 3-7); input-dependent checks (min qty, notional) cannot be known here.
    blocks = [(r["name"], r["detail"]) for r in rails if r["blocked"]]
    if balance <= 0 and not blocks:
        blocks.append(("equity_floor", f"balance {balance:,.2f} <= 0"))
    if slots_left == 0:
        blocks.append(("max_concurrent_trades", f"{n_open} open, max {o.max_concurrent_trades}"))
    if risk_left == 0:
        blocks.append(("total_open_risk_cap", f"open risk {open_risk:,.2f} at cap {o.total_open_risk_cap:,.2f}"))
    if leverage_room is not None and leverage_room <= 0:
        blocks.append(("max_leverage", f"open notional {engine.open_notional:,.2f} at balance * {o.max_leverage}"))
    if blocks:
        status, reason, detail = f"BLOCKED: {blocks[0][0]}", blocks[0][0], blocks[0][1]
    else:
        status, reason, detail = "ACTIVE", None, ""

    budget = o.flat_risk_amount if balance < o.flat_risk_until else balance * o.percent_risk
    if o.per_trade_risk_cap is not None:
        budget = min(budget, o.per_trade_risk_cap)
    if risk_left is not None:
        budget = min(budget, risk_left)

    start = engine.start_balance
    return {
        "now_ms": now_ms,
        "today": today_key,
        "balance": {
            "balance": balance,
            "start_balance": start,
            "change_today": _change_today(engine, now_ms - now_ms % MS_PER_DAY, pnl_today),
            "change_since_start": balance - start,
            "change_since_start_pct": (balance - start) / start * 100 if start else None,
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
            "status": status, "blocked_by": reason, "detail": detail,
            "checks": rails,
            "blocks": [{"name": n, "detail": d} for n, d in blocks],
        },
        "today_counters": {"day": today_key, "entries": entries_today, "pnl": pnl_today, "loss": loss_today},
        "headroom": {
            "daily_loss_left": _left(policy.daily_loss_cap, loss_today),
            "open_risk_left": risk_left,
            "trades_left_today": _left(policy.max_trades_per_day, entries_today),
            "slots_left": slots_left,
            "distance_to_floor": None if policy.equity_floor is None else balance - policy.equity_floor,
            "leverage_room": leverage_room,
            "next_trade_budget": 0.0 if blocks else max(budget, 0.0),
            "ms_to_rollover": MS_PER_DAY - now_ms % MS_PER_DAY,
        },
    }


def _rail(name: str, limit: float | int | None, value: float | int, blocked: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "label": RAIL_LABELS[name], "configured": limit is not None, "limit": limit,
            "value": value, "blocked": blocked, "detail": detail if blocked else ""}


def format_duration(ms: int) -> str:
    """`3h05m12s`, `4m02s`, `9s`: a short human duration."""
    s = max(0, int(ms) // 1000)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h >= 48:
        return f"{h // 24}d{h % 24:02d}h"
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"
