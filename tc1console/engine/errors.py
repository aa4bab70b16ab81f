"""The one exception hierarchy: every message names what to look at and, where it can, what to do."""

from __future__ import annotations


class Tc1Error(Exception):
    """Base of every error tc1console raises on purpose; the CLI prints it as one line."""


class ConfigError(Tc1Error):
    """A config file is missing, ambiguous, unparsable or holds a bad value."""


class StateError(Tc1Error):
    """A runtime state file or the journal cannot be read or is inconsistent."""


class UnknownTradeError(Tc1Error, KeyError):
    """`close` was called for a trade_id that is neither open nor in the kept close history."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0]) if self.args else "unknown trade"


class InvalidExitError(Tc1Error, ValueError):
    """`close` was called with an exit price or time that cannot be booked."""


class InputError(Tc1Error, ValueError):
    """A command-line, file or API input is malformed (a CSV column, a flag value, an amount)."""


class NotRecordedError(Tc1Error):
    """A call failed before its journal line was durable: nothing of it remains, on disk or in
    memory, so the same call can simply be made again."""
