"""The journal's event kinds, in one place: what each records, what it means in words, how it replays.

`runtime/journal.jsonl` holds one JSON object per line: `seq` (contiguous), `at_ms` (the wall clock
of the commit), `type` (one of `KINDS`) and the kind's own fields. The store writes them (live.py
and store.py build the records), `apply` replays them into an engine (a load, a rebuild, `tc1
parity`), and `describe` turns one into the line the console's Events panel, `tc1 dashboard` and the
trade history show. Tones are plain names ("gain", "loss", "warn", "muted", "") that a screen maps
to its colours; every piece of text from a file is cleaned of control characters (`clean`).
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from . import config as cfg
from .core import INVALID_INPUT, CancelResult, CloseResult, FlowResult, Position, _record
from .numbers import money, price_text, qty_text, signed_money
from .rails import utc_time

if TYPE_CHECKING:
    from .core import RiskEngine

LOSS, GAIN, MUTED, PLAIN, WARN = "loss", "gain", "muted", "", "warn"
Parts = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class EventLine:
    """One journal entry as a line: when, its kind, and (text, tone) pieces."""

    seq: int
    when: str  # UTC time (the date too when not today)
    kind: str
    parts: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _tone in self.parts)


@dataclass(frozen=True, slots=True)
class Kind:
    """One event kind: its name, what it means (for the docs and `tc1 journal`), how it replays
    (None: it changes no state) and how it reads."""

    name: str
    meaning: str
    apply: Callable[["RiskEngine", Mapping[str, Any], bool, bool], None] | None
    describe: Callable[[Mapping[str, Any], cfg.OverlayConfig], Parts]
    own_time: Callable[[Mapping[str, Any]], Any] = lambda e: None  # the event's own timestamp, if any
    # How the engine decides it again (`tc1 parity`): the live API's own engine call made with the
    # entry's arguments, answering with the entry's recorded fields as that call gives them now
    # (None: the entry is an input, such as a config or a new base, and is replayed by `apply`).
    redo: Callable[["RiskEngine", Mapping[str, Any]], dict[str, Any]] | None = None


# --- cleaning text from files -----------------------------------------------------------------------

def clean(value: Any, limit: int = 200) -> str:
    """`value` as text safe to show anywhere: control characters (an ESC from a trade id would drive
    the terminal) dropped, unpaired surrogates replaced, cut to `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
                       or ch == " ")
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- replay -------------------------------------------------------------------------------------

_configs: dict[str, Any] = {}  # validated configs by journal hash: a replay meets the same few again


def recorded_config(kind: cfg.Kind, entry: Mapping[str, Any]) -> Any:
    """The config a `config` entry (or an adopt's record) recorded, validated, cached by its hash."""
    key = f"{kind}:{entry.get('hash')}"
    found = _configs.get(key)
    if found is None:
        found = cfg.validate(kind, entry["values"], f"the {kind} config the journal recorded")
        if len(_configs) > 64:
            _configs.clear()
        _configs[key] = found
    return found


def _apply_open(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    rec = e["position"]
    engine.apply_open(Position.from_record(rec["trade_id"], rec), book=book, days=days)


def _apply_close(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    engine.apply_close(_record(CloseResult, e["result"], "result"), book=book, days=days)


def _apply_reset(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    peak = e.get("peak")
    engine.apply_reset(e["days"], peak=None if peak is None else float(peak), streak=bool(e.get("streak")),
                       book=book, days=days)


def _apply_config(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    config = recorded_config(e["kind"], e)
    if e["kind"] == "overlay":
        engine.set_recorded_config(config, None)
    else:
        engine.set_recorded_config(None, config)


def _apply_adopt(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    if book:
        engine.load_book(e["book"])
        record = e["book"].get("config") or {}
        if all(k in record for k in cfg.STEMS):
            engine.set_recorded_config(recorded_config("overlay", record["overlay"]),
                                       recorded_config("policy", record["policy"]))
    if days:
        engine.load_days(e["days"]["days"])


def _apply_flow(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    engine.apply_flow(_record(FlowResult, e["result"], "result"), book=book, days=days)


def _apply_cancel(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    engine.apply_cancel(_record(CancelResult, e["result"], "result"), book=book, days=days)


def _apply_fill(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    rec = e["position"]
    engine.apply_fill(Position.from_record(rec["trade_id"], rec), book=book, days=days)


def _apply_pause(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    engine.apply_pause(e["paused"], book=book, days=days)


def _apply_resume(engine: "RiskEngine", e: Mapping[str, Any], book: bool, days: bool) -> None:
    engine.apply_pause(None, book=book, days=days)


# --- deciding again (`tc1 parity`) -----------------------------------------------------------------
# Each makes the very engine call the live API made for the entry (live.py), with the arguments
# the entry records, and returns the entry's recorded fields as that call gives them now.

def _redo_open(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    p = e["position"]
    r = engine.try_open(p["trade_id"], p["symbol"], p["is_long"], p["entry_ts_ms"], p["entry_price"], p["stop_price"])
    if r.skipped_reason is not None:
        return {"position": f"skipped: {r.skipped_reason} ({r.detail})"}
    return {"position": engine.positions[r.trade_id].to_record()}


def _redo_skip(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    res = e["result"]
    r = engine.try_open(*(res[k] for k in ("trade_id", "symbol", "is_long", "entry_ts_ms", "entry_price",
                                          "stop_price")))
    if res["skipped_reason"] == INVALID_INPUT:
        # The journal holds a bad argument only as text (store.jsonable): the reason can be decided
        # again, its wording (which names the argument's type) cannot.
        return {"result": {**res, "skipped_reason": r.skipped_reason}}
    return {"result": r._asdict()}


def _redo_close(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    res = e["result"]
    return {"result": engine.close(res["trade_id"], res["exit_ts_ms"], res["exit_price"])._asdict()}


def _redo_cancel(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    res = e["result"]
    return {"result": engine.cancel(res["trade_id"], reason=res["reason"])._asdict()}


def _redo_fill(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    res = e["result"]
    result, position = engine.fill(res["trade_id"], res["qty"])
    return {"result": result._asdict(), "position": position.to_record()}


def _redo_flow(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    res = e["result"]
    return {"result": engine.adjust_balance(res["amount"], kind=res["kind"], reason=res["reason"],
                                            ts_ms=res["ts_ms"], flow_id=res["flow_id"])._asdict()}


def _redo_pause(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    p = e["paused"]
    engine.pause(by=p["by"], reason=p["reason"], ts_ms=p["ts_ms"])
    return {"paused": engine.paused}


def _redo_resume(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    return {"ended": engine.resume()}


def _redo_reset(engine: "RiskEngine", e: Mapping[str, Any]) -> dict[str, Any]:
    peak = e.get("peak") is not None
    cleared = engine.reset(e["days"], peak=peak, streak=bool(e.get("streak")))
    return {"cleared": cleared, "peak": engine.rail_state.peak if peak else None}


# --- in words -------------------------------------------------------------------------------------

def _side(is_long: Any) -> str:
    return "long " if is_long else "short"


def _num(value: Any, render: Callable[[float], str] = money) -> str:
    return render(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else clean(value, 30)


def _qty(overlay: cfg.OverlayConfig, symbol: Any, value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return clean(value, 30)
    try:
        return qty_text(float(value), overlay.rules_for(str(symbol)).qty_step)
    except (TypeError, ValueError, OverflowError):
        return f"{value:g}"


def cleared_lines(cleared: Mapping[str, Any], days: str | None, today: str) -> list[str]:
    """What a reset cleared (LiveRisk.reset's answer, a reset event's `cleared`), a line per part:
    `days` is what was asked ("today", "all", None for no days); the CLI prints these, the console
    shows them in its toast."""
    out = []
    buckets = cleared.get("days") or {}
    if days is not None:
        if buckets:
            parts = [f"{k} ({v['entries']} entr{'y' if v['entries'] == 1 else 'ies'}, {signed_money(v['pnl'])} pnl)"
                     for k, v in buckets.items()]
            out.append(f"cleared {len(buckets)} day bucket{'s' if len(buckets) != 1 else ''}: {', '.join(parts)}")
        else:
            out.append(f"nothing to clear: no counters for today ({today})" if days == "today"
                       else "nothing to clear: no day counters")
    if "peak" in cleared:
        old = cleared["peak"]["from"]
        out.append(f"peak reset: {money(old) if old is not None else 'not set'} -> {money(cleared['peak']['to'])}")
    if "streak" in cleared:
        s = cleared["streak"]
        block = f", block until {utc_time(s['until'])} lifted" if s.get("until") else ""
        out.append(f"loss streak reset: {s['count']} loss{'es' if s['count'] != 1 else ''} in a row cleared{block}")
    return out


def _by(e: Mapping[str, Any]) -> str:
    by, reason = e.get("by"), e.get("reason")
    out = f" by {clean(by, 40)}" if by else ""
    return out + (f" ({clean(reason, 120)})" if reason else "")


def _open_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    pos = e.get("position") or {}
    return [("open  ", GAIN),
            (f"{clean(pos.get('trade_id'), 60)} {clean(pos.get('symbol'), 30)} {_side(pos.get('is_long'))} "
             f"{_qty(o, pos.get('symbol'), pos.get('qty'))} @ {_num(pos.get('entry_price'), price_text)} "
             f"stop {_num(pos.get('stop_price'), price_text)}  risk {_num(pos.get('risk_amount'))}", PLAIN)]


def _skip_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    res = e.get("result") or {}
    detail = f" ({clean(res['detail'])})" if res.get("detail") else ""
    return [("skip  ", WARN),
            (f"{clean(e.get('trade_id', res.get('trade_id')), 60)} {clean(res.get('symbol'), 30)} "
             f"{_side(res.get('is_long'))} @ {_num(res.get('entry_price'), price_text)}: ", PLAIN),
            (clean(res.get("skipped_reason"), 40), WARN), (detail, MUTED)]


def _close_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    res = e.get("result") or {}
    pnl, r_mult = res.get("pnl_after_fees"), res.get("R_multiple")
    tone = PLAIN if not isinstance(pnl, (int, float)) or pnl == 0 else (LOSS if pnl < 0 else GAIN)
    r_text = f"{r_mult:+.2f}R" if isinstance(r_mult, (int, float)) else "?R"
    return [("close ", PLAIN),
            (f"{clean(res.get('trade_id'), 60)} {clean(res.get('symbol'), 30)} {_side(res.get('is_long'))} "
             f"@ {_num(res.get('exit_price'), price_text)}  ", PLAIN),
            (f"{r_text}  pnl {_num(pnl, signed_money)}", tone),
            (f"  balance {_num(res.get('balance_after'))}{_by(e)}", MUTED)]


def _reset_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    cleared = e.get("cleared")
    day_map = cleared.get("days") if isinstance(cleared, Mapping) else {k: {} for k in (cleared or [])}
    day_map = day_map if isinstance(day_map, Mapping) else {}
    what = []
    if e.get("scope") == "all" or e.get("days") is None:
        what.append("all day counters")
    elif e.get("days"):
        what.append(f"day counters ({', '.join(clean(d, 12) for d in e.get('days') or [])})")
    if e.get("peak") is not None:
        what.append(f"the peak (to {_num(e.get('peak'))})")
    if e.get("streak"):
        what.append("the loss streak")
    entries = sum(b.get("entries", 0) for b in day_map.values() if isinstance(b, Mapping)
                  and isinstance(b.get("entries", 0), int))
    counts = f"cleared {len(day_map)} bucket{'s' if len(day_map) != 1 else ''}"
    if isinstance(cleared, Mapping) and day_map:
        counts += f", {entries} entr{'y' if entries == 1 else 'ies'}"
    return [("reset ", WARN), (f"{' and '.join(what) or 'nothing'}{_by(e)}: {counts}", PLAIN)]


def _config_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    """A config event in words. The first one a state records (every key from nothing to its value)
    reads as "loaded", not as a list of changes from "unset"; a change found on disk says so."""
    from .view import value_text  # view imports core, as this module does; no cycle at call time

    changes = e.get("changes") or {}
    pairs = {k: v for k, v in changes.items() if isinstance(v, (list, tuple)) and len(v) == 2}
    values = e.get("values")
    if isinstance(values, Mapping) and set(changes) == set(values) and all(v[0] is None for v in pairs.values()):
        order = [f.key for f in cfg.FIELDS.get(e.get("kind"), ())]  # the file's own order, not the alphabet's
        keys = [k for k in order if k in values and values[k] is not False]  # a switch left off is no news
        keys += sorted(k for k in values if k not in order and k != cfg.OVERRIDES_KEY)
        shown = [f"{k} {value_text(values[k])}" for k in keys]
        more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
        text = f"{clean(e.get('file') or e.get('kind'), 80)} loaded: {', '.join(shown[:3]) or 'every key unset'}{more}"
        return [("config", MUTED), (" " + text, MUTED)]
    shown = [f"{k} {value_text(v[0])} -> {value_text(v[1])}" for k, v in pairs.items() if k != cfg.OVERRIDES_KEY]
    if cfg.OVERRIDES_KEY in pairs:
        shown.append("symbol_overrides changed")
    more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
    who = "changed on disk" if e.get("by") == "detected" else f"by {clean(e.get('by'), 40)}"
    return [("config", MUTED), (f" {clean(e.get('kind'), 20)} {who}: {', '.join(shown[:3]) or 'no value changed'}"
                                f"{more}", MUTED)]


def _adopt_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    book = e.get("book") or {}
    flow = e.get("flow")
    parts: Parts = [("adopt ", MUTED), (f"{clean(e.get('reason'))} (balance {_num(book.get('balance'))})", MUTED)]
    if isinstance(flow, Mapping):  # the balance the hand edit changed: a cash flow, not trading PnL
        amount = flow.get("amount")
        parts.append((f"  difference {_num(amount, signed_money)} booked as a cash flow", WARN))
    return parts


FLOW_WORDS = {"deposit": "deposit", "withdraw": "withdrawal", "set": "balance sync",
              "adopt": "adopted difference"}  # a flow's kind in words (events, the CLI, the console)


def _flow_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    res = e.get("result") or {}
    amount = res.get("amount")
    kind = FLOW_WORDS.get(res.get("kind"), "flow")
    return [("flow  ", WARN), (f"{kind} {_num(amount, signed_money)}", GAIN if isinstance(amount, (int, float))
                                and amount > 0 else LOSS),
            (f"  balance {_num(res.get('balance_before'))} -> {_num(res.get('balance_after'))}{_by(e)}", MUTED)]


def _cancel_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    res = e.get("result") or {}
    return [("cancel", WARN), (f" {clean(res.get('trade_id'), 60)} {clean(res.get('symbol'), 30)} "
                               f"{_side(res.get('is_long'))} {_qty(o, res.get('symbol'), res.get('qty'))} "
                               f"never filled: risk {_num(res.get('risk_amount'))} freed{_by(e)}", PLAIN)]


def _fill_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    res = e.get("result") or {}
    sym = res.get("symbol")
    return [("fill  ", PLAIN), (f"{clean(res.get('trade_id'), 60)} {clean(sym, 30)} filled "
                                f"{_qty(o, sym, res.get('qty'))} of {_qty(o, sym, res.get('qty_before'))}: "
                                f"risk {_num(res.get('risk_amount'))}{_by(e)}", PLAIN)]


def _pause_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    return [("pause ", LOSS), (f"new entries paused{_by(e)}", PLAIN)]


def _resume_parts(e: Mapping[str, Any], o: cfg.OverlayConfig) -> Parts:
    return [("resume", GAIN), (f" new entries allowed again{_by(e)}", PLAIN)]


def _ts(*path: str) -> Callable[[Mapping[str, Any]], Any]:
    def own(e: Mapping[str, Any]) -> Any:
        value: Any = e
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value
    return own


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("adopt", "the state files as they were, taken as the journal's new starting point (a fresh "
                  "start, a hand-written seed, files adopted with `tc1 state adopt`; a balance that differs "
                  "from the journal's is booked as a cash flow, its `flow`)", _apply_adopt, _adopt_parts,
         _ts("flow", "ts_ms")),
    Kind("config", "a config file in force, its values and what changed (by the console, the CLI, or "
                   "detected: a hand edit or the first start)", _apply_config, _config_parts),
    Kind("open", "an entry taken: its allocation (qty, risk, notional, budget) and what it was sized with",
         _apply_open, _open_parts, _ts("position", "entry_ts_ms"), _redo_open),
    Kind("skip", "an entry refused, with the reason and a detail in words; changes no state", None,
         _skip_parts, _ts("result", "entry_ts_ms"), _redo_skip),
    Kind("close", "an exit booked: PnL after fees, R multiple, the balance after (by the bot, or a manual "
                  "exit with who and why)", _apply_close, _close_parts, _ts("result", "exit_ts_ms"), _redo_close),
    Kind("cancel", "an entry that never filled, dropped: no PnL, its risk and its day's entry freed",
         _apply_cancel, _cancel_parts, redo=_redo_cancel),
    Kind("fill", "a partial fill: the allocation scaled down to the filled quantity", _apply_fill, _fill_parts, redo=_redo_fill),
    Kind("flow", "a cash flow: a deposit, a withdrawal or a sync to the exchange's balance; not trading PnL",
         _apply_flow, _flow_parts, _ts("result", "ts_ms"), _redo_flow),
    Kind("pause", "new entries paused by an operator, with why", _apply_pause, _pause_parts, _ts("paused", "ts_ms"),
         _redo_pause),
    Kind("resume", "new entries allowed again", _apply_resume, _resume_parts, redo=_redo_resume),
    Kind("reset", "counters cleared by an operator: day buckets, the peak, the loss streak; records what "
                  "it cleared", _apply_reset, _reset_parts, redo=_redo_reset),
)}


def apply(engine: "RiskEngine", entry: Mapping[str, Any], *, book: bool, days: bool) -> None:
    """Replay one journal entry into `engine` (`book` / `days`: which state file had not seen it).
    An unknown kind is a KeyError (the store reports it as a corrupt entry)."""
    kind = KINDS[entry["type"]]
    if kind.apply is not None:
        kind.apply(engine, entry, book, days)


def _utc_when(ms: Any, today: str) -> str:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool) or not 0 <= ms < 253_402_300_800_000:
        return "--:--:--"
    t = time.gmtime(ms / 1000)
    if time.strftime("%Y-%m-%d", t) == today:
        return time.strftime("%H:%M:%S", t)
    return time.strftime("%m-%d %H:%M", t)


def event_time(e: Mapping[str, Any]) -> int | None:
    """When an entry happened: its event's own timestamp (what the rails count by: an open's entry,
    a close's exit...) when it has one, else a `ts_ms` it carries, else the journal's `at_ms`."""
    kind = KINDS.get(e.get("type"))  # type: ignore[arg-type]
    own = kind.own_time(e) if kind is not None else None
    for value in (own, e.get("ts_ms"), e.get("at_ms")):
        if isinstance(value, int) and not isinstance(value, bool) and 100_000_000_000 <= value < 253_402_300_800_000:
            return value
    return None


def describe(e: Mapping[str, Any], overlay: cfg.OverlayConfig, today: str) -> EventLine:
    """One journal entry as a line of (text, tone) parts, timed by the event's own timestamp where it
    has one (what the rails count by), else the journal's. An entry of a shape no writer makes (a
    hand edit: a position that is a list, say) is still a line, saying so."""
    kind_name = clean(e.get("type"), 20)
    seq = e.get("seq") if isinstance(e.get("seq"), int) and not isinstance(e.get("seq"), bool) else 0
    kind = KINDS.get(kind_name)
    try:
        parts: Parts = ([(f"{kind_name:<6}", MUTED), (f" seq {seq}", MUTED)] if kind is None
                        else kind.describe(e, overlay))
        when = _utc_when(event_time(e), today)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError):
        when = _utc_when(e.get("at_ms"), today)
        parts = [(f"{kind_name:<6}", MUTED), (f" seq {seq}: unreadable entry", WARN)]
    return EventLine(seq, when, kind_name, tuple(parts))
