"""runtime/: the inter-process lock, atomic durable writes, the journal, recovery and rebuild.

Every state change is one transaction: lock, bring the in-memory engine up to date with the files,
apply through the engine, append the journal line (fsynced: the commit point), rewrite both state
files atomically, unlock. Each state file records the sequence number and journal offset it
includes, so a load applies whatever the journal holds past each file: a kill between the two
file writes can never leave a close in the balance but missing from the day's loss counter.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
import zlib
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from filelock import FileLock, Timeout

from . import config as cfg
from .core import EQUITY_WINDOW, RiskEngine
from .durable import HeldSignals, append_durably, atomic_write
from .errors import ConfigError, NotRecordedError, StateError, Tc1Error
from .events import apply as apply_event
from .events import recorded_config
from .numbers import short

log = logging.getLogger("tc1console")

STATE_FILE = "risk_state.json"
POLICY_FILE = "risk_policy_state.json"
JOURNAL_FILE = "journal.jsonl"
LOCK_FILE = ".lock"
LOCK_TIMEOUT_S = 30.0
LOCK_POLL_S = 0.001  # how often a busy lock is tried again (filelock's 50 ms default stalls a waiting bot)
BASE_EVENTS = ("adopt",)  # journal events that carry a whole state to start from
_DAY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POLICY_BOOKKEEPING = {"seq", "journal_offset", "version"}
RECOVER_HINT = "fix or remove it, or run `tc1 state rebuild` to rebuild it from runtime/journal.jsonl"
RETRY_HINT = "the call was not recorded; it is safe to make it again"
# I/O errors that say nothing about the files themselves: the same call may well work a moment later.
TRANSIENT_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOSPC, errno.EDQUOT,
                              errno.EFBIG, errno.EIO, errno.EINTR, errno.EAGAIN, errno.EBUSY})


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding configs/ and runtime/: `root`, else $TC1_ROOT, else the current folder."""
    if root is None:
        root = os.environ.get("TC1_ROOT") or "."
    return Path(root).expanduser().resolve()


def io_error(exc: OSError, path: Path, doing: str) -> Tc1Error:
    """An OSError met while `doing` something with `path`, as the error a caller can act on: a
    transient one (too many open files, a full disk) is NotRecordedError, anything else (a folder
    where a file should be, no permission, a symlink loop) a StateError naming the path."""
    what = exc.strerror or exc.__class__.__name__
    if exc.errno in TRANSIENT_ERRNOS:
        return NotRecordedError(f"{path}: cannot {doing} ({what}); {RETRY_HINT}")
    return StateError(f"{path}: cannot {doing} ({what}); nothing was changed")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


def seal(body: bytes) -> bytes:
    """A state file's bytes with a digest of them as its last key: a load tells a file this writer
    wrote from one edited by hand (docs/live.md section 6), whose numbers the journal does not hold."""
    return b'%s,"digest":"%08x"}' % (body[:-1], zlib.crc32(body))


def unsealed(data: bytes) -> tuple[bytes, bool | None]:
    """(the body `seal` was given, whether its digest matches); None when the file has no digest (a
    seed written by hand, or a file from before digests)."""
    end = data.rstrip()
    if not end.endswith(b'"}') or end[-21:-10] != b',"digest":"':
        return data, None
    body = end[:-21] + b"}"
    return body, end[-10:-2] == b"%08x" % zlib.crc32(body)


