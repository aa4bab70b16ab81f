"""`tc1 parity`: the live journal decided again by this engine, entry by entry, compared to the bit.

    report = check_journal(root)       # a ParityReport; report.divergence is None when all agree
    print(format_report(report))

From the journal's first entry (the `adopt` that every journal starts with: the state it started
from), each entry goes through a fresh RiskEngine in journal order. An entry the engine decided
live (open, skip, close, cancel, fill, flow, pause, resume, reset) is decided again by the very
engine call the live API made (`events.Kind.redo`) and its recorded fields are compared with the
call's answer now; an input (a config in force, a new base) is replayed as recorded
(`events.apply`). Then the final state is compared with runtime/'s state files. Numbers are
compared by their bits: JSON holds a float's shortest repr, which reads back as the same float.
The first difference stops the check (every later decision depends on it) and is reported with its
seq, field, both values and its likely cause.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from .. import __version__
from ..engine import config as cfg
from ..engine import sizing, store
from ..engine.core import MAX_TS_MS, RiskEngine
from ..engine.errors import InputError, Tc1Error
from ..engine.events import KINDS, apply, clean, recorded_config
from ..engine.live import FUTURE_MS

_MISSING = object()  # a field one side has and the other lacks
DECIDED = tuple(name for name, kind in KINDS.items() if kind.redo is not None)
INPUTS = tuple(name for name, kind in KINDS.items() if kind.redo is None)


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first place the replay and the journal disagree. `seq` 0 and `line` 0: the final state."""

    seq: int
    line: int
    what: str  # the entry in words ("close of trade r1-3"), or "final state"
    field: str  # a dotted path into the entry ("result.pnl_after_fees") or the state ("book.balance")
    journaled: Any
    replayed: Any
    cause: str


@dataclass(frozen=True, slots=True)
class ParityReport:
    journal: Path
    first_seq: int | None
    last_seq: int | None
    counts: dict[str, int]  # entries replayed, by kind (up to the divergence)
    state: str  # what the final state was compared with, or why it was not
    divergence: Divergence | None = None
    not_compared: int = 0  # entries after the divergence
    entries: int = field(default=0)

    @property
    def ok(self) -> bool:
        return self.divergence is None


# --- reading the journal ----------------------------------------------------------------------------

def journal_entries(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, entry) for each committed journal line. A last line without its newline was
    never committed (store.py) and is left out. A line that is not a journal entry is the
    InputError naming it: the journal is the audit trail, nothing can be checked past it."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; `tc1 parity` checks a root's runtime/journal.jsonl "
                         f"(give the root with --root)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        for lineno, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                return
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise InputError(f"{path}: line {lineno} is not JSON ({str(exc)[:80]})") from None
            seq = entry.get("seq") if isinstance(entry, dict) else None
            if type(seq) is not int or entry.get("type") not in KINDS:
                raise InputError(f"{path}: line {lineno} is not a journal entry (a whole-number seq and a "
                                 f"type among {', '.join(KINDS)})")
            yield lineno, entry


def _first_configs(path: Path) -> tuple[cfg.OverlayConfig, cfg.PolicyConfig]:
    """The first overlay and policy the journal records: what its first entries were decided under."""
    found: dict[str, Any] = {}
    for lineno, e in journal_entries(path):
        try:
            if e["type"] == "adopt" and all(k in (e["book"].get("config") or {}) for k in cfg.STEMS):
                for kind in cfg.STEMS:
                    found.setdefault(kind, recorded_config(kind, e["book"]["config"][kind]))
            elif e["type"] == "config":
                found.setdefault(e["kind"], recorded_config(e["kind"], e))
        except (KeyError, TypeError, AttributeError, Tc1Error) as exc:
            raise InputError(f"{path}: line {lineno} (seq {e['seq']}): an unusable {e['type']} entry "
                             f"({_one_line(exc)})") from None
        if len(found) == len(cfg.STEMS):
            return found["overlay"], found["policy"]
    raise InputError(f"{path}: records no overlay and policy config: nothing to decide its entries under")


# --- comparing --------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """`value` as the journal would hold it (tuples as lists, keys as strings)."""
    return json.loads(json.dumps(value))


