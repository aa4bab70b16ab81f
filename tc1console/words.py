"""What an operator action did, in one sentence: the `tc1` commands print these and the console's
toasts show them, so both say the same thing (the actions themselves are engine/live.py's)."""

from __future__ import annotations

from typing import Any, Mapping

from .engine.events import FLOW_WORDS, clean
from .engine.numbers import money, signed_money
from .engine.rails import utc_time


def flow_done(done: Mapping[str, Any]) -> str:
    again = " (already booked under this flow id: nothing booked again)" if done.get("replayed") else ""
    return (f"{FLOW_WORDS[done['kind']]} {signed_money(done['amount'])} booked as {clean(done['flow_id'])}: "
            f"balance {money(done['balance_before'])} -> {money(done['balance_after'])}{again}")


def close_done(done: Mapping[str, Any]) -> str:
    if done.get("replayed"):
        return (f"{clean(done['trade_id'])} was already closed at {money(done['exit_price'])} "
                f"({utc_time(done['exit_ts_ms'])}): the recorded result stands, nothing booked")
    side = "long" if done["is_long"] else "short"
    return (f"closed {clean(done['trade_id'])} {clean(done['symbol'])} {side} {done['qty']:g} @ "
            f"{money(done['exit_price'])}: pnl {signed_money(done['pnl_after_fees'])} ({done['R_multiple']:+.2f}R, "
            f"fees {money(done['fees'])}), balance {money(done['balance_after'])}")


def cancel_done(done: Mapping[str, Any]) -> str:
    if done.get("replayed"):
        return f"{clean(done['trade_id'])} was already cancelled: nothing changed"
    return (f"cancelled {clean(done['trade_id'])} {clean(done['symbol'])} {done['qty']:g} @ "
            f"{money(done['entry_price'])}: risk {money(done['risk_amount'])} freed, no PnL booked")


def fill_done(done: Mapping[str, Any]) -> str:
    if done["qty"] == done["qty_before"]:
        return f"{clean(done['trade_id'])} is already at {done['qty']:g}: nothing changed"
    return (f"{clean(done['trade_id'])} filled {done['qty']:g} of {done['qty_before']:g}: risk now "
            f"{money(done['risk_amount'])}, notional {money(done['notional'])}")


def pause_done(done: Mapping[str, Any], by: str) -> str:
    p = done["paused"]
    why = f": {clean(p.get('reason'))}" if p.get("reason") else ""
    if done["changed"]:
        return f"new entries paused by {clean(by)}{why}"
    return f"already paused by {clean(p.get('by'))} since {utc_time(p['ts_ms'])}{why}: nothing changed"


def resume_done(done: Mapping[str, Any]) -> str:
    ended = done["ended"]
    if ended is None:
        return "not paused: nothing to do"
    return f"new entries allowed again (paused by {clean(ended.get('by'))} since {utc_time(ended['ts_ms'])})"
