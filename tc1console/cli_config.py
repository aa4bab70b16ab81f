"""`tc1 config check`: both configs loaded with the loader's own rules, their values in force with
what each key does, and the warnings of engine/advice.py for them at the account's balance.

Exit 0 when both files load (warnings or not), 1 when one does not: one line on stderr per bad
file, naming the file and the key (docs/engine.md section 1). `tc1 smoke` runs the same check.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .engine import advice as adv
from .engine import config as cfg
from .engine import store
from .engine.errors import ConfigError, Tc1Error
from .engine.events import clean
from .engine.numbers import money
from .engine.view import value_text

TAIL_EVENTS = 2_000  # journal entries read for the symbols the bot trades (besides its state)


@dataclass
class ConfigReport:
    """What `tc1 config check` found under a root."""

    root: Path
    paths: dict[str, Path] = field(default_factory=dict)
    raw: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)  # kind -> OverlayConfig / PolicyConfig
    errors: list[str] = field(default_factory=list)  # one line per file that does not load
    balance: float | None = None
    balance_from: str = ""  # where the balance came from, in words
    traded: set[str] = field(default_factory=set)
    advice: list[adv.Advice] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_configs(root: str | Path | None) -> ConfigReport:
    """Load both configs of `root` as the engine would, then read its state (without the lock) for
    the balance and the traded symbols the warnings need. Never raises a Tc1Error: a bad config is
    in `errors`, a bad state a note in `balance_from` (the balance falls back to initial_balance)."""
    report = ConfigReport(store.resolve_root(root))
    for kind in cfg.STEMS:
        try:
            path = cfg.find_config(report.root, kind)
            report.paths[kind] = path
            raw = cfg.read_raw(path)
            report.configs[kind] = cfg.validate(kind, raw, str(path))
            report.raw[kind] = raw
        except ConfigError as exc:
            line = " ".join(str(exc).split())
            if line not in report.errors:  # a missing root is one error, not one per file
                report.errors.append(line)
    if not report.ok:
        return report
    overlay, policy = report.configs["overlay"], report.configs["policy"]
    try:
        loaded = store.load(report.root, overlay, policy)
        events = store.tail_events(report.root, TAIL_EVENTS)
    except (Tc1Error, OSError) as exc:
        report.balance = overlay.initial_balance
        report.balance_from = f"initial_balance (the state cannot be read: {' '.join(str(exc).split())[:200]})"
    else:
        report.balance = loaded.engine.balance
        fresh = loaded.needs_adopt.startswith("fresh")
        report.balance_from = "initial_balance (no state yet)" if fresh else f"the state (journal seq {loaded.seq})"
        report.traded = adv.traded_symbols(loaded.engine.positions.values(),
                                            loaded.engine.recent_closes.values(), events)
    report.advice = adv.advise(overlay, policy, report.balance, report.traded)
    return report


def add_config_commands(sub: Any, root_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("config", help="the two config files: check them")
    root_arg(p)
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    q = csub.add_parser("check", help="load both configs, show the values in force, warn on risky ones "
                                      "(exit 1 when a file does not load)")
    root_arg(q)
    q.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    q.set_defaults(func=cmd_config_check)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value_text(value)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def cmd_config_check(args: argparse.Namespace) -> int:
    report = check_configs(args.root)
    if not report.ok:
        for line in report.errors:
            print(f"tc1: error: {line}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(store.jsonable({
            "root": str(report.root), "files": {k: str(p) for k, p in report.paths.items()},
            "values": {k: store.config_values(c) for k, c in report.configs.items()},
            "balance": report.balance, "balance_from": report.balance_from, "traded": sorted(report.traded),
            "warnings": [{"key": a.key, "text": a.text} for a in report.advice]}), indent=2))
        return 0
    print(f"tc1 config check  {clean(str(report.root), 200)}")
    for kind in cfg.STEMS:
        config, raw = report.configs[kind], report.raw[kind]
        print()
        print(f"{_rel(report.paths[kind], report.root)}  ({cfg.HEADERS[kind].split(': ', 1)[-1].rstrip('.')})")
        for f in cfg.FIELDS[kind]:
            value = getattr(config, f.key)
            text = _shown(value) + ("" if f.key in raw else " (default)" if value is not None else "")
            print(f"  {f.key:<31}{text:>20}   {f.comment}")
        if kind == "overlay":
            overrides = config.symbol_overrides
            print(f"  {cfg.OVERRIDES_KEY:<31}{f'{len(overrides)} symbol' + ('s' if len(overrides) != 1 else ''):>20}"
                  f"   {cfg.OVERRIDES_COMMENT}")
            for symbol in sorted(overrides):
                rules = config.rules_for(symbol)
                print(f"    {clean(symbol, 30):<29}qty_step {rules.qty_step:g}, min_qty {rules.min_qty:g}, "
                      f"min_notional {money(rules.min_notional)}, fee {rules.fee_bps:g} bps per side")
    print()
    traded = ", ".join(sorted(clean(s, 30) for s in report.traded)) or "none yet"
    print(f"Balance {money(report.balance)} from {report.balance_from}; symbols traded: {traded}")
    print()
    n = len(report.advice)
    if n:
        print(f"Warnings ({n}): allowed, but look twice")
        for line in adv.lines(report.advice):
            print(f"  ! {line}")
        print()
    print(f"config check: both files load; {n} warning{'s' if n != 1 else ''}")
    return 0
