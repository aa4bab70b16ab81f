"""The cap editor (docs/console.md, Keys: "edit caps: a form for every cap and rail, with validation as you
type; save writes the config file atomically in its own format (TOML with tomli-w, JSON with json),
journals old → new, and the running bot picks it up on its next call"). Real roots, a real Pilot,
the config files and the journal checked on disk afterwards.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from console_tools import shown, showing, toasts, tree_bytes, wait_until
from textual.widgets import Input

from tc1console.console.caps import CAP_KEYS
from tc1console.console.fixtures import FIXED_NOW_MS, MINUTE
from tc1console.console.screens.caps_screen import CapRow, CapsScreen
from tc1console.console.screenshots import demo_app
from tc1console.engine import advice, config, schema, store
from tc1console.engine.live import LiveRisk

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
LAST_FIELD = "#cap-max_trades_per_day"  # composed last: the form is all there
OVERLAY = "configs/risk_overlay.toml"
POLICY = "configs/risk_policy.toml"


def journal(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "runtime" / store.JOURNAL_FILE).read_bytes().splitlines()]


def console_config_events(root: Path) -> list[dict]:
    return [e for e in journal(root) if e["type"] == "config" and e["by"] == "console"]


async def open_editor(pilot) -> CapsScreen:
    await pilot.press("e")
    await wait_until(pilot, lambda: showing(pilot.app, CapsScreen, LAST_FIELD), "the cap editor")
    return pilot.app.screen


def field(screen: CapsScreen, key: str) -> Input:
    return screen.query_one(f"#cap-{key}", Input)


def row(screen: CapsScreen, key: str) -> CapRow:
    return screen.query_one(f"#row-{key}", CapRow)


async def type_into(pilot, screen: CapsScreen, key: str, text: str) -> None:
    """Focus the field (its text is selected on focus), then type over it key by key."""
    field(screen, key).focus()
    await pilot.pause()
    field(screen, key).select_all()
    await pilot.press(*(list(text) if text else ["backspace"]))


async def put(pilot, screen: CapsScreen, key: str, text: str) -> None:
    """Replace the field's text at once (an Input.Changed, as typing sends per key), for speed."""
    field(screen, key).value = text
    await pilot.pause()


def status(screen: CapsScreen) -> str:
    return str(screen.query_one("#caps-status").render())


async def test_form_lists_every_cap_and_rail_prefilled_and_an_untouched_save_writes_nothing(demo_root):
    """docs/console.md: a form for every cap and rail, starting from the values in the files; saving it
    untouched writes nothing and says so."""
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_editor(pilot)
        assert [r.cap.key for r in screen.query(CapRow)] == [key for _, key in CAP_KEYS]
        for kind, key in CAP_KEYS:
            f = row(screen, key).cap.field  # a key the defaults leave out: its default, or empty = unset
            want = config.DEFAULTS[kind].get(key, None if f.required else f.default)
            assert schema.parse_text(f, field(screen, key).value) == want
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "no cap changed; nothing was written" in toasts(app), "the note")
        assert not isinstance(app.screen, CapsScreen)
    assert tree_bytes(demo_root) == before


