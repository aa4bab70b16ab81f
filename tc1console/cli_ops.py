"""`tc1`'s operator actions (ENGINE.md section 6): cash flows, pause and resume, positions, manual
exits, cancels and fills. Each is one call of the live API with `by: cli`, the same locked,
journaled transaction the bot's own calls are, and prints one line saying what it did.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable, Mapping

from .engine import store
from .engine.errors import InputError
from .engine.events import clean, cleared_lines
from .engine.live import LiveRisk
from .engine.numbers import as_number, money, parse_time_ms, signed_money
from .engine.rails import utc_time

BY = "cli"


def add_operator_commands(sub: Any, root_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add balance, pause, resume, positions, close, cancel and fill to the `tc1` parser."""
    p = sub.add_parser("balance", help="book a cash flow: deposit, withdraw, or set (sync to the exchange)")
    root_arg(p)
    bsub = p.add_subparsers(dest="balance_command", metavar="ACTION", required=True)
    for action, text in (("deposit", "money paid in (not trading PnL)"),
                         ("withdraw", "money taken out (not trading PnL)"),
                         ("set", "sync to the exchange's balance: books the difference as a flow")):
        q = bsub.add_parser(action, help=text)
        root_arg(q)
        q.add_argument("amount", metavar="AMOUNT", help="$ amount" if action != "set" else "the balance to set")
        q.add_argument("--reason", default="", help="why, for the journal")
        q.add_argument("--flow-id", "--flow_id", dest="flow_id", metavar="ID",
                       help="an id of your own: the same id again books nothing twice")
        q.set_defaults(func=cmd_balance, action=action)

    p = sub.add_parser("pause", help="stop new entries (closes, cancels and fills go on)")
    root_arg(p)
    p.add_argument("--reason", default="", help="why, shown in the console and journaled")
    p.set_defaults(func=cmd_pause)
    p = sub.add_parser("resume", help="allow new entries again")
    root_arg(p)
    p.add_argument("--reason", default="", help="why, for the journal")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("positions", help="the open positions")
    root_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=cmd_positions)

    p = sub.add_parser("close", help="book an exit by hand (a trade closed on the exchange, or whose bot died)")
    root_arg(p)
    p.add_argument("trade_id", metavar="TRADE_ID")
    p.add_argument("--price", required=True, metavar="P", help="the exit price")
    p.add_argument("--at", metavar="TIME", help="when it closed: ISO 8601 (naive = UTC) or epoch (default: now)")
    p.add_argument("--reason", default="", help="why, for the journal")
    p.set_defaults(func=cmd_close)

    p = sub.add_parser("cancel", help="drop an entry that never filled (no PnL, its risk freed)")
    root_arg(p)
    p.add_argument("trade_id", metavar="TRADE_ID")
    p.add_argument("--reason", default="", help="why, for the journal")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("fill", help="the exchange filled only part of an allocation: scale it down")
    root_arg(p)
    p.add_argument("trade_id", metavar="TRADE_ID")
    p.add_argument("qty", metavar="FILLED_QTY", help="the quantity filled (a whole number of steps)")
    p.set_defaults(func=cmd_fill)


def _live(args: argparse.Namespace) -> LiveRisk:
    return LiveRisk(args.root, check=False)


def _number(text: str, name: str) -> float:
    try:
        value = as_number(float(text.replace("_", "").replace(",", "")))
    except ValueError:
        value = None
    if value is None:
        raise InputError(f"{name} must be a finite number, not {text!r}")
    return value


