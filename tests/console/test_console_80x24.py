"""At 80x24 (a laptop's ssh window) nothing that says why the bot is blocked, nor a run's summary, is
cut (docs/console.md: the status card's "ACTIVE / BLOCKED: reason", the safety rails, the harness run's
summary). Found by a new user: the Status card read "daily loss …", a rail "BLOC…" and the run's
final balance "(from 10,0…". Each panel's lines must fit its width; the words are checked too."""

from __future__ import annotations

import pytest
from console_tools import shown, showing, wait_until

from tc1console.console.screens.run_screen import RangeLine, RunScreen, SummaryPanel
from tc1console.console.screenshots import demo_app, show_run
from tc1console.console.widgets.rails_panel import RailsPanel
from tc1console.console.widgets.summary_cards import StatusCard
from tc1console.engine import config as cfg

pytestmark = pytest.mark.anyio
SMALL = (80, 24)


def fits(widget) -> list[str]:
    """The panel's lines, after checking that each fits its content width (nothing cut)."""
    width = widget.content_size.width
    rows = shown(widget).split("\n")
    assert all(len(row) <= width for row in rows), (width, rows)
    assert not any("…" in row for row in rows), rows
    return rows


def block(root, **policy) -> None:
    """Today in the demo root: 10 entries and a loss of 74.67; these rails make both of them block."""
    (root / "configs" / "risk_policy.toml").write_text(cfg.dump_toml("policy", {**cfg.DEFAULTS["policy"], **policy}))


async def test_status_card_and_rails_say_why_blocked_in_full_at_80x24(demo_root):
    block(demo_root, daily_loss_cap=50.0, max_trades_per_day=10)
    app = demo_app(demo_root)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None, "the first read")
        await pilot.pause()
        status = fits(app.main.query_one(StatusCard))
        assert status[0].startswith("BLOCKED +1")  # two reasons: the card says there is another
        assert status[1] == "loss cap" and status[2] == "74.67>=50.00"
        rails = fits(app.main.query_one(RailsPanel))
        assert rails[1].startswith("loss") and "74.67/50.00" in rails[1] and rails[1].endswith("BLOCKED")
        assert rails[2].startswith("trades") and "10 / 10" in rails[2] and rails[2].endswith("BLOCKED")
        assert rails[-1] == "BLOCKED: loss cap +1 more"


async def test_status_card_uses_the_engines_words_where_they_fit(demo_root):
    block(demo_root, daily_loss_cap=50.0)
    app = demo_app(demo_root)
    async with app.run_test(size=(250, 40)) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None, "the first read")
        await pilot.pause()
        assert fits(app.main.query_one(StatusCard)) == ["BLOCKED", "daily loss cap",
                                                        "today's loss 74.67 >= daily loss cap 50.00"]
        assert fits(app.main.query_one(RailsPanel))[-1] == "BLOCKED: daily_loss_cap"


async def test_the_harness_summary_is_not_cut_at_80x24(demo_run_root):
    app = demo_app(demo_run_root)
    async with app.run_test(size=SMALL) as pilot:
        await show_run(pilot)
        await wait_until(pilot, lambda: showing(app, RunScreen, "#run-range"), "the result view")
        await pilot.pause()
        summary = fits(app.screen.query_one(SummaryPanel))
        assert summary[0].startswith("Final balance") and summary[0].endswith("11,227.10")
        assert summary[1].strip() == "(from 10,000.00)"  # the aside, on its own line
        assert any(row.startswith("Max drawdown") and row.endswith("(3.12% of peak)") for row in summary)
        detail = fits(app.screen.query_one("#run-detail"))
        assert "risk       configs/risk_overlay.toml" in detail and "runtime/runs/20241119-120000/" in detail
        assert fits(app.screen.query_one(RangeLine))[0].endswith("end 11,227.10")
