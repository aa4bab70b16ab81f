"""The console follows runtime/ and configs/ as a bot and a person change them (watcher running)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading

import pytest
from console_tools import WAIT_S, shown, wait_until
from textual.worker import WorkerState

from tc1console.console.app import Tc1ConsoleApp
from tc1console.console.fixtures import FIXED_NOW_MS, MINUTE
from tc1console.console.watch import Wake, watch_root
from tc1console.console.widgets.events_panel import EventsPanel
from tc1console.console.widgets.headroom_panel import HeadroomPanel
from tc1console.console.widgets.positions_table import PositionsTable
from tc1console.console.widgets.problem_banner import ProblemBanner
from tc1console.console.widgets.rails_panel import RailsPanel
from tc1console.console.widgets.summary_cards import BalanceCard, SlotsCard, StatusCard
from tc1console.console.widgets.title_bar import TitleBar
from tc1console.engine.live import LiveRisk

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def make_app(root) -> Tc1ConsoleApp:
    app = Tc1ConsoleApp(root, clock=lambda: FIXED_NOW_MS, label="root")
    app.animation_level = "none"
    return app


def open_btc(live: LiveRisk, trade_id: str = "b1", minutes_ago: int = 5) -> dict:
    return live.try_open(trade_id=trade_id, symbol="BTCUSDT", is_long=True,
                         entry_ts_ms=FIXED_NOW_MS - minutes_ago * MINUTE, entry_price=60_000.0,
                         stop_price=59_400.0)


async def test_fresh_root_without_runtime_shows_initial_balance_then_follows_the_first_trade(fresh_root):
    assert not (fresh_root / "runtime").exists()
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        main = app.main
        assert "10,000.00" in shown(main.query_one(BalanceCard))
        assert "no state yet" in shown(main.query_one(TitleBar))
        assert main.query_one(PositionsTable).row_count == 0
        assert app.problem is None and not main.query_one(ProblemBanner).display
        assert "no events yet" in str(main.query_one(EventsPanel).query_one("#events-text").render())

        # The bot's first call creates runtime/: the watch moves from the root onto it.
        live = LiveRisk(fresh_root)
        alloc = open_btc(live)
        assert alloc["skipped_reason"] is None
        table = main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the new position in the table")
        assert table.trade_ids == ["b1"]
        row = {key: table.get_cell("b1", key).plain.strip() for key in ("trade", "symbol", "side", "qty", "entry",
                                                                       "stop", "mark", "age")}
        assert [row["trade"], row["symbol"], row["side"]] == ["b1", "BTCUSDT", "long"]
        assert row["qty"] == f"{alloc['qty']:.3f}"  # BTCUSDT's step is 0.001
        assert [row["entry"], row["stop"]] == ["60,000.00", "59,400.00"]
        assert row["mark"] == "-"  # the bot has not marked it
        assert row["age"] == "5m"
        assert "1 / 5 open" in shown(main.query_one(SlotsCard))


async def test_a_losing_close_moves_balance_rails_headroom_and_events(fresh_root):
    live = LiveRisk(fresh_root)
    open_btc(live, "b1", minutes_ago=30)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the open position")
        seq = app.snapshot.seq
        done = live.close(trade_id="b1", exit_ts_ms=FIXED_NOW_MS - MINUTE, exit_price=59_400.0)
        assert done["pnl_after_fees"] < 0
        await wait_until(pilot, lambda: app.snapshot.seq > seq and table.row_count == 0, "the close")
        main = app.main
        balance = shown(main.query_one(BalanceCard))
        assert f"{done['balance_after']:,.2f}" in balance
        assert f"{done['pnl_after_fees']:,.2f}" in balance  # today's change: a loss, signed
        loss = -done["pnl_after_fees"]
        assert f"{loss:,.2f} / 200.00" in shown(main.query_one(RailsPanel))
        assert f"{200 - loss:,.2f}" in shown(main.query_one(HeadroomPanel))
        events = str(main.query_one(EventsPanel).query_one("#events-text").render())
        assert f"{done['R_multiple']:+.2f}R" in events and f"pnl {done['pnl_after_fees']:,.2f}" in events


async def test_each_committed_trade_shows_by_itself_without_a_key(fresh_root):
    """docs/console.md "Live": every committed trade reaches the panel from the file watch alone.

    How fast is measured by `python bench/console_scale_bench.py`, not asserted here (timed assertions
    flake on a loaded machine); under tmux it was about 0.1 s.
    """
    live = LiveRisk(fresh_root)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        table = app.main.query_one(PositionsTable)
        for i in range(5):
            open_btc(live, f"b{i}", minutes_ago=1)
            await wait_until(pilot, lambda: table.row_count == i + 1, f"position {i}")
        assert table.trade_ids == [f"b{i}" for i in range(5)]


async def test_corrupt_state_file_keeps_last_view_with_a_banner_that_clears(fresh_root):
    live = LiveRisk(fresh_root)
    open_btc(live)
    state = fresh_root / "runtime" / "risk_state.json"
    good = state.read_bytes()
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main
        banner = main.query_one(ProblemBanner)
        table = main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the first read")
        before = shown(main.query_one(BalanceCard))

        state.write_bytes(good[: len(good) // 2])  # half-written, by hand (not atomic)
        await wait_until(pilot, lambda: banner.display, "the banner")
        text = str(banner.render())
        assert "runtime/risk_state.json" in text and "not valid JSON" in text
        assert "last good view" in text
        assert table.row_count == 1 and shown(main.query_one(BalanceCard)) == before

        state.write_bytes(good)
        await wait_until(pilot, lambda: not banner.display, "the banner to clear")
        assert app.problem is None and table.row_count == 1


async def test_missing_state_file_and_bad_config_are_named_in_the_banner(fresh_root):
    live = LiveRisk(fresh_root)
    open_btc(live)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.main.query_one(ProblemBanner)
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")

        state = fresh_root / "runtime" / "risk_state.json"
        kept = state.read_bytes()
        state.unlink()
        await wait_until(pilot, lambda: banner.display, "the missing-file banner")
        assert "runtime/risk_state.json: missing" in str(banner.render())
        state.write_bytes(kept)
        await wait_until(pilot, lambda: not banner.display, "the banner to clear")

        policy = fresh_root / "configs" / "risk_policy.toml"
        text = policy.read_text()
        policy.write_text(text.replace("daily_loss_cap = 200.0", "daily_loss_cap = -5"))
        await wait_until(pilot, lambda: banner.display, "the config banner")
        assert "configs/risk_policy.toml" in str(banner.render())
        policy.write_text(text.replace("daily_loss_cap = 200.0", "daily_loss_cap = 50.0"))
        await wait_until(pilot, lambda: not banner.display, "the banner to clear")
        assert "/ 50.00" in shown(app.main.query_one(RailsPanel))  # the edited cap shows at once


async def test_tmp_files_and_the_lock_do_not_wake_the_console(fresh_root):
    """docs/console.md "Live": the console reads the files again once per wake of its watch
    (`watch_root`), and a writer's temp file, the lock and a stranger's file never wake it. They
    are written between two events the watch itself reports (its catch-up once it is up, then an
    edit of a config), so the wake after them must be that edit's, naming only its file."""
    live = LiveRisk(fresh_root)
    open_btc(live)
    runtime, policy = fresh_root / "runtime", fresh_root / "configs" / "risk_policy.toml"
    stop = threading.Event()
    wakes = watch_root(fresh_root, stop)
    try:
        assert await anext(wakes) == Wake("start")  # before the watch starts: a first read
        # Once the watch is up and quiet it asks for one catch-up read; after it, only changes wake it.
        assert await asyncio.wait_for(anext(wakes), WAIT_S) == Wake("start")
        (runtime / ".risk_state.json.123.456.tmp").write_text("{")
        (runtime / "notes.txt").write_text("x")
        (runtime / ".lock").write_text("")
        edit = policy.with_name(".risk_policy.toml.tmp")
        edit.write_text(policy.read_text().replace("daily_loss_cap = 200.0", "daily_loss_cap = 50.0"))
        os.replace(edit, policy)
        assert await asyncio.wait_for(anext(wakes), WAIT_S) == Wake("changed", (str(policy),))
    finally:
        stop.set()
        await wakes.aclose()


