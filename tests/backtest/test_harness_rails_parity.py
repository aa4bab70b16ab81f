"""The rails beyond the seed, in the harness exactly as live (docs/engine.md section 7, and section 5 "Parity").

A month of scripted trades runs through the harness under a policy with every rail set (drawdown
from the peak, weekly and monthly caps, loss streaks, symbol cooldowns, the daily cap counting open
risk), each rail tripping at a known entry; then the same events go through the live API with a
brand-new LiveRisk per event (all memory dropped: the rails' state is reloaded from runtime/ each
time). Every allocation, close and the final state agree to the last bit.
"""

from __future__ import annotations

import json
from collections import Counter
from types import SimpleNamespace

import pytest

from tc1console.engine import store
from tc1console.engine.core import CloseResult, OpenResult
from tc1console.engine.rails import day_index
from tests.backtest.test_harness_live_parity import OVERLAY, T0, Row, _row, cell, run_both, state_docs

# $50 risked on every trade: BIG and BIG2 (whole units, no fee) 1000/990 buy 5 and lose exactly 50
# at the stop, so each rail below trips at a known entry.
RAILS_OVERLAY = {**OVERLAY, "flat_risk_until": 1e12, "flat_risk_amount": 50.0, "per_trade_risk_cap": 50.0,
                 "symbol_overrides": {**OVERLAY["symbol_overrides"], "BIG2": OVERLAY["symbol_overrides"]["BIG"]}}
RAILS_POLICY = {
    "equity_floor": 8_000.0, "max_drawdown_pct": 0.1, "daily_loss_cap": 180.0,
    "daily_loss_includes_open_risk": True, "weekly_loss_cap": 420.0, "monthly_loss_cap": 900.0,
    "max_trades_per_day": 40, "loss_streak_limit": 3, "loss_streak_cooldown_minutes": 45.0,
    "symbol_cooldown_minutes": 25.0,
}
NEW_REASONS = ("max_drawdown", "daily_loss_cap", "weekly_loss_cap", "monthly_loss_cap", "loss_streak",
               "symbol_cooldown")
H, M = 3_600_000, 60_000
LOSS, FLAT = 990.0, 1000.0  # exit prices: -50 (a losing close), 0 (a close with pnl >= 0)


def _t(tid: str, day: str, at: int, exit_price: float | None, symbol: str = "BIG") -> Row:
    """A BIG long entered at `day` + `at` ms, closed 5 minutes later at `exit_price` (None: no
    matter, the entry is expected to be refused)."""
    ts = day_index(day) * 86_400_000 + at
    return _row(symbol, "long", ts, 1000, 990, ts + 5 * M, FLAT if exit_price is None else exit_price, tid)


def scripted() -> list[Row]:
    """Each rail of docs/engine.md section 7 tripped at a known entry (the comment names the skip)."""
    rows = [
        # Mon 2025-03-03: the daily cap counts open risk: 3 x 50 open, the 4th gets the 30 left, the
        # 5th nothing (daily_loss_cap); they close flat an hour later.
        *[_row("BIG", "long", T0 + H + k * M, 1000, 990, T0 + 2 * H, FLAT, f"open-{k}") for k in range(5)],
        _t("cool-1", "2025-03-03", 8 * H, LOSS, "BIG2"),  # BIG2 lost at 08:05: no BIG2 until 08:30
        _t("cool-2", "2025-03-03", 8 * H + 10 * M, None, "BIG2"),  # symbol_cooldown
        _t("streak-2", "2025-03-03", 9 * H, LOSS, "BIG2"),
        _t("streak-3", "2025-03-03", 9 * H + 10 * M, LOSS),  # the 3rd loss in a row, 09:15: blocks until 10:00
        _t("streak-blocked", "2025-03-03", 9 * H + 20 * M, None),  # loss_streak
    ]
    day_losses = [("2025-03-04", 3), ("2025-03-05", 3), ("2025-03-10", 3), ("2025-03-11", 3), ("2025-03-17", 3),
                  ("2025-04-01", 2)]
    for day, losses in day_losses:  # loss, flat, loss, ...: 50 a loss, never 3 in a row
        for k in range(2 * losses - 1):
            rows.append(_t(f"{day}-{k}", day, (8 + k) * H, LOSS if k % 2 == 0 else FLAT))
    rows += [
        _t("week-blocked", "2025-03-06", 8 * H, None),  # weekly_loss_cap: 450 this week
        _t("month-blocked", "2025-03-18", 8 * H, None),  # monthly_loss_cap: 900 in March, 150 this week
        _t("drawdown-blocked", "2025-04-01", 15 * H, None),  # max_drawdown: 9,000 = 10,000 * 0.9
    ]
    # More entries inside each block, a different number per rail, so the summary's counts say which
    # rail refused what (a skipped entry changes nothing, so each block still ends where it did).
    rows += [_row("BIG", "long", T0 + H + 6 * M, 1000, 990, T0 + 2 * H, FLAT, "open-5")]  # daily_loss_cap: 0 left
    rows += [_t(f"cool-{k}", "2025-03-03", 8 * H + m * M, None, "BIG2") for k, m in ((3, 15), (4, 29))]
    rows += [_t(f"streak-blocked-{k}", "2025-03-03", at, None)
             for k, at in enumerate((9 * H + 30 * M, 9 * H + 40 * M, 10 * H - 1))]  # until 10:00
    rows += [_t(f"week-blocked-{k}", day, at, None)  # the same ISO week, to Sunday
             for k, (day, at) in enumerate((("2025-03-06", 9 * H), ("2025-03-07", 8 * H), ("2025-03-08", 8 * H),
                                            ("2025-03-09", 23 * H)))]
    rows += [_t(f"month-blocked-{k}", day, 8 * H, None)  # March, in weeks with no loss of their own
             for k, day in enumerate(("2025-03-19", "2025-03-20", "2025-03-24", "2025-03-25", "2025-03-31"))]
    rows += [_t(f"drawdown-blocked-{k}", day, 16 * H, None)
             for k, day in enumerate(("2025-04-01", "2025-04-02", "2025-04-03", "2025-04-10", "2025-04-29", "2025-04-30"))]
    for k, r in enumerate(rows):
        r.line = k + 2
    return rows