async def test_two_changes_saved_keep_other_keys_journal_old_to_new_and_reach_the_bot(demo_root):
    """docs/console.md: save writes the config files (only the changed keys; other keys, symbol_overrides
    included, kept), journals old → new, and a bot's next call sizes with the new cap."""
    overlay_before = tomllib.loads((demo_root / OVERLAY).read_text())
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_editor(pilot)
        await type_into(pilot, screen, "per_trade_risk_cap", "20")
        await put(pilot, screen, "daily_loss_cap", "250")
        assert "2 changes to save" in status(screen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CapsScreen), "the editor to close")
        await wait_until(pilot, lambda: any("per_trade_risk_cap 100 -> 20" in t for t in toasts(app)), "the toast")
        assert any("daily_loss_cap 200 -> 250" in t for t in toasts(app))

    overlay = tomllib.loads((demo_root / OVERLAY).read_text())
    assert overlay == {**overlay_before, "per_trade_risk_cap": 20.0}
    assert overlay["symbol_overrides"] == config.DEFAULTS["overlay"]["symbol_overrides"]
    policy = tomllib.loads((demo_root / POLICY).read_text())
    assert policy == {**config.DEFAULTS["policy"], "daily_loss_cap": 250.0}
    assert (demo_root / OVERLAY).read_text().startswith("# " + config.HEADERS["overlay"])  # the project's writer

    events = console_config_events(demo_root)
    assert [(e["kind"], e["changes"]) for e in events] == [
        ("overlay", {"per_trade_risk_cap": [100.0, 20.0]}),
        ("policy", {"daily_loss_cap": [200.0, 250.0]}),
    ]

    alloc = LiveRisk(demo_root).try_open(trade_id="after-save", symbol="BTCUSDT", is_long=True,
                                         entry_ts_ms=FIXED_NOW_MS + MINUTE, entry_price=91_000.0,
                                         stop_price=90_000.0)
    assert alloc["skipped_reason"] is None and alloc["budget"] == 20.0


INVALID = [  # (key, typed, the loader's reason)
    ("percent_risk", "1.5", "percent_risk must be between 0 and 1 exclusive"),
    ("total_open_risk_cap", "-10", "total_open_risk_cap must not be negative"),
    ("max_concurrent_trades", "abc", "max_concurrent_trades must be a whole number, not 'abc'"),
    ("flat_risk_amount", "", "flat_risk_amount is required"),
]


async def test_invalid_values_show_their_reason_and_save_writes_nothing(demo_root):
    """docs/console.md: validation as you type (the loader's own rules: a fraction above 1, a negative cap,
    text, a required key emptied); save is refused, with the reasons, while a field is invalid, and
    nothing is written; fixing one field clears its mark; Escape then closes, still writing nothing."""
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot)
        for i, (key, text, reason) in enumerate(INVALID):
            await (type_into if i == 0 else put)(pilot, screen, key, text)  # one typed key by key
            assert row(screen, key).has_class("-invalid") and field(screen, key).has_class("-invalid")
            assert reason in str(row(screen, key).query_one(".cap-error").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CapsScreen)
        refused = status(screen).replace("\n", " ")
        assert f"not saved: {len(INVALID)} fields are invalid" in refused
        assert all(reason in refused for _, _, reason in INVALID)
        await put(pilot, screen, "percent_risk", "0.01")
        assert not row(screen, "percent_risk").has_class("-invalid")
        assert "3 fields are invalid" in status(screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CapsScreen), "the editor to close")
    assert tree_bytes(demo_root) == before


async def test_escape_after_editing_writes_nothing(demo_root):
    """docs/console.md: Escape leaves the form with nothing written, even with valid edits typed."""
    before = tree_bytes(demo_root)
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot)
        await type_into(pilot, screen, "max_leverage", "2")
        await put(pilot, screen, "equity_floor", "9000")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CapsScreen), "the editor to close")
    assert tree_bytes(demo_root) == before


async def test_a_json_config_is_saved_as_json(fresh_root):
    """docs/console.md: save writes the config file in its own format: a risk_overlay.json stays JSON."""
    folder = fresh_root / "configs"
    (folder / "risk_overlay.toml").unlink()
    (folder / "risk_overlay.json").write_text(config.dump_json("overlay", config.DEFAULTS["overlay"]))
    app = demo_app(fresh_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        screen = await open_editor(pilot)
        assert "configs/risk_overlay.json" in str(screen.query(".caps-section").first().render())
        await put(pilot, screen, "max_concurrent_trades", "3")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CapsScreen), "the save")
    doc = json.loads((folder / "risk_overlay.json").read_text())
    assert doc == {**config.DEFAULTS["overlay"], "max_concurrent_trades": 3}
    assert not (folder / "risk_overlay.toml").exists()
    assert console_config_events(fresh_root)[-1]["changes"] == {"max_concurrent_trades": [5, 3]}


