"""Non-finite numbers (docs/engine.md sections 3 and 4; issue 19 item 2): a result past the float range
is refused before anything is applied, and a state file holding one (1e400 reads as inf), or a
negative value where none makes sense, is a StateError naming the file and the field, with
nothing on disk changed; `tc1` says it in one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from cli_tools import assert_one_line_error, tc1
from live_tools import T0, files, journal, make_root
from tc1console.engine import store
from tc1console.engine.errors import InputError, InvalidExitError, StateError
from tc1console.engine.live import LiveRisk
from tc1console.engine.numbers import MAX_BALANCE

TINY = dict(symbol="PEPEUSDT", is_long=True, entry_price=1e-10, stop_price=5e-11)  # no min notional override
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def _no_non_finite(root: Path) -> None:
    for name, data in files(root).items():
        assert b"Infinity" not in data and b"NaN" not in data, name


def test_an_exit_giving_a_non_finite_pnl_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    """Entry 1e-10, exit 9e299: the PnL is past the float range. The close is refused (and its retry
    too, alike), nothing is written, and every later call in the process works."""
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    opened = live.try_open(trade_id="tiny", entry_ts_ms=T0, **TINY)
    assert opened["skipped_reason"] is None and opened["qty"] > 1e11
    before = files(root)
    for _ in range(2):
        with pytest.raises(InvalidExitError, match="past the float range; nothing was booked"):
            live.close(trade_id="tiny", exit_ts_ms=T0 + 1, exit_price=9e299)
        assert files(root) == before
    done = live.close(trade_id="tiny", exit_ts_ms=T0 + 2, exit_price=2e-10)
    assert not done["replayed"] and done["balance_after"] > 10_000.0
    assert live.try_open(trade_id="next", entry_ts_ms=T0 + 3, **OPEN)["skipped_reason"] is None
    assert [e["type"] for e in journal(root)][-3:] == ["open", "close", "open"]
    _no_non_finite(root)


@pytest.mark.parametrize("amount", [1e308, 1.7e308, 2e13, MAX_BALANCE - 10_000.0 + 0.01])
def test_a_deposit_past_the_largest_exact_balance_is_refused(tmp_path: Path, amount: float) -> None:
    """A balance past MAX_BALANCE (1e13: below 2**53 cents every cent is exact) is refused before
    anything is booked: a 1e308 deposit once made a later close's PnL round away and its withdrawal
    wipe out the 10,000 there before it."""
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    before = files(root)
    with pytest.raises(InputError, match="takes the balance past 10,000,000,000,000.00"):
        live.adjust_balance(amount, flow_id="big")
    assert files(root) == before
    done = live.adjust_balance(MAX_BALANCE - 10_000.0, flow_id="most")  # up to the ceiling is fine
    assert done["balance_after"] == MAX_BALANCE
    live.adjust_balance(-(MAX_BALANCE - 10_000.0), flow_id="back")
    assert live.status()["balance"]["balance"] == 10_000.0
    _no_non_finite(root)


EDITS: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    # name: (file, edit putting "@" where the raw value goes, the field the error names)
    "equity point balance 1e400": (store.STATE_FILE, lambda d: d["equity_points"][0].__setitem__(1, "@"),
                                   "equity_points[0]"),
    "equity point time 1e400": (store.STATE_FILE, lambda d: d["equity_points"][0].__setitem__(0, "@"),
                                "equity_points[0]"),
    "start_balance 1e400": (store.STATE_FILE, lambda d: d.__setitem__("start_balance", "@"), "start_balance"),
    "balance -1e400": (store.STATE_FILE, lambda d: d.__setitem__("balance", "-@"), "balance"),
    "risk 1e400": (store.STATE_FILE, lambda d: d["open_positions"]["b"].__setitem__("risk_amount", "@"),
                   "risk_amount"),
    "negative qty": (store.STATE_FILE, lambda d: d["open_positions"]["b"].__setitem__("qty", -1.5), "qty"),
    "entry time 1e400": (store.STATE_FILE, lambda d: d["open_positions"]["b"].__setitem__("entry_ts_ms", "@"),
                         "entry_ts_ms"),
    "close pnl 1e400": (store.STATE_FILE, lambda d: d["recent_closes"]["a"].__setitem__("pnl_after_fees", "@"),
                        "pnl_after_fees"),
    "day pnl 1e400": (store.POLICY_FILE, lambda d: next(iter(d["days"].values())).__setitem__("pnl", "@"), "pnl"),
    "negative day entries": (store.POLICY_FILE, lambda d: next(iter(d["days"].values())).__setitem__("entries", -3),
                             "entries"),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_a_state_file_with_a_non_finite_or_negative_value_is_a_state_error_naming_the_field(
        tmp_path: Path, case: str) -> None:
    name, edit, field = EDITS[case]
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    live.try_open(trade_id="a", entry_ts_ms=T0, **OPEN)
    live.close(trade_id="a", exit_ts_ms=T0 + 1, exit_price=2_990.0)
    live.try_open(trade_id="b", entry_ts_ms=T0 + 2, **OPEN)
    path = root / "runtime" / name
    doc = json.loads(path.read_bytes())
    edit(doc)
    path.write_text(json.dumps(doc).replace('"@"', "1e400").replace('"-@"', "-1e400"))
    before = files(root)
    with pytest.raises(StateError) as caught:
        LiveRisk(root)
    assert name in str(caught.value) and field in str(caught.value)
    assert_one_line_error(tc1("dashboard", root=root), name, field)
    assert files(root) == before  # nothing on disk touched, nothing inf written back
    # The way out the message gives: rebuild from the journal; then the bot starts.
    rebuilt = store.Store(root).rebuild()
    assert rebuilt["differences"]
    with LiveRisk(root).store.transaction() as tx:
        assert set(tx.engine.positions) == {"b"}
    _no_non_finite(root)
