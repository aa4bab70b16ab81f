"""Config loading, validation and the commented TOML writer (docs/engine.md §1)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from property_budget import examples
import tc1console
from tc1console.engine import config, schema
from tc1console.engine.rails import RAILS
from tc1console.engine.config import OverlayConfig, PolicyConfig, SymbolRules
from tc1console.engine.errors import ConfigError

MINIMAL = {"initial_balance": 10_000.0, "flat_risk_amount": 25.0, "percent_risk": 0.005,
           "default_qty_step": 0.001}
SHIPPED = Path(tc1console.__file__).resolve().parents[1] / "configs"


def write(root: Path, name: str, text: str) -> Path:
    path = root / "configs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def toml_text(values: dict) -> str:
    """A hand-written TOML file (not via our writer), so the loader is tested on its own."""
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, str) and value in ("nan", "inf", "-inf"):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


# --- finding the file --------------------------------------------------------------------------------

def test_toml_config_is_found_under_configs(tmp_path: Path) -> None:
    """docs/engine.md §1: config files are found by name under the root's configs/."""
    path = write(tmp_path, "risk_overlay.toml", toml_text(MINIMAL))
    assert config.find_config(tmp_path, "overlay") == path
    assert config.load_overlay(path).initial_balance == 10_000.0


def test_json_config_loads_when_no_toml_exists(tmp_path: Path) -> None:
    """docs/engine.md §1: `risk_overlay.toml`, else `risk_overlay.json`; likewise `risk_policy.*`."""
    overlay = write(tmp_path, "risk_overlay.json", json.dumps(MINIMAL))
    policy = write(tmp_path, "risk_policy.json", json.dumps({"equity_floor": 500}))
    assert config.find_config(tmp_path, "overlay") == overlay
    assert config.find_config(tmp_path, "policy") == policy
    assert config.load_policy(policy) == PolicyConfig(equity_floor=500.0)


def test_json_with_same_keys_loads_the_same_config_as_toml(tmp_path: Path) -> None:
    """docs/engine.md §1: a `.json` file with the same keys also loads (to the same config)."""
    values = {**MINIMAL, "max_concurrent_trades": 3, "fees_in_risk": False, "fee_bps_per_side": 4}
    a = write(tmp_path / "a", "risk_overlay.toml", toml_text(values))
    b = write(tmp_path / "b", "risk_overlay.json", json.dumps(values))
    assert config.load_overlay(a) == config.load_overlay(b)


def test_both_toml_and_json_present_is_an_error_naming_both(tmp_path: Path) -> None:
    """docs/engine.md §1: both present: an error naming both."""
    t = write(tmp_path, "risk_policy.toml", "")
    j = write(tmp_path, "risk_policy.json", "{}")
    with pytest.raises(ConfigError) as err:
        config.find_config(tmp_path, "policy")
    assert str(t) in str(err.value) and str(j) in str(err.value)


def test_missing_config_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """docs/engine.md §1: the engine never starts on a config it could not validate (or find); the error
    names the file, what its folder holds instead, and what to run."""
    write(tmp_path, "risk_policy.toml", "")
    with pytest.raises(ConfigError, match=r"risk_overlay.toml not found .*configs/ holds risk_policy.toml.*tc1 init"):
        config.find_config(tmp_path, "overlay")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"configs not found .* is empty.*tc1 init"):
        config.find_config(tmp_path / "empty", "overlay")
    with pytest.raises(ConfigError, match=r"nope: no such folder.*tc1 init"):
        config.find_config(tmp_path / "nope", "overlay")


# --- defaults and accepted values --------------------------------------------------------------------