def cmd_balance(args: argparse.Namespace) -> int:
    live = _live(args)
    amount = _number(args.amount, "AMOUNT")
    if args.action == "set":
        done = live.set_balance(amount, args.reason, flow_id=args.flow_id, by=BY)
        if done is None:
            print(f"the balance already is {money(amount)}: nothing booked")
            return 0
    else:
        if amount <= 0:
            raise InputError(f"AMOUNT must be above 0 (the action says which way), not {args.amount!r}")
        done = live.adjust_balance(amount if args.action == "deposit" else -amount, args.reason,
                                   flow_id=args.flow_id, by=BY)
    word = {"deposit": "deposit", "withdraw": "withdrawal", "set": "balance sync"}[done["kind"]]
    again = " (already booked under this flow id: nothing booked again)" if done["replayed"] else ""
    print(f"{word} {signed_money(done['amount'])} booked as {clean(done['flow_id'])}: balance "
          f"{money(done['balance_before'])} -> {money(done['balance_after'])}{again}")
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    done = _live(args).pause(args.reason, by=BY)
    p = done["paused"]
    why = f": {clean(p.get('reason'))}" if p.get("reason") else ""
    if done["changed"]:
        print(f"new entries paused by {BY}{why}; `tc1 resume` allows them again")
    else:
        print(f"already paused by {clean(p.get('by'))} since {utc_time(p['ts_ms'])}{why}: nothing changed")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    done = _live(args).resume(args.reason, by=BY)
    ended = done["ended"]
    if ended is None:
        print("not paused: nothing to do")
    else:
        print(f"new entries allowed again (paused by {clean(ended.get('by'))} since {utc_time(ended['ts_ms'])})")
    return 0


def cmd_positions(args: argparse.Namespace) -> int:
    from .cli import positions_table, snapshot

    s = snapshot(args.root)
    rows = s["positions"]["rows"]
    if args.json:
        print(json.dumps(store.jsonable({"count": len(rows), "max": s["positions"]["max"], "positions": rows}),
                         indent=2))
        return 0
    if not rows:
        print("no open positions")
        return 0
    for line in positions_table(rows):
        print(line)
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    price = _number(args.price, "--price")
    if args.at is None:
        at = time.time_ns() // 1_000_000
    else:
        try:
            at = parse_time_ms(args.at)
        except ValueError:
            raise InputError(f"--at must be an ISO 8601 time or an epoch number, not {args.at!r}") from None
    done = _live(args).close(args.trade_id, at, price, by=BY, reason=args.reason)
    side = "long" if done["is_long"] else "short"
    if done["replayed"]:
        print(f"{clean(done['trade_id'])} was already closed at {money(done['exit_price'])} "
              f"({utc_time(done['exit_ts_ms'])}): the recorded result stands, nothing booked")
        return 0
    print(f"closed {clean(done['trade_id'])} {clean(done['symbol'])} {side} {done['qty']:g} @ {money(done['exit_price'])}"
          f": pnl {signed_money(done['pnl_after_fees'])} ({done['R_multiple']:+.2f}R, fees {money(done['fees'])}), "
          f"balance {money(done['balance_after'])}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    done = _live(args).cancel(args.trade_id, args.reason, by=BY)
    if done["replayed"]:
        print(f"{clean(done['trade_id'])} was already cancelled: nothing changed")
        return 0
    print(f"cancelled {clean(done['trade_id'])} {clean(done['symbol'])} {done['qty']:g} @ "
          f"{money(done['entry_price'])}: risk {money(done['risk_amount'])} freed, no PnL booked")
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    done = _live(args).fill(args.trade_id, _number(args.qty, "FILLED_QTY"), by=BY)
    if done["qty"] == done["qty_before"]:
        print(f"{clean(done['trade_id'])} is already at {done['qty']:g}: nothing changed")
        return 0
    print(f"{clean(done['trade_id'])} filled {done['qty']:g} of {done['qty_before']:g}: risk now "
          f"{money(done['risk_amount'])}, notional {money(done['notional'])}")
    return 0


def print_cleared(cleared: Mapping[str, Any], days: str | None, today: str) -> None:
    """What a reset cleared, in the words the console's toast uses (events.cleared_lines)."""
    for line in cleared_lines(cleared, days, today):
        print(line)
