"""Reset today's / all counters from the console (docs/console.md, Keys: "reset today's counters, reset all
counters: each asks for confirmation; goes through the same locked transaction as the bot, so a
running bot never overwrites it"). Real roots, a real Pilot, the files checked on disk afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from console_tools import showing, toasts, tree_bytes, wait_until

from tc1console.console.fixtures import FIXED_NOW_MS, HOUR
from tc1console.console.screens.confirm_screen import ConfirmScreen
from tc1console.console.screenshots import demo_app
from tc1console.engine import config, store
from tc1console.engine.numbers import signed_money
from tc1console.engine.rails import day_key

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
TODAY = day_key(FIXED_NOW_MS)  # 2024-11-19: the app's clock is fixed
HERE = Path(__file__).resolve().parent
RESET_KEYS = ("t", "T", "t", "t", "T", "t")  # today's and all counters, while the bot trades
BUSY_WAIT_S = 30.0  # a reset waits its turn for the lock while the bot trades (a loaded CI box is slow)


def days_on_disk(root: Path) -> dict[str, dict]:
    return json.loads((root / "runtime" / store.POLICY_FILE).read_bytes())["days"]


def journal(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()]


def resets_journaled(root: Path) -> int:
    return sum(b'"type":"reset"' in line for line in (root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines())


def dialog_text(app) -> str:
    return str(app.screen.query_one("#confirm-body").render())


async def confirm_dialog(pilot, key: str) -> ConfirmScreen:
    await pilot.press(key)
    await wait_until(pilot, lambda: showing(pilot.app, ConfirmScreen, "#confirm-yes"),
                     f"the confirmation after {key!r}")
    return pilot.app.screen


async def test_reset_today_names_the_day_and_its_counts_then_clears_only_that_bucket(demo_root):
    """docs/console.md: reset today's counters asks first, naming today's UTC day and what it holds; after
    Enter the bucket is gone from runtime/risk_policy_state.json and a reset by console is journaled."""
    before = days_on_disk(demo_root)
    today = before[TODAY]
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await confirm_dialog(pilot, "t")
        text = dialog_text(app)
        assert f"Day {TODAY} (UTC, today)" in text
        assert f"{today['entries']:,}" in text and f"{today['pnl']:+,.2f}" in text
        await pilot.press("enter")
        # docs/engine.md 6: the toast says exactly what the reset cleared
        expected = f"cleared 1 day bucket: {TODAY} ({today['entries']} entries, {today['pnl']:+,.2f} pnl)"
        await wait_until(pilot, lambda: expected in toasts(app), "the reset's toast")
        await wait_until(pilot, lambda: app.snapshot.rails.entries_today == 0, "the dashboard to show it")
    after = days_on_disk(demo_root)
    assert TODAY not in after and set(after) == set(before) - {TODAY}
    last = journal(demo_root)[-1]
    assert last["type"] == "reset" and last["by"] == "console"
    assert last["scope"] == "today" and last["days"] == [TODAY] and last["cleared"] == {"days": {TODAY: today}}


async def test_reset_all_lists_every_bucket_and_clears_them_all(demo_root):
    """docs/console.md: reset all counters asks first, naming each day bucket; `y` confirms; every bucket goes."""
    before = days_on_disk(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await confirm_dialog(pilot, "T")
        text = dialog_text(app)
        assert f"{len(before)} day buckets" in text
        for key, bucket in before.items():
            assert key in text and f"{bucket['entries']} entries" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: any(t.startswith(f"cleared {len(before)} day buckets") for t in toasts(app)),
                         "the reset's toast")
    assert days_on_disk(demo_root) == {}
    last = journal(demo_root)[-1]
    assert last["type"] == "reset" and last["by"] == "console" and last["scope"] == "all"
    assert last["cleared"] == {"days": {k: before[k] for k in sorted(before)}}  # each day's entries and pnl


async def test_escape_or_n_cancels_and_writes_nothing(demo_root):
    """docs/console.md: each reset asks for confirmation; cancelling (Escape, or n) leaves every file
    byte-identical."""
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await confirm_dialog(pilot, "t")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the dialog to close")
        await confirm_dialog(pilot, "T")
        await pilot.press("n")
        await wait_until(pilot, lambda: toasts(app).count("reset cancelled; nothing was written") == 2,
                         "both cancellations")
    assert tree_bytes(demo_root) == before


async def test_nothing_to_reset_asks_nothing_and_writes_nothing(fresh_root):
    """A root with no counters yet: no question, a note saying so, no runtime/ created."""
    app = demo_app(fresh_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await pilot.press("t")
        await wait_until(pilot, lambda: any("nothing to reset" in t for t in toasts(app)), "the note")
        assert not isinstance(app.screen, ConfirmScreen)
    assert not (fresh_root / "runtime").exists()


async def test_a_corrupt_state_file_is_an_error_toast_not_a_crash(demo_root):
    """docs/console.md: a corrupt file never crashes the console; the reset says why it was not done."""
    path = demo_root / "runtime" / store.POLICY_FILE
    path.write_bytes(path.read_bytes()[:40])
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await pilot.press("t")
        await wait_until(pilot, lambda: any("cannot read the counters" in t and store.POLICY_FILE in t
                                            for t in toasts(app)), "the error toast")
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
    assert tree_bytes(demo_root) == before


async def test_a_lock_held_too_long_is_an_error_toast_and_the_console_stays_up(demo_root, monkeypatch):
    """The reset waits for the lock like the bot does; when another process holds it past the
    timeout, the console says so (an error toast) and nothing is written."""
    monkeypatch.setattr(store, "LOCK_TIMEOUT_S", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from filelock import FileLock; "
         f"lock = FileLock({str(demo_root / 'runtime' / store.LOCK_FILE)!r}); lock.acquire(); "
         "print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = tree_bytes(demo_root)
        app = demo_app(demo_root)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            toasts(app)  # record every toast from the start
            await confirm_dialog(pilot, "t")
            await pilot.press("enter")
            await wait_until(pilot, lambda: any("held the lock" in t for t in toasts(app)), "the lock error")
            assert app.is_running
        assert tree_bytes(demo_root) == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def _roomy_configs(root: Path) -> None:
    """Configs with room for a bot that trades many times (caps and rails far away)."""
    (root / "configs").mkdir(parents=True)
    overlay = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 50, "total_open_risk_cap": 10_000.0,
               "max_leverage": 100.0}
    (root / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", overlay))
    (root / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", {"max_trades_per_day": 100_000}))


async def test_resets_while_a_bot_process_trades_lose_nothing(tmp_path):
    """docs/console.md: resets go through the same locked transaction as the bot. A bot process trades
    while the console resets today's and all counters several times; afterwards the journal replays
    to the state files, its seq numbers run 1..N, and every acknowledged open and close is in it."""
    root = tmp_path / "busy"
    _roomy_configs(root)
    bot = subprocess.Popen([sys.executable, str(HERE / "console_bot_child.py"), str(root), "100000",
                            str(FIXED_NOW_MS - HOUR)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    acks: list[dict] = []
    reader = threading.Thread(target=lambda: acks.extend(json.loads(line) for line in bot.stdout), daemon=True)
    reader.start()
    app = demo_app(root)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            toasts(app)  # record every toast from the start
            for done, key in enumerate(RESET_KEYS):
                seen = len(acks)  # let the bot trade a little between two resets: today's bucket exists again
                await wait_until(pilot, lambda: len(acks) >= seen + 5, "the bot to trade", timeout=BUSY_WAIT_S)
                await confirm_dialog(pilot, key)
                await pilot.press("enter")
                await wait_until(pilot, lambda: resets_journaled(root) == done + 1, "the reset to be journaled",
                                 timeout=BUSY_WAIT_S)
    finally:
        (root / "STOP").touch()
        bot.wait(timeout=60)
        reader.join(timeout=10)
    assert bot.returncode == 0, bot.stderr.read()
    assert acks[0] == {"ack": "ready"} and acks[-1] == {"ack": "done"}

    entries = journal(root)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    resets = [e for e in entries if e["type"] == "reset"]
    assert len(resets) == len(RESET_KEYS) and all(e["by"] == "console" for e in resets)
    bot_seqs = [e["seq"] for e in entries if e["type"] in ("open", "close", "skip")]
    assert any(bot_seqs[0] < e["seq"] < bot_seqs[-1] for e in resets), "the resets ran while the bot traded"
    overlay_cfg = config.load_overlay(root / "configs" / "risk_overlay.toml")
    policy_cfg = config.load_policy(root / "configs" / "risk_policy.toml")
    loaded = store.load(root, overlay_cfg, policy_cfg)
    replayed = store.replay_journal(root / "runtime" / store.JOURNAL_FILE, overlay_cfg, policy_cfg)
    assert loaded.seq == replayed.seq == len(entries)
    assert loaded.engine.balance == replayed.engine.balance
    assert loaded.engine.days_state() == replayed.engine.days_state()
    assert sorted(loaded.engine.positions) == sorted(replayed.engine.positions)
    opened = {a["trade_id"] for a in acks if a["ack"] == "open"}
    closed = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "close"}
    assert opened == {e["trade_id"] for e in entries if e["type"] == "open"}
    assert closed == {e["trade_id"]: e["result"] for e in entries if e["type"] == "close"}


async def test_the_events_tail_keeps_following_as_it_outgrows_the_panel(fresh_root):
    """Found under tmux: on a fresh root, once the events outgrew the panel (a dialog was open at the
    time), the panel stopped following and kept showing the first lines. It must show the newest line
    after every read, until the operator scrolls up."""
    from tc1console.console.app import Tc1ConsoleApp
    from tc1console.console.fixtures import MINUTE
    from tc1console.console.widgets.events_panel import EventsPanel
    from tc1console.engine.live import LiveRisk

    app = Tc1ConsoleApp(fresh_root, clock=lambda: FIXED_NOW_MS, label="root")  # watching the files
    app.animation_level = "none"
    live = LiveRisk(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.main.query_one(EventsPanel)
        for i in range(14):  # one event at a time, past the panel's 8 lines
            if i == 4:
                await confirm_dialog(pilot, "t")  # a dialog over the dashboard meanwhile
            if i == 10:
                await pilot.press("escape")
            live.try_open(trade_id=f"e{i}", symbol="SOLUSDT", is_long=True,
                          entry_ts_ms=FIXED_NOW_MS + i * MINUTE, entry_price=238.0, stop_price=236.0)
            await wait_until(pilot, lambda: panel._shown and f"e{i} " in "".join(x for x, _ in panel._shown[-1].parts),
                             f"event e{i}")
            if app.on_dashboard():  # (under a dialog the dashboard is not laid out again)
                await wait_until(pilot, lambda: panel.scroll_y == panel.max_scroll_y, f"the panel at e{i}")
        assert panel.max_scroll_y > 0


def _busy_root(tmp_path: Path) -> Path:
    """Configs with room for many trades, and one entry today (by the console's fixed clock)."""
    from tc1console.engine.live import LiveRisk

    root = tmp_path / "busy"
    _roomy_configs(root)
    LiveRisk(root).try_open(trade_id="early", symbol="ETHUSDT", is_long=True, entry_ts_ms=FIXED_NOW_MS - 2 * HOUR,
                            entry_price=3_000.0, stop_price=2_970.0)
    return root


async def _bot_opens_two(pilot, root: Path) -> None:
    """A bot process opens c0 and c1 today (console_bot_child: no close before a fourth is open)."""
    bot = subprocess.Popen([sys.executable, str(HERE / "console_bot_child.py"), str(root), "2",
                            str(FIXED_NOW_MS - HOUR)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    await wait_until(pilot, lambda: bot.poll() is not None, "the bot to finish", timeout=BUSY_WAIT_S)
    out, err = bot.communicate()
    assert bot.returncode == 0 and out.count('"ack": "open"') == 2, err


async def test_the_dialog_counts_what_a_bot_opened_while_it_was_up_and_the_toast_says_what_was_cleared(tmp_path):
    """docs/engine.md 6 / issue 14 item 5 ("Reset all said 1 entry and cleared 3"): the confirmation counts
    again as the files change, so what it says when the operator confirms is what there is; the
    toast says what the reset cleared, as the journal records it."""
    from tc1console.console.app import Tc1ConsoleApp

    root = _busy_root(tmp_path)
    app = Tc1ConsoleApp(root, clock=lambda: FIXED_NOW_MS, label="root")  # watching the files
    app.animation_level = "none"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await wait_until(pilot, lambda: app.snapshot is not None and app.snapshot.rails.entries_today == 1,
                         "the first read")
        await confirm_dialog(pilot, "T")
        assert "1 day bucket, 1 entry" in dialog_text(app)
        await _bot_opens_two(pilot, root)
        await wait_until(pilot, lambda: "1 day bucket, 3 entries" in dialog_text(app), "the dialog to count again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: resets_journaled(root) == 1, "the reset to be journaled", timeout=BUSY_WAIT_S)
        cleared = journal(root)[-1]["cleared"]
        assert cleared == {"days": {TODAY: {"entries": 3, "pnl": 0.0}}}
        expected = f"cleared 1 day bucket: {TODAY} (3 entries, {signed_money(0.0)} pnl)"
        await wait_until(pilot, lambda: expected in toasts(app), "the reset's toast")
        assert not any("changed after the confirmation" in t for t in toasts(app))


async def test_a_change_the_dialog_did_not_show_is_named_in_the_toast(tmp_path):
    """Without a watcher (nothing tells the dialog), a bot opens two trades while it is up: the reset
    clears what is there when it runs, and the toast says so, with what it cleared."""
    root = _busy_root(tmp_path)
    app = demo_app(root)  # fixed clock, no watcher
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await confirm_dialog(pilot, "t")
        assert "entries today                 1" in dialog_text(app)
        await _bot_opens_two(pilot, root)
        await pilot.press("enter")
        expected = f"cleared 1 day bucket: {TODAY} (3 entries, {signed_money(0.0)} pnl)"
        await wait_until(pilot, lambda: any(expected in t for t in toasts(app)), "the reset's toast")
        toast = next(t for t in toasts(app) if expected in t)
        assert "changed after the confirmation was shown" in toast
    assert journal(root)[-1]["cleared"] == {"days": {TODAY: {"entries": 3, "pnl": 0.0}}}
