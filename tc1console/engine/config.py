"""Load, validate and render the two config files (overlay and policy), in TOML or JSON.

One schema drives everything: the loader's checks, the console's as-you-type validation and the
TOML writer's one-line comments, so a file saved by the console looks exactly like a shipped one.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

import tomli_w

from .errors import ConfigError
from .rails import POLICY_FIELDS, RAILS
from .schema import REQUIRED, Field, check_value, show as _show

Kind = Literal["overlay", "policy"]
STEMS: dict[Kind, str] = {"overlay": "risk_overlay", "policy": "risk_policy"}
OVERLAY_FIELDS: tuple[Field, ...] = (
    Field("initial_balance", float, REQUIRED, "positive",
          "Starting equity in $ when runtime/ holds no state yet.", "Initial balance"),
    Field("flat_risk_until", float, 0.0, "nonneg",
          "While balance is below this, risk flat_risk_amount per trade; at or above, percent_risk.",
          "Flat risk until $"),
    Field("flat_risk_amount", float, REQUIRED, "positive",
          "$ risked per trade while balance < flat_risk_until.", "Flat risk $"),
    Field("percent_risk", float, REQUIRED, "fraction",
          "Fraction of balance risked per trade at or above the threshold (0.005 = 0.5%).",
          "Percent risk (fraction)"),
    Field("per_trade_risk_cap", float, None, "nonneg",
          "$ ceiling on one trade's risk; leave out for no cap.", "Per-trade risk cap $"),
    Field("total_open_risk_cap", float, None, "nonneg",
          "$ ceiling on the summed risk of all open trades; leave out for no cap.",
          "Total open risk cap $"),
    Field("max_concurrent_trades", int, None, "nonneg",
          "Most positions open at once; leave out for no limit.", "Max concurrent trades"),
    Field("max_leverage", float, None, "nonneg",
          "Notional of all open positions plus the new one stays <= balance * this; leave out for none.",
          "Max leverage"),
    Field("fee_bps_per_side", float, 0.0, "nonneg",
          "Fee in basis points of notional, charged on entry and again on exit.", "Fee bps per side"),
    Field("fees_in_risk", bool, True, "",
          "Size so that a stop-out loses at most the budget including both fees.", "Fees in risk"),
    Field("default_qty_step", float, REQUIRED, "positive",
          "Quantity step for symbols without an override; qty is floored to a multiple of it.",
          "Default qty step"),
    Field("default_min_qty", float, 0.0, "nonneg",
          "Smallest tradable quantity for symbols without an override.", "Default min qty"),
    Field("default_min_notional", float, 0.0, "nonneg",
          "Smallest tradable qty * price in $ for symbols without an override.",
          "Default min notional $"),
)

OVERRIDE_FIELDS: tuple[Field, ...] = (
    Field("qty_step", float, None, "positive", "Quantity step for this symbol."),
    Field("min_qty", float, None, "nonneg", "Smallest tradable quantity for this symbol."),
    Field("min_notional", float, None, "nonneg", "Smallest tradable qty * price in $ for this symbol."),
    Field("fee_bps_per_side", float, None, "nonneg", "Fee in basis points per side for this symbol."),
)
OVERRIDES_KEY = "symbol_overrides"
OVERRIDES_COMMENT = "Per-symbol market rules: a [symbol_overrides.SYMBOL] table with any of the keys below."

# The policy's keys are declared by the rails that read them (rails.py), in check order.

FIELDS: dict[Kind, tuple[Field, ...]] = {"overlay": OVERLAY_FIELDS, "policy": POLICY_FIELDS}
HEADERS: dict[Kind, str] = {
    "overlay": "tc1console risk overlay: sizing, caps and market rules.",
    "policy": "tc1console risk policy: safety rails that block new entries.",
}
_WRITER_NOTE = "Written by tc1console; a comment added by hand is not kept when the console saves."


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """Market rules and fee for one symbol, resolved from the defaults and its override."""

    qty_step: float
    min_qty: float
    min_notional: float
    fee_bps: float  # basis points of notional per side
    fee_rate: float  # the same as a fraction (bps / 10_000)


@dataclass(frozen=True, slots=True)
class OverlayConfig:
    initial_balance: float
    flat_risk_amount: float
    percent_risk: float
    default_qty_step: float
    flat_risk_until: float = 0.0
    per_trade_risk_cap: float | None = None
    total_open_risk_cap: float | None = None
    max_concurrent_trades: int | None = None
    max_leverage: float | None = None
    fee_bps_per_side: float = 0.0
    fees_in_risk: bool = True
    default_min_qty: float = 0.0
    default_min_notional: float = 0.0
    symbol_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def rules_for(self, symbol: str) -> SymbolRules:
        o = self.symbol_overrides.get(symbol, {})
        bps = o.get("fee_bps_per_side", self.fee_bps_per_side)
        return SymbolRules(
            qty_step=o.get("qty_step", self.default_qty_step),
            min_qty=o.get("min_qty", self.default_min_qty),
            min_notional=o.get("min_notional", self.default_min_notional),
            fee_bps=bps,
            fee_rate=bps / 10_000,
        )


PolicyConfig = make_dataclass(
    "PolicyConfig", [(f.key, Any, field(default=f.default)) for f in POLICY_FIELDS],
    frozen=True, slots=True)
PolicyConfig.__module__ = __name__  # (make_dataclass takes `module=` only from Python 3.12)
PolicyConfig.__doc__ = "The safety rails' settings: one attribute per key of rails.POLICY_FIELDS (None: unset)."


def validate(kind: Kind, raw: Any, source: str) -> OverlayConfig | PolicyConfig:
    """Check every key of `raw` against the schema; the error names source, key and value."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: the top level must be a table of keys, not {type(raw).__name__}")
    fields = {f.key: f for f in FIELDS[kind]}
    allowed = set(fields) | ({OVERRIDES_KEY} if kind == "overlay" else set())
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"{source}: unknown key {key!r} = {_show(raw[key])} "
                              f"(known keys: {', '.join(sorted(allowed))})")
    values: dict[str, Any] = {}
    for f in FIELDS[kind]:
        if f.key not in raw:
            if f.required:
                raise ConfigError(f"{source}: key {f.key!r} is required ({f.comment})")
            continue
        try:
            values[f.key] = check_value(f, raw[f.key])
        except ValueError as exc:
            raise ConfigError(f"{source}: key {f.key!r} {exc}") from None
        if values[f.key] is None:
            del values[f.key]
    if kind == "policy":
        for rail in RAILS:
            problem = rail.cross_check(values)
            if problem:
                raise ConfigError(f"{source}: {problem}")
        return PolicyConfig(**values)
    values[OVERRIDES_KEY] = _validate_overrides(raw.get(OVERRIDES_KEY, {}), source)
    return OverlayConfig(**values)