def test_optional_overlay_keys_take_their_documented_defaults() -> None:
    """docs/engine.md §1 overlay table: defaults 0 / none / true / {}."""
    cfg = config.validate("overlay", MINIMAL, "test")
    assert cfg == OverlayConfig(initial_balance=10_000.0, flat_risk_amount=25.0, percent_risk=0.005,
                                default_qty_step=0.001)
    assert (cfg.flat_risk_until, cfg.fee_bps_per_side, cfg.fees_in_risk) == (0.0, 0.0, True)
    assert (cfg.default_min_qty, cfg.default_min_notional) == (0.0, 0.0)
    assert (cfg.per_trade_risk_cap, cfg.total_open_risk_cap, cfg.max_concurrent_trades,
            cfg.max_leverage) == (None, None, None, None)
    assert cfg.symbol_overrides == {}


def test_policy_rails_default_to_none() -> None:
    """docs/engine.md §1 policy table: every rail defaults to none."""
    assert config.validate("policy", {}, "test") == PolicyConfig(None, None, None)


@pytest.mark.parametrize("key", ["initial_balance", "flat_risk_amount", "percent_risk",
                                 "default_qty_step"])
def test_required_overlay_key_missing_is_an_error_naming_it(key: str) -> None:
    """docs/engine.md §1: initial_balance, flat_risk_amount, percent_risk and the step are required."""
    raw = {k: v for k, v in MINIMAL.items() if k != key}
    with pytest.raises(ConfigError, match=f"test: key '{key}' is required"):
        config.validate("overlay", raw, "test")


def test_whole_numbers_are_accepted_for_money_keys_and_stored_as_float() -> None:
    """docs/engine.md §1: a TOML/JSON integer is a valid number for a $ key."""
    cfg = config.validate("overlay", {**MINIMAL, "initial_balance": 2500}, "test")
    assert cfg.initial_balance == 2500.0 and type(cfg.initial_balance) is float


@pytest.mark.parametrize("key", ["per_trade_risk_cap", "total_open_risk_cap", "max_concurrent_trades",
                                 "max_leverage"])
def test_overlay_caps_may_be_zero(key: str) -> None:
    """Engine choice (contract silent): a cap of 0 is valid config and acts as a kill switch."""
    cfg = config.validate("overlay", {**MINIMAL, key: 0}, "test")
    assert getattr(cfg, key) == 0


@pytest.mark.parametrize("key", ["equity_floor", "daily_loss_cap", "max_trades_per_day"])
def test_policy_rails_may_be_zero(key: str) -> None:
    """Engine choice (contract silent): a rail of 0 is valid config."""
    assert getattr(config.validate("policy", {key: 0}, "test"), key) == 0


def test_symbol_override_resolves_over_defaults_and_fee_is_a_rate() -> None:
    """docs/engine.md §1: symbol_overrides per symbol: qty_step, min_qty, min_notional, fee_bps_per_side."""
    cfg = config.validate("overlay", {
        **MINIMAL, "fee_bps_per_side": 4, "default_min_qty": 0.001, "default_min_notional": 5,
        "symbol_overrides": {"ETHUSDT": {"qty_step": 0.01, "fee_bps_per_side": 10}}}, "test")
    assert cfg.rules_for("ETHUSDT") == SymbolRules(qty_step=0.01, min_qty=0.001, min_notional=5.0,
                                                   fee_bps=10.0, fee_rate=0.001)
    assert cfg.rules_for("BTCUSDT") == SymbolRules(qty_step=0.001, min_qty=0.001, min_notional=5.0,
                                                   fee_bps=4.0, fee_rate=0.0004)


# --- rejected values: the message names file, key and value -----------------------------------------