def jsonable(value: Any, depth: int = 0) -> Any:
    """`value` with anything JSON cannot hold (NaN, objects a caller passed) turned into a short repr;
    nesting past a few levels (a bot's odd trade id) is cut to a short repr too."""
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value if not isinstance(value, int) or value.bit_length() < 64 else short(value)
    if depth < 4 and isinstance(value, Mapping):
        return {short(k) if not isinstance(k, str) else k: jsonable(v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    return short(value)


def _hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def config_values(c: cfg.OverlayConfig | cfg.PolicyConfig) -> dict[str, Any]:
    """A config as plain data, unset keys left out (what the journal records of it)."""
    out: dict[str, Any] = {}
    for name in c.__dataclass_fields__:
        value = getattr(c, name)
        if value is not None:
            out[name] = {k: dict(v) for k, v in value.items()} if name == cfg.OVERRIDES_KEY else value
    return out


@dataclass
class _Configs:
    overlay: cfg.OverlayConfig
    policy: cfg.PolicyConfig
    paths: dict[str, Path]
    stamps: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # set when these are the journal's last recorded configs, the files being bad
    _recorded: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)

    def recorded(self, kind: str) -> tuple[dict[str, Any], str]:
        """The config of `kind` as the journal records it, and its hash (computed once per load)."""
        if kind not in self._recorded:
            values = config_values(getattr(self, kind))
            self._recorded[kind] = (values, _hash(values))
        return self._recorded[kind]


@dataclass
class Loaded:
    """State read from runtime/ (and the journal tail past it), ready to trade or to show."""

    engine: RiskEngine
    seq: int  # last journal sequence number included
    offset: int  # journal size in bytes after that entry
    config_record: dict[str, Any]  # {"overlay": {"hash", "values"}, "policy": {...}} last journaled
    needs_adopt: str = ""  # why the files must be adopted as a new journal base ("" = they need not)
    config_problem: str = ""  # a config file on disk is bad: the state was read with the last recorded one
    edited: list[str] = field(default_factory=list)  # state files whose digest no longer matches
    behind: bool = False  # a state file lags the journal (a kill after a commit): the next transaction writes it


class Store:
    """One process's handle on a root's runtime/ folder. Thread-safe; many processes may share it.

    Every change is `with store.transaction() as tx:` and is all or nothing as its caller sees it:
    either the block ends and its journal line is durable, or an exception comes out and nothing of
    it remains, on disk or in memory (docs/live.md).
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = resolve_root(root)
        self.runtime = self.root / "runtime"
        self.state_path = self.runtime / STATE_FILE
        self.policy_path = self.runtime / POLICY_FILE
        self.journal_path = self.runtime / JOURNAL_FILE
        self._thread_lock = threading.RLock()
        self._file_lock = FileLock(str(self.runtime / LOCK_FILE), timeout=LOCK_TIMEOUT_S)
        self._configs: _Configs | None = None
        self._bad_config = ""  # the last refusal logged, so a bad file is logged once, not per call
        self._loaded: Loaded | None = None
        self._file_stamps: tuple[Any, ...] | None = None
        self._encoder = _BookEncoder()

    # --- configs -----------------------------------------------------------------------------------

    def configs(self) -> _Configs:
        """The configs in force: re-read when a file changed; an invalid edit keeps the last good one.

        Anything wrong with the files (a bad value or encoding, a number too large, both formats
        present, a file deleted or unreadable) is a ConfigError when there is no good config yet,
        and otherwise a refusal logged once while the last good config stays in force.
        """
        current = self._configs
        try:
            folder = _stamp(self.root / "configs")
            if current is not None and folder is not None and current.stamps.get("folder") == folder:
                paths = current.paths  # no file was added, removed or renamed in: same names
            else:
                paths = {kind: cfg.find_config(self.root, kind) for kind in cfg.STEMS}
            stamps: dict[str, Any] = {kind: (paths[kind], _stamp(paths[kind])) for kind in paths}
            stamps["folder"] = folder
            if current is not None and current.stamps == stamps:
                return current
            overlay = cfg.load_overlay(paths["overlay"])
            policy = cfg.load_policy(paths["policy"])
        except (ConfigError, OSError) as exc:
            error = exc if isinstance(exc, ConfigError) else ConfigError(
                f"{self.root / 'configs'}: cannot read ({exc.strerror or exc})")
            if current is None:
                raise error from None
            if self._bad_config != str(error):
                log.error("config edit refused, keeping the last good config: %s", error)
                self._bad_config = str(error)
            return current
        self._bad_config = ""
        self._configs = _Configs(overlay, policy, paths, stamps)
        return self._configs

    def _configs_or_recorded(self) -> _Configs:
        """The configs in force, else (a bad file and no good config in this process yet) the ones
        the state last recorded: enough for actions that size nothing, such as a counter reset."""
        try:
            return self.configs()
        except ConfigError as exc:
            overlay, policy = recorded_configs(self.root, exc)
            return _Configs(overlay, policy, {}, problem=str(exc))

    # --- the transaction -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, recorded_config_ok: bool = False) -> Iterator["Transaction"]:
        """Lock, load, let the caller apply through `tx.engine` and `tx.record`, commit, unlock.

        All or nothing: any exception before the journal's fsync drops the in-memory state (the
        next call reloads it from the files) and comes out of the block; an I/O failure comes out
        as NotRecordedError. Once the journal line is durable the block ends normally even if a
        state file cannot be written (the next call or load writes it from the journal). The
        caller's own signal handlers are held back from the moment the lock is taken until it is
        released, so they can neither tear a commit nor leave the lock held; they run right after.
        `recorded_config_ok`: with bad config files and no good config in this process, use the
        configs the state last recorded (for actions that size nothing) instead of failing.
        """
        with self._thread_lock, HeldSignals() as held:
            self._acquire(held)
            try:
                configs = self._configs_or_recorded() if recorded_config_ok else self.configs()
                loaded = self._current(configs)
                tx = Transaction(self, loaded, configs)
                if loaded.needs_adopt:
                    # A copy: the docs must show the state as adopted, not as later records change it.
                    tx.record({"type": "adopt", "reason": loaded.needs_adopt,
                               **json.loads(_dumps(self._docs(loaded)))})
                if not configs.problem:
                    tx.note_config(configs)
                yield tx
                if tx.records:
                    self._commit(loaded, tx.records)
                elif loaded.behind:
                    # docs/live.md: a commit whose state files were not written (a kill, a full disk)
                    # is redone by the next transaction, even one that records nothing (a restart,
                    # a retried call answered from the record, a status read).
                    self._write_states(loaded)
            except BaseException as exc:
                self._loaded = None  # the engine may be half-applied: reload from the files next time
                if isinstance(exc, OSError):
                    raise io_error(exc, self.runtime, "update the state") from exc
                raise
            finally:
                self._file_lock.release()

    def _current(self, configs: _Configs) -> Loaded:
        stamps = (_stamp(self.state_path), _stamp(self.policy_path), _stamp(self.journal_path))
        if self._loaded is not None and stamps == self._file_stamps:
            return self._loaded
        # Under the lock no write of ours is in flight: a temp file of a state file is what a killed
        # writer left. Only those two: others writing into runtime/ (the console's own files)
        # do not take this lock, and their temp file may be about to be renamed into place.
        for name in (STATE_FILE, POLICY_FILE):
            for tmp in self.runtime.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)
        self._loaded = load(self.root, configs.overlay, configs.policy, repair=True)
        self._file_stamps = stamps
        return self._loaded

    def _commit(self, loaded: Loaded, records: list[dict[str, Any]]) -> None:
        """Append `records` to the journal (fsynced: the commit point), then rewrite both state files."""
        now_ms = int(time.time() * 1000)
        seq, lines = loaded.seq, []
        try:
            for rec in records:
                seq += 1
                lines.append(_dumps({"seq": seq, "at_ms": now_ms, **rec}) + b"\n")
        except ValueError as exc:  # NaN or inf: the engine refuses those first; this is the last guard
            raise NotRecordedError(f"{self.journal_path}: a value JSON cannot hold ({exc}); "
                                   f"{RETRY_HINT}") from None
        data = b"".join(lines)
        try:
            append_durably(self.journal_path, loaded.offset, data)
        except OSError as exc:
            raise NotRecordedError(f"{self.journal_path}: cannot append ({exc.strerror or exc}); "
                                   f"{RETRY_HINT}") from exc
        loaded.seq, loaded.offset = seq, loaded.offset + len(data)
        loaded.needs_adopt = ""
        self._write_states(loaded)

    def _write_states(self, loaded: Loaded) -> None:
        """Rewrite both state files as of `loaded` (its seq and journal offset). A failure is logged,
        not raised: the journal holds every change, and the next transaction writes them."""
        try:
            atomic_write(self.state_path, seal(self._encoder.book(loaded)))
            atomic_write(self.policy_path, seal(self._encoder.days(loaded)))
        except (OSError, ValueError) as exc:
            # Committed: the journal holds it. The files are rewritten from the journal by the next
            # transaction (its stamps no longer match, so it reloads) or by any load.
            self._file_stamps = None
            loaded.behind = True
            log.error("%s: state files not written after seq %d (%s); the journal holds the change "
                      "and the next call writes them", self.runtime, loaded.seq, exc)
            return
        loaded.behind = False
        self._file_stamps = (_stamp(self.state_path), _stamp(self.policy_path), _stamp(self.journal_path))

    @staticmethod
    def _docs(loaded: Loaded) -> dict[str, Any]:
        book = {"seq": loaded.seq, "journal_offset": loaded.offset, "config": loaded.config_record,
                **loaded.engine.book_state()}
        return {"book": book, "days": Store._days_doc(loaded)}

    @staticmethod
    def _days_doc(loaded: Loaded) -> dict[str, Any]:
        return {"seq": loaded.seq, "journal_offset": loaded.offset, "days": loaded.engine.days_state()}

    # --- operations the console and CLI share with the bot --------------------------------------------

    def save_config(self, kind: cfg.Kind, values: Mapping[str, Any], *, by: str = "console") -> dict[str, Any]:
        """Write a config file atomically in its own format and journal old -> new. Returns changes.

        All or nothing like any call: if the journal line cannot be made durable, the file's old
        text is put back before the error comes out. A bad file on disk does not stop a save that
        makes it valid (the state is read with the configs it last recorded, as for a reset): the
        console is where an operator fixes it. The new text is validated before it is written, and
        the configs are read back from the files before anything is journaled.
        """
        path = cfg.find_config(self.root, kind)
        old_bytes: bytes | None = None
        try:
            with self.transaction(recorded_config_ok=True) as tx:
                old_bytes = path.read_bytes()
                merged = {**cfg.parse_raw(old_bytes.decode("utf-8"), path), **values}
                text = cfg.render(path, kind, merged)
                atomic_write(path, text.encode())
                configs = self.configs()
                tx.engine.set_config(configs.overlay, configs.policy)
                return tx.record_config(kind, configs, by=by)
        except BaseException:
            if old_bytes is not None and path.read_bytes() != old_bytes:
                try:
                    atomic_write(path, old_bytes)
                except OSError as exc:
                    log.error("%s: could not put the old text back after a failed save (%s)", path, exc)
            raise

    def rebuild(self) -> dict[str, Any]:
        """Rebuild both state files from the journal; report what differed from the files on disk."""
        with self._thread_lock, HeldSignals() as held:
            self._acquire(held)
            try:
                configs = self._configs_or_recorded()
                rebuilt = replay_journal(self.journal_path, configs.overlay, configs.policy)
                before: dict[str, Any] = {}
                for name, path in (("book", self.state_path), ("days", self.policy_path)):
                    try:
                        before[name] = json.loads(path.read_bytes())
                    except (OSError, ValueError) as exc:
                        before[name] = f"unreadable ({exc.__class__.__name__}: {exc})"
                after = self._docs(rebuilt)
                diffs = _differences(before, after)
                targets = ((self.state_path, after["book"]), (self.policy_path, after["days"]))
                for path, _doc in targets:  # refused before either is written, not half way
                    if path.is_dir() or (path.exists() and not path.is_file()):
                        raise StateError(f"{path}: is a folder or another non-file; move it away and run "
                                         f"`tc1 state rebuild` again; nothing was changed")
                written: list[Path] = []
                for path, doc in targets:
                    try:
                        atomic_write(path, seal(_dumps(doc)))
                    except OSError as exc:
                        if not written:
                            raise io_error(exc, path, "write the rebuilt file") from None
                        raise StateError(f"{path}: cannot write the rebuilt file ({exc.strerror or exc}); "
                                         f"{written[0].name} was rebuilt, this one not: fix the cause and "
                                         f"run `tc1 state rebuild` again") from None
                    written.append(path)
                self._loaded = None
                return {"seq": rebuilt.seq, "differences": diffs, "balance": rebuilt.engine.balance,
                        "open_positions": len(rebuilt.engine.positions), "config_problem": configs.problem}
            finally:
                self._file_lock.release()

    def adopt(self, *, by: str = "cli", reason: str = "", ts_ms: int | None = None) -> dict[str, Any]:
        """Keep state files edited by hand: journal them, as they are, as the new base (an `adopt`
        event). A balance that differs from the journal's account is booked as a cash flow stamped
        `ts_ms` (default: the wall clock): net flows, the peak, a flow-marked equity point and the
        flows of its day move with it, so trading PnL stays what the journal says it is."""
        with self._thread_lock, HeldSignals() as held:
            self._acquire(held)
            try:
                configs = self._configs_or_recorded()
                loaded = load(self.root, configs.overlay, configs.policy, repair=True, trust_edits=True)
                if self.journal_path.exists():
                    account = replay_journal(self.journal_path, configs.overlay, configs.policy)
                    diffs = _differences(self._docs(account), self._docs(loaded))
                    delta = loaded.engine.balance - account.engine.balance
                else:
                    diffs, delta = ["no journal yet"], 0.0
                if not diffs and not loaded.needs_adopt:
                    return {"differences": [], "adjustment": 0.0, "seq": loaded.seq}
                flow = None
                if delta:
                    flow = loaded.engine.adopt_difference(
                        account.engine.balance, ts_ms=time.time_ns() // 1_000_000 if ts_ms is None else ts_ms,
                        flow_id=f"adopt-{loaded.seq + 1}", reason=reason)
                doc = json.loads(_dumps(self._docs(loaded)))
                record = {"type": "adopt", "reason": f"state files adopted by {by}" + (f": {reason}" if reason else ""),
                          "differences": diffs, "adjustment": delta, "by": by, **doc}
                if flow is not None:
                    record["flow"] = flow._asdict()
                self._commit(loaded, [record])
                self._loaded = None
                return {"differences": diffs, "adjustment": delta, "seq": loaded.seq}
            except OSError as exc:
                raise io_error(exc, self.runtime, "adopt the state files") from exc
            finally:
                self._file_lock.release()

    def _acquire(self, held: HeldSignals) -> None:
        """Take the inter-process lock, waiting up to LOCK_TIMEOUT_S. The wait lets the caller's
        signal handlers run (a watchdog may end it: nothing is held then); from the moment the lock
        is taken they are held back, so nothing can interrupt between taking and releasing it."""
        if not self.runtime.is_dir():  # make runtime/ only in a root: a mistyped --root is refused, not filled
            cfg.check_root(self.root)
        ensure_folder(self.runtime)
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                self._file_lock.acquire(timeout=0)
                return
            except Timeout:
                if time.monotonic() >= deadline:
                    raise StateError(f"{self.runtime / LOCK_FILE}: another process has held the lock for "
                                     f"{LOCK_TIMEOUT_S:.0f}s; is a process stuck?") from None
                held.release_for(LOCK_POLL_S)
            except OSError as exc:
                raise io_error(exc, self.runtime / LOCK_FILE, "take the lock") from None


def ensure_folder(folder: Path) -> None:
    """Create `folder` (and its parents) if missing; a file, a dangling link or a symlink loop in its
    place is a StateError naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StateError(f"{folder}: exists but is not a folder; move it away (the state lives in a "
                         f"folder of that name)") from None
    except OSError as exc:
        raise io_error(exc, folder, "create the folder") from None