def _validate_overrides(raw: Any, source: str) -> dict[str, dict[str, float]]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: key {OVERRIDES_KEY!r} must be a table of symbols, not {_show(raw)}")
    fields = {f.key: f for f in OVERRIDE_FIELDS}
    out: dict[str, dict[str, float]] = {}
    for symbol, table in raw.items():
        where = f"{OVERRIDES_KEY}.{symbol}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: key {where!r} must be a table, not {_show(table)}")
        rules: dict[str, float] = {}
        for key, value in table.items():
            if key not in fields:
                raise ConfigError(f"{source}: unknown key {where + '.' + key!r} = {_show(value)} "
                                  f"(known keys: {', '.join(fields)})")
            try:
                checked = check_value(fields[key], value)
            except ValueError as exc:
                raise ConfigError(f"{source}: key {where + '.' + key!r} {exc}") from None
            if checked is not None:
                rules[key] = checked
        out[str(symbol)] = rules
    return out


ROOT_HINT = "pass --root DIR or set TC1_ROOT to the folder that holds configs/"


def _contents(folder: Path, shown: int = 6) -> str:
    """What a folder holds, for an error message: `holds a, b/ and 3 more`, or `is empty`."""
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    except OSError as exc:
        return f"cannot be listed ({exc.strerror or exc})"
    if not names:
        return "is empty"
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"holds {', '.join(names[:shown])}{more}"


def check_root(root: Path) -> None:
    """Raise ConfigError unless `root` is a folder with a configs/ folder: the message says what is
    there instead and what to run (`tc1 init`, or --root / TC1_ROOT)."""
    root = Path(root)
    if not root.exists():
        raise ConfigError(f"{root}: no such folder; make a new root there with `tc1 init {root}`, or {ROOT_HINT}")
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; a root is a folder holding configs/ and runtime/ ({ROOT_HINT})")
    if not (root / "configs").is_dir():
        raise ConfigError(f"{root / 'configs'} not found ({root} {_contents(root)}); make a new root with "
                          f"`tc1 init DIR`, or {ROOT_HINT}")


def find_config(root: Path, kind: Kind) -> Path:
    """The config file of `kind` under root/configs: .toml, else .json; both present is an error."""
    check_root(root)
    folder = Path(root) / "configs"
    toml_path, json_path = folder / f"{STEMS[kind]}.toml", folder / f"{STEMS[kind]}.json"
    if toml_path.exists() and json_path.exists():
        raise ConfigError(f"{toml_path} and {json_path} both exist; keep one of them")
    if toml_path.exists():
        return toml_path
    if json_path.exists():
        return json_path
    raise ConfigError(f"{toml_path} not found (nor {json_path.name}; configs/ {_contents(folder)}); "
                      f"`tc1 init NEW_DIR` writes the default {toml_path.name} there to copy, or {ROOT_HINT}")


def read_raw(path: Path) -> dict[str, Any]:
    """Parse a config file by its extension, without validating its keys."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_raw(decode(data, path), path)


def decode(data: bytes, path: Path) -> str:
    """A config file's bytes as text: UTF-8, else a ConfigError naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}, "
                          f"byte offset {exc.start}); save the file as UTF-8") from None


def parse_raw(text: str, path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".json":
            # NaN / Infinity parse as floats so that validate() names the key holding them.
            raw = json.loads(text)
        elif path.suffix == ".toml":
            raw = tomllib.loads(text)
        else:
            raise ConfigError(f"{path}: unsupported extension {path.suffix!r} (use .toml or .json)")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a config file") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be an object of keys, not {type(raw).__name__}")
    return raw


