"""The desk's numbers as the command line prints them: the marks and the daily table (`tc1 daily`,
and the sections `tc1 dashboard` adds). Plain text for a pipe; the numbers come from the engine's
own `marks.mark_book` and `ledger.daily_table`, like the console's."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

DASH = "-"


def _money(value: float | None) -> str:
    return DASH if value is None else f"{value:,.2f}"


def _signed(value: float | None) -> str:
    return DASH if value is None else f"{value:+,.2f}"


def mark_cells(mark: Mapping[str, Any] | None) -> tuple[str, str, str, str]:
    """mark, unrealized, R now, to stop, for one position of `BookMarks.as_dict()["positions"]`."""
    if not mark:
        return (DASH, DASH, DASH, DASH)
    return (_money(mark["mark"]), _signed(mark["unrealized"]), f"{mark['r_now']:+.2f}R",
            f"{mark['to_stop_pct']:.2f}%")


def marks_lines(marks: Mapping[str, Any], signed: Callable[[float], str]) -> list[str]:
    """The dashboard's marks lines: equity at the marks, the live unrealized PnL beside the worst
    case, and how fresh the marks are."""
    unrealized = marks["unrealized"]
    equity = marks["equity"]
    live = signed(unrealized) if unrealized is not None else "no marks"
    return [
        f"Equity       {_money(equity) if equity is not None else 'no marks':>14}   "
        f"unrealized {live}   ({marks['note']})",
        f"At stops     {_signed(marks['worst_case']):>14}   every open stop hit, fees included",
    ]


DAILY_HEAD = ("day", "entries", "closed", "won", "pnl", "R", "fees", "balance", "rail hits")
DAILY_RIGHT = (1, 2, 3, 4, 5, 6, 7)


def daily_rows(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """`DayRow.as_dict()`s as text cells, newest first; unknown values (a day only the state's day
    buckets hold) are `-`."""
    out = []
    for r in reversed(rows):
        hits = ", ".join(f"{n} {reason}" for reason, n in r["rail_hits"].items()) or ("0" if r["source"] else DASH)
        out.append((r["day"], DASH if r["entries"] is None else str(r["entries"]),
                    DASH if r["closes"] is None else str(r["closes"]), DASH if r["wins"] is None else str(r["wins"]),
                    _signed(r["pnl"]), DASH if r["r_sum"] is None else f"{r['r_sum']:+.2f}R", _money(r["fees"]),
                    _money(r["balance"]), hits))
    return out