class _BookEncoder:
    """Encodes risk_state.json reusing the JSON of equity points and closes already written.

    Re-encoding the whole windows on every transaction would make a trade cost more as history
    fills them. Equity points are only ever appended (the oldest falling off), so their encoded
    pieces live in a deque beside the window and each new point is encoded once; kept closes
    are cached by identity. The bytes are exactly what `_dumps` of the whole document gives
    (a test checks).
    """

    def __init__(self) -> None:
        self._engine: RiskEngine | None = None
        self._last_point: Any = None
        self._points: deque[bytes] = deque(maxlen=EQUITY_WINDOW)
        self._closes: dict[int, tuple[Any, bytes]] = {}
        self._days: dict[str, tuple[int, float, bytes]] = {}

    def _sync_points(self, engine: RiskEngine) -> None:
        window = engine.equity_points
        new: list[Any] = []
        if engine is self._engine:
            for pt in reversed(window):  # back to the newest point already encoded
                if pt is self._last_point:
                    break
                new.append(pt)
            else:
                new = []
                self._engine = None
        if engine is not self._engine:  # another engine (a reload): encode the whole window
            self._engine, new = engine, list(reversed(window))
            self._points = deque(maxlen=window.maxlen)
        for pt in reversed(new):
            self._points.append(b"[%d,%s]" % (pt[0], repr(pt[1]).encode()) if len(pt) == 2
                                else _dumps(list(pt)))
        self._last_point = window[-1] if window else None

    def book(self, loaded: Loaded) -> bytes:
        engine, old, fresh = loaded.engine, self._closes, {}
        self._sync_points(engine)
        head = {"seq": loaded.seq, "journal_offset": loaded.offset, "config": loaded.config_record,
                **engine.book_head()}
        closes = []
        for r in engine.recent_closes.values():
            hit = old.get(id(r))
            data = hit[1] if hit is not None and hit[0] is r else (
                _dumps(r.trade_id) + b":" + _dumps(r._asdict()))
            fresh[id(r)] = (r, data)
            closes.append(data)
        self._closes = fresh
        return b"".join((_dumps(head)[:-1], b',"equity_points":[', b",".join(self._points),
                         b'],"recent_closes":{', b",".join(closes), b"}}"))

    def days(self, loaded: Loaded) -> bytes:
        """risk_policy_state.json, re-encoding only the day buckets that changed."""
        old, fresh, pieces = self._days, {}, []
        for key, b in loaded.engine.days.items():
            hit = old.get(key)
            if hit is not None and hit[0] == b.entries and hit[1] == b.pnl:
                data = hit[2]
            else:
                data = _dumps(key) + b":" + _dumps({"entries": b.entries, "pnl": b.pnl})
            fresh[key] = (b.entries, b.pnl, data)
            pieces.append(data)
        self._days = fresh
        return b'{"seq":%d,"journal_offset":%d,"days":{%s}}' % (loaded.seq, loaded.offset, b",".join(pieces))