async def test_a_blocked_rail_turns_the_status_red(fresh_root):
    live = LiveRisk(fresh_root)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        for i in range(10):  # losses of ~80 each until the 200 daily loss cap refuses the next entry
            if open_btc(live, f"l{i}", minutes_ago=20 - i)["skipped_reason"]:
                break
            live.close(trade_id=f"l{i}", exit_ts_ms=FIXED_NOW_MS - 10 * MINUTE + i, exit_price=59_000.0)
        status = app.main.query_one(StatusCard)
        await wait_until(pilot, lambda: "BLOCKED" in shown(status), "the blocked status")
        assert "daily loss cap" in shown(status)
        assert status.has_class("-blocked")
        assert "BLOCKED: daily_loss_cap" in shown(app.main.query_one(RailsPanel))


async def test_the_watcher_stops_when_the_app_exits(fresh_root):
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        workers = list(app.workers)
        assert any(w.group == "watch" and w.state == WorkerState.RUNNING for w in workers)
        await pilot.press("q")
    assert app._stop.is_set()
    assert all(w.state in (WorkerState.CANCELLED, WorkerState.SUCCESS) for w in workers)


async def test_runtime_folder_removed_and_recreated_is_followed(fresh_root):
    live = LiveRisk(fresh_root)
    open_btc(live)
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the first read")
        shutil.rmtree(fresh_root / "runtime")
        await wait_until(pilot, lambda: "no state yet" in shown(app.main.query_one(TitleBar)), "a fresh view")
        assert table.row_count == 0
        live = LiveRisk(fresh_root)
        open_btc(live, "again")
        await wait_until(pilot, lambda: table.trade_ids == ["again"], "the trade in the new runtime/")