def load(path: Path, kind: Kind) -> OverlayConfig | PolicyConfig:
    return validate(kind, read_raw(path), str(path))


def load_overlay(path: Path) -> OverlayConfig:
    cfg = load(path, "overlay")
    assert isinstance(cfg, OverlayConfig)
    return cfg


def load_policy(path: Path) -> PolicyConfig:
    cfg = load(path, "policy")
    assert isinstance(cfg, PolicyConfig)
    return cfg


# --- writing -------------------------------------------------------------------------------------

DEFAULTS: dict[Kind, dict[str, Any]] = {
    "overlay": {
        "initial_balance": 10_000.0,
        "flat_risk_until": 5_000.0,
        "flat_risk_amount": 25.0,
        "percent_risk": 0.005,
        "per_trade_risk_cap": 100.0,
        "total_open_risk_cap": 300.0,
        "max_concurrent_trades": 5,
        "max_leverage": 3.0,
        "fee_bps_per_side": 4.0,
        "fees_in_risk": True,
        "default_qty_step": 0.001,
        "default_min_qty": 0.001,
        "default_min_notional": 5.0,
        OVERRIDES_KEY: {
            "BTCUSDT": {"qty_step": 0.001, "min_qty": 0.001, "min_notional": 100.0},
            "ETHUSDT": {"qty_step": 0.01, "min_qty": 0.01, "min_notional": 20.0},
            "SOLUSDT": {"qty_step": 0.1, "min_qty": 0.1, "min_notional": 5.0},
        },
    },
    "policy": {"equity_floor": 8_000.0, "daily_loss_cap": 200.0, "max_trades_per_day": 20},
}


def _unset_line(f: Field) -> str:
    return f"# {f.key} = (unset)"


def _comment_vocabulary(kind: Kind) -> set[str]:
    """Every comment line the writer can emit for `kind`, to tell hand-added comments apart."""
    lines = {f"# {HEADERS[kind]}", f"# {_WRITER_NOTE}"}
    fields = FIELDS[kind] + (OVERRIDE_FIELDS if kind == "overlay" else ())
    for f in fields:
        lines.add(f"# {f.comment}")
        lines.add(_unset_line(f))
    lines.add(f"# {OVERRIDES_COMMENT}")
    return lines


def hand_comments(text: str, kind: Kind) -> list[str]:
    """Comment lines in a TOML file's text that the writer would not have written itself."""
    vocabulary = _comment_vocabulary(kind)
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if "#" in stripped and not stripped.startswith("#"):
            # A trailing comment after a value (key = 1  # note). '#' inside a string is rare in
            # these files; calling it a hand comment errs on the side of warning.
            out.append(stripped)
        elif stripped.startswith("#") and stripped not in vocabulary:
            out.append(stripped)
    return out


def dump_toml(kind: Kind, values: Mapping[str, Any]) -> str:
    """Render `values` as the project's commented TOML (one comment line above each key)."""
    parts = [f"# {HEADERS[kind]}", f"# {_WRITER_NOTE}", ""]
    for f in FIELDS[kind]:
        parts.append(f"# {f.comment}")
        value = values.get(f.key)
        parts.append(_unset_line(f) if value is None else tomli_w.dumps({f.key: value}).rstrip("\n"))
        parts.append("")
    if kind == "overlay":
        parts.append(f"# {OVERRIDES_COMMENT}")
        for symbol, rules in (values.get(OVERRIDES_KEY) or {}).items():
            parts.append(tomli_w.dumps({OVERRIDES_KEY: {symbol: {}}}).strip())
            for f in OVERRIDE_FIELDS:
                if rules.get(f.key) is not None:
                    parts.append(f"# {f.comment}")
                    parts.append(tomli_w.dumps({f.key: rules[f.key]}).rstrip("\n"))
            parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


def dump_json(kind: Kind, values: Mapping[str, Any]) -> str:
    ordered = {f.key: values[f.key] for f in FIELDS[kind] if values.get(f.key) is not None}
    if kind == "overlay" and values.get(OVERRIDES_KEY):
        ordered[OVERRIDES_KEY] = values[OVERRIDES_KEY]
    return json.dumps(ordered, indent=2) + "\n"


def render(path: Path, kind: Kind, values: Mapping[str, Any]) -> str:
    """The text of a config file at `path`, in the format its extension names."""
    text = dump_json(kind, values) if Path(path).suffix == ".json" else dump_toml(kind, values)
    validate(kind, parse_raw(text, Path(path)), str(path))  # never write what could not load
    return text


def kind_of(path: Path) -> Kind:
    for kind, stem in STEMS.items():
        if Path(path).stem == stem:
            return kind
    raise ConfigError(f"{path}: not a config file name (expected risk_overlay.* or risk_policy.*)")


def default_text(kind: Kind) -> str:
    """The shipped default config of `kind`, as the writer renders it (configs/ holds exactly this)."""
    return dump_toml(kind, DEFAULTS[kind])
