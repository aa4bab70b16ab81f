"""The cap editor's model: which keys it edits, their current values, what changed, and how to say it.

Pure apart from `read_caps` (two small file reads) and `save_caps`. Validation is the loader's own
(`parse_text`), saving is `Store.save_config`; this module only decides what to pass it. The cap
editor and the sweep screen's "apply" save through `save_caps`, off the UI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..engine import advice as adv
from ..engine import config as cfg
from ..engine import schema
from ..engine.config import Field, Kind
from ..engine.errors import ConfigError, Tc1Error
from ..engine.store import Store

# The form's keys, in the order an operator reads them: caps, then sizing, then fees, then rails.
CAP_KEYS: tuple[tuple[Kind, str], ...] = (
    ("overlay", "per_trade_risk_cap"),
    ("overlay", "total_open_risk_cap"),
    ("overlay", "max_concurrent_trades"),
    ("overlay", "max_leverage"),
    ("overlay", "percent_risk"),
    ("overlay", "flat_risk_amount"),
    ("overlay", "flat_risk_until"),
    ("overlay", "fee_bps_per_side"),
    ("overlay", "fees_in_risk"),
    # every rail's keys, in the rails registry's order (a new rail is in the editor by itself)
    *(("policy", f.key) for f in cfg.FIELDS["policy"]),
)
SECTIONS: dict[Kind, str] = {"overlay": "Sizing and caps", "policy": "Safety rails"}


def field_of(kind: Kind, key: str) -> Field:
    return next(f for f in cfg.FIELDS[kind] if f.key == key)


def value_text(f: Field, value: Any) -> str:
    """A value as the form shows it, and as `parse_text` reads it back: `100`, `0.005`, `true`, `` (unset)."""
    if value is None:
        return ""
    if f.type is bool:
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def shown_value(value: Any) -> str:
    """A value in a message: `unset` for None."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def effective(f: Field, raw: Mapping[str, Any]) -> Any:
    """The value in force for `f` given the file's raw keys: the file's, else the default (None = unset)."""
    if f.key in raw:
        return raw[f.key]
    return None if f.required else f.default


@dataclass(frozen=True, slots=True)
class CapsFile:
    kind: Kind
    path: Path
    rel: str  # shown: relative to the root when inside it
    raw: Mapping[str, Any]
    hand_comments: tuple[str, ...]  # comment lines a person added (TOML only): a save drops them


@dataclass(frozen=True, slots=True)
class CapField:
    kind: Kind
    field: Field
    current: Any  # the value in force (None = unset)

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def text(self) -> str:
        return value_text(self.field, self.current)

    def hint(self) -> str:
        """What the key does, and for an optional key that empty means no limit."""
        return self.field.comment


@dataclass(frozen=True, slots=True)
class CapsForm:
    files: dict[Kind, CapsFile]
    fields: tuple[CapField, ...]

    def warnings(self) -> list[str]:
        """One line per config file whose hand-written comments a save would not keep."""
        out = []
        for f in self.files.values():
            if f.hand_comments:
                shown = "; ".join(f.hand_comments[:3]) + (" ..." if len(f.hand_comments) > 3 else "")
                n = len(f.hand_comments)
                out.append(f"{f.rel} has {n} comment{'s' if n != 1 else ''} written by hand that saving "
                           f"it will not keep: {shown}")
        return out


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_caps(root: str | os.PathLike[str]) -> CapsForm:
    """The two config files as the form starts from. Raises ConfigError (missing or unparsable file)."""
    root = Path(root)
    files: dict[Kind, CapsFile] = {}
    for kind in ("overlay", "policy"):
        path = cfg.find_config(root, kind)
        text = path.read_text(encoding="utf-8") if path.suffix == ".toml" else ""
        raw = cfg.read_raw(path)
        files[kind] = CapsFile(kind, path, _rel(path, root), raw,
                               tuple(cfg.hand_comments(text, kind)) if text else ())
    fields = tuple(CapField(kind, field_of(kind, key), effective(field_of(kind, key), files[kind].raw))
                   for kind, key in CAP_KEYS)
    return CapsForm(files, fields)


def check(f: Field, text: str) -> str | None:
    """None when `text` is a valid value for `f`, else the reason (the loader's own rule)."""
    try:
        schema.parse_text(f, text)
    except ValueError as exc:
        return f"{f.key} {exc}"
    return None


def changed_values(form: CapsForm, texts: Mapping[str, str]) -> dict[Kind, dict[str, Any]]:
    """{kind: {key: new value}} for the keys whose typed text parses to a value other than the current.

    `texts` maps each key to what is typed; every text must be valid (raises ValueError otherwise).
    None as a value means unset the key (Store.save_config drops it from the file).
    """
    out: dict[Kind, dict[str, Any]] = {}
    for cap in form.fields:
        value = schema.parse_text(cap.field, texts.get(cap.key, cap.text))
        if not same_value(value, cap.current):
            out.setdefault(cap.kind, {})[cap.key] = value
    return out


def advice_for(form: CapsForm, texts: Mapping[str, str], balance: float | None,
               traded: Iterable[str] = ()) -> list[adv.Advice]:
    """engine/advice.py's warnings for the values being edited: each file's keys with the typed
    values over them, loaded as the loader would, at `balance` (None: no state yet, so the
    overlay's initial_balance). Empty while a field or a file is invalid (the form says why)."""
    try:
        changes = changed_values(form, texts)
        configs = {}
        for kind, file in form.files.items():
            raw = {**file.raw, **changes.get(kind, {})}
            configs[kind] = cfg.validate(kind, {k: v for k, v in raw.items() if v is not None}, file.rel)
    except (ValueError, ConfigError):
        return []
    overlay, policy = configs["overlay"], configs["policy"]
    assert isinstance(overlay, cfg.OverlayConfig) and isinstance(policy, cfg.PolicyConfig)
    return adv.advise(overlay, policy, overlay.initial_balance if balance is None else balance, traded)


def same_value(a: Any, b: Any) -> bool:
    """Equal as config values: 100 typed for 100.0 is no change; unset is only equal to unset."""
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    return a == b


def describe_changes(changes: Mapping[str, Any]) -> str:
    """`per_trade_risk_cap 100 -> 150, daily_loss_cap 200 -> unset` from Store.save_config's result."""
    parts = [f"{key} {shown_value(old)} -> {shown_value(new)}" for key, (old, new) in changes.items()
             if key != cfg.OVERRIDES_KEY]
    return ", ".join(parts) or "no value changed"


def save_caps(root: str | os.PathLike[str], changes: Mapping[Kind, Mapping[str, Any]], *,
              by: str = "console") -> tuple[dict[str, Any], str | None]:
    """Save `changes` ({kind: {key: new value}}, None unsets) through `Store.save_config`, overlay
    first: the bot's own locked transaction, the file in its own format, journaled old -> new.

    Returns (what was saved by kind, None) or, when a save fails, (what was saved before it, one
    line saying why with the root's path left out). Blocks: call it from a worker."""
    store = Store(Path(root))
    saved: dict[str, Any] = {}
    for kind in ("overlay", "policy"):
        if kind not in changes:
            continue
        try:
            saved[kind] = store.save_config(kind, changes[kind], by=by)
        except Exception as exc:  # noqa: BLE001 - said in the screen; the console stays up
            text = str(exc) if isinstance(exc, Tc1Error) else f"{exc.__class__.__name__}: {exc}"
            return saved, text.replace(f"{Path(root)}/", "")
    return saved, None
