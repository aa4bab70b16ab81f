"""The open book at the bot's marks, as the console shows it: four cells per position, the card figures.

Pure, no Textual. `with_marks` runs on every full read, and on its own when only runtime/marks.json
changed: the last snapshot keeps each row's engine Position, so a bot marking 500 positions ten
times a second costs the console a read of one small file, never a read of the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..engine.marks import CORRUPT, MISSING, STALE, BookMarks, Marks, PositionMark, mark_book, marks_note
from . import format as fmt
from .snapshot import LOSS, MUTED, PLAIN, WARN, PositionRow, Snapshot, tone_of

NO_MARK = ((fmt.DASH, MUTED),) * 4


@dataclass(frozen=True, slots=True)
class CardMarks:
    """What the Balance and Open risk cards show of the marks (compared by value: a card repaints
    only when one of these changed)."""

    unrealized: float | None  # None: no position is marked
    equity: float | None  # balance + unrealized; None while positions are open and none is marked
    worst_case: float  # every stop hit, fees included
    marked: int
    open_count: int


def mark_cells(mark: PositionMark | None) -> tuple[tuple[str, str], ...]:
    """mark, unrealized PnL, R now, distance to stop: (text, tone) each."""
    if mark is None:
        return NO_MARK
    return ((fmt.price(mark.price), PLAIN),
            (fmt.signed_money(mark.unrealized), tone_of(mark.unrealized)),
            (f"{mark.r_now:+.2f}R", tone_of(mark.r_now)),
            (fmt.pct(mark.to_stop_pct), LOSS if mark.to_stop_pct <= 0 else PLAIN))


def with_marks(snap: Snapshot, marks: Marks) -> Snapshot:
    """`snap` with every position at its mark (only the rows whose cells changed are new objects)."""
    book = mark_book((r.position for r in snap.positions if r.position is not None), snap.balance.balance, marks)
    marked = book.positions
    rows = []
    for row in snap.positions:  # 500 rows ten times a second: the constructor, not dataclasses.replace
        cells = mark_cells(marked.get(row.trade_id))
        rows.append(row if cells == row.marks else
                    PositionRow(row.trade_id, row.entry_ts_ms, row.cells, cells, row.position))
    return replace(snap, positions=tuple(rows), marks=book)


def card_marks(book: BookMarks | None) -> CardMarks | None:
    if book is None:
        return None
    return CardMarks(book.unrealized if book.positions else None, book.equity, book.worst_case, book.marked,
                     book.open_count)


def note(book: BookMarks | None, now_ms: int) -> tuple[str, str]:
    """The marks note at clock reading `now_ms`, and its tone: a warning unless the marks are fresh."""
    if book is None:
        return "no marks", WARN
    fresh = book.freshness(now_ms)
    tone = LOSS if fresh == CORRUPT else WARN if fresh in (STALE, MISSING) else MUTED
    if fresh != CORRUPT and book.open_count and book.marked < book.open_count:
        tone = WARN
    return marks_note(book, now_ms), tone
