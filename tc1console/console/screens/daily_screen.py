"""The daily table: the last N UTC days, newest first (trades, wins, PnL, R, fees, closing balance,
rail hits), from `ledger.daily_table` like `tc1 daily`; read off the UI thread, again whenever the
journal grows while the screen is open."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from ...engine.ledger import DayRow, load_daily
from .. import format as fmt
from ..messages import DailyLoaded
from ..snapshot import MUTED, PLAIN, WARN, Snapshot, tone_of
from ..widgets.base import styled, table_cell, tone_styles
from .live_screen import LiveScreen

DAYS_SHOWN = 30
# key, label, right-aligned
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("day", "day (UTC)", False),
    ("entries", "entries", True),
    ("closes", "closed", True),
    ("wins", "won", True),
    ("pnl", "PnL", True),
    ("r", "R", True),
    ("fees", "fees", True),
    ("balance", "balance", True),
    ("hits", "rail hits", False),
)


def _known(value: object, render) -> str:
    return fmt.DASH if value is None else render(value)


def day_cells(row: DayRow) -> tuple[tuple[str, str], ...]:
    """(text, tone) per column; unknown values (a day only the state's buckets hold) are `-`."""
    quiet = row.source == ""
    hits = ", ".join(f"{n} {reason}" for reason, n in row.rail_hits.items())
    return (
        (row.day, PLAIN if not quiet else MUTED),
        (_known(row.entries, str), MUTED if quiet else PLAIN),
        (_known(row.closes, str), MUTED if quiet else PLAIN),
        (_known(row.wins, str), MUTED if quiet else PLAIN),
        (_known(row.pnl, fmt.signed_money), tone_of(row.pnl)),
        (_known(row.r_sum, lambda v: f"{v:+.2f}R"), tone_of(row.r_sum)),
        (_known(row.fees, fmt.money), MUTED),
        (_known(row.balance, fmt.money), MUTED if quiet else PLAIN),
        (hits or ("-" if quiet else "0"), WARN if hits else MUTED),
    )


def summary(rows: Sequence[DayRow]) -> str:
    closes = sum(r.closes or 0 for r in rows)
    wins = sum(r.wins or 0 for r in rows)
    pnl = sum(r.pnl or 0.0 for r in rows)
    hits = sum(r.hits for r in rows)
    return (f"{len(rows)} days: {closes:,} closed, {wins:,} won, PnL {fmt.signed_money(pnl)}, "
            f"fees {fmt.money(sum(r.fees or 0.0 for r in rows))}, {hits:,} rail hit{'s' if hits != 1 else ''}")


class DailyScreen(LiveScreen):
    DEFAULT_CSS = """
    DailyScreen { layout: vertical; }
    DailyScreen #daily-title { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    DailyScreen #daily-table { height: 1fr; padding: 0 0 0 1; }
    DailyScreen #daily-error { height: auto; display: none; color: $error; padding: 0 1; }
    DailyScreen #daily-error.-shown { display: block; }
    """

    BINDINGS = [Binding("escape", "back", "Back", id="daily.back", tooltip="Back to the dashboard")]

    def __init__(self, root: Path, today: str, days: int = DAYS_SHOWN) -> None:
        super().__init__()
        self.root = root
        self.today = today
        self.days = days
        self.rows: list[DayRow] = []
        self.loads = 0  # tests wait on it
        self._seq: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(styled("Daily", bold=True) + styled(
            f"  the last {self.days} UTC days from the journal, newest first · a trade counts on the day it "
            "closed; rail hits are entries a safety rail refused", MUTED), id="daily-title")
        yield Static("", id="daily-error")
        table = DataTable(id="daily-table", classes="panel", cursor_type="row", zebra_stripes=True)
        table.border_title = "PnL by UTC day"
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.cell_padding = 0
        self._styles = tone_styles(self.app)
        for key, label, right in COLUMNS:
            table.add_column(table_cell(f" {label}" if key == "hits" else label, right), key=key)
        table.focus()
        snap = getattr(self.app, "snapshot", None)
        if snap is not None:
            self.follow(snap)
        else:
            self._read(self.today)

    def follow(self, snap: Snapshot) -> None:
        """Read again when the journal grew or a new UTC day began (not on marks)."""
        if snap.seq != self._seq or snap.today != self.today:
            self._seq, self.today = snap.seq, snap.today
            self._read(self.today)

    @work(thread=True, exclusive=True, group="daily", exit_on_error=False)
    def _read(self, today: str) -> None:
        try:
            rows = load_daily(self.root, today, self.days)
        except Exception as exc:  # noqa: BLE001 - a bad file is said on screen, never a crash
            self.post_message(DailyLoaded([], f"cannot read the daily table: {exc}"))
        else:
            self.post_message(DailyLoaded(rows))

    def on_daily_loaded(self, message: DailyLoaded) -> None:
        error = self.query_one("#daily-error", Static)
        error.set_class(bool(message.error), "-shown")
        error.update(styled(message.error, "loss"))
        if not message.error:
            self.rows = message.rows
            self._render_rows(message.rows)
        self.loads += 1

    def _render_rows(self, rows: list[DayRow]) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        with self.app.batch_update():
            table.clear()
            for row in reversed(rows):  # newest first
                table.add_row(*(self._cell(key, right, text, tone) for (key, _l, right), (text, tone)
                                in zip(COLUMNS, day_cells(row))), key=row.day)
            if table.row_count:
                table.move_cursor(row=min(cursor, table.row_count - 1), scroll=False)
        table.border_subtitle = summary(rows)

    def _cell(self, key: str, right: bool, text: str, tone: str) -> Text:
        if key == "hits":  # the one left-aligned column after right-aligned ones: keep them apart
            text = f" {text}"
        return table_cell(text, right, self._styles.get(tone, ""))

    def action_back(self) -> None:
        self.dismiss(None)
