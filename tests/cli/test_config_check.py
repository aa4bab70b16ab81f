"""`tc1 config check` and the warnings of engine/advice.py (docs/engine.md section 1.4): each rule at
its threshold (pure, fast), then the command on real roots in a real `tc1` process: the values in
force with their comments, the warnings, exit 0 with warnings and 1 with a file that does not load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1

from tc1console.engine import config
from tc1console.engine.advice import advise, traded_symbols
from tc1console.engine.live import LiveRisk

BALANCE = 10_000.0


def configs(overlay: dict[str, Any] | None = None, policy: dict[str, Any] | None = None):
    """The shipped defaults with `overlay` / `policy` over them (None as a value: the key left out)."""
    def merged(kind: str, changes: dict[str, Any] | None) -> Any:
        raw = {**config.DEFAULTS[kind], **(changes or {})}
        return config.validate(kind, {k: v for k, v in raw.items() if v is not None}, kind)
    return merged("overlay", overlay), merged("policy", policy)


def keys(overlay: dict | None = None, policy: dict | None = None, balance: float = BALANCE,
         traded: tuple[str, ...] = ()) -> list[str]:
    o, p = configs(overlay, policy)
    return [a.key for a in advise(o, p, balance, traded)]


def text_of(key: str, overlay: dict | None = None, policy: dict | None = None, balance: float = BALANCE,
            traded: tuple[str, ...] = ()) -> str:
    o, p = configs(overlay, policy)
    return next(a.text for a in advise(o, p, balance, traded) if a.key == key)


# --- the rules (docs/engine.md section 1.4) --------------------------------------------------------------

def test_the_shipped_defaults_draw_no_warning() -> None:
    assert keys() == []
    assert keys(traded=("BTCUSDT", "ETHUSDT", "SOLUSDT")) == []


def test_percent_risk_warns_above_2_percent_not_at_it() -> None:
    assert keys({"percent_risk": 0.02}) == []
    assert keys({"percent_risk": 0.0201}) == ["percent_risk"]
    text = text_of("percent_risk", {"percent_risk": 0.03})
    assert "3% of the balance on each trade (above 2%)" in text and "10 losses in a row" in text


def test_flat_risk_amount_warns_above_2_percent_only_while_it_is_the_budget_in_force() -> None:
    below = 4_000.0  # below flat_risk_until 5,000: the flat amount is the budget
    assert keys({"flat_risk_amount": 80.0}, balance=below) == []  # exactly 2%
    assert keys({"flat_risk_amount": 81.0}, balance=below) == ["flat_risk_amount"]
    assert "2.025% of the balance 4,000.00" in text_of("flat_risk_amount", {"flat_risk_amount": 81.0}, balance=below)
    assert keys({"flat_risk_amount": 4_000.0}) == []  # at 10,000 percent_risk is in force, not the flat amount


def test_per_trade_risk_cap_warns_above_5_percent_of_the_balance() -> None:
    assert keys({"per_trade_risk_cap": 500.0}) == []
    assert keys({"per_trade_risk_cap": 501.0}) == ["per_trade_risk_cap"]
    assert keys({"per_trade_risk_cap": None}) == []  # no cap: percent_risk still bounds a trade
    assert "5.01% of the balance 10,000.00 (above 5%)" in text_of("per_trade_risk_cap", {"per_trade_risk_cap": 501.0})


def test_daily_loss_cap_warns_above_10_percent_of_the_balance() -> None:
    assert keys(policy={"daily_loss_cap": 1_000.0}) == []
    assert keys(policy={"daily_loss_cap": 1_000.5}) == ["daily_loss_cap"]
    assert keys({"per_trade_risk_cap": 101.0}, {"daily_loss_cap": 1_500.0}, balance=2_000.0) == [
        "per_trade_risk_cap", "daily_loss_cap"]  # the balance the state holds, not initial_balance


def test_no_equity_floor_warns() -> None:
    assert keys(policy={"equity_floor": None}) == ["equity_floor"]
    assert keys(policy={"equity_floor": 0.0}) == []  # set (if low): a choice made, not one forgotten


def test_max_leverage_warns_above_5_or_unset() -> None:
    assert keys({"max_leverage": 5.0}) == []
    assert keys({"max_leverage": 5.5}) == ["max_leverage"]
    assert "55,000.00" in text_of("max_leverage", {"max_leverage": 5.5})
    assert keys({"max_leverage": None}) == ["max_leverage"]


def test_zero_fees_warn_only_for_symbols_configured_or_traded() -> None:
    assert keys({"fee_bps_per_side": 0.0}) == ["fee_bps_per_side"]  # three symbols configured
    assert "BTCUSDT, ETHUSDT, SOLUSDT" in text_of("fee_bps_per_side", {"fee_bps_per_side": 0.0})
    assert keys({"fee_bps_per_side": 0.0, "symbol_overrides": {}}) == []  # nothing configured, nothing traded
    assert keys({"fee_bps_per_side": 0.0, "symbol_overrides": {}}, traded=("XRPUSDT",)) == ["fee_bps_per_side"]
    overrides = {s: {**r, "fee_bps_per_side": 2.0} for s, r in config.DEFAULTS["overlay"]["symbol_overrides"].items()}
    assert keys({"fee_bps_per_side": 0.0, "symbol_overrides": overrides}) == []  # each has its own fee
    overrides["BTCUSDT"]["fee_bps_per_side"] = 0.0
    assert text_of("fee_bps_per_side", {"symbol_overrides": overrides}).startswith("0 bps for BTCUSDT:")


def test_a_traded_symbol_without_an_override_warns_while_others_have_one() -> None:
    assert keys(traded=("BTCUSDT", "XRPUSDT")) == ["symbol_overrides"]
    text = text_of("symbol_overrides", traded=("XRPUSDT",))
    assert text.startswith("XRPUSDT is traded without an override while 3 other symbols have one")
    assert "default_qty_step 0.001" in text
    assert keys({"symbol_overrides": {}}, traded=("XRPUSDT",)) == []  # no overrides: the defaults are the rules


def test_shares_of_the_balance_wait_for_a_positive_balance() -> None:
    risky = {"per_trade_risk_cap": 10_000.0, "flat_risk_amount": 10_000.0}
    assert keys(risky, {"daily_loss_cap": 10_000.0}, balance=0.0) == []


def test_traded_symbols_come_from_positions_closes_and_journal_entries(tmp_path: Path) -> None:
    root = make_root(tmp_path / "live")
    live = LiveRisk(root)
    live.try_open(trade_id="a", symbol="XRPUSDT", is_long=True, entry_ts_ms=NOW_MS, entry_price=0.5, stop_price=0.49)
    live.try_open(trade_id="b", symbol="ADAUSDT", is_long=True, entry_ts_ms=NOW_MS, entry_price=0.4, stop_price=0.39)
    live.close(trade_id="b", exit_ts_ms=NOW_MS + 1, exit_price=0.41)
    events = [{"type": "open", "position": {"symbol": "DOGEUSDT"}}, {"type": "close", "result": {"symbol": "LTCUSDT"}},
              {"type": "skip", "result": {"symbol": "NOPE"}}, {"type": "open", "position": {"symbol": ["odd"]}}]
    with live.store.transaction() as tx:
        found = traded_symbols(tx.engine.positions.values(), tx.engine.recent_closes.values(), events)
    assert found == {"XRPUSDT", "ADAUSDT", "DOGEUSDT", "LTCUSDT"}


# --- the command ------------------------------------------------------------------------------------------

def write(root: Path, kind: str, values: dict[str, Any]) -> None:
    (root / "configs" / f"{config.STEMS[kind]}.toml").write_text(config.dump_toml(kind, values))


def test_check_prints_each_value_in_force_with_its_comment_and_exits_0(tmp_path: Path) -> None:
    root = make_root(tmp_path / "live")
    proc = tc1("config", "check", root=root)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    out = proc.stdout
    for kind in config.STEMS:
        assert f"configs/{config.STEMS[kind]}.toml" in out
        for f in config.FIELDS[kind]:
            line = next(x for x in out.splitlines() if x.split()[:1] == [f.key])
            assert line.rstrip().endswith(f.comment), line
    assert "daily_loss_includes_open_risk" in out and "false (default)" in out  # left out of the file
    assert "max_drawdown_pct" in out and "unset" in out
    assert "BTCUSDT" in out and "min_notional 100.00" in out
    assert "Balance 10,000.00 from initial_balance (no state yet)" in out
    assert out.rstrip().splitlines()[-1] == "config check: both files load; 0 warnings"


def test_risky_values_exit_0_with_one_warning_line_per_rule(tmp_path: Path) -> None:
    root = make_root(tmp_path / "live")
    write(root, "overlay", {**config.DEFAULTS["overlay"], "percent_risk": 0.5, "max_leverage": 20.0})
    write(root, "policy", {"daily_loss_cap": 5_000.0})
    proc = tc1("config", "check", root=root)
    assert proc.returncode == 0 and proc.stderr == ""
    warned = [line.split(":")[0].strip("! ") for line in proc.stdout.splitlines() if line.startswith("  ! ")]
    assert warned == ["percent_risk", "daily_loss_cap", "equity_floor", "max_leverage"]
    assert "50% of the balance on each trade (above 2%)" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1] == "config check: both files load; 4 warnings"
    doc = json.loads(tc1("config", "check", "--json", root=root).stdout)
    assert [w["key"] for w in doc["warnings"]] == warned and doc["values"]["overlay"]["percent_risk"] == 0.5


def test_the_balance_and_symbols_come_from_the_state(tmp_path: Path) -> None:
    """The shares of the balance use the state's balance, and a symbol the bot trades without an
    override is named (docs/engine.md section 1.4)."""
    root = make_root(tmp_path / "live")
    LiveRisk(root).try_open(trade_id="x1", symbol="XRPUSDT", is_long=True, entry_ts_ms=NOW_MS,
                            entry_price=0.5, stop_price=0.49)
    assert tc1("balance", "set", "1500", root=root).returncode == 0
    proc = tc1("config", "check", root=root)
    assert proc.returncode == 0
    assert "Balance 1,500.00 from the state (journal seq" in proc.stdout and "symbols traded: XRPUSDT" in proc.stdout
    assert "  ! per_trade_risk_cap: 100.00 is 6.667% of the balance 1,500.00" in proc.stdout
    assert "  ! daily_loss_cap: 200.00 is 13.33% of the balance 1,500.00" in proc.stdout
    assert "  ! symbol_overrides: XRPUSDT is traded without an override" in proc.stdout


@pytest.mark.parametrize(("kind", "text", "key"), [
    ("overlay", "percent_risk = 1.5\n", "percent_risk"),
    ("policy", "daily_loss_cap = \"a lot\"\n", "daily_loss_cap"),
    ("policy", "daily_loss_limit = 100.0\n", "daily_loss_limit"),
])
def test_a_file_that_does_not_load_exits_1_naming_the_file_and_the_key(tmp_path: Path, kind, text, key) -> None:
    root = make_root(tmp_path / "live")
    path = root / "configs" / f"{config.STEMS[kind]}.toml"
    if kind == "overlay":
        path.write_text(path.read_text().replace("percent_risk = 0.005\n", text))
    else:
        path.write_text(path.read_text() + text if key == "daily_loss_limit" else
                        path.read_text().replace("daily_loss_cap = 200.0\n", text))
    proc = tc1("config", "check", root=root)
    assert proc.returncode == 1 and proc.stdout == ""
    assert_one_line_error(proc, str(path), repr(key))


def test_a_missing_root_or_config_exits_1_saying_what_to_run(tmp_path: Path) -> None:
    proc = tc1("config", "check", root=tmp_path / "nope")
    assert proc.returncode == 1
    assert_one_line_error(proc, "no such folder", "tc1 init")
    root = make_root(tmp_path / "live")
    (root / "configs" / "risk_policy.toml").unlink()
    proc = tc1("config", "check", root=root)
    assert proc.returncode == 1
    assert_one_line_error(proc, "risk_policy.toml not found")