BAD_OVERLAY = [
    # (key, TOML literal or JSON value, text the message must show for the value)
    ("percent_rsk", 0.01, "0.01"),  # unknown key (a typo)
    ("initial_balance", "1000", "'1000'"),  # wrong type: string
    ("fees_in_risk", 1, "1"),  # wrong type: number for a bool
    ("initial_balance", True, "true"),  # wrong type: bool for a number
    ("max_concurrent_trades", 2.5, "2.5"),  # wrong type: fraction for a count
    ("fee_bps_per_side", -1.0, "-1.0"),  # negative
    ("per_trade_risk_cap", -5, "-5"),  # negative
    ("initial_balance", 0, "0"),  # must be > 0
    ("percent_risk", 1.0, "1.0"),  # fraction must be < 1
    ("percent_risk", 0.0, "0.0"),  # fraction must be > 0
]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize(("key", "value", "shown"), BAD_OVERLAY)
def test_bad_overlay_value_is_an_error_naming_file_key_and_value(
        tmp_path: Path, suffix: str, key: str, value: object, shown: str) -> None:
    """docs/engine.md §1: unknown keys, wrong types, negative numbers: a load error that names the file,
    the key and the value."""
    raw = {**MINIMAL, key: value}
    text = toml_text(raw) if suffix == ".toml" else json.dumps(raw)
    path = write(tmp_path, "risk_overlay" + suffix, text)
    with pytest.raises(ConfigError) as err:
        config.load(path, "overlay")
    message = str(err.value)
    assert str(path) in message and repr(key) in message and shown in message, message


@pytest.mark.parametrize(("literal", "shown"), [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf")])
def test_non_finite_toml_number_is_an_error_naming_file_key_and_value(
        tmp_path: Path, literal: str, shown: str) -> None:
    """docs/engine.md §1: non-finite numbers are a load error naming the file, the key and the value."""
    path = write(tmp_path, "risk_overlay.toml", toml_text({**MINIMAL, "max_leverage": literal}))
    with pytest.raises(ConfigError) as err:
        config.load(path, "overlay")
    assert f"{path}: key 'max_leverage' must be a finite number, not {shown}" == str(err.value)


@pytest.mark.parametrize(("literal", "shown"), [("NaN", "nan"), ("Infinity", "inf"),
                                                ("-Infinity", "-inf"), ("1e999", "inf")])
def test_non_finite_json_number_is_an_error_naming_file_key_and_value(
        tmp_path: Path, literal: str, shown: str) -> None:
    """docs/engine.md §1: NaN / Infinity in a JSON config: the error names the file, the key and the value."""
    body = json.dumps(MINIMAL)[:-1] + f', "per_trade_risk_cap": {literal}}}'
    path = write(tmp_path, "risk_overlay.json", body)
    with pytest.raises(ConfigError) as err:
        config.load(path, "overlay")
    assert f"{path}: key 'per_trade_risk_cap' must be a finite number, not {shown}" == str(err.value)


@pytest.mark.parametrize(("table", "shown"), [
    ({"qty_stp": 0.1}, "'symbol_overrides.SOLUSDT.qty_stp' = 0.1"),
    ({"fee_bps_per_side": -2.0}, "'symbol_overrides.SOLUSDT.fee_bps_per_side' must not be negative, not -2.0"),
    ({"qty_step": 0}, "'symbol_overrides.SOLUSDT.qty_step' must be greater than 0, not 0"),
    ({"min_qty": "x"}, "'symbol_overrides.SOLUSDT.min_qty' must be a number, not 'x'"),
])
def test_bad_symbol_override_is_an_error_naming_file_key_and_value(
        tmp_path: Path, table: dict, shown: str) -> None:
    """docs/engine.md §1: the same checks apply inside symbol_overrides, naming the dotted key."""
    path = write(tmp_path, "risk_overlay.json",
                 json.dumps({**MINIMAL, "symbol_overrides": {"SOLUSDT": table}}))
    with pytest.raises(ConfigError) as err:
        config.load(path, "overlay")
    assert str(err.value).startswith(f"{path}: ") and shown in str(err.value)


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("equity_flor", 100, "100"), ("daily_loss_cap", -1, "-1"), ("max_trades_per_day", 1.5, "1.5"),
    ("equity_floor", "high", "'high'")])