class Transaction:
    """What a caller sees inside `Store.transaction()`: the current engine and a journal to add to."""

    def __init__(self, store: Store, loaded: Loaded, configs: _Configs) -> None:
        self.store, self.loaded, self.engine, self.configs = store, loaded, loaded.engine, configs
        self.records: list[dict[str, Any]] = []
        if loaded.engine.overlay is not configs.overlay or loaded.engine.policy is not configs.policy:
            loaded.engine.set_config(configs.overlay, configs.policy)

    def record(self, event: Mapping[str, Any]) -> None:
        self.records.append(dict(event))

    def note_config(self, configs: _Configs) -> None:
        """Journal a config the state has not seen yet (a hand edit, or the very first start)."""
        for kind in cfg.STEMS:
            if (self.loaded.config_record.get(kind) or {}).get("hash") != configs.recorded(kind)[1]:
                self.record_config(kind, configs, by="detected")

    def record_config(self, kind: cfg.Kind, configs: _Configs, *, by: str) -> dict[str, Any]:
        """Journal `kind`'s config in force, old -> new against the one the state last recorded.

        Both sides are configs in force (defaults filled in), so a key a file leaves at its
        default is no change. Returns the changes.
        """
        values, digest = configs.recorded(kind)
        old = (self.loaded.config_record.get(kind) or {}).get("values") or {}
        changes = {k: [old.get(k), values.get(k)] for k in sorted(set(old) | set(values))
                   if old.get(k) != values.get(k)}
        self.record({"type": "config", "file": str(configs.paths[kind].relative_to(self.store.root)),
                     "kind": kind, "hash": digest, "values": values, "changes": changes, "by": by})
        self.loaded.config_record[kind] = {"hash": digest, "values": values}
        return changes


