"""The console's operator actions (docs/live.md section 6), their forms and confirmations: pure.

Each action is a form (what to book), a confirmation naming exactly what will happen with the
numbers as the console last read them, then one call of the bot's own API (`LiveRisk`, `by`
console) in a worker; its toast is the same sentence the `tc1` command prints (tc1console.words).
"""

from __future__ import annotations

from typing import Any, Callable

from ..engine.core import Position
from ..engine.events import clean
from ..engine.numbers import as_number, money, parse_time_ms, qty_text, signed_money
from ..engine.rails import utc_time
from ..engine.sizing import fees, gross_pnl
from .screens.form_screen import FormField
from .snapshot import MUTED, RailsInfo

Lines = list[tuple[str, str]]


# --- parsing what an operator types ------------------------------------------------------------------

FLOW_HINT = "+500 deposits, -500 withdraws, =10,250.50 sets the balance to the exchange's"


def flow(text: str) -> tuple[str, float]:
    """(kind, amount) of what an operator typed: `+500` a deposit, `-500` a withdrawal (the amount
    positive), `=10250.5` a sync of the balance to the exchange's."""
    text = text.strip()
    kind = {"+": "deposit", "-": "withdraw", "=": "set"}.get(text[:1])
    value = as_number(_float(text[1:])) if kind else None
    if kind is None or value is None or value < 0 or (value == 0 and kind != "set"):
        raise ValueError(FLOW_HINT)
    return kind, value


def price(text: str) -> float:
    value = as_number(_float(text))
    if value is None or value <= 0:
        raise ValueError("the exit price: a number above 0")
    return value


def when(text: str) -> int | None:
    """Empty: now (the booking's wall clock); else ISO 8601 (naive = UTC) or an epoch number."""
    if not text.strip():
        return None
    try:
        return parse_time_ms(text.strip())
    except ValueError:
        raise ValueError("empty for now, or a time: 2026-12-02T14:30 (UTC) or an epoch number") from None


def reason(text: str) -> str:
    return text.strip()


def _float(text: str) -> float:
    try:
        return float(text.replace("_", "").replace(",", "").strip())
    except ValueError:
        return float("nan")


# --- cash flows ------------------------------------------------------------------------------------

def flow_fields() -> list[FormField]:
    return [FormField("flow", "Amount $: +deposit, -withdrawal, =the exchange's balance", flow, "+500"),
            FormField("reason", "Reason (journaled)", reason, "top up from the bank")]


def flow_intro(balance: float) -> Lines:
    return [(f"Balance now {money(balance)}. A cash flow is not trading PnL: the console and tc1 dashboard "
             f"show the two apart, and the peak for max drawdown moves by the same amount.", MUTED)]


def flow_confirm(values: dict[str, Any], balance: float) -> tuple[str, Lines, str]:
    kind, value = values["flow"]
    delta = value if kind == "deposit" else (-value if kind == "withdraw" else value - balance)
    title = {"deposit": "Book a deposit", "withdraw": "Book a withdrawal", "set": "Sync the balance"}[kind]
    body = [(f"{title.split(' ', 1)[1].capitalize()} {signed_money(delta)}", "bold"),
            (f"  balance {money(balance)} -> {money(balance + delta)} (as last read)", ""),
            ("", "")]
    if kind == "withdraw" and value > balance:
        body.append(("A withdrawal larger than the balance will be refused.", "warn"))
    if values["reason"]:
        body.append((f"Reason: {values['reason']}", "muted"))
    body.append(("Journaled as a flow (by console) in the bot's own locked transaction; day counters, loss "
                 "caps and the streak are not touched.", "muted"))
    return title, body, "Book it"


# --- a selected position: close by hand, cancel as never filled --------------------------------------

def position_line(pos: Position, step: float) -> str:
    a = pos.alloc
    side = "long" if a.is_long else "short"
    return (f"{clean(a.trade_id)} {clean(a.symbol)} {side} {qty_text(a.qty, step)} @ {money(a.entry_price)}, "
            f"stop {money(a.stop_price)}, risk {money(a.risk_amount)}")