def test_bad_policy_value_is_an_error_naming_file_key_and_value(
        tmp_path: Path, key: str, value: object, shown: str) -> None:
    """docs/engine.md §1: the policy file is validated the same way."""
    path = write(tmp_path, "risk_policy.json", json.dumps({key: value}))
    with pytest.raises(ConfigError) as err:
        config.load(path, "policy")
    message = str(err.value)
    assert str(path) in message and repr(key) in message and shown in message, message


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("risk_overlay.toml", "initial_balance = = 1\n", "invalid TOML"),
    ("risk_overlay.json", '{"initial_balance": 1,\n}', "invalid JSON: Expecting property name enclosed in double quotes at line 2 column 1"),
    ("risk_overlay.json", "[1, 2]", "the top level must be an object of keys, not list"),
])
def test_unparsable_config_is_an_error_naming_the_file(
        tmp_path: Path, name: str, text: str, expected: str) -> None:
    """docs/engine.md §1: the engine never starts on a config it could not validate."""
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as err:
        config.load(path, "overlay")
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)


# --- writing: commented TOML, hand comments, round trip ----------------------------------------------

@pytest.mark.parametrize("kind", ["overlay", "policy"])
def test_shipped_configs_equal_the_writer_output_byte_for_byte(kind: config.Kind) -> None:
    """docs/engine.md §1: the shipped defaults are produced by the project's own writer."""
    shipped = (SHIPPED / f"{config.STEMS[kind]}.toml").read_bytes()
    assert shipped == config.default_text(kind).encode("utf-8")


@pytest.mark.parametrize("kind", ["overlay", "policy"])
def test_shipped_configs_load_to_the_default_values(kind: config.Kind) -> None:
    """docs/engine.md §1: the shipped files validate, to exactly the writer's default values."""
    loaded = config.load(SHIPPED / f"{config.STEMS[kind]}.toml", kind)
    assert loaded == config.validate(kind, config.DEFAULTS[kind], "defaults")
    assert config.hand_comments(config.default_text(kind), kind) == []


def test_writer_puts_the_schema_comment_above_each_key() -> None:
    """docs/engine.md §1: the writer emits each key with a one-line comment taken from the schema."""
    lines = config.default_text("overlay").splitlines()
    for f in config.OVERLAY_FIELDS:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{f.key} = "))
        assert lines[index - 1] == f"# {f.comment}"


def test_unset_optional_key_is_written_as_a_comment_and_loads_as_none() -> None:
    """docs/engine.md §1: 'none' caps survive a save: written as `# key = (unset)`."""
    text = config.dump_toml("policy", {"daily_loss_cap": 150.0})
    assert "# equity_floor = (unset)" in text.splitlines()
    assert "daily_loss_cap = 150.0" in text.splitlines()
    assert config.validate("policy", config.parse_raw(text, Path("risk_policy.toml")), "t") == \
        PolicyConfig(daily_loss_cap=150.0)


def test_hand_comments_finds_only_comments_the_writer_did_not_write() -> None:
    """docs/engine.md §1: a comment a person added by hand is not kept on save, and the console says so."""
    text = config.default_text("policy").replace(
        "equity_floor = 8000.0", "# raised after the March drawdown\nequity_floor = 8000.0  # was 7000")
    assert config.hand_comments(text, "policy") == [
        "# raised after the March drawdown", "equity_floor = 8000.0  # was 7000"]
    assert config.hand_comments(config.dump_toml("policy", {}), "policy") == []
    values = config.parse_raw(text, Path("risk_policy.toml"))
    saved = config.render(Path("risk_policy.toml"), "policy", values)  # what a save writes
    assert saved == config.default_text("policy") and "March" not in saved


VALUES = {
    **MINIMAL, "flat_risk_until": 5000, "per_trade_risk_cap": 0.0, "max_concurrent_trades": 4,
    "fees_in_risk": False, "fee_bps_per_side": 2.5,
    "symbol_overrides": {"BTC-PERP": {"qty_step": 0.0001, "min_notional": 10.0}, "ODD SYM": {}},
}


