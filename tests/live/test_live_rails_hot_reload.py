"""Hot reload of every rail key while a bot process trades (docs/live.md "Config files are
re-read when they change on disk", the rules of section 7; issue 13 item 5).

A real bot process (live_bot_child.py --stdin) makes one call per line the test sends; between two
calls the test saves the policy the way the console does (`Store.save_config`: an atomic rename,
journaled) or writes an invalid one by hand (also renamed into place). The bot's next call obeys the
new value to the letter, and an invalid value is refused (logged once, naming the key) while the
last good config stays in force. Each script runs with TOML and with JSON configs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from live_tools import (OVERLAY, POLICY, T0, apply_event, assert_files_equal_replay, journal, make_root, read_ack,
                        start_bot)
from tc1console.engine import config
from tc1console.engine.errors import ConfigError
from tc1console.engine.live import LiveRisk
from tc1console.engine.store import Store

# $100 flat risk, no fees: an entry at 100 with its stop at 99 buys 100 units, so a close at 100 + r
# books exactly 100 * r (r = -1: a $100 loss).
FLAT = {**OVERLAY, "fee_bps_per_side": 0.0, "flat_risk_until": 1e12, "flat_risk_amount": 100.0}
M, DAY = 60_000, 86_400_000  # T0 is Monday 2025-11-24 16:00 UTC

Step = tuple[Any, ...]


def o(tid: str, ts: int, expect: str | None = None, symbol: str = "BTC", **fields: Any) -> Step:
    """An entry; `expect` its skip reason (None: taken), `fields` other result fields to check."""
    ev = {"op": "open", "trade_id": tid, "symbol": symbol, "is_long": True, "entry_ts_ms": ts,
          "entry_price": 100.0, "stop_price": 99.0}
    return ("call", ev, expect, fields)


def c(tid: str, ts: int, r: float) -> Step:
    return ("call", {"op": "close", "trade_id": tid, "exit_ts_ms": ts, "exit_price": 100.0 + r}, None, {})


def lose(tid: str, ts: int, r: float = -1.0, symbol: str = "BTC") -> list[Step]:
    """A trade taken at ts and closed a minute later at a loss of 100 * -r."""
    return [o(tid, ts, symbol=symbol), c(tid, ts + M, r)]


def save(**changes: Any) -> Step:
    return ("save", changes)


def bad(**changes: Any) -> Step:
    return ("bad", changes)


SCRIPTS: dict[str, tuple[dict[str, Any], list[Step]]] = {
    # balance <= peak * (1 - pct) blocks (section 7); the peak is 10,000, the balance 9,375.
    "max_drawdown_pct": ({**POLICY, "max_drawdown_pct": 0.125}, [
        *lose("a", T0, r=-6.25),
        o("p1", T0 + 2 * M),  # floor 8,750
        save(max_drawdown_pct=0.0625),
        o("p2", T0 + 3 * M, "max_drawdown"),  # 9,375 <= 10,000 * 0.9375: the boundary blocks
        bad(max_drawdown_pct=1.0),
        o("p3", T0 + 4 * M, "max_drawdown"),
        save(max_drawdown_pct=0.07),
        o("p4", T0 + 5 * M),  # floor 9,300
    ]),
    # the realized loss of the entry's UTC ISO week (from Monday 00:00) >= cap blocks.
    "weekly_loss_cap": ({**POLICY, "weekly_loss_cap": 400.0}, [
        *lose("sun", T0 - DAY, r=-2),  # Sunday: last week
        *lose("a", T0, r=-3),  # this week: 300
        o("p1", T0 + 2 * M),
        save(weekly_loss_cap=300.0),
        o("p2", T0 + 3 * M, "weekly_loss_cap"),  # 300 >= 300
        bad(weekly_loss_cap=-1.0),
        o("p3", T0 + 4 * M, "weekly_loss_cap"),
        save(weekly_loss_cap=300.5),
        o("p4", T0 + 5 * M),
    ]),
    # the realized loss of the entry's UTC calendar month >= cap blocks.
    "monthly_loss_cap": ({**POLICY, "monthly_loss_cap": 400.0}, [
        *lose("oct", T0 - 24 * DAY, r=-2),  # October 31st: last month
        *lose("nov", T0 - 7 * DAY, r=-3),  # November 17th: last week, this month: 300
        o("p1", T0),
        save(monthly_loss_cap=300.0),
        o("p2", T0 + M, "monthly_loss_cap"),
        bad(monthly_loss_cap=-5.0),
        o("p3", T0 + 2 * M, "monthly_loss_cap"),
        save(monthly_loss_cap=300.5),
        o("p4", T0 + 3 * M),
    ]),
    # A losing close that brings the streak to the limit blocks entries stamped before its
    # exit + cooldown, and the streak restarts at 0 (section 7). The limit and cooldown are the
    # ones in force at that close (rails.RailState): an edit governs the next trip.
    "loss_streak": ({**POLICY, "loss_streak_limit": 3, "loss_streak_cooldown_minutes": 30.0}, [
        *lose("l1", T0), *lose("l2", T0 + 2 * M),  # 2 in a row
        save(loss_streak_limit=2),
        o("p1", T0 + 4 * M),  # a streak trips on a losing close, none since the edit
        *lose("l3", T0 + 5 * M),  # 3 >= 2: trips at T0+6m, blocked until T0+36m
        o("p2", T0 + 35 * M, "loss_streak"),
        save(loss_streak_cooldown_minutes=10.0),
        o("p3", T0 + 35 * M + 1, "loss_streak"),  # the block set at the trip stays
        o("p4", T0 + 36 * M),
        *lose("l4", T0 + 37 * M), *lose("l5", T0 + 39 * M),  # trips at T0+40m: blocked until T0+50m
        o("p5", T0 + 50 * M - 1, "loss_streak"),
        o("p6", T0 + 50 * M),
        bad(loss_streak_cooldown_minutes=None),  # a limit without its cooldown
        *lose("l6", T0 + 51 * M), *lose("l7", T0 + 53 * M),  # the last good rule: until T0+64m
        o("p7", T0 + 64 * M - 1, "loss_streak"),
        o("p8", T0 + 64 * M),
        *lose("l8", T0 + 65 * M), *lose("l9", T0 + 67 * M),  # blocked until T0+78m
        o("p9", T0 + 70 * M, "loss_streak"),
        save(loss_streak_limit=None, loss_streak_cooldown_minutes=None),
        o("p10", T0 + 70 * M + 1),  # an unset rail never blocks
    ]),
    # After a losing close on a symbol, entries on it stamped before exit + cooldown are skipped.
    "symbol_cooldown_minutes": ({**POLICY, "symbol_cooldown_minutes": 30.0}, [
        *lose("a", T0),  # BTC lost at T0+1m
        o("p1", T0 + 20 * M, "symbol_cooldown"),
        o("eth", T0 + 20 * M, symbol="ETH"),  # that symbol only
        save(symbol_cooldown_minutes=15.0),
        o("p2", T0 + 20 * M),  # T0+1m + 15m <= T0+20m
        save(symbol_cooldown_minutes=60.0),
        o("p3", T0 + 21 * M, "symbol_cooldown"),
        bad(symbol_cooldown_minutes=0),
        o("p4", T0 + 22 * M, "symbol_cooldown"),
        save(symbol_cooldown_minutes=20.0),
        o("p5", T0 + 21 * M),  # exactly at T0+1m + 20m: lifted
    ]),
    # Section 2.5: left = daily_loss_cap + today's pnl - total open risk; <= 0 skips, else clamps.
    "daily_loss_includes_open_risk": ({**POLICY, "daily_loss_cap": 350.0, "daily_loss_includes_open_risk": False}, [
        *lose("a", T0),  # today: -100
        o("p1", T0 + 2 * M), o("p2", T0 + 3 * M, budget=100.0),  # 200 open
        save(daily_loss_includes_open_risk=True),
        o("p3", T0 + 4 * M, budget=50.0, risk_amount=50.0),  # 350 - 100 - 200 = 50 left
        o("p4", T0 + 5 * M, "daily_loss_cap"),  # 350 - 100 - 250 = 0 left
        bad(daily_loss_includes_open_risk="yes"),
        o("p5", T0 + 6 * M, "daily_loss_cap"),
        save(daily_loss_includes_open_risk=False),
        o("p6", T0 + 7 * M, budget=100.0),
    ]),
}


def _replace(path: Path, text: str) -> None:
    """Save the way an editor does: a temp file beside it, renamed over the original."""
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.mark.parametrize("fmt", ["toml", "json"])
@pytest.mark.parametrize("key", list(SCRIPTS))
def test_each_rail_key_edited_under_a_trading_bot_applies_on_its_next_call(tmp_path: Path, key: str, fmt: str) -> None:
    """docs/engine.md 4 hot reload and 7: each edit reaches the bot process on its next call, which blocks
    or lifts by the rail's exact rule; an invalid value is refused, naming the key, and the last good
    value stays in force; the journal then rebuilds the state the bot left."""
    policy, steps = SCRIPTS[key]
    root = make_root(tmp_path, FLAT, policy, fmt=fmt)
    path = config.find_config(root, "policy")
    console = Store(root)
    console.configs()  # the console has read the good config before anything goes wrong
    bot = start_bot(root, 0, 0, 0, extra=["--stdin"], stdin=subprocess.PIPE)
    bad_edits: list[str] = []
    try:
        assert read_ack(bot) == {"ack": "ready"}
        for step in steps:
            if step[0] == "save":
                console.save_config("policy", step[1], by="console")
            elif step[0] == "bad":
                values = {**config.read_raw(path), **step[1]}
                _replace(path, (config.dump_json if fmt == "json" else config.dump_toml)("policy", values))
                bad_edits.append(next(iter(step[1])))
            else:
                _, ev, expect, fields = step
                bot.stdin.write(json.dumps(ev) + "\n")
                bot.stdin.flush()
                got = read_ack(bot)
                assert got is not None, bot.stderr.read()
                result = got["result"]
                if ev["op"] == "open":
                    assert result["skipped_reason"] == expect, (ev["trade_id"], result)
                    assert {f: result[f] for f in fields} == fields, (ev["trade_id"], result)
                else:
                    assert result["pnl_after_fees"] < 0 or ev["exit_price"] >= 100.0, result
        bot.stdin.close()
        assert read_ack(bot) == {"ack": "done"}
        assert bot.wait(timeout=60) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    refusals = [ln for ln in bot.stderr.read().splitlines() if "config edit refused" in ln]
    # Logged once per bad edit (not per call), naming the file and the key.
    assert len(refusals) == len(bad_edits) == 1
    assert str(path) in refusals[0] and bad_edits[0] in refusals[0]
    saved = [e for e in journal(root) if e["type"] == "config" and e["by"] == "console"]
    assert len(saved) == sum(s[0] == "save" for s in steps)
    assert_files_equal_replay(root)


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_a_console_started_after_a_bad_edit_can_save_the_fix(tmp_path: Path, fmt: str) -> None:
    """docs/engine.md 4 and 6: with a bad value on disk, a console that never saw a good config (a fresh
    Store, as the cap editor's save uses) still saves an edit that makes the file valid; an edit that
    leaves it invalid is refused naming the key, and the file is left as it was."""
    root = make_root(tmp_path, FLAT, {**POLICY, "max_drawdown_pct": 0.125}, fmt=fmt)
    path = config.find_config(root, "policy")
    bot = LiveRisk(root)
    for step in lose("a", T0, r=-6.25):  # balance 9,375, peak 10,000
        apply_event(bot, step[1])
    _replace(path, (config.dump_json if fmt == "json" else config.dump_toml)("policy", {**POLICY, "max_drawdown_pct": 1.5}))
    broken = path.read_bytes()
    with pytest.raises(ConfigError, match="max_drawdown_pct"):
        Store(root).save_config("policy", {"weekly_loss_cap": 100.0}, by="console")
    assert path.read_bytes() == broken
    changes = Store(root).save_config("policy", {"max_drawdown_pct": 0.0625}, by="console")
    assert changes == {"max_drawdown_pct": [0.125, 0.0625]}  # against the config last recorded
    assert config.load_policy(path).max_drawdown_pct == 0.0625
    _, ev, expect, _ = o("p1", T0 + 2 * M, "max_drawdown")  # 9,375 <= 10,000 * 0.9375
    assert apply_event(bot, ev)["skipped_reason"] == expect