def _same(a: Any, b: Any) -> bool:
    """Equal to the bit: numbers by value and sign (ints exactly, floats by their bits), the rest by ==."""
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
        if type(a) is int and type(b) is int:
            return a == b
        fa, fb = float(a), float(b)
        return fa == fb and math.copysign(1.0, fa) == math.copysign(1.0, fb)
    return type(a) is type(b) and a == b


def first_difference(journaled: Any, replayed: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first (path, journaled, replayed) where the two differ, in the journal's key order; None
    when they agree to the bit."""
    if isinstance(journaled, dict) and isinstance(replayed, dict):
        for key in [*journaled, *(k for k in replayed if k not in journaled)]:
            found = first_difference(journaled.get(key, _MISSING), replayed.get(key, _MISSING),
                                     f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if isinstance(journaled, list) and isinstance(replayed, list):
        for i, (j, r) in enumerate(zip(journaled, replayed)):
            found = first_difference(j, r, f"{path}[{i}]")
            if found:
                return found
        if len(journaled) != len(replayed):
            return f"{path} (length)", len(journaled), len(replayed)
        return None
    return None if _same(journaled, replayed) else (path, journaled, replayed)


def value_text(value: Any) -> str:
    """A compared value in full (a float's repr is its bits), cut to one readable line."""
    if value is _MISSING:
        return "(absent)"
    text = repr(value) if isinstance(value, float) else json.dumps(value, default=str)
    return clean(text, 160)


# --- the check --------------------------------------------------------------------------------------

class _Stop(Exception):
    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence


def _what(e: Mapping[str, Any]) -> str:
    kind = e.get("type")
    tid = e.get("trade_id")
    if tid is None:
        for key in ("position", "result"):
            if isinstance(e.get(key), Mapping) and "trade_id" in e[key]:
                tid = e[key]["trade_id"]
    return f"{kind} of trade {clean(tid, 60)}" if tid is not None else f"{kind}"


def _decide(engine: RiskEngine, e: Mapping[str, Any], lineno: int, path: Path) -> tuple[str, Any, Any] | None:
    """Decide entry `e` again with its kind's live call; the first difference from the entry."""
    kind = KINDS[e["type"]]
    at = e.get("at_ms")
    # The live API refuses an event stamped more than FUTURE_MS past its clock; the commit's stamp
    # is that clock (a few ms later), so the replay refuses what the live call did.
    engine.ts_limit = at + FUTURE_MS + 1 if type(at) is int else MAX_TS_MS
    try:
        replayed = _plain(kind.redo(engine, e))  # type: ignore[misc]
    except Tc1Error as exc:  # the engine refuses now what it booked then
        return "(the call)", "booked", f"refused: {_one_line(exc)}"
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(f"{path}: line {lineno} (seq {e['seq']}): a {e['type']} entry of the wrong shape "
                         f"({_one_line(exc)})") from None
    finally:
        engine.ts_limit = MAX_TS_MS
    for key, value in replayed.items():
        found = first_difference(e.get(key, _MISSING), value, key)
        if found:
            return found
    return None


def _replay(path: Path, counts: dict[str, int], until_seq: int | None = None) -> tuple[RiskEngine, int | None, int | None]:
    """Replay and decide again from the journal's start (up to, not including, `until_seq`).
    Returns the engine and the first and last seq replayed; raises _Stop at the first difference."""
    overlay, policy = _first_configs(path)
    engine = RiskEngine(overlay, policy)
    first = last = None
    for lineno, e in journal_entries(path):
        seq = e["seq"]
        if until_seq is not None and seq >= until_seq:
            break
        if first is None:
            if e["type"] != "adopt":
                raise InputError(f"{path}: line {lineno} (seq {seq}) is a {e['type']} entry; a journal starts "
                                 f"with the adopt entry that records the state it starts from")
            first = seq
        elif seq != last + 1:  # type: ignore[operator]
            raise _Stop(Divergence(seq, lineno, _what(e), "seq", last + 1, seq,  # type: ignore[operator]
                                   "journal lines removed, repeated or moved by hand (seq numbers are contiguous)"))
        counts[e["type"]] = counts.get(e["type"], 0) + 1
        if KINDS[e["type"]].redo is None:
            try:
                apply(engine, e, book=True, days=True)
            except (Tc1Error, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise InputError(f"{path}: line {lineno} (seq {seq}): an unusable {e['type']} entry "
                                 f"({_one_line(exc)})") from None
        else:
            found = _decide(engine, e, lineno, path)
            if found:
                raise _Stop(Divergence(seq, lineno, _what(e), *found, cause=""))
        last = seq
    return engine, first, last


def check_journal(root: str | os.PathLike[str] | None = None) -> ParityReport:
    """Replay `root`'s runtime/journal.jsonl through this engine and compare it to the bit (module doc).
    Raises InputError (a missing or unreadable journal, a line that is no journal entry)."""
    root_path = store.resolve_root(root)
    path = root_path / "runtime" / store.JOURNAL_FILE
    counts: dict[str, int] = {}
    try:
        engine, first, last = _replay(path, counts)
    except _Stop as stop:
        d = stop.divergence
        if not d.cause:
            d = Divergence(d.seq, d.line, d.what, d.field, d.journaled, d.replayed, _entry_cause(path, d))
        later = sum(1 for _ in _lines_after(path, d.line))
        return ParityReport(path, _first_seq(path), d.seq, counts, "not compared (the replay stopped at the "
                            "first difference)", d, later, sum(counts.values()))
    if first is None:
        raise InputError(f"{path}: holds no committed entry; nothing to check")
    state, divergence = _compare_state(root_path, engine, last)
    return ParityReport(path, first, last, counts, state, divergence, 0, sum(counts.values()))


def _first_seq(path: Path) -> int | None:
    for _lineno, e in journal_entries(path):
        return e["seq"]
    return None


def _lines_after(path: Path, line: int) -> Iterator[int]:
    for lineno, _e in journal_entries(path):
        if lineno > line:
            yield lineno


def _compare_state(root: Path, engine: RiskEngine, last_seq: int | None) -> tuple[str, Divergence | None]:
    """The replayed final state against the state files (with any journal tail they had not
    written yet applied, as every load does)."""
    runtime = root / "runtime"
    names = f"{store.STATE_FILE} and {store.POLICY_FILE}"
    if not (runtime / store.STATE_FILE).exists():
        return f"not compared: no {store.STATE_FILE} (a journal without its state files)", None
    try:
        loaded = store.load(root, engine.overlay, engine.policy, trust_edits=True)
    except Tc1Error as exc:  # the files cannot be read with this journal: that is a difference too
        return "cannot be read with this journal", Divergence(
            0, 0, "final state", "(loading the state files)", "the state files load with this journal",
            _one_line(exc), "a hand edit of the journal (the state files' journal positions no longer fall on "
                            "its lines) or of a state file")
    replayed = {"seq": last_seq, "book": _plain(engine.book_state()), "days": _plain(engine.days_state())}
    recorded = {"seq": loaded.seq, "book": _plain(loaded.engine.book_state()),
                "days": _plain(loaded.engine.days_state())}
    found = first_difference(recorded, replayed)
    if not found:
        return f"equal to {names} (seq {loaded.seq})", None
    edited = [name for name in (store.STATE_FILE, store.POLICY_FILE) if _sealed(runtime / name) is not True]
    if edited:
        cause = (f"a hand edit of runtime/{edited[0]} (it no longer carries the digest of its content that "
                 f"the store writes)")
    elif found[0] == "seq":
        cause = "state files from another journal (restored from a backup, or copied from another root)"
    else:
        cause = (f"state files written by a different engine version (this is tc1console {__version__}), "
                 f"or replaced with a copy whose digest was recomputed")
    return f"differs from {names}", Divergence(0, 0, "final state", found[0], found[1], found[2], cause)


def _sealed(path: Path) -> bool | None:
    try:
        return store.unsealed(path.read_bytes())[1]
    except OSError:
        return None


# --- likely causes ------------------------------------------------------------------------------------

def _own_numbers_disagree(e: Mapping[str, Any]) -> str:
    """Which of the entry's own numbers contradict each other (what the engine computes one from the
    others), "" when none: a sign that the line was edited by hand."""
    try:
        kind = e["type"]
        if kind in ("open", "fill"):
            p = e["position"]
            risk, notional = sizing.scaled(p["qty"], p["entry_price"], p["stop_price"], p["fee_bps"],
                                           p["fees_in_risk"])
            if not (_same(risk, p["risk_amount"]) and _same(notional, p["notional"])):
                return "its risk_amount and notional are not what its qty, entry_price and stop_price give"
        elif kind == "close":
            r = e["result"]
            gross = sizing.gross_pnl(r["is_long"], r["qty"], r["entry_price"], r["exit_price"])
            if not _same(gross, r["gross_pnl"]):
                return "its gross_pnl is not (exit_price - entry_price) * qty"
            if not _same(r["gross_pnl"] - r["fees"], r["pnl_after_fees"]):
                return "its pnl_after_fees is not gross_pnl - fees"
            if r["risk_amount"] and not _same(r["pnl_after_fees"] / r["risk_amount"], r["R_multiple"]):
                return "its R_multiple is not pnl_after_fees / risk_amount"
        elif kind == "flow":
            r = e["result"]
            if not _same(r["balance_before"] + r["amount"], r["balance_after"]):
                return "its balance_after is not balance_before + amount"
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return "some of its fields are missing or not numbers"
    return ""


def _entry_cause(path: Path, d: Divergence) -> str:
    """Why entry `d.seq` was most likely decided otherwise live. Costs a second replay up to it, only
    ever on this path."""
    entry = next(e for lineno, e in journal_entries(path) if lineno == d.line)
    own = _own_numbers_disagree(entry)
    if own:
        return f"a hand edit of this journal line: {own}"
    if d.field == "(the call)" or entry["type"] not in ("open", "skip"):
        return (f"a hand edit of this or an earlier journal line, or a different engine version (this is "
                f"tc1console {__version__})")
    # Decide it again under the configs on disk now: a match says the bot ran with them, unjournaled.
    try:
        root = path.parent.parent
        overlay = cfg.load_overlay(cfg.find_config(root, "overlay"))
        policy = cfg.load_policy(cfg.find_config(root, "policy"))
        engine, _first, _last = _replay(path, {}, until_seq=d.seq)
        engine.set_config(overlay, policy)
        on_disk = _decide(engine, entry, d.line, path)
    except (Tc1Error, _Stop, OSError):
        on_disk = ("", None, None)
    if on_disk is None:
        return ("a config change not journaled: the configs on disk now give the journaled value, the "
                "journal's own record of the config in force does not (a bot that ran with configs "
                "other than the journal's, e.g. one not restarted after an edit made while it was off)")
    return (f"a config change not journaled, or a different engine version (this is tc1console "
            f"{__version__}); a hand edit of an earlier config entry would do it too")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# --- in words -----------------------------------------------------------------------------------------

def format_report(r: ParityReport) -> str:
    """What `tc1 parity` prints: counts, then "0 differences" or the first divergence."""
    span = f"seq {r.first_seq}-{r.last_seq}" if r.first_seq is not None else "no entries"
    decided = ", ".join(f"{r.counts[k]:,} {k}" for k in DECIDED if r.counts.get(k)) or "none"
    inputs = ", ".join(f"{r.counts[k]:,} {k}" for k in INPUTS if r.counts.get(k)) or "none"
    lines = [f"journal        : {r.journal} ({span}, {r.entries:,} entries)",
             f"decided again  : {decided}",
             f"replayed as is : {inputs}",
             f"final state    : {r.state}"]
    d = r.divergence
    if d is None:
        lines.append("0 differences")
        return "\n".join(lines)
    where = "the final state" if d.seq == 0 else f"seq {d.seq} (journal line {d.line}, {d.what})"
    lines += [f"DIFFERENCE at {where}",
              f"  field        : {d.field}",
              f"  {'journaled   ' if d.seq else 'state files '} : {value_text(d.journaled)}",
              f"  replayed     : {value_text(d.replayed)}",
              f"  likely cause : {d.cause}"]
    if r.not_compared:
        lines.append(f"  not compared : {r.not_compared:,} later entr{'y' if r.not_compared == 1 else 'ies'} "
                     f"(each depends on this one)")
    return "\n".join(lines)
