"""The demo bot (docs/console.md command line: "`tc1 demo`: a simulated bot that trades through the live API
into runtime/, so a new user can watch the console move"): on the shipped configs it keeps trading
for about ten minutes, and its first line says which rail will stop it and about when."""

from __future__ import annotations

from pathlib import Path

from cli_tools import make_root
from tc1console.demo import OPEN_EVERY, plan_text, run_demo
from tc1console.engine import config, store
from tc1console.engine.root import init_root
from tc1console.engine.view import account_view

DEFAULT_INTERVAL_S = 0.5  # `tc1 demo`'s default tick


def test_on_the_shipped_configs_it_trades_about_ten_minutes_before_max_trades_per_day_stops_it(tmp_path: Path):
    """Entries come at most every OPEN_EVERY ticks, so 20 opens before the first refused entry mean
    at least 19 * OPEN_EVERY ticks of trading (9.5 minutes at the default interval), and the rail
    that refused it is the one the first line named."""
    root = tmp_path / "root"
    init_root(root)
    lines: list[str] = []
    run_demo(root, seed=0, interval_s=0, count=22 * OPEN_EVERY, echo=lines.append)
    assert "max_trades_per_day stops new entries after 20 more today" in lines[0]
    events = store.tail_events(root, 10_000)
    skips = [e for e in events if e["type"] == "skip"]
    assert skips and skips[0]["result"]["skipped_reason"] == "max_trades_per_day"
    opens_before = [e for e in events if e["type"] == "open" and e["seq"] < skips[0]["seq"]]
    assert len(opens_before) == config.DEFAULTS["policy"]["max_trades_per_day"] == 20
    assert 19 * OPEN_EVERY * DEFAULT_INTERVAL_S >= 9.5 * 60
    assert not any(e["result"]["skipped_reason"] == "daily_loss_cap" for e in skips)


def test_the_first_line_says_when_at_the_default_pace_and_counts_todays_entries(tmp_path: Path):
    root = make_root(tmp_path / "root")
    run_demo(root, seed=3, interval_s=0, count=OPEN_EVERY * 2, echo=None)  # 2 entries today already
    overlay, policy, loaded = store.read_state(root)
    view = account_view(overlay, policy, loaded.engine, store.tail_events(root, 1)[-1]["at_ms"], equity_tail=0)
    text = plan_text(view, DEFAULT_INTERVAL_S)
    assert text.startswith("an entry every 30 s, so max_trades_per_day stops new entries after 18 more today, "
                           "in about 9 minutes")
    assert "the daily loss cap (200.00" in text


def test_a_rail_already_blocking_is_said_in_the_first_line(tmp_path: Path):
    root = make_root(tmp_path / "root", policy={"max_trades_per_day": 0})
    lines: list[str] = []
    run_demo(root, seed=0, interval_s=0, count=1, echo=lines.append)
    assert "new entries are blocked now (max_trades_per_day" in lines[0]
    assert "tc1 policy reset --today" in lines[0]