# --- loading ------------------------------------------------------------------------------------------

def _read_json(path: Path) -> Any | None:
    """A state file's JSON, None when it does not exist; unreadable or unparsable is a StateError."""
    return _read_state(path)[0]


def _read_state(path: Path) -> tuple[Any | None, bool | None]:
    """A state file's JSON (None when it does not exist) and whether its digest matches (see `seal`)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise io_error(exc, path, "read") from None
    try:
        doc = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise StateError(f"{path}: not valid JSON ({str(exc)[:120]}); {RECOVER_HINT}") from None
    if not isinstance(doc, dict) or "digest" not in doc:
        return doc, None
    # A digest this writer did not leave where `seal` puts it: the file was rewritten by another
    # tool (json.dump, jq, an editor's formatter), so edited by hand, never a file from before digests.
    return doc, unsealed(data)[1] is True


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def split_policy_doc(doc: Any, path: Path) -> tuple[dict[str, Any], int | None, int]:
    """Day buckets, seq and journal offset of a policy state doc, in any of its accepted shapes."""
    if not isinstance(doc, dict):
        raise StateError(f"{path}: must be a JSON object of UTC days; {RECOVER_HINT}")
    if "days" in doc:
        days = doc["days"]
    else:
        days = {}
        for key, value in doc.items():
            if _DAY_KEY.match(key):
                days[key] = value
            elif key not in _POLICY_BOOKKEEPING:
                raise StateError(f"{path}: key {key!r} is neither a YYYY-MM-DD day nor bookkeeping; "
                                 f"{RECOVER_HINT}")
    seq = doc.get("seq")
    return days, _int_or_none(seq, "seq", path), _int_or_none(doc.get("journal_offset"), "journal_offset",
                                                             path) or 0


def _int_or_none(value: Any, key: str, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError(f"{path}: {key} must be a whole number >= 0, got {value!r}; {RECOVER_HINT}")
    return value


def load(root: Path, overlay: cfg.OverlayConfig, policy: cfg.PolicyConfig, *, repair: bool = False,
         trust_edits: bool = False) -> Loaded:
    """Read runtime/ under `root` into an engine, applying the journal past each state file.

    With `repair` (under the lock), a torn last journal line is ignored (the next commit cuts it
    off) and files with no journal position (hand-written, or a lost journal) are marked to be
    adopted as a new journal base. Without it (a reader such as the console), the same is
    tolerated in memory and nothing is written. Every failure is a Tc1Error naming the file.

    A state file edited by hand (its digest no longer matches) whose numbers differ from the
    journal's account of them stops the load with a StateError naming each difference and both ways
    out; `trust_edits` (`tc1 state adopt`) takes the files as they are.
    """
    runtime = Path(root) / "runtime"
    if runtime.exists() and not runtime.is_dir():
        raise StateError(f"{runtime}: exists but is not a folder; move it away (the state lives in a "
                         f"folder of that name)")
    try:
        loaded = _load(runtime, overlay, policy)
        if loaded.edited and not trust_edits:
            _refuse_edits(runtime, overlay, policy, loaded)
        return loaded
    except OSError as exc:
        raise io_error(exc, Path(exc.filename) if exc.filename else runtime, "read") from None


def _load(runtime: Path, overlay: cfg.OverlayConfig, policy: cfg.PolicyConfig) -> Loaded:
    state_path, policy_path, journal_path = (runtime / STATE_FILE, runtime / POLICY_FILE,
                                             runtime / JOURNAL_FILE)
    engine = RiskEngine(overlay, policy)
    book_doc, book_sealed = _read_state(state_path)
    days_doc, days_sealed = _read_state(policy_path)
    journal_size = _committed_size(journal_path)
    edited = [path.name for path, ok in ((state_path, book_sealed), (policy_path, days_sealed)) if ok is False]

    if journal_size and days_doc is None and (book_doc is None or (
            isinstance(book_doc, dict) and book_doc.get("seq") is not None)) and _first_commit_only(journal_path):
        # A kill inside the very first transaction: its journal lines were committed, the state
        # files not (all) written yet. Those lines are the whole history: replay them.
        replayed = replay_journal(journal_path, overlay, policy)
        replayed.behind = True
        return replayed
    if book_doc is None and days_doc is None:
        if journal_size:
            raise StateError(f"{state_path} and {policy_path.name} are missing but {journal_path.name} "
                             f"holds history; run `tc1 state rebuild` to restore them from it")
        return Loaded(engine, 0, 0, {}, needs_adopt="fresh start from initial_balance")
    if book_doc is None:
        raise StateError(f"{state_path}: missing while {policy_path.name} exists; {RECOVER_HINT}")
    if not isinstance(book_doc, dict):
        raise StateError(f"{state_path}: must be a JSON object; {RECOVER_HINT}")
    try:
        engine.load_book(book_doc)
    except (ValueError, TypeError) as exc:
        raise StateError(f"{state_path}: {exc}; {RECOVER_HINT}") from None
    book_seq = _int_or_none(book_doc.get("seq"), "seq", state_path)
    book_off = _int_or_none(book_doc.get("journal_offset"), "journal_offset", state_path) or 0

    if days_doc is None:
        if book_seq is not None:
            raise StateError(f"{policy_path}: missing while {state_path.name} exists; {RECOVER_HINT}")
        days, days_seq, days_off = {}, None, 0
    else:
        days, days_seq, days_off = split_policy_doc(days_doc, policy_path)
    try:
        engine.load_days(days)
    except (ValueError, TypeError) as exc:
        raise StateError(f"{policy_path}: {exc}; {RECOVER_HINT}") from None

    config_record = book_doc.get("config") if isinstance(book_doc.get("config"), dict) else {}
    if book_seq is None or days_seq is None:
        # Adopted as a new base; the journal's numbering goes on from its last entry.
        return Loaded(engine, _last_seq(journal_path, journal_size), journal_size, dict(config_record),
                      needs_adopt="hand-written state files (no journal position)")
    if all(isinstance(config_record.get(k), dict) for k in cfg.STEMS):
        # The journal tail replays under the configs in force when its events happened: first the
        # ones the state file recorded, then each config entry in turn (a streak trips by its limit).
        try:
            engine.set_recorded_config(recorded_config("overlay", config_record["overlay"]),
                                       recorded_config("policy", config_record["policy"]))
        except (Tc1Error, KeyError, TypeError) as exc:
            raise StateError(f"{state_path}: the recorded config is unusable ({exc}); {RECOVER_HINT}") from None
    start = min(book_off, days_off)
    if journal_size < max(book_off, days_off):
        return Loaded(engine, max(book_seq, days_seq), journal_size, dict(config_record),
                      needs_adopt=f"{journal_path.name} is shorter than the state files say "
                                  f"(lost or truncated)")
    seq, offset = max(book_seq, days_seq), start
    for entry, end in _journal_entries(journal_path, start):
        with _entry_at(journal_path, offset, entry):
            s = entry["seq"]
            apply_event(engine, entry, book=s > book_seq, days=s > days_seq)
            if entry.get("type") == "config" and s > book_seq:
                config_record[entry["kind"]] = {"hash": entry["hash"], "values": entry["values"]}
            seq, offset = max(seq, s), end
    return Loaded(engine, seq, max(offset, book_off, days_off), dict(config_record), edited=edited,
                  behind=seq > min(book_seq, days_seq))


def _refuse_edits(runtime: Path, overlay: cfg.OverlayConfig, policy: cfg.PolicyConfig, loaded: Loaded) -> None:
    """Files edited by hand: fine when their numbers are still the journal's (a reformat), else the
    StateError that names each difference and both ways out."""
    account = replay_journal(runtime / JOURNAL_FILE, overlay, policy)
    diffs = _differences(Store._docs(account), Store._docs(loaded))
    if not diffs:
        loaded.edited = []
        return
    shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
    raise StateError(f"{runtime / loaded.edited[0]} was edited by hand: it differs from the journal's account "
                     f"(journal -> file: {shown}). Run `tc1 state rebuild` to keep the journal's numbers, or "
                     f"`tc1 state adopt` to keep the file's, journaled as an adjustment")


def _last_seq(path: Path, size: int) -> int:
    """The seq of the journal's last complete entry (0 for none): a new base continues from it."""
    if not size:
        return 0
    with open(path, "rb") as f:
        f.seek(max(0, size - 65536))
        lines = f.read(size - f.tell()).split(b"\n")
    for line in reversed(lines):
        try:
            seq = json.loads(line)["seq"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(seq, int) and not isinstance(seq, bool):
            return seq
    return 0


def _first_commit_only(path: Path) -> bool:
    """Whether the journal holds nothing but the commit that created it: a base event at seq 1 and
    lines sharing its `at_ms` (a commit stamps all its lines alike). Stops at the first other line."""
    first_at = None
    for entry, _end in _journal_entries(path, 0):
        if first_at is None:
            if entry["seq"] != 1 or entry["type"] not in BASE_EVENTS:
                return False
            first_at = entry.get("at_ms")
        elif entry.get("at_ms") != first_at:
            return False
    return first_at is not None


def _committed_size(path: Path) -> int:
    """The journal's size up to its last newline (a torn last line is not part of it)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return 0
    with f:
        size = f.seek(0, os.SEEK_END)
        pos = size
        while pos > 0:
            step = min(pos, 65536)
            f.seek(pos - step)
            chunk = f.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return pos - step + newline + 1
            pos -= step
        return 0


def _journal_entries(path: Path, start: int) -> Iterator[tuple[dict[str, Any], int]]:
    """(entry, byte offset after it) for each complete journal line from `start` on.

    A last line without its newline is a write a crash cut short: it was never committed (the
    fsync that acknowledges it had not returned) and is skipped.
    """
    with open(path, "rb") as f:
        f.seek(start)
        offset = start
        for lineno, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            try:
                entry = json.loads(line)
                entry["seq"], entry["type"]
            except (ValueError, KeyError, TypeError):
                raise StateError(f"{path}: corrupt entry at byte {offset - len(line)}; the journal is the "
                                 f"audit trail, restore it from a backup") from None
            yield entry, offset


@contextmanager
def _entry_at(path: Path, start: int, entry: Mapping[str, Any]) -> Iterator[None]:
    """Replaying `entry`, the journal line at byte `start`: an entry of the wrong shape (valid
    JSON, edited by hand, say) is the StateError that names it, not a traceback. The engine it
    was applied to is dropped with the error: nothing is written."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        problem = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise StateError(f"{path}: corrupt {entry.get('type')} entry at byte {start} ({problem}); the "
                         f"journal is the audit trail, restore it from a backup") from None