async def test_hand_written_state_loads_as_the_spec_allows(fresh_root):
    runtime = fresh_root / "runtime"
    runtime.mkdir()
    (runtime / "risk_state.json").write_text(json.dumps(
        {"balance": 2500.0, "total_open_risk": 0.0, "open_positions": {}, "equity_points": []}))
    app = make_app(fresh_root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        assert "2,500.00" in shown(app.main.query_one(BalanceCard))
        assert "not journaled yet" in shown(app.main.query_one(TitleBar))
        assert app.problem is None


async def test_utc_rollover_starts_todays_counters_from_zero(fresh_root):
    live = LiveRisk(fresh_root)
    midnight = FIXED_NOW_MS - FIXED_NOW_MS % 86_400_000 + 86_400_000
    open_btc(live, "late", minutes_ago=0)
    lost = live.close(trade_id="late", exit_ts_ms=FIXED_NOW_MS + MINUTE, exit_price=59_400.0)["pnl_after_fees"]
    now = {"ms": midnight - 1_500}
    app = Tc1ConsoleApp(fresh_root, clock=lambda: now["ms"], label="root")
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loads >= 1, "the first read")
        balance = app.main.query_one(BalanceCard)
        assert f"{lost:,.2f}" in shown(balance).split("trading")[0]
        assert "1 / 20" in shown(app.main.query_one(RailsPanel))
        now["ms"] = midnight + 1_000  # the next tick sees a new UTC day and reads again
        await wait_until(pilot, lambda: app.snapshot.today != "2024-11-19", "the new day's read")
        today_line = shown(balance).split("trading")[0]
        assert "0.00" in today_line and f"{lost:,.2f}" not in today_line
        assert "0 / 20" in shown(app.main.query_one(RailsPanel))


async def test_a_root_without_configs_says_so_until_they_appear(tmp_path):
    from tc1console.console.fixtures import write_default_configs

    root = tmp_path / "later"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.main.query_one(ProblemBanner)
        await wait_until(pilot, lambda: banner.display, "the banner")
        text = str(banner.render())
        assert "no such folder" in text and "tc1 init" in text and "nothing could be read yet" in text
        write_default_configs(root)  # the root and its configs/ appear: the watch follows them
        await wait_until(pilot, lambda: app.loads >= 1 and not banner.display, "the first good read")
        assert "10,000.00" in shown(app.main.query_one(BalanceCard))