async def test_hand_written_comments_are_named_before_saving(demo_root):
    """docs/console.md / config writer: a comment added by hand is not kept when the console saves, so the
    form says so, quoting it, before anything is saved."""
    path = demo_root / OVERLAY
    path.write_text(path.read_text().replace("max_leverage = 3.0", "max_leverage = 3.0  # agreed with risk desk")
                    + "# ask Dana before raising caps\n")
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot)
        warning = screen.query_one("#caps-warning")
        assert warning.display
        text = str(warning.render()).replace("\n", " ")
        assert "risk_overlay.toml has 2 comments written by hand" in text and "will not keep" in text
        assert "ask Dana before raising caps" in text and "agreed with risk desk" in text


async def test_empty_unsets_an_optional_key_and_a_default_left_out_is_no_change(demo_root):
    """Empty means unset (no limit) for an optional key; and a key the file leaves at its default is
    not journaled as a change when another key is saved (old → new as in force)."""
    path = demo_root / OVERLAY
    path.write_text(path.read_text().replace("default_min_qty = 0.001\n", ""))
    LiveRisk(demo_root)  # the bot notices the hand edit first (journaled "detected")
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot)
        await put(pilot, screen, "daily_loss_cap", "")
        await put(pilot, screen, "total_open_risk_cap", "400")
        assert not screen.query(".-invalid")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CapsScreen), "the save")
    assert "# daily_loss_cap = (unset)" in (demo_root / POLICY).read_text()
    assert config.load_policy(demo_root / POLICY).daily_loss_cap is None
    assert [e["changes"] for e in console_config_events(demo_root)] == [
        {"total_open_risk_cap": [300.0, 400.0]}, {"daily_loss_cap": [200.0, None]}]


async def test_an_unparsable_config_is_named_and_the_form_does_not_open(demo_root):
    """A config file that is not valid TOML: the console names it in an error toast and stays up."""
    (demo_root / POLICY).write_text("daily_loss_cap = = 3\n")
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts(app)  # record every toast from the start
        await pilot.press("e")
        await wait_until(pilot, lambda: any("risk_policy.toml: invalid TOML" in t for t in toasts(app)), "the error")
        assert not isinstance(app.screen, CapsScreen) and app.is_running


async def test_the_editor_warns_about_percent_risk_above_2_percent_with_config_checks_words(demo_root):
    """docs/engine.md section 1.4 and docs/console.md section 2.5: the cap editor shows, for the values
    as typed, the warnings `tc1 config check` prints (engine/advice.py): percent_risk 0.03 is above
    2%; 0.02 is not. A warning is advice: the change can still be saved."""
    app = demo_app(demo_root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot)
        box = screen.query_one("#caps-advice")
        assert not box.has_class("-shown") and shown(box) == ""  # the demo's caps: nothing to say

        await put(pilot, screen, "percent_risk", "0.03")
        await wait_until(pilot, lambda: "percent_risk" in shown(box), "the warning")
        assert box.has_class("-shown") and box.display
        overlay = config.validate("overlay", {**config.DEFAULTS["overlay"], "percent_risk": 0.03}, "o")
        policy = config.validate("policy", config.DEFAULTS["policy"], "p")
        expected = advice.lines(advice.advise(overlay, policy, app.snapshot.balance.balance))
        assert shown(box).splitlines() == [f"! {line}" for line in expected]
        assert "3% of the balance on each trade (above 2%)" in shown(box)
        assert "1 change to save: percent_risk" in status(screen)

        await put(pilot, screen, "percent_risk", "0.02")  # at the threshold: not above it
        await wait_until(pilot, lambda: not box.has_class("-shown"), "the warning to go")
        assert shown(box) == ""