def replay_journal(journal_path: Path, overlay: cfg.OverlayConfig, policy: cfg.PolicyConfig) -> Loaded:
    """The state the whole journal describes: from its newest base event (adopt), every event on."""
    if not journal_path.exists():
        raise StateError(f"{journal_path}: not found; nothing to rebuild from")
    base_start, previous_end = 0, 0
    for entry, end in _journal_entries(journal_path, 0):
        if entry["type"] in BASE_EVENTS:
            base_start = previous_end
        previous_end = end
    loaded = Loaded(RiskEngine(overlay, policy), 0, base_start, {})
    for entry, end in _journal_entries(journal_path, base_start):
        with _entry_at(journal_path, loaded.offset, entry):
            apply_event(loaded.engine, entry, book=True, days=True)
            if entry["type"] in BASE_EVENTS:
                loaded.config_record = dict(entry["book"].get("config") or {})
            elif entry["type"] == "config":
                loaded.config_record[entry["kind"]] = {"hash": entry["hash"], "values": entry["values"]}
            loaded.seq, loaded.offset = entry["seq"], end
    return loaded


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    out = []
    for name in ("book", "days"):
        old, new = before.get(name), after[name]
        if not isinstance(old, dict):
            out.append(f"{name}: {old}")
            continue
        if name == "days":
            old = {"days": split_policy_doc(old, Path(POLICY_FILE))[0]} if "days" not in old else old
        for key in sorted(set(old) | set(new)):
            if key in ("seq", "journal_offset", "config", "digest"):
                continue
            if old.get(key) != new.get(key):
                out.append(f"{name}.{key}: {_short(old.get(key))} -> {_short(new.get(key))}")
    return out


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def tail_events(root: str | os.PathLike[str] | None, limit: int = 50) -> list[dict[str, Any]]:
    """The last `limit` complete journal entries (oldest first), read from the file's end.

    For readers such as the console: costs the same however long the journal is, and skips a
    line a writer has not finished.
    """
    path = resolve_root(root) / "runtime" / JOURNAL_FILE
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    with f:
        size = f.seek(0, os.SEEK_END)
        chunk, pos = b"", size
        while pos > 0 and chunk.count(b"\n") <= limit:
            step = min(pos, 65536)
            pos -= step
            f.seek(pos)
            chunk = f.read(step) + chunk
    lines = chunk.split(b"\n")
    complete = lines[:-1]  # the piece after the last newline is unfinished (or empty)
    if pos > 0:
        complete = complete[1:]  # the first piece may start mid-line
    events = []
    for line in complete[-limit:]:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def recorded_configs(root: Path, problem: ConfigError) -> tuple[cfg.OverlayConfig, cfg.PolicyConfig]:
    """The configs the state in `root` last recorded (its journal's account of them), for when the
    files on disk are bad (`problem`). Raises `problem` itself when no usable record exists."""
    try:
        doc = _read_json(Path(root) / "runtime" / STATE_FILE)
        record = doc.get("config") if isinstance(doc, dict) else None
        overlay = cfg.validate("overlay", record["overlay"]["values"], "the recorded overlay config")
        policy = cfg.validate("policy", record["policy"]["values"], "the recorded policy config")
    except (Tc1Error, KeyError, TypeError):
        raise problem from None
    assert isinstance(overlay, cfg.OverlayConfig) and isinstance(policy, cfg.PolicyConfig)
    return overlay, policy


def read_state(root: str | os.PathLike[str] | None = None) -> tuple[cfg.OverlayConfig, cfg.PolicyConfig, Loaded]:
    """Configs and state as they are on disk, without the lock and without writing anything.

    What the console and `tc1 dashboard` show. A bad config file does not hide the state: it is read
    with the configs the journal last recorded, and `Loaded.config_problem` says what is wrong.
    Raises ConfigError when there is no such record either, and StateError naming a bad state file.
    """
    root = resolve_root(root)
    problem = ""
    try:
        overlay = cfg.load_overlay(cfg.find_config(root, "overlay"))
        policy = cfg.load_policy(cfg.find_config(root, "policy"))
    except ConfigError as exc:
        overlay, policy = recorded_configs(root, exc)
        problem = str(exc)
    loaded = load(root, overlay, policy)
    loaded.config_problem = problem
    return overlay, policy, loaded
