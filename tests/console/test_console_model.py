"""The pure parts of the console: number formats, the snapshot builder, event lines, the watch filter."""

from __future__ import annotations

from pathlib import Path

from tc1console.console import format as fmt
from tc1console.console.fixtures import FIXED_NOW_MS, MINUTE
from tc1console.console.snapshot import GAIN, LOSS, load_snapshot
from tc1console.engine.events import describe as describe_event
from tc1console.console.watch import wanted, watch_plan
from tc1console.console.widgets.equity_panel import downsample
from tc1console.engine import config as cfg
from tc1console.engine.live import LiveRisk
from tc1console.engine.rails import MS_PER_DAY


def test_money_has_thousands_separators_two_decimals_and_no_negative_zero():
    assert fmt.money(1234567.891) == "1,234,567.89"
    assert fmt.money(-0.001) == "0.00"
    assert fmt.money(None) == "-"
    assert fmt.signed_money(-87.1) == "-87.10"
    assert fmt.signed_money(1234.5) == "+1,234.50"
    assert fmt.signed_money(0.0) == "0.00"


def test_quantity_shows_the_precision_of_its_step():
    assert fmt.qty(0.015, 0.001) == "0.015"
    assert fmt.qty(0.3, 0.1) == "0.3"
    assert fmt.qty(2.0, 0.01) == "2.00"
    assert fmt.qty(1200.0, 1.0) == "1,200"
    assert fmt.qty(0.00012, 1e-05) == "0.00012"


def test_age_shows_seconds_only_in_the_first_minute_so_the_column_repaints_once_a_minute():
    assert fmt.age(42_000) == "42s"
    assert fmt.age(12 * MINUTE + 5_000) == "12m"
    assert fmt.age(3 * 60 * MINUTE + 7 * MINUTE + 59_000) == "3h07m"
    assert fmt.age(52 * 60 * MINUTE) == "2d04h"
    assert fmt.age(-5) == "0s"


def test_countdown_to_the_utc_rollover():
    assert fmt.countdown(MS_PER_DAY - FIXED_NOW_MS % MS_PER_DAY) == "9h30m"
    assert fmt.countdown(65_000) == "1m05s"


def test_downsample_keeps_the_last_close_of_each_slice():
    values = list(range(10_000))
    out = downsample(values, 100)
    assert len(out) == 100 and out[-1] == 9_999 and out[0] == 99
    assert downsample([1.0, 2.0], 100) == [1.0, 2.0]


def test_snapshot_of_a_fresh_root_is_the_initial_balance_not_an_error(fresh_root):
    snap = load_snapshot(fresh_root, FIXED_NOW_MS)
    assert snap.fresh and snap.balance.balance == 10_000.0
    assert snap.positions == () and snap.events == () and snap.equity.values == ()
    assert snap.rails.status == "ACTIVE"
    left = {h.key: h.value for h in snap.headroom.items}
    assert left["daily_loss_left"] == 200.0 and left["trades_left_today"] == 20


def test_today_is_the_clocks_utc_day(fresh_root):
    live = LiveRisk(fresh_root)
    day = FIXED_NOW_MS - FIXED_NOW_MS % MS_PER_DAY
    live.try_open(trade_id="y", symbol="ETHUSDT", is_long=True, entry_ts_ms=day - 10 * MINUTE,
                  entry_price=3000.0, stop_price=2970.0)
    lost = live.close(trade_id="y", exit_ts_ms=day - MINUTE, exit_price=2970.0)["pnl_after_fees"]
    today = load_snapshot(fresh_root, FIXED_NOW_MS)
    assert today.balance.change_today == 0.0 and today.rails.entries_today == 0
    assert today.balance.trading_pnl == lost
    yesterday = load_snapshot(fresh_root, day - 1)
    assert yesterday.balance.change_today == lost and yesterday.rails.entries_today == 1


def test_positions_are_formatted_at_their_symbols_step(demo_root):
    snap = load_snapshot(demo_root, FIXED_NOW_MS)
    cells = {row.trade_id: row.cells for row in snap.positions}
    assert [t for t in cells] == ["t026-btc", "t027-eth", "t028-sol"]  # oldest first
    assert cells["t026-btc"][:3] == ("BTCUSDT", "long", "0.094")
    assert cells["t027-eth"][2] == "1.76" and cells["t028-sol"][2] == "18.4"
    assert cells["t026-btc"][5:] == ("50.30", "0.50%")


def test_event_lines_carry_reasons_r_and_pnl_with_loss_tone(demo_root):
    snap = load_snapshot(demo_root, FIXED_NOW_MS)
    text = {e.seq: "".join(t for t, _ in e.parts) for e in snap.events}
    skip = snap.events[-1]
    assert skip.kind == "skip" and "below_min_notional" in text[skip.seq] and skip.when == "14:28:00"
    closes = [e for e in snap.events if e.kind == "close"]
    tones = {tone for e in closes for _, tone in e.parts}
    assert LOSS in tones and GAIN in tones
    assert any("-1.00R  pnl -" in text[e.seq] for e in closes)


