"""A balance edited by hand and kept with `tc1 state adopt` is a cash flow, not trading PnL
(docs/live.md section 6: "Trading PnL since start = balance - start_balance - net flows; the console and
dashboard show the two apart ... an equity point is added and marked as a flow"). Found by use: the
adopted difference showed as today's profit in `tc1 dashboard`, the balance panel and `tc1 policy
show --json`, and no equity point marked it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1
from tc1console.engine import config, store
from tc1console.engine.live import LiveRisk
from tc1console.engine.numbers import money, signed_money

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
EDIT = 1_234.5  # what the hand edit adds to the balance


@pytest.fixture
def adopted(tmp_path: Path) -> tuple[Path, float, float]:
    """Today: one win closed; then runtime/risk_state.json's balance raised by hand and adopted.
    Returns (root, the trade's pnl, the balance the file holds)."""
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    live.try_open(trade_id="won", entry_ts_ms=NOW_MS - 60_000, **OPEN)
    pnl = live.close(trade_id="won", exit_ts_ms=NOW_MS - 30_000, exit_price=3_030.0)["pnl_after_fees"]
    path = root / "runtime" / store.STATE_FILE
    doc = json.loads(path.read_bytes())
    edited = doc["balance"] + EDIT
    doc["balance"] = edited
    path.write_text(json.dumps(doc))
    # docs/engine.md 6: a hand edit stops start-up, naming the difference and both ways out.
    assert_one_line_error(tc1("dashboard", root=root), "book.balance", "tc1 state rebuild", "tc1 state adopt")
    proc = tc1("state", "adopt", root=root)
    assert proc.returncode == 0, proc.stderr
    assert "booked as a cash flow, not trading PnL" in proc.stdout
    return root, pnl, edited


def test_the_adopted_difference_is_a_flow_in_the_dashboard_not_todays_profit(adopted) -> None:
    root, pnl, edited = adopted
    view = json.loads(tc1("dashboard", "--json", root=root).stdout)
    b = view["balance"]
    assert b["balance"] == edited
    assert b["net_flows"] == edited - (10_000.0 + pnl)  # the difference from the journal's balance
    assert b["net_flows"] == pytest.approx(EDIT)
    assert b["trading_pnl"] == b["balance"] - b["start_balance"] - b["net_flows"]
    assert b["trading_pnl"] == pytest.approx(pnl) and b["change_today"] == pytest.approx(pnl)
    assert b["flows_today"] == b["net_flows"]
    # The equity curve marks the point the flow made, stamped by the CLI's clock.
    assert view["equity"]["recent"][-1] == [NOW_MS, edited, "flow"] and view["equity"]["flows"] == 1
    text = tc1("dashboard", root=root).stdout
    assert f"today {signed_money(pnl)}" in text and f"net cash flows {signed_money(b['net_flows'])}" in text
    assert f"{money(edited)}*" in text and "(* a cash flow)" in text
    assert f"difference {signed_money(b['net_flows'])} booked as a cash flow" in text  # the adopt's event line


def test_policy_show_keeps_the_adopted_difference_out_of_trading_pnl(adopted) -> None:
    root, pnl, edited = adopted
    shown = json.loads(tc1("policy", "show", "--json", root=root).stdout)
    assert shown["balance"]["change_today"] == pytest.approx(pnl)
    assert shown["balance"]["trading_pnl"] == pytest.approx(pnl)
    text = tc1("policy", "show", root=root).stdout
    assert (f"trading PnL since start {shown['balance']['trading_pnl']:+,.2f}, "
            f"net cash flows {shown['balance']['net_flows']:+,.2f}") in text
    # the peak moved with the flow (docs/engine.md 6), not as a trading high
    assert shown["state"]["peak"] == edited


def test_the_adopt_replays_to_the_same_state_and_the_next_flow_adds_to_it(adopted) -> None:
    """docs/engine.md 4 and 6: the adopt is journaled once, `tc1 state rebuild` finds no difference, and a
    deposit after it counts on top (seq numbers keep counting)."""
    root, pnl, edited = adopted
    assert "no differences" in tc1("state", "rebuild", root=root).stdout
    overlay = config.load_overlay(config.find_config(root, "overlay"))
    policy = config.load_policy(config.find_config(root, "policy"))
    loaded = store.load(root, overlay, policy)
    replayed = store.replay_journal(root / "runtime" / store.JOURNAL_FILE, overlay, policy)
    assert loaded.engine.net_flows == replayed.engine.net_flows == edited - (10_000.0 + pnl)
    assert list(loaded.engine.equity_points) == list(replayed.engine.equity_points)
    adopt = [line for line in (root / "runtime" / store.JOURNAL_FILE).read_text().splitlines() if '"adopt"' in line]
    flow = json.loads(adopt[-1])["flow"]
    assert flow["kind"] == "adopt" and flow["balance_before"] == 10_000.0 + pnl and flow["balance_after"] == edited
    proc = tc1("balance", "deposit", "100", root=root)
    assert proc.returncode == 0, proc.stderr
    b = json.loads(tc1("dashboard", "--json", root=root).stdout)["balance"]
    assert b["net_flows"] == edited - (10_000.0 + pnl) + 100.0 and b["change_today"] == pytest.approx(pnl)
    seqs = [json.loads(line)["seq"] for line in (root / "runtime" / store.JOURNAL_FILE).read_text().splitlines()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_state_file_rewritten_by_a_json_tool_is_a_hand_edit_not_an_old_file(tmp_path: Path) -> None:
    """docs/engine.md 6: a file rewritten by json.dump (or jq, or a formatter) keeps its "digest" key but
    not this writer's bytes: with the same numbers it still loads (a reformat), with another balance
    it stops start-up naming the difference. It was taken as a file from before digests and its
    balance used silently."""
    root = make_root(tmp_path / "root")
    LiveRisk(root).try_open(trade_id="a", entry_ts_ms=NOW_MS - 60_000, **OPEN)
    path = root / "runtime" / store.STATE_FILE
    doc = json.loads(path.read_bytes())
    path.write_text(json.dumps(doc, indent=2))
    assert tc1("dashboard", root=root).returncode == 0
    doc["balance"] += 700.0
    path.write_text(json.dumps(doc, indent=2))
    before = path.read_bytes()
    assert_one_line_error(tc1("dashboard", root=root), "edited by hand", "book.balance")
    assert_one_line_error(tc1("balance", "deposit", "5", root=root), "edited by hand", "book.balance")
    assert path.read_bytes() == before
