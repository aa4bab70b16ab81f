"""`tc1` and its subcommands: parse, call the engine or the console, print. Errors are one line.

Every command takes `--root DIR` (default: $TC1_ROOT, else the current folder). A `Tc1Error` or an
OSError becomes `tc1: error: ...` on stderr and exit 2; Ctrl-C exits 130 quietly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import reports
from .engine import config as cfg
from .engine import store
from .engine.errors import InputError, Tc1Error
from .engine.events import clean
from .engine.events import describe as describe_event
from .engine.ledger import DAYS_DEFAULT, load_daily, read_daily
from .engine.marks import mark_book, read_marks
from .engine.rails import RAILS, day_index, day_key
from .engine.core import MAX_TS_MS, MIN_TS_MS
from .engine.view import account_view, format_duration, value_text
from .cli_config import add_config_commands
from .cli_ops import add_operator_commands, print_cleared

PROG = "tc1"
EVENTS_SHOWN = 10
DASHBOARD_DAYS = 7
CLOCK_ENV = "TC1_NOW_MS"
BACKTEST_COMMANDS = ("harness", "sweep", "parity", "journal")  # their flags are parsed by tc1console/backtest/cli.py


def clock_ms() -> int:
    """The CLI's one clock, in epoch ms: $TC1_NOW_MS when set (a fixed clock, for tests and
    reproducible output), else the wall clock. Every "today" and "now" a command shows or acts on
    reads it; the journal's `at_ms` and the bot API keep the real time.
    """
    raw = os.environ.get(CLOCK_ENV, "")
    if not raw:
        return time.time_ns() // 1_000_000
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not MIN_TS_MS <= value < MAX_TS_MS:
        raise InputError(f"{CLOCK_ENV} must be an epoch time in whole milliseconds "
                         f"(like 1732026600000), not {raw!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (usage errors follow the same rule as every other error)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


def _root_arg(p: argparse.ArgumentParser) -> None:
    # SUPPRESS, not None: `tc1 --root X policy show` must not be undone by the subcommand's default.
    p.add_argument("--root", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding configs/ and runtime/ (default: $TC1_ROOT, else the current folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="TC1 risk engine: console, dashboard, rails, harness and tools.")
    _root_arg(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("console", help="the live operations console (Textual)")
    _root_arg(p)
    p.add_argument("--demo", action="store_true", help="run the simulated bot alongside the console")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("init", help="make a new root: the default configs and an empty runtime/")
    p.add_argument("dir", metavar="DIR", help="the new root's folder (created if missing; an existing root is refused)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("dashboard", help="a one-shot plain-text snapshot of the account")
    _root_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("daily", help="PnL by UTC day from the journal: trades, wins, R, fees, balance, rail hits")
    _root_arg(p)
    p.add_argument("--days", type=int, default=DAYS_DEFAULT, metavar="N",
                   help=f"how many UTC days, ending today (default {DAYS_DEFAULT})")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="the last day shown (default: today, UTC)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_daily)

    p = sub.add_parser("policy", help="the safety rails and their per-day counters")
    _root_arg(p)
    psub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    q = psub.add_parser("show", help="the rails config and the per-day counters")
    _root_arg(q)
    q.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    q.set_defaults(func=cmd_policy_show)
    q = psub.add_parser("reset", help="clear rail counters: every day's (default), today's, the peak, the streak")
    _root_arg(q)
    q.add_argument("--today", action="store_true", help="clear only today's (UTC) day bucket")
    q.add_argument("--peak", action="store_true", help="reset the peak (max_drawdown_pct) to the balance now")
    q.add_argument("--streak", action="store_true", help="clear the loss streak and lift its block")
    q.add_argument("--reason", default="", help="why, for the journal")
    q.set_defaults(func=cmd_policy_reset)

    # The harness defines its own options; they are parsed by its own parser (see cmd_harness), so
    # that the other commands never import it.
    p = sub.add_parser("harness", help="the backtest harness (see `tc1 harness --help`)", add_help=False)
    _root_arg(p)
    p.set_defaults(func=cmd_harness)
    p = sub.add_parser("sweep", help="many configs over one trades CSV, on local cores or Dask "
                                     "(see `tc1 sweep --help`)", add_help=False)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("parity", help="replay runtime/journal.jsonl through the engine and compare it to the "
                                      "bit, or line up a backtest CSV with the live trades (see `tc1 parity --help`)",
                       add_help=False)
    _root_arg(p)
    p.set_defaults(func=cmd_parity)

    p = sub.add_parser("journal", help="the journal's tools: `tc1 journal export` writes the live trades as a "
                                       "harness input", add_help=False)
    _root_arg(p)
    p.set_defaults(func=cmd_journal)

    p = sub.add_parser("smoke", help="end-to-end live check in a temporary root, with a restart")
    _root_arg(p)
    p.add_argument("--keep", action="store_true", help="keep the temporary root and print its path")
    p.add_argument("--resume-in", metavar="DIR", help=argparse.SUPPRESS)  # the restarted process
    p.set_defaults(func=cmd_smoke)

    p = sub.add_parser("demo", help="a simulated bot trading through the live API into runtime/")
    _root_arg(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--interval", type=float, default=0.5, metavar="S", help="seconds between ticks (default 0.5)")
    p.add_argument("--count", type=int, default=None, metavar="N", help="stop after N ticks (default: run until Ctrl-C)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("state", help="runtime state tools")
    _root_arg(p)
    ssub = p.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    q = ssub.add_parser("rebuild", help="rebuild runtime/ state files from the journal")
    _root_arg(q)
    q.set_defaults(func=cmd_state_rebuild)
    q = ssub.add_parser("adopt", help="keep state files edited by hand, journaled as an adjustment")
    _root_arg(q)
    q.add_argument("--reason", default="", help="why, for the journal")
    q.set_defaults(func=cmd_state_adopt)

    add_operator_commands(sub, _root_arg)
    add_config_commands(sub, _root_arg)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C exits 130 from every command, even one started with SIGINT ignored (a background
        # job of a script inherits that, and Python then raises no KeyboardInterrupt at all).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command not in BACKTEST_COMMANDS:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.extra = extra
        args.root = getattr(args, "root", None)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tc1 dashboard | head`: the reader left; say nothing, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (Tc1Error, OSError) as exc:
        _fail(str(exc) or exc.__class__.__name__)
        return 2


def _fail(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr, flush=True)


def warn_config(problem: str | None, doing: str = "showing the state") -> None:
    """A read-only command shown with the config the journal last recorded, the files being bad
    (store.read_state): one line on stderr naming the file and what is wrong, stdout untouched."""
    if problem:
        print(f"{PROG}: warning: {' '.join(clean(problem, 400).split())} ({doing} with the config "
              f"the journal last recorded; `{PROG} config check` for more)", file=sys.stderr, flush=True)


# --- console ----------------------------------------------------------------------------------------

def cmd_console(args: argparse.Namespace) -> int:
    try:
        from .console.app import run_console
    except ImportError as exc:
        _fail(f"the console is not available ({exc})")
        return 2
    root = store.resolve_root(args.root)
    cfg.check_root(root)  # a mistyped root is one line here, not a full screen of "no data yet"
    return int(run_console(root, demo=args.demo) or 0)


# --- init -------------------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    from .engine.root import init_root

    written = init_root(args.dir)
    root = written[-1].parent
    there = shlex.quote(str(root))
    print(f"tc1 init: a new root in {root}")
    for path in written:
        name = f"{path.relative_to(root)}{'/' if path.is_dir() else ''}"
        print(f"  {name:<28}{'empty: the state goes here' if path.is_dir() else 'the defaults: read them, edit them'}")
    print("next:")
    for command, what in ((f"tc1 console --root {there}", "the live console (e edits the caps)"),
                          (f"export TC1_ROOT={there}", "so tc1 and the bot's init_risk() use it without --root"),
                          (f"tc1 dashboard --root {there}", "a one-shot view, for scripts and ssh")):
        print(f"  {command:<{max(40, len(command) + 2)}}{what}")
    return 0


# --- dashboard --------------------------------------------------------------------------------------

class _Style:
    """ANSI colours on a terminal (and not under NO_COLOR); plain text in a pipe."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def signed(self, value: float) -> str:
        text = f"{value:+,.2f}"
        return self(text, "32" if value > 0 else "31") if value else text


