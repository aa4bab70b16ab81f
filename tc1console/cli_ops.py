"""`tc1`'s operator actions (docs/live.md section 6): cash flows, pause and resume, positions, manual
exits, cancels and fills. Each is one call of the live API with `by: cli`, the same locked,
journaled transaction the bot's own calls are, and prints one line saying what it did.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable, Mapping

from . import words
from .engine import store
from .engine.errors import InputError
from .engine.events import cleared_lines
from .engine.live import LiveRisk
from .engine.numbers import as_number, money, parse_time_ms

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


def _now() -> int:
    """The CLI's clock (cli.clock_ms: $TC1_NOW_MS when set): what a flow, a pause and a close without
    --at are stamped with, so "today" in `tc1 dashboard` is the day they were booked."""
    from .cli import clock_ms

    return clock_ms()


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
        done = live.set_balance(amount, args.reason, _now(), flow_id=args.flow_id, by=BY)
        if done is None:
            print(f"the balance already is {money(amount)}: nothing booked")
            return 0
    else:
        if amount <= 0:
            raise InputError(f"AMOUNT must be above 0 (the action says which way), not {args.amount!r}")
        done = live.adjust_balance(amount if args.action == "deposit" else -amount, args.reason, _now(),
                                   flow_id=args.flow_id, by=BY)
    print(words.flow_done(done))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    done = _live(args).pause(args.reason, by=BY, ts_ms=_now())
    print(words.pause_done(done, BY) + ("; `tc1 resume` allows them again" if done["changed"] else ""))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    print(words.resume_done(_live(args).resume(args.reason, by=BY)))
    return 0


def cmd_positions(args: argparse.Namespace) -> int:
    from .cli import positions_table, snapshot, warn_config

    s = snapshot(args.root)
    warn_config(s["config_problem"])
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
        at = _now()
    else:
        try:
            at = parse_time_ms(args.at)
        except ValueError:
            raise InputError(f"--at must be an ISO 8601 time or an epoch number, not {args.at!r}") from None
    print(words.close_done(_live(args).close(args.trade_id, at, price, by=BY, reason=args.reason)))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    print(words.cancel_done(_live(args).cancel(args.trade_id, args.reason, by=BY)))
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    print(words.fill_done(_live(args).fill(args.trade_id, _number(args.qty, "FILLED_QTY"), by=BY)))
    return 0


def print_cleared(cleared: Mapping[str, Any], days: str | None, today: str) -> None:
    """What a reset cleared, in the words the console's toast uses (events.cleared_lines)."""
    for line in cleared_lines(cleared, days, today):
        print(line)