def test_odd_journal_entries_still_describe_themselves():
    overlay = cfg.validate("overlay", cfg.DEFAULTS["overlay"], "test")
    line = describe_event({"seq": 3, "type": "reset", "scope": "today", "days": ["2024-11-19"],
                           "cleared": ["2024-11-19"], "by": "console", "at_ms": FIXED_NOW_MS}, overlay, "2024-11-19")
    assert "reset" in line.parts[0][0] and "day counters (2024-11-19) by console" in line.parts[1][0]
    odd = describe_event({"type": "open", "position": {"qty": "x", "symbol": None}}, overlay, "2024-11-19")
    assert odd.when == "--:--:--"
    unknown = describe_event({"type": "future_kind", "seq": 9}, overlay, "2024-11-19")
    assert unknown.kind == "future_kind"
    edited = describe_event({"type": "open", "seq": 4, "position": [1, 2], "at_ms": FIXED_NOW_MS}, overlay,
                            "2024-11-19")  # a shape no writer makes: still a line, saying so
    assert edited.seq == 4 and "unreadable entry" in "".join(text for text, _ in edited.parts)


def test_hostile_ids_are_shown_as_they_are_without_control_characters():
    """Issue 19 item 5: an id with an unmatched `[` (markup), an ESC sequence (terminal control) or
    a lone surrogate is a line of plain text, with the control characters dropped."""
    overlay = cfg.validate("overlay", cfg.DEFAULTS["overlay"], "test")
    for tid, shown in [("t[1", "t[1"), ("[bold]x[/]", "[bold]x[/]"), ("a\x1b[31mred", "a[31mred"),
                       ("s\ud800x", "s?x"), ("bell\x07\nnext", "bellnext")]:
        line = describe_event({"seq": 1, "type": "open", "at_ms": FIXED_NOW_MS,
                               "position": {"trade_id": tid, "symbol": "BTCUSDT", "is_long": True, "qty": 0.1,
                                            "entry_price": 1.0, "stop_price": 0.5, "risk_amount": 1.0}},
                              overlay, "2024-11-19")
        assert f" {shown} BTCUSDT" in " " + line.text, (tid, line.text)


def test_the_first_config_events_read_as_loaded_and_later_ones_as_changes(tmp_path):
    """Found by a new user: the first start journaled "config overlay by detected: ... unset -> 5.00",
    which read like a bug. The console's Events line and `tc1 dashboard` (the same words) say the
    file was loaded, with its first values in the file's order; a later edit found on disk reads as
    a change, old -> new."""
    from tc1console.cli import snapshot as dashboard
    from tc1console.engine.root import init_root
    from tc1console.engine.store import Store, read_state, tail_events

    root = tmp_path / "root"
    init_root(root)
    LiveRisk(root)  # the first start journals both configs
    path = root / "configs" / "risk_overlay.toml"
    path.write_text(path.read_text().replace("percent_risk = 0.005", "percent_risk = 0.01"))
    Store(root).save_config("policy", {"daily_loss_cap": 150.0}, by="console")
    overlay, _policy, _loaded = read_state(root)
    lines = ["".join(t for t, _ in describe_event(e, overlay, "2024-11-19").parts)
             for e in tail_events(root, 10) if e["type"] == "config"]
    assert lines == [
        "config configs/risk_overlay.toml loaded: initial_balance 10,000.00, flat_risk_until 5,000.00, "
        "flat_risk_amount 25.00 (+10 more)",
        "config configs/risk_policy.toml loaded: equity_floor 8,000.00, daily_loss_cap 200.00, max_trades_per_day 20",
        "config overlay changed on disk: percent_risk 0.005 -> 0.01",
        "config policy by console: daily_loss_cap 200.00 -> 150.00",
    ]
    assert [e["text"] for e in dashboard(root)["events"] if e["type"] == "config"] == lines
    assert not any("unset ->" in line for line in lines)


def test_watch_filter_passes_only_the_files_the_console_reads(tmp_path):
    root = tmp_path
    ok = ["runtime/risk_state.json", "runtime/risk_policy_state.json", "runtime/journal.jsonl",
          "configs/risk_overlay.toml", "configs/risk_overlay.json", "configs/risk_policy.toml"]
    no = ["runtime/.risk_state.json.12.34.tmp", "runtime/.lock", "runtime/notes.txt",
          "configs/risk_overlay.toml.bak", "configs/.risk_policy.toml.swp", "other/risk_state.json"]
    assert all(wanted(root, root / p) for p in ok)
    assert not any(wanted(root, root / p) for p in no)


def test_watch_plan_waits_on_the_root_until_runtime_exists(tmp_path):
    (tmp_path / "configs").mkdir()
    folders, incomplete = watch_plan(tmp_path)
    assert incomplete and folders == [tmp_path / "configs", tmp_path]
    (tmp_path / "runtime").mkdir()
    assert watch_plan(tmp_path) == ([tmp_path / "runtime", tmp_path / "configs"], False)
    missing = tmp_path / "not" / "yet"
    assert watch_plan(missing) == ([tmp_path], True)
    assert Path(tmp_path).is_dir()