def _style() -> _Style:
    return _Style(sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"




def _utc(ms: int, today: str | None = None) -> str:
    t = time.gmtime(ms / 1000)
    if today is not None and time.strftime("%Y-%m-%d", t) == today:
        return time.strftime("%H:%M:%S", t)
    return time.strftime("%Y-%m-%d %H:%M:%S", t)


def snapshot(root: str | os.PathLike[str] | None, now_ms: int | None = None) -> dict[str, Any]:
    """Everything `tc1 dashboard` shows, as one JSON-able dict (read-only: no lock, no writes)."""
    root_path = store.resolve_root(root)
    overlay, policy, loaded = store.read_state(root_path)
    now_ms = clock_ms() if now_ms is None else now_ms
    view = account_view(overlay, policy, loaded.engine, now_ms, equity_tail=8)
    events = store.tail_events(root_path, EVENTS_SHOWN)
    marks = mark_book(loaded.engine.positions.values(), loaded.engine.balance, read_marks(root_path)).as_dict(now_ms)
    marked = marks.pop("positions")
    for row in view["positions"]["rows"]:  # each position at its mark (None: not marked)
        row.update(marked.get(row["trade_id"]) or dict.fromkeys(("mark", "mark_ts_ms", "unrealized", "r_now",
                                                                  "to_stop_pct")))
    daily = read_daily(root_path, view["today"], DASHBOARD_DAYS, buckets=loaded.engine.days_state(),
                       balance_now=loaded.engine.balance)
    return {
        "root": str(root_path), "seq": loaded.seq,
        "fresh": bool(loaded.needs_adopt), "note": loaded.needs_adopt or None,
        "config_problem": loaded.config_problem or None,
        **view,
        "marks": marks,
        "daily": [r.as_dict() for r in daily],
        "events": [{"seq": e.get("seq"), "at_ms": e.get("at_ms"), "type": clean(e.get("type"), 20),
                    "trade_id": clean(e.get("trade_id"), 80) if e.get("trade_id") is not None else None,
                    "text": describe_event(e, overlay, view["today"]).text}
                   for e in events],
    }


def render_dashboard(s: dict[str, Any], style: _Style) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"tc1 dashboard  {clean(s['root'])}  {_utc(s['now_ms'])} UTC  journal seq {s['seq']}")
    if s["fresh"]:
        note = s["note"] or ""
        add("  (no state yet: the first call of a bot starts from initial_balance)" if note.startswith("fresh")
            else f"  (state not journaled yet: {clean(note)}; the next call adopts it)")
    add("")
    b = s["balance"]
    pct = f" ({b['trading_pnl_pct']:+.2f}%)" if b["trading_pnl_pct"] is not None else ""
    flows = f"   net cash flows {style.signed(b['net_flows'])}" if b["net_flows"] else ""
    add(f"Balance      {_money(b['balance']):>14}   today {style.signed(b['change_today'])}   "
        f"trading since start {style.signed(b['trading_pnl'])}{pct}{flows}")
    r = s["open_risk"]
    cap = f" / {_money(r['cap'])} cap" if r["cap"] is not None else " (no cap)"
    of_bal = f"  ({r['pct_of_balance']:.2f}% of balance)" if r["pct_of_balance"] is not None else ""
    add(f"Open risk    {_money(r['total']):>14}{cap}{of_bal}")
    if s.get("marks"):
        lines.extend(reports.marks_lines(s["marks"], style.signed))
    p = s["positions"]
    limit = f" / {p['max']} max" if p["max"] is not None else " (no limit)"
    add(f"Positions    {p['count']:>14}{limit}")
    if p["rows"]:
        add("")
        lines.extend("  " + line for line in positions_table(p["rows"]))
    e = s["equity"]
    add("")
    if e["recent"]:
        pts = "  ".join(_money(pt[1]) + ("*" if len(pt) > 2 else "") for pt in e["recent"])
        add(f"Equity       last {len(e['recent'])} of {e['points']}: {pts}")
        marks = "   (* a cash flow)" if any(len(pt) > 2 for pt in e["recent"]) else ""
        add(f"             range {_money(e['min'])} .. {_money(e['max'])}{marks}")
    else:
        add("Equity       no closed trades yet")
    rails = s["rails"]
    add("")
    word = rails["status_word"]
    status = style(word, "1;32" if word == "ACTIVE" else "1;31")
    add(f"Status       {status}")
    for block in rails["blocks"]:
        add(f"  {style('x', '31')} {block['label']}: {clean(block['detail'], 300)}")
    add("")
    add("Rails")
    for c in rails["checks"]:
        mark = style("BLOCKED", "31") if c["blocked"] else ("ok" if c["configured"] else "-")
        text = c["text"] if c["configured"] else f"{c['text']} set"
        add(f"  {c['label']:<20} {text:<40} {mark}")
    t = s["today_counters"]
    add("")
    add(f"Today        {t['day']} UTC: {t['entries']} entries, realized pnl {style.signed(t['pnl'])}")
    if s.get("daily"):
        add("")
        add(f"Daily        the last {len(s['daily'])} UTC day{'s' if len(s['daily']) != 1 else ''} (tc1 daily for more)")
        lines.extend("  " + line for line in _table(reports.DAILY_HEAD, reports.daily_rows(s["daily"]),
                                                    right=reports.DAILY_RIGHT))
    h = s["headroom"]
    add("")
    add("Headroom")
    for item in h["items"]:
        add(f"  {clean(item['label'], 40):<30}{clean(item['text'], 40):>14}")
    add(f"  {'UTC rollover in':<30}{format_duration(h['ms_to_rollover']):>14}")
    add("")
    if s["events"]:
        add(f"Recent events (last {len(s['events'])})")
        for ev in s["events"]:
            when = _utc(ev["at_ms"], s["today"]) if isinstance(ev.get("at_ms"), int) else "?"
            add(f"  {when}  {ev['text']}")
    else:
        add("Recent events: none (runtime/journal.jsonl is empty or missing)")
    return "\n".join(lines)