@pytest.mark.parametrize("name", ["risk_overlay.toml", "risk_overlay.json"])
def test_render_then_load_gives_the_same_config(tmp_path: Path, name: str) -> None:
    """docs/engine.md §1: a file saved by the console loads back to the values it was given."""
    path = write(tmp_path, name, config.render(Path(name), "overlay", VALUES))
    assert config.load(path, "overlay") == config.validate("overlay", VALUES, "values")
    if name.endswith(".toml"):
        assert config.hand_comments(path.read_text(), "overlay") == []


def test_render_refuses_values_that_would_not_load() -> None:
    """docs/engine.md §1: the engine never starts on a config it could not validate, so never write one."""
    with pytest.raises(ConfigError, match="'initial_balance' is required"):
        config.render(Path("risk_overlay.toml"), "overlay",
                      {k: v for k, v in MINIMAL.items() if k != "initial_balance"})


def test_kind_of_names_the_config_by_its_stem() -> None:
    """docs/engine.md §1: files are found by name: risk_overlay.* and risk_policy.*."""
    assert config.kind_of(Path("x/risk_overlay.json")) == "overlay"
    assert config.kind_of(Path("risk_policy.toml")) == "policy"
    with pytest.raises(ConfigError, match="not a config file name"):
        config.kind_of(Path("overlay.toml"))


def test_parse_text_reads_form_input_with_the_schema() -> None:
    """docs/engine.md §1: the console validates as you type with the same schema."""
    fields = {f.key: f for f in config.OVERLAY_FIELDS}
    assert schema.parse_text(fields["initial_balance"], " 10_000 ") == 10_000.0
    assert schema.parse_text(fields["max_leverage"], "") is None
    assert schema.parse_text(fields["fees_in_risk"], "off") is False
    with pytest.raises(ValueError, match="must be a whole number, not '2.5'"):
        schema.parse_text(fields["max_concurrent_trades"], "2.5")
    with pytest.raises(ValueError, match="is required"):
        schema.parse_text(fields["percent_risk"], "")


# --- round trip over arbitrary valid values ----------------------------------------------------------

def _number(bound: str) -> st.SearchStrategy[float]:
    lo = {"positive": 5e-324, "nonneg": 0.0, "fraction": 5e-324}[bound]
    hi = math.nextafter(1.0, 0.0) if bound == "fraction" else 1e300
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def _field_value(f: config.Field) -> st.SearchStrategy[object]:
    if f.type is bool:
        return st.booleans()
    if f.type is int:
        return st.integers(min_value=1 if f.bound == "positive" else 0, max_value=10**6)
    if f.bound == "fraction":
        return _number(f.bound)
    return _number(f.bound) | st.integers(min_value=1 if f.bound == "positive" else 0, max_value=10**9)


@st.composite
def _values(draw: st.DrawFn, kind: config.Kind) -> dict:
    out: dict = {}
    for f in config.FIELDS[kind]:
        if f.required or draw(st.booleans()):
            out[f.key] = draw(_field_value(f))
    if kind == "overlay":
        symbols = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=8)
        tables = st.fixed_dictionaries({}, optional={f.key: _field_value(f) for f in config.OVERRIDE_FIELDS})
        out["symbol_overrides"] = draw(st.dictionaries(symbols, tables, max_size=3))
    return out


@settings(max_examples=examples(150))
@given(data=st.data(), kind=st.sampled_from(["overlay", "policy"]), suffix=st.sampled_from([".toml", ".json"]))
def test_render_round_trips_any_valid_values(data: st.DataObject, kind: config.Kind, suffix: str) -> None:
    """docs/engine.md §1: render(values) then load gives the same config, for any valid values."""
    values = data.draw(_values(kind))
    assume(not any(rail.cross_check(values) for rail in RAILS))  # keys a rail wants together: both or neither
    path = Path(config.STEMS[kind] + suffix)
    text = config.render(path, kind, values)
    assert config.validate(kind, config.parse_raw(text, path), str(path)) == \
        config.validate(kind, values, "values")
    if suffix == ".toml":
        assert config.hand_comments(text, kind) == [] or any("#" in s for s in values.get("symbol_overrides", {}))