@pytest.fixture(scope="module")
def rails_run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    return run_both(tmp_path_factory.mktemp("rails"), scripted(), RAILS_OVERLAY, RAILS_POLICY)


def test_each_rail_blocks_at_the_entry_its_rule_says(rails_run: SimpleNamespace) -> None:
    """docs/engine.md 7, each rule to the letter: the expected skip at each scripted entry, and the daily
    cap's budget clamped to what the day has left (2.5)."""
    reasons = {e["trade_id"]: e["skipped_reason"] for e in rails_run.echoes}
    assert reasons["open-3"] == "" and rails_run.echoes[3]["budget"] == "30.0"
    assert reasons["open-4"] == "daily_loss_cap"
    assert reasons["cool-2"] == "symbol_cooldown"
    assert reasons["streak-blocked"] == "loss_streak"
    assert reasons["week-blocked"] == "weekly_loss_cap"
    assert reasons["month-blocked"] == "monthly_loss_cap"
    assert reasons["drawdown-blocked"] == "max_drawdown"


def test_the_summary_counts_each_new_skip_reason_as_the_rules_say(rails_run: SimpleNamespace) -> None:
    """docs/engine.md 5 (summary.json: counts by skip reason) and 7: every entry scripted inside a block
    is counted under that rail, and nothing else is skipped."""
    expected = {"daily_loss_cap": 2, "symbol_cooldown": 3, "loss_streak": 4, "weekly_loss_cap": 5,
                "monthly_loss_cap": 6, "max_drawdown": 7}
    assert set(expected) == set(NEW_REASONS)
    for summary in (rails_run.summary, rails_run.summary_file):
        assert {k: v for k, v in summary["skipped_by_reason"].items() if v} == expected
        assert summary["trades_skipped"] == sum(expected.values())
    by_row = Counter(e["skipped_reason"] for e in rails_run.echoes if e["skipped_reason"])
    assert by_row == expected
    assert Counter(r["skipped_reason"] for r in rails_run.live.opens.values() if r["skipped_reason"]) == expected


def test_every_allocation_and_close_matches_the_live_api_restarted_per_event(rails_run: SimpleNamespace) -> None:
    """docs/engine.md 5 "Parity" with the section 7 rails: each open_allocations.csv row equals the live
    try_open answer, each realized_pnl.csv row the live close, field by field as text."""
    assert len(rails_run.live.opens) == len(rails_run.rows)
    for i, live in rails_run.live.opens.items():
        echo = rails_run.echoes[i]
        assert {f: echo[f] for f in OpenResult._fields} == {f: cell(live[f]) for f in OpenResult._fields}, echo
    assert len(rails_run.closes) == len(rails_run.live.closes)
    for row, live in zip(rails_run.closes, rails_run.live.closes):
        assert row == {f: cell(live[f]) for f in CloseResult._fields}


def test_the_rails_state_left_by_live_is_the_one_the_journal_rebuilds(rails_run: SimpleNamespace) -> None:
    """docs/engine.md 7: the peak, the streak and the cooldowns live in the state files and are rebuilt
    from the journal (config events replayed in order) to the same values."""
    book, _ = state_docs(rails_run.live_root)
    assert book["rails"]["peak"] is not None and book["rails"]["last_loss"]
    s = store.Store(rails_run.live_root)
    assert s.rebuild()["differences"] == []
    assert json.loads((rails_run.live_root / "runtime" / store.STATE_FILE).read_bytes())["rails"] == book["rails"]
    assert cell(book["balance"]) == cell(rails_run.summary["final_balance"])