def positions_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Open positions as aligned text lines (the dashboard and `tc1 positions`): each at its mark
    when the bot marks prices (mark, unrealized PnL, R now, distance to the stop)."""
    head = ("trade", "symbol", "side", "qty", "entry", "mark", "unrl", "R now", "stop", "to stop", "risk $",
            "risk %", "age")
    cells = []
    for x in rows:
        mark, unrl, r_now, to_stop = reports.mark_cells(x if x.get("mark") is not None else None)
        cells.append((clean(x["trade_id"], 40), clean(x["symbol"], 20), x["side"], f"{x['qty']:g}",
                      _money(x["entry_price"]), mark, unrl, r_now, _money(x["stop_price"]), to_stop,
                      _money(x["risk_amount"]), "-" if x["risk_pct"] is None else f"{x['risk_pct']:.2f}%",
                      format_duration(x["age_ms"])))
    return _table(head, cells, right=tuple(range(3, 13)))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(str(v).rjust(w) if i in right else str(v).ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()
    return [fmt(head), *(fmt(r) for r in rows)]


def _print_json(doc: Any) -> None:
    print(json.dumps(store.jsonable(doc), indent=2))


def cmd_dashboard(args: argparse.Namespace) -> int:
    s = snapshot(args.root)
    warn_config(s["config_problem"])
    if args.json:
        _print_json(s)
    else:
        print(render_dashboard(s, _style()))
    return 0


# --- daily ------------------------------------------------------------------------------------------

def cmd_daily(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise InputError("--days must be 1 or more")
    until = args.until or day_key(clock_ms())
    try:
        day_index(until)
    except ValueError:
        raise InputError(f"--until must be a date YYYY-MM-DD, got {until!r}") from None
    rows = [r.as_dict() for r in load_daily(args.root, until, args.days, config_problem=warn_config)]
    if args.json:
        _print_json({"until": until, "days": rows})
        return 0
    closes = sum(r["closes"] or 0 for r in rows)
    pnl = sum(r["pnl"] or 0.0 for r in rows)
    print(f"PnL by UTC day, newest first, up to {until} (a trade counts on the day it closed; "
          f"rail hits are entries a safety rail refused)")
    for line in _table(reports.DAILY_HEAD, reports.daily_rows(rows), right=reports.DAILY_RIGHT):
        print("  " + line)
    print(f"{len(rows)} day{'s' if len(rows) != 1 else ''}: {closes} closed, pnl {pnl:+,.2f}")
    return 0


# --- policy -----------------------------------------------------------------------------------------

def cmd_policy_show(args: argparse.Namespace) -> int:
    root = store.resolve_root(args.root)
    overlay, policy, loaded = store.read_state(root)
    warn_config(loaded.config_problem)
    engine = loaded.engine
    now = clock_ms()
    today = day_key(now)
    view = account_view(overlay, policy, engine, now)
    days = engine.days_state()
    values = {f.key: getattr(policy, f.key) for rail in RAILS for f in rail.fields}
    state = {**engine.rail_state.to_record(), "paused": engine.paused}
    path = None
    try:
        path = cfg.find_config(root, "policy")
    except Tc1Error:
        pass
    if args.json:
        _print_json({"file": str(path) if path else None, "config_problem": loaded.config_problem or None,
                     "policy": values, "status": view["rails"]["status"], "rails": view["rails"]["checks"],
                     "state": state, "balance": view["balance"], "today": today,
                     "days": dict(sorted(days.items(), reverse=True))})
        return 0
    print(f"Safety rails  {path or '(no readable policy file)'}")
    for rail in RAILS:
        for f in rail.fields:
            value = values[f.key]
            print(f"  {f.key:<31}{value_text(value) if value is not None else 'unset (no limit)':>18}   {f.comment}")
    print()
    b = view["balance"]
    print(f"Status  {view['rails']['status']}   balance {_money(b['balance'])}, trading PnL since start "
          f"{b['trading_pnl']:+,.2f}, net cash flows {b['net_flows']:+,.2f}")
    for c in view["rails"]["checks"]:
        if c["configured"]:
            print(f"  {c['label']:<20} {c['text']:<34} {'BLOCKED' if c['blocked'] else 'ok'}")
    peak = state["peak"]
    print(f"  peak {_money(peak) if peak is not None else 'not set yet'}, losses in a row {state['streak']}"
          + (f", streak block until {_utc(state['streak_until'])} UTC" if state["streak_until"] else "")
          + (f", paused by {clean(state['paused'].get('by'))}" if state["paused"] else ""))
    print()
    if not days:
        print(f"Day counters (UTC): none (today is {today})")
        return 0
    print(f"Day counters (UTC), newest first; today is {today}")
    rows = []
    for key, bucket in sorted(days.items(), reverse=True):
        loss = -bucket["pnl"] if bucket["pnl"] < 0 else 0.0
        rows.append((key, str(bucket["entries"]), f"{bucket['pnl']:+,.2f}", _money(loss),
                     "<- today" if key == today else ""))
    for line in _table(("day", "entries", "pnl", "loss", ""), rows, right=(1, 2, 3)):
        print("  " + line)
    return 0


def cmd_policy_reset(args: argparse.Namespace) -> int:
    from .engine.live import LiveRisk

    today = day_key(clock_ms())
    only_state = (args.peak or args.streak) and not args.today
    days: str | None = "today" if args.today else (None if only_state else "all")
    cleared = LiveRisk(args.root, check=False).reset(days, peak=args.peak, streak=args.streak, today_key=today,
                                                     by="cli", reason=args.reason)
    print_cleared(cleared, days, today)
    return 0


# --- harness ----------------------------------------------------------------------------------------

def _backtest(module: str = "cli") -> Any:
    """tc1console.backtest.<module>, or None (said on stderr) in a build without the backtest."""
    try:
        return importlib.import_module(f"{__package__}.backtest.{module}")
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith(f"{__package__}.backtest"):
            raise
        _fail("the backtest (tc1console.backtest) is not installed in this build")
        return None


def _sub_args(args: argparse.Namespace, prog: str, description: str, add: Any) -> argparse.Namespace:
    """The extra arguments of a backtest command, parsed by its own parser (`add` its flags)."""
    hp = _Parser(prog=f"{PROG} {prog}", description=description)
    add(hp)
    _root_arg(hp)
    hargs = hp.parse_args(args.extra)
    if getattr(hargs, "root", None) is None:
        hargs.root = args.root
    return hargs


def cmd_harness(args: argparse.Namespace) -> int:
    bc = _backtest()
    if bc is None:
        return 2
    hargs = _sub_args(args, "harness", "Replay a trades CSV through the risk engine.", bc.add_arguments)
    return int(bc.main_from_args(hargs) or 0)


def cmd_sweep(args: argparse.Namespace) -> int:
    sc = _backtest("sweep_cli")
    if sc is None:
        return 2
    sargs = _sub_args(args, "sweep", "Replay one trades CSV under a grid of configs (parsed once; local "
                      "processes or a Dask cluster).", sc.add_arguments)
    return int(sc.main_from_args(sargs) or 0)


def cmd_parity(args: argparse.Namespace) -> int:
    bc = _backtest()
    if bc is None:
        return 2
    pargs = _sub_args(args, "parity", "Replay runtime/journal.jsonl through the engine from its start and compare "
                      "every decision and the final state to the bit (exit 0: no difference, 1: a difference). "
                      "With --trades_csv: line up a backtest input with the live trades.", bc.add_parity_arguments)
    return int(bc.parity_main(pargs))


def cmd_journal(args: argparse.Namespace) -> int:
    bc = _backtest()
    if bc is None:
        return 2
    hp = _Parser(prog=f"{PROG} journal", description="The journal's tools.")
    _root_arg(hp)
    jsub = hp.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    q = jsub.add_parser("export", help="the live trade set as a harness input CSV (plus trade_id); "
                                       "open trades with a blank exit")
    _root_arg(q)
    bc.add_export_arguments(q)
    jargs = hp.parse_args(args.extra)
    if getattr(jargs, "root", None) is None:
        jargs.root = args.root
    return int(bc.export_main(jargs))


# --- smoke ------------------------------------------------------------------------------------------

_T1 = dict(trade_id="smoke-1", symbol="BTCUSDT", is_long=True, entry_price=50_000.0, stop_price=49_500.0)
_T2 = dict(trade_id="smoke-2", symbol="ETHUSDT", is_long=False, entry_price=3_000.0, stop_price=3_030.0)


def _smoke_resume(root: Path) -> int:
    """The restarted process: resume from runtime/, retry an open, close, close a closed trade again."""
    from .engine.live import LiveRisk

    live = LiveRisk(root)
    with live.store.transaction() as tx:
        resumed = {"balance": tx.engine.balance, "open": sorted(tx.engine.positions),
                   "seq": tx.loaded.seq, "open_risk": tx.engine.total_open_risk}
    t2 = {**_T2, "entry_ts_ms": int(os.environ["TC1_SMOKE_T2_TS"])}
    retry = live.try_open(**t2)
    with live.store.transaction() as tx:
        seq_after_retry = tx.loaded.seq
    now = max(clock_ms(), t2["entry_ts_ms"])
    close2 = live.close(trade_id=_T2["trade_id"], exit_ts_ms=now, exit_price=2_985.0)
    again1 = live.close(trade_id=_T1["trade_id"], exit_ts_ms=now, exit_price=1.0)
    with live.store.transaction() as tx:
        final = {"balance": tx.engine.balance, "seq": tx.loaded.seq}
    print(json.dumps({"pid": os.getpid(), "resumed": resumed, "retry": retry, "seq_after_retry": seq_after_retry,
                      "close2": close2, "again1": again1, "final": final}), flush=True)
    return 0


def cmd_smoke(args: argparse.Namespace) -> int:
    if args.resume_in:
        return _smoke_resume(Path(args.resume_in))
    from .engine.live import LiveRisk

    tmp = Path(tempfile.mkdtemp(prefix="tc1-smoke-"))
    checks: list[bool] = []

    def step(name: str, ok: bool, text: str) -> None:
        checks.append(bool(ok))
        print(f"  {'ok  ' if ok else 'FAIL'} {name:<10} {text}", flush=True)

    try:
        (tmp / "configs").mkdir()
        for kind, stem in cfg.STEMS.items():
            (tmp / "configs" / f"{stem}.toml").write_text(cfg.default_text(kind), encoding="utf-8")
        print(f"tc1 smoke: temporary root {tmp} (shipped default configs)", flush=True)
        _smoke_user_configs(store.resolve_root(args.root), step)

        live = LiveRisk(tmp)
        start = live.store.configs().overlay.initial_balance
        with live.store.transaction() as tx:
            bal0 = tx.engine.balance
        step("start", bal0 == start, f"fresh state, balance {bal0:,.2f} (initial_balance {start:,.2f})")

        now = clock_ms()
        a1 = live.try_open(**_T1, entry_ts_ms=now)
        step("open", a1["skipped_reason"] is None and a1["qty"] > 0 and a1["risk_amount"] <= a1["budget"] + 1e-9,
             f"{_T1['trade_id']} BTCUSDT long {a1['qty']:g} @ 50,000.00 stop 49,500.00: risk "
             f"{a1['risk_amount']:,.2f} of budget {a1['budget']:,.2f} ({a1['skipped_reason'] or 'taken'})")
        c1 = live.close(trade_id=_T1["trade_id"], exit_ts_ms=now + 1, exit_price=50_600.0)
        step("close", abs(c1["balance_after"] - (bal0 + c1["pnl_after_fees"])) < 1e-9 and c1["pnl_after_fees"] > 0,
             f"{_T1['trade_id']} @ 50,600.00: pnl {c1['pnl_after_fees']:+,.2f} after fees {c1['fees']:,.2f} "
             f"({c1['R_multiple']:+.2f}R), balance {c1['balance_after']:,.2f}")
        t2_ts = clock_ms()
        a2 = live.try_open(**_T2, entry_ts_ms=t2_ts)
        step("open", a2["skipped_reason"] is None and a2["qty"] > 0,
             f"{_T2['trade_id']} ETHUSDT short {a2['qty']:g} @ 3,000.00 stop 3,030.00: risk "
             f"{a2['risk_amount']:,.2f}, left open across the restart")
        with live.store.transaction() as tx:
            before = {"balance": tx.engine.balance, "seq": tx.loaded.seq, "open_risk": tx.engine.total_open_risk}

        env = {**os.environ, "TC1_SMOKE_T2_TS": str(t2_ts)}
        proc = subprocess.run([sys.executable, "-m", "tc1console", "smoke", "--resume-in", str(tmp)],
                              capture_output=True, text=True, env=env, timeout=120)
        if proc.returncode != 0 or not proc.stdout.strip():
            err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            step("restart", False, f"the new process failed (exit {proc.returncode}): {err}")
            return 1
        child = json.loads(proc.stdout.strip().splitlines()[-1])
        r = child["resumed"]
        step("restart", r["balance"] == before["balance"] and r["open"] == [_T2["trade_id"]]
             and r["seq"] == before["seq"] and r["open_risk"] == before["open_risk"],
             f"new process {child['pid']} resumed: balance {r['balance']:,.2f}, open {r['open']}, "
             f"open risk {r['open_risk']:,.2f}, journal seq {r['seq']}")
        retry = child["retry"]
        step("retry", retry["replayed"] and _same(retry, a2) and child["seq_after_retry"] == r["seq"],
             f"open {_T2['trade_id']} again with the same arguments: the same allocation (qty {retry['qty']:g}), "
             f"replayed, nothing journaled")
        c2 = child["close2"]
        step("resume", abs(c2["balance_after"] - (r["balance"] + c2["pnl_after_fees"])) < 1e-9,
             f"close {_T2['trade_id']} @ 2,985.00 in the new process: pnl {c2['pnl_after_fees']:+,.2f} "
             f"({c2['R_multiple']:+.2f}R), balance {c2['balance_after']:,.2f}")
        again = child["again1"]
        step("duplicate", again["replayed"] and _same(again, c1) and child["final"]["balance"] == c2["balance_after"],
             f"close {_T1['trade_id']} a second time: the recorded result again (pnl "
             f"{again['pnl_after_fees']:+,.2f}), balance unchanged at {child['final']['balance']:,.2f}")

        overlay, policy, loaded = store.read_state(tmp)
        replayed = store.replay_journal(tmp / "runtime" / store.JOURNAL_FILE, overlay, policy)
        e, f = loaded.engine, replayed.engine
        same = (e.balance == f.balance and e.book_state() == f.book_state() and e.days_state() == f.days_state()
                and loaded.seq == replayed.seq)
        expected = start + c1["pnl_after_fees"] + c2["pnl_after_fees"]
        step("journal", same and abs(e.balance - expected) < 1e-9 and not e.positions,
             f"state files equal a replay of the journal (seq {loaded.seq}); balance {e.balance:,.2f} = "
             f"{start:,.2f} {c1['pnl_after_fees']:+,.2f} {c2['pnl_after_fees']:+,.2f}")
        today = e.today(now)
        step("rails", today.entries == 2 and abs(today.pnl - (c1["pnl_after_fees"] + c2["pnl_after_fees"])) < 1e-9,
             f"today's counters: {today.entries} entries, pnl {today.pnl:+,.2f}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            _remove_tree(tmp)
    passed = sum(checks)
    if passed == len(checks):
        print(f"smoke: all {passed} checks passed")
        return 0
    print(f"smoke: {len(checks) - passed} of {len(checks)} checks FAILED")
    return 1


def _smoke_user_configs(root: Path, step: Any) -> None:
    """The user's own configs, loaded as the engine would (`tc1 config check`): the live part of
    smoke runs on the shipped defaults, so a bad edit of the real files would pass it unseen."""
    from .cli_config import check_configs

    if not (root / "configs").is_dir():
        print(f"  --   configs    no configs/ in {root}: only the shipped defaults were used "
              f"(--root DIR checks yours)", flush=True)
        return
    report = check_configs(root)
    if not report.ok:
        step("configs", False, f"your configs do not load: {report.errors[0]}")
        return
    files = " and ".join(str(p) for p in report.paths.values())
    n = len(report.advice)
    step("configs", True, f"your configs load: {files}" + (
        f" ({n} warning{'s' if n != 1 else ''}: see `tc1 config check`)" if n else " (no warnings)"))


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two answers of the live API agree apart from `replayed` (a retry's answer says it is one)."""
    return {k: v for k, v in a.items() if k != "replayed"} == {k: v for k, v in b.items() if k != "replayed"}


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# --- demo -------------------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    if args.count is not None and args.count < 0:
        raise _usage("--count must be >= 0")
    if not args.interval >= 0:
        raise _usage("--interval must be >= 0")
    stats = run_demo(store.resolve_root(args.root), seed=args.seed, interval_s=args.interval, count=args.count,
                     echo=lambda line: print(line, flush=True))
    return 130 if stats["interrupted"] else 0  # Ctrl-C: the shell's convention, as for every command


