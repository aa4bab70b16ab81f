"""One closed trade's journal story: its open, fills, close and anything else about it, with who did each.

The journal is read off the UI thread (`ledger.trade_story` reads backward from the end and stops
at the trade's open), and the lines are told in the Events panel's words.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...engine import config as cfg
from ...engine.errors import ConfigError
from ...engine.ledger import trade_story
from .. import format as fmt
from ..history import HistoryRow, StoryLine, story_lines
from ..messages import StoryLoaded
from ..snapshot import MUTED, WARN, tone_of
from ..widgets.base import lines, styled


def header(row: HistoryRow) -> str:
    c = row.close
    side = "long" if c.is_long else "short"
    return (styled(f"{c.trade_id} {c.symbol} {side}", bold=True)
            + f"  {fmt.price(c.entry_price)} → {fmt.price(c.exit_price)}  "
            + styled(f"{c.R_multiple:+.2f}R  PnL {fmt.signed_money(c.pnl_after_fees)}", tone_of(c.pnl_after_fees))
            + styled(f"  after fees {fmt.money(c.fees)} · held {fmt.age(c.exit_ts_ms - c.entry_ts_ms)}", MUTED))


def render_story(story: list[StoryLine]) -> Content:
    if not story:
        return styled("the journal holds nothing about this trade (it may predate the journal: an adopted "
                      "state)", WARN)
    who = max(len(line.who) for line in story)
    return lines(styled(line.when, MUTED) + "  " + styled(line.who.ljust(who), WARN) + "  "
                 + Content("").join([styled(text, tone) for text, tone in line.parts]) for line in story)


class StoryScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StoryScreen { align: center middle; }
    StoryScreen > Vertical {
        width: 96%; max-width: 150; height: auto; max-height: 90%;
        border: round $accent; border-title-color: $accent; border-subtitle-color: $text-muted;
        background: $surface; padding: 0 1;
    }
    StoryScreen #story-head { height: auto; margin-bottom: 1; }
    StoryScreen VerticalScroll { height: auto; max-height: 100%; }
    StoryScreen #story-text { width: auto; min-width: 100%; text-wrap: nowrap; }
    """

    BINDINGS = [Binding("escape,q", "close", "Close", key_display="esc", id="story.close",
                        tooltip="Back to the trade history")]

    def __init__(self, root: Path, row: HistoryRow, today: str) -> None:
        super().__init__()
        self.root = root
        self.row = row
        self.today = today
        self.loaded = False  # tests wait on it

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Story of {self.row.trade_id}"
            box.border_subtitle = "from runtime/journal.jsonl · esc closes"
            yield Static(header(self.row), id="story-head")
            with VerticalScroll():
                yield Static(styled("reading the journal...", MUTED), id="story-text")

    def on_mount(self) -> None:
        self._read(self.row.trade_id)

    @work(thread=True, exclusive=True, group="story", exit_on_error=False)
    def _read(self, trade_id: str) -> None:
        try:
            try:
                overlay = cfg.load_overlay(cfg.find_config(self.root, "overlay"))
            except ConfigError:  # only the qty precision depends on it
                overlay = cfg.validate("overlay", cfg.DEFAULTS["overlay"], "defaults")
            lines = story_lines(trade_story(self.root, trade_id), overlay, self.today)
        except Exception as exc:  # noqa: BLE001 - an unreadable journal is shown, never a crash
            self.post_message(StoryLoaded([], f"cannot read the journal: {exc.__class__.__name__}: {exc}"))
        else:
            self.post_message(StoryLoaded(lines))

    def on_story_loaded(self, message: StoryLoaded) -> None:
        text = styled(message.error, "loss") if message.error else render_story(message.lines)
        self.query_one("#story-text", Static).update(text)
        self.loaded = True

    def action_close(self) -> None:
        self.dismiss(None)
