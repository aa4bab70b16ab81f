"""The trades a backtest replays, as parallel columns: what the replay loop reads, whatever their source.

The CSV reader fills a `Trades` table (reader.py); so can any other source of trades (a live
journal, say), since the replay (replay.py) reads nothing but these columns.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from operator import le
from pathlib import Path

from ..engine.core import OpenResult

# exit_ts of a trade with no exit in the data (docs/harness.md: exit_time and exit_price both blank):
# it is sized and counted like any other, never closed, and still open at the end of the replay.
# Its exit_price is NaN. Later than any time a row can hold (those end with year 9999).
STILL_OPEN = (1 << 63) - 1

@dataclass(slots=True)
class Trades:
    """The rows as parallel columns indexed by input position (0 = the first row).

    Per row: trade_id, symbol, is_long, entry_ts (ms), entry_price, stop_price, exit_ts (ms, or
    STILL_OPEN), exit_price, and the input line it starts on. Rows listed in `invalid` (the source
    could not use them; each holds its ready-made `invalid_input` OpenResult) hold placeholder
    values in the columns and never reach the engine. `path` names the source.
    """

    path: Path
    trade_ids: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    is_long: list[bool] = field(default_factory=list)
    entry_ts: array = field(default_factory=lambda: array("q"))
    entry_price: array = field(default_factory=lambda: array("d"))
    stop_price: array = field(default_factory=lambda: array("d"))
    exit_ts: array = field(default_factory=lambda: array("q"))
    exit_price: array = field(default_factory=lambda: array("d"))
    lines: array = field(default_factory=lambda: array("q"))
    invalid: dict[int, OpenResult] = field(default_factory=dict)
    in_order: bool = True  # valid rows' entry times never decrease in input order
    has_trade_ids: bool = False  # ids come from the source (so one may repeat), not made up

    def __len__(self) -> int:
        return len(self.lines)

    def replay_order(self, start: int = 0, end: int | None = None) -> "array | range":
        """The valid rows among start..end (all of them by default) by (entry time, input
        position): Python's sort is stable, so ties keep input order. While the table so far is
        in order, any stretch of it is too; else a stretch is checked before it is sorted."""
        end = len(self) if end is None else end
        bad = self.invalid
        valid = [i for i in range(start, end) if i not in bad] if bad else range(start, end)
        key = self.entry_ts.__getitem__
        if self.in_order or all(map(le, map(key, valid), map(key, valid[1:]))):
            return array("q", valid) if bad else valid
        return array("q", sorted(valid, key=key))