def _usage(message: str) -> Tc1Error:
    from .engine.errors import InputError

    return InputError(message)


# --- state ------------------------------------------------------------------------------------------

def cmd_state_rebuild(args: argparse.Namespace) -> int:
    result = store.Store(args.root).rebuild()
    warn_config(result["config_problem"], "rebuilt")
    diffs = result["differences"]
    if diffs:
        print(f"rebuilt from the journal; {len(diffs)} difference{'s' if len(diffs) != 1 else ''} with the files on disk:")
        for d in diffs:
            print(f"  {d}")
    else:
        print("rebuilt from the journal: no differences with the files on disk")
    print(f"balance {result['balance']:,.2f}, {result['open_positions']} open positions, journal seq {result['seq']}")
    return 0


def cmd_state_adopt(args: argparse.Namespace) -> int:
    result = store.Store(args.root).adopt(by="cli", reason=args.reason, ts_ms=clock_ms())
    if not result["differences"]:
        print("the state files agree with the journal: nothing to adopt")
        return 0
    print(f"adopted the state files as they are ({len(result['differences'])} difference"
          f"{'s' if len(result['differences']) != 1 else ''} from the journal's account, journaled as seq "
          f"{result['seq']}):")
    for d in result["differences"]:
        print(f"  {d}")
    if result["adjustment"]:
        print(f"the balance difference {result['adjustment']:+,.2f} is booked as a cash flow, not trading PnL")
    return 0


__all__ = ["main", "build_parser", "snapshot", "render_dashboard"]
