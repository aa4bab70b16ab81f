"""The account view behind `tc1 dashboard` and the console (docs/console.md: panels, rails status and
headroom): pure arithmetic over an engine at a fixed clock, no files."""

from __future__ import annotations

import json

import pytest

from tc1console.cli import _Style, render_dashboard
from tc1console.engine import config
from tc1console.engine.core import RiskEngine
from tc1console.engine.rails import MS_PER_DAY
from tc1console.engine.view import account_view, format_duration

DAY0 = 1_764_028_800_000  # 2025-11-25T00:00:00Z
NOON = DAY0 + MS_PER_DAY // 2
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def engine(overlay: dict | None = None, policy: dict | None = None) -> RiskEngine:
    o = config.validate("overlay", {**config.DEFAULTS["overlay"], **(overlay or {})}, "overlay")
    p = config.validate("policy", {**config.DEFAULTS["policy"], **(policy or {})}, "policy")
    return RiskEngine(o, p)


def view(e: RiskEngine, now: int = NOON) -> dict:
    return account_view(e.overlay, e.policy, e, now)


def test_fresh_account_is_active_with_full_headroom() -> None:
    v = view(engine())
    assert v["rails"]["status"] == "ACTIVE" and v["rails"]["blocked_by"] is None
    assert {k: x for k, x in v["headroom"].items() if k != "items"} == {
        "daily_loss_left": 200.0, "open_risk_left": 300.0, "trades_left_today": 20, "slots_left": 5,
        "distance_to_floor": 2_000.0, "leverage_room": 30_000.0, "next_trade_budget": 50.0,
        "ms_to_rollover": MS_PER_DAY // 2}
    # the lines a screen shows, in the order an operator asks: loss left, open risk left, trades left...
    assert [h["key"] for h in v["headroom"]["items"]][:3] == ["daily_loss_left", "open_risk_left", "trades_left_today"]
    assert v["today"] == "2025-11-25" and v["balance"]["trading_pnl"] == 0.0
    json.dumps(v)  # JSON-able as it is


def test_headroom_after_a_loss_and_an_open_position() -> None:
    e = engine()
    e.try_open("a", entry_ts_ms=NOON - 3_600_000, **OPEN)
    e.close("a", NOON - 1_800_000, 2_980.0)
    b = e.try_open("b", entry_ts_ms=NOON - 60_000, **OPEN)
    v = view(e)
    loss = -e.days["2025-11-25"].pnl
    assert v["today_counters"] == {"day": "2025-11-25", "entries": 2, "pnl": -loss, "loss": loss}
    assert v["headroom"]["daily_loss_left"] == 200.0 - loss
    assert v["headroom"]["open_risk_left"] == 300.0 - b.risk_amount
    assert v["headroom"]["trades_left_today"] == 18 and v["headroom"]["slots_left"] == 4
    # The window holds the whole history, all of it today: the change is from the start balance.
    assert v["balance"]["change_today"] == v["balance"]["trading_pnl"] == pytest.approx(-loss)
    row = v["positions"]["rows"][0]
    assert row["trade_id"] == "b" and row["age_ms"] == 60_000 and row["side"] == "long"
    assert row["risk_pct"] == pytest.approx(b.risk_amount / e.balance * 100)
    assert v["equity"]["recent"] == [[NOON - 1_800_000, e.balance]]


def test_change_today_is_money_since_the_day_began_and_survives_a_counter_reset() -> None:
    """docs/console.md balance panel: "change today" is the balance's move since the UTC day began.

    A reset of today's counters lets the rails count from zero again; it does not undo the day's
    PnL, so the balance panel must not show 0.00 after one.
    """
    e = engine()
    e.try_open("y", entry_ts_ms=NOON - MS_PER_DAY, **OPEN)
    e.close("y", NOON - MS_PER_DAY + 60_000, 3_020.0)  # yesterday: a win
    e.try_open("a", entry_ts_ms=NOON - 3_600_000, **OPEN)
    e.close("a", NOON - 1_800_000, 2_980.0)  # today: a loss
    before_today = e.equity_points[0][1]
    today = view(e)["balance"]["change_today"]
    assert today == e.balance - before_today < 0
    e.apply_reset(["2025-11-25"])  # what `t` in the console and `tc1 policy reset --today` do
    v = view(e)
    assert v["today_counters"]["pnl"] == 0.0
    assert v["balance"]["change_today"] == today


def test_yesterdays_counters_do_not_count_today() -> None:
    e = engine()
    e.try_open("a", entry_ts_ms=NOON - MS_PER_DAY, **OPEN)
    v = view(e)
    assert v["today_counters"]["entries"] == 0 and v["headroom"]["trades_left_today"] == 20


@pytest.mark.parametrize("policy, overlay, prep, reason", [
    ({"max_trades_per_day": 1}, {}, "open", "max_trades_per_day"),
    ({"daily_loss_cap": 10.0}, {}, "loss", "daily_loss_cap"),
    ({"equity_floor": 10_000.0}, {}, "", "equity_floor"),
    ({}, {"max_concurrent_trades": 1}, "open", "max_concurrent_trades"),
    ({}, {"total_open_risk_cap": 0.0}, "", "total_open_risk_cap"),  # a cap of 0: the kill switch
], ids=["trades", "loss", "floor", "concurrent", "open-risk"])
def test_status_names_what_blocks_the_next_entry(policy: dict, overlay: dict, prep: str, reason: str) -> None:
    e = engine(overlay, policy)
    if prep:
        e.try_open("a", entry_ts_ms=NOON - 1_000, **OPEN)
    if prep == "loss":
        e.close("a", NOON - 500, 2_975.0)
    v = view(e)
    assert v["rails"]["status"] == f"BLOCKED: {reason}" and v["rails"]["detail"]
    assert v["headroom"]["next_trade_budget"] == 0.0
    # The view agrees with the engine: the next entry is refused for that very reason.
    assert e.try_open("z", entry_ts_ms=NOON, **OPEN).skipped_reason == reason


def test_cash_flows_are_kept_apart_from_trading_pnl() -> None:
    """docs/engine.md 6: trading PnL since start = balance - start - net flows; today's change leaves the
    day's flows out; an equity point marks the flow."""
    e = engine()
    e.try_open("a", entry_ts_ms=NOON - 3_600_000, **OPEN)
    e.close("a", NOON - 1_800_000, 2_980.0)
    loss = -e.days["2025-11-25"].pnl
    e.adjust_balance(500.0, kind="deposit", reason="top up", ts_ms=NOON - 60_000, flow_id="f1")
    b = view(e)["balance"]
    assert b["balance"] == 10_000.0 - loss + 500.0 and b["net_flows"] == 500.0
    assert b["trading_pnl"] == pytest.approx(-loss) and b["change_today"] == pytest.approx(-loss)
    assert view(e)["equity"]["recent"][-1] == [NOON - 60_000, e.balance, "flow"]


def test_a_pause_is_the_status_with_who_when_and_why() -> None:
    """docs/engine.md 6: PAUSED, who paused it, when and why; the next entry is skipped with `paused`."""
    e = engine()
    e.pause(by="cli", reason="exchange maintenance", ts_ms=NOON - 60_000)
    r = view(e)["rails"]
    assert r["status"] == "PAUSED" and r["paused"] == {"by": "cli", "reason": "exchange maintenance",
                                                       "ts_ms": NOON - 60_000}
    assert r["blocks"][0]["name"] == "paused" and "exchange maintenance" in r["blocks"][0]["detail"]
    assert e.try_open("z", entry_ts_ms=NOON, **OPEN).skipped_reason == "paused"


def test_unset_caps_show_as_none_not_zero() -> None:
    e = engine({"total_open_risk_cap": None, "max_concurrent_trades": None, "max_leverage": None},
               {"equity_floor": None, "daily_loss_cap": None, "max_trades_per_day": None})
    h = view(e)["headroom"]
    assert [h[k] for k in ("daily_loss_left", "open_risk_left", "trades_left_today", "slots_left",
                           "distance_to_floor", "leverage_room")] == [None] * 6


def test_rendered_text_has_colour_only_when_asked() -> None:
    e = engine()
    snap = {"root": "/r", "seq": 0, "fresh": False, "note": None, "config_problem": None, **view(e), "events": []}
    plain = render_dashboard(snap, _Style(False))
    assert "\033[" not in plain and "ACTIVE" in plain and "UTC rollover in" in plain
    assert "\033[1;32mACTIVE" in render_dashboard(snap, _Style(True))


@pytest.mark.parametrize("ms, text", [(0, "0s"), (9_999, "9s"), (242_000, "4m02s"), (11_112_000, "3h05m12s"),
                                      (3 * MS_PER_DAY, "3d00h")])
def test_format_duration(ms: int, text: str) -> None:
    assert format_duration(ms) == text
