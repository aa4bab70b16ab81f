"""One config key and its checks: the type, bound, default, label and comment of every key of both configs.

The loader, the console's as-you-type validation and the TOML writer's comments all read these, so
a key is described once (the policy's keys are declared by the rails that use them, rails.py).
"""

from __future__ import annotations

import json
import math
import reprlib
from dataclasses import dataclass
from typing import Any

REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Field:
    """One config key: its type, its bound, its default and the comment the writer puts above it."""

    key: str
    type: type  # float, int or bool
    default: Any  # REQUIRED, None (unset: no cap) or a value
    bound: str  # "positive", "nonneg", "fraction" (0 < x < 1) or "" for bool
    comment: str
    label: str = ""  # short name for forms; defaults to the key

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def optional(self) -> bool:
        return self.default is None


def check_value(f: Field, value: Any) -> Any:
    """Return `value` as the field's type, or raise ValueError saying what is wrong with it."""
    if value is None:
        if f.optional:
            return None
        raise ValueError("is required")
    if f.type is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {show(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be {'a whole number' if f.type is int else 'a number'}, not {show(value)}")
    if f.type is int and not isinstance(value, int):
        raise ValueError(f"must be a whole number, not {show(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int past the float range
        raise ValueError(f"is too large ({show(value)})") from None
    if not finite:
        raise ValueError(f"must be a finite number, not {show(value)}")
    if f.bound == "positive" and not value > 0:
        raise ValueError(f"must be greater than 0, not {show(value)}")
    if f.bound == "nonneg" and value < 0:
        raise ValueError(f"must not be negative, not {show(value)}")
    if f.bound == "fraction" and not 0 < value < 1:
        raise ValueError(f"must be between 0 and 1 exclusive (0.005 = 0.5%), not {show(value)}")
    return f.type(value)


def parse_text(f: Field, text: str) -> Any:
    """Parse what a person typed into a form field; empty means unset. Raises ValueError."""
    text = text.strip()
    if text == "":
        return check_value(f, None)
    if f.type is bool:
        low = text.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"must be true or false, not {text!r}")
    try:
        value: Any = int(text) if f.type is int else float(text.replace("_", ""))
    except ValueError:
        raise ValueError(
            f"must be {'a whole number' if f.type is int else 'a number'}, not {text!r}") from None
    return check_value(f, value)


def show(value: Any) -> str:
    """A value as a person would write it in the file, cut short if it is long."""
    if isinstance(value, (bool, type(None))):
        return json.dumps(value)
    if isinstance(value, int) and value.bit_length() > 200:
        return f"an integer of {len(str(value)) if value.bit_length() < 14_000 else 'thousands of'} digits"
    text = reprlib.repr(value)
    return text
