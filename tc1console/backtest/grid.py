"""A sweep's grid: `KEY=SPEC` axes over the two configs, and every combination validated by the loader.

    axes = [parse_axis("percent_risk=0.005:0.02:0.005"), parse_axis("max_trades_per_day=5,10,none")]
    grid = Grid(axes, overlay_raw, policy_raw, "configs/risk_overlay.toml", None)
    points = grid.points(random_n=None, seed=0)   # validated OverlayConfig/PolicyConfig pairs

SPEC is `a,b,c` (a list) or `start:stop:step` (a range, stop included when the steps land on it,
counted in decimal so 0.005:0.02:0.005 gives exactly 0.005, 0.01, 0.015, 0.02); `none` unsets an
optional key. KEY is any overlay or policy key (engine/config.py's FIELDS), or
`symbol_overrides.SYMBOL.KEY`. The checks are the loader's own (`config.validate`): a value the
loader would refuse in a file is refused here, before anything runs.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Mapping

from ..engine import config
from ..engine.config import OVERRIDE_FIELDS, OVERRIDES_KEY, Field, Kind, OverlayConfig, PolicyConfig
from ..engine.errors import ConfigError
from ..engine.schema import parse_text, show

MAX_GRID = 100_000  # configs in a full grid; a larger one needs --random N
NONE_WORDS = ("none", "null", "unset")


@dataclass(frozen=True, slots=True)
class Axis:
    """One `--grid KEY=SPEC`: the key as typed, the config it belongs to, its place in that config's
    raw table and the values to try (typed like the key; None unsets it)."""

    key: str
    kind: Kind
    path: tuple[str, ...]
    values: tuple[Any, ...]


def find_field(key: str) -> tuple[Kind, tuple[str, ...], Field]:
    """Which config holds `key`, where, and its schema Field. Raises ConfigError for an unknown key."""
    for kind in ("overlay", "policy"):
        for f in config.FIELDS[kind]:
            if f.key == key:
                return kind, (key,), f
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == OVERRIDES_KEY and parts[1]:
        for f in OVERRIDE_FIELDS:
            if f.key == parts[2]:
                return "overlay", tuple(parts), f
    known = [f.key for kind in ("overlay", "policy") for f in config.FIELDS[kind]]
    raise ConfigError(f"--grid {key}: unknown key {key!r} (known keys: {', '.join(known)}, "
                      f"{OVERRIDES_KEY}.SYMBOL.{{{','.join(f.key for f in OVERRIDE_FIELDS)}}})")


def parse_axis(text: str) -> Axis:
    """`KEY=a,b,c` or `KEY=start:stop:step` as an Axis. Raises ConfigError naming the key."""
    key, eq, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    if not eq or not key or not spec:
        raise ConfigError(f"--grid {text}: expected KEY=a,b,c or KEY=start:stop:step")
    kind, path, f = find_field(key)
    if ":" in spec:
        values = _range(key, f, spec)
    else:
        values = [_value(key, f, item) for item in spec.split(",")]
    unique = tuple(dict.fromkeys(values))  # a value given twice is one config, not two
    return Axis(key, kind, path, unique)


def _value(key: str, f: Field, text: str) -> Any:
    """One list item typed like the key (bounds are left to the loader, with the whole config)."""
    text = text.strip()
    if text.lower() in NONE_WORDS:
        return None
    if not text:
        raise ConfigError(f"--grid {key}: an empty value in the list (write none to unset the key)")
    if f.type is bool:
        try:
            return parse_text(f, text)
        except ValueError as exc:
            raise ConfigError(f"--grid {key}: {exc}") from None
    number = _decimal(key, text)
    return _typed(key, f, number, text)


def _decimal(key: str, text: str) -> Decimal:
    try:
        number = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise ConfigError(f"--grid {key}: {text!r} is not a number") from None
    if not number.is_finite():
        raise ConfigError(f"--grid {key}: {text!r} is not a finite number")
    return number


def _typed(key: str, f: Field, number: Decimal, text: str) -> int | float:
    if f.type is int:
        if number != number.to_integral_value():
            raise ConfigError(f"--grid {key}: must be a whole number, not {text!r}")
        return int(number)
    return float(number)  # correctly rounded: float(Decimal("0.015")) == 0.015


def _range(key: str, f: Field, spec: str) -> list[Any]:
    parts = spec.split(":")
    if len(parts) != 3:
        raise ConfigError(f"--grid {key}={spec}: a range is start:stop:step")
    if f.type is bool:
        raise ConfigError(f"--grid {key}={spec}: a true/false key takes a list (true,false), not a range")
    start, stop, step = (_decimal(key, p.strip()) for p in parts)
    if step <= 0:
        raise ConfigError(f"--grid {key}={spec}: the step must be greater than 0")
    if stop < start:
        raise ConfigError(f"--grid {key}={spec}: stop is below start")
    count = int((stop - start) // step) + 1
    if count > MAX_GRID:
        raise ConfigError(f"--grid {key}={spec}: {count:,} values; at most {MAX_GRID:,}")
    return [_typed(key, f, start + k * step, f"{start + k * step}") for k in range(count)]


@dataclass(frozen=True, slots=True)
class Point:
    """One config of the sweep: its grid position, its values by key and the validated configs."""

    index: int
    values: dict[str, Any]
    overlay: OverlayConfig
    policy: PolicyConfig


class Grid:
    """The product of the axes over a base overlay and policy (their raw tables, as read)."""

    def __init__(self, axes: list[Axis], overlay_raw: Mapping[str, Any], policy_raw: Mapping[str, Any],
                 overlay_source: str, policy_source: str | None) -> None:
        keys = [a.key for a in axes]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ConfigError(f"--grid {twice[0]}: given twice; put all its values in one --grid")
        self.axes = axes
        self.raw: dict[Kind, Mapping[str, Any]] = {"overlay": overlay_raw, "policy": policy_raw}
        self.sources: dict[Kind, str] = {"overlay": overlay_source, "policy": policy_source or "the policy"}
        self.size = 1
        for a in axes:
            self.size *= len(a.values)
        # A bad base file is named as such, not as the first combination.
        config.validate("overlay", overlay_raw, overlay_source)
        config.validate("policy", policy_raw, self.sources["policy"])

    def indices(self, random_n: int | None, seed: int) -> list[int]:
        """The grid positions to run: all of them, or `random_n` drawn with `seed` (in grid order)."""
        if random_n is None:
            if self.size > MAX_GRID:
                raise ConfigError(f"--grid: {self.size:,} combinations; at most {MAX_GRID:,} "
                                  f"(narrow the grid, or draw some with --random N)")
            return list(range(self.size))
        if random_n < 1:
            raise ConfigError(f"--random: must be 1 or more, not {random_n}")
        if random_n >= self.size:
            return list(range(self.size))
        return sorted(random.Random(seed).sample(range(self.size), random_n))

    def values_at(self, index: int) -> dict[str, Any]:
        """The values of the combination at `index` (the last axis varies fastest, as itertools.product)."""
        values: dict[str, Any] = {}
        for a in reversed(self.axes):
            index, k = divmod(index, len(a.values))
            values[a.key] = a.values[k]
        return {a.key: values[a.key] for a in self.axes}

    def raw_at(self, kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
        """The base table of `kind` with this combination's values of that kind set in it."""
        raw = dict(self.raw[kind])
        for a in self.axes:
            if a.kind != kind:
                continue
            table = raw
            for name in a.path[:-1]:  # a table on the way is copied: the base is never changed
                table[name] = copy.deepcopy(table.get(name, {}))
                table = table[name]
            if values[a.key] is None:
                table.pop(a.path[-1], None)
            else:
                table[a.path[-1]] = values[a.key]
        return raw

    def points(self, random_n: int | None = None, seed: int = 0) -> list[Point]:
        """Every combination to run, validated by the loader; raises ConfigError for the first bad one."""
        return list(self._points(self.indices(random_n, seed)))

    def _points(self, indices: list[int]) -> Iterator[Point]:
        memo: dict[tuple[Kind, tuple], Any] = {}  # one validation per distinct overlay or policy
        for index in indices:
            values = self.values_at(index)
            checked = {}
            for kind in ("overlay", "policy"):
                mine = tuple((a.key, values[a.key]) for a in self.axes if a.kind == kind)
                if (kind, mine) not in memo:
                    raw = self.raw_at(kind, values)
                    try:
                        memo[kind, mine] = config.validate(kind, raw, self.sources[kind])
                    except ConfigError:  # again, with a message that names the combination
                        where = f"--grid {', '.join(f'{k}={show(v)}' for k, v in mine)} over {self.sources[kind]}"
                        config.validate(kind, raw, where)
                        raise
                checked[kind] = memo[kind, mine]
            yield Point(index, values, checked["overlay"], checked["policy"])