def close_fields(mark: float | None) -> list[FormField]:
    return [FormField("price", "Exit price", price, "the fill price on the exchange",
                      "" if mark is None else repr(mark)),
            FormField("at", "Closed at (empty: now)", when, "2026-12-02T14:30 or an epoch"),
            FormField("reason", "Reason (journaled)", reason, "closed by hand on the exchange")]


def close_confirm(pos: Position, values: dict[str, Any], step: float, now_ms: int) -> tuple[str, Lines, str]:
    a = pos.alloc
    exit_price = values["price"]
    gross = gross_pnl(a.is_long, a.qty, a.entry_price, exit_price)
    fee = fees(pos.fee_rate, a.qty, a.entry_price, exit_price)
    at = values["at"]
    body = [(position_line(pos, step), "bold"),
            (f"  exit @ {money(exit_price)} at {utc_time(at) if at is not None else 'now'}", ""),
            (f"  pnl after fees {signed_money(gross - fee)}", "pnl"),
            (f"  ({(gross - fee) / a.risk_amount:+.2f}R; fees {money(fee)})", "muted"),
            ("", "")]
    if at is not None and at < a.entry_ts_ms:
        body.append(("The exit is before the entry: it will be refused.", "warn"))
    if values["reason"]:
        body.append((f"Reason: {values['reason']}", "muted"))
    body.append(("Booked exactly as the bot's risk_close would (journaled, by console); a later risk_close of "
                 "this trade from the bot returns this booking.", "muted"))
    return "Close a position by hand", body, "Close it"


def cancel_fields() -> list[FormField]:
    return [FormField("reason", "Reason (journaled)", reason, "the exchange rejected the order")]


def cancel_confirm(pos: Position, values: dict[str, Any], step: float) -> tuple[str, Lines, str]:
    body = [(position_line(pos, step), "bold"), ("", ""),
            ("Drops the entry as never filled: no PnL, no fees; its risk and notional are freed and it no "
             "longer counts in its day's entries.", "")]
    if values["reason"]:
        body.append((f"Reason: {values['reason']}", "muted"))
    body.append(("Journaled as a cancel (by console) in the bot's own locked transaction.", "muted"))
    return "Cancel an entry that never filled", body, "Cancel the entry"


# --- pause / resume -------------------------------------------------------------------------------

def pause_fields() -> list[FormField]:
    return [FormField("reason", "Reason (shown on the status card, journaled)", reason, "exchange maintenance")]


def pause_confirm(values: dict[str, Any]) -> tuple[str, Lines, str]:
    body = [("Every new entry is skipped with `paused` until resumed.", "bold"),
            ("Closes, cancels and fills go on; a restart stays paused.", ""), ("", "")]
    if values["reason"]:
        body.append((f"Reason: {values['reason']}", "muted"))
    return "Pause new entries", body, "Pause"


def resume_confirm(rails: RailsInfo) -> tuple[str, Lines, str]:
    by, why, since = rails.paused or ("?", "", 0)
    body = [(f"Paused by {by} since {utc_time(since)}" + (f": {why}" if why else ""), "bold"), ("", ""),
            ("New entries go through the rails and caps again.", "")]
    return "Resume new entries", body, "Resume"


# --- resets of the rails' state ---------------------------------------------------------------------

def peak_confirm(peak: float | None, balance: float) -> tuple[str, Lines, str]:
    body = [(f"Peak {money(peak) if peak is not None else 'not set yet'} -> {money(balance)} (the balance now)", "bold"),
            ("", ""),
            ("max_drawdown_pct then measures the drawdown from today's balance. Day counters and the loss "
             "streak are not touched; journaled (by console).", "muted")]
    return "Reset the peak", body, "Reset the peak"


def streak_confirm(streak: int, until: int | None, now_ms: int) -> tuple[str, Lines, str]:
    block = (f"; entries blocked until {utc_time(until)}" if until is not None and until > now_ms else "")
    body = [(f"{streak} losing close{'s' if streak != 1 else ''} in a row{block}", "bold"), ("", ""),
            ("Clears the streak and lifts its block. Day counters and the peak are not touched; journaled "
             "(by console).", "muted")]
    return "Reset the loss streak", body, "Reset the streak"


Done = Callable[[dict[str, Any]], str]
