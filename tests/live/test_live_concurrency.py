"""A bot and an operator acting at once on one root, as real processes (docs/live.md: every state
change is one locked transaction, so no update is lost and the files stay rebuildable)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from live_tools import (HERE, T0, assert_files_equal_replay, configs, journal, make_root, start_bot)
from tc1console.engine import store
from tc1console.engine.rails import day_key
from tc1console.engine.store import config_values

MAX_TRADES = 5_000  # the bot trades until the operator is done; this only bounds it
ADMIN_OPS = 300
# The bot pauses a little between calls, as one waiting on the exchange does; in a tight loop
# filelock (non-blocking flock polled every 50 ms, no fairness) lets it run hundreds of
# transactions back to back while the operator waits. The operator waits for a bot call between
# two of its own, so the two surely interleave however the machine schedules them.
PAUSE_S = 0.005


def test_bot_trading_while_operator_resets_and_edits_caps_loses_nothing(tmp_path: Path) -> None:
    """docs/live.md: hundreds of resets and cap edits interleaved with a bot's opens and closes;
    afterwards the journal replays to the state files, its seq numbers run 1..N without a gap,
    and the balance is the start balance plus every journaled close's PnL."""
    root = make_root(tmp_path)
    run = 0
    bot_days = sorted({day_key(T0 + run * 10_000_000 + 1_000 * (i + 1)) for i in range(MAX_TRADES)})
    ticks_r, ticks_w = os.pipe()  # a byte per bot call, for the operator to wait on
    stop = tmp_path / "STOP"
    bot = start_bot(root, run, MAX_TRADES, seed=11, hold=4, pass_fds=(ticks_w,),
                    extra=["--pause", str(PAUSE_S), "--ticks", str(ticks_w), "--until", str(stop)])
    os.close(ticks_w)  # the bot's copy only: its exit ends the pipe, so the operator cannot hang
    try:
        assert json.loads(bot.stdout.readline()) == {"ack": "ready"}
        bot_lines: list[str] = []
        reader = threading.Thread(target=lambda: bot_lines.extend(bot.stdout), daemon=True)
        reader.start()
        admin = subprocess.Popen([sys.executable, str(HERE / "live_admin_child.py"), str(root), str(ADMIN_OPS), "5",
                                  str(ticks_r), *bot_days], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, pass_fds=(ticks_r,))
        admin_out, admin_err = admin.communicate(timeout=240)
    finally:
        stop.touch()
        bot.wait(timeout=240)
        os.close(ticks_r)  # kept open until the bot is gone: its last ticks never meet a closed pipe
    reader.join(timeout=60)
    bot_err = bot.stderr.read()
    assert bot.returncode == 0, bot_err
    assert admin.returncode == 0, admin_err
    acks = [json.loads(x) for x in bot_lines]
    ops = [json.loads(x) for x in admin_out.splitlines()]
    assert acks[-1] == {"ack": "done"} and ops[-1] == {"done": True}

    entries = journal(root)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    loaded = assert_files_equal_replay(root)
    assert loaded.seq == len(entries)

    # Nothing lost: every acknowledged bot call and every operator operation is journaled once.
    opens = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "open"}
    closes = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "close"}
    skips = [a for a in acks if a["ack"] == "skip"]
    j_open = [e["trade_id"] for e in entries if e["type"] == "open"]
    j_close = {e["trade_id"]: e["result"] for e in entries if e["type"] == "close"}
    assert sorted(j_open) == sorted(opens) and j_close == closes
    assert len([e for e in entries if e["type"] == "skip"]) == len(skips)
    resets = [e for e in entries if e["type"] == "reset"]
    edits = [e for e in entries if e["type"] == "config" and e["by"] == "admin"]
    assert len(resets) == sum(o["op"].startswith("reset") for o in ops[:-1])
    assert len(edits) == sum(not o["op"].startswith("reset") for o in ops[:-1])

    # The two really interleaved (otherwise this proves nothing about the lock): a bot call
    # before each operator operation.
    kinds = ["bot" if e["type"] in ("open", "close", "skip") else "admin" for e in entries
             if e["type"] in ("open", "close", "skip", "reset") or e.get("by") == "admin"]
    switches = sum(1 for a, b in zip(kinds, kinds[1:]) if a != b)
    assert kinds[0] == "bot" and switches >= 2 * ADMIN_OPS - 1, f"the processes barely interleaved ({switches} switches)"
    print(f"{len(entries)} journal entries, {switches} switches between bot and operator")

    balance = entries[0]["book"]["balance"]
    for e in entries:
        if e["type"] == "close":
            balance += e["result"]["pnl_after_fees"]
    assert loaded.engine.balance == balance
    assert set(loaded.engine.positions) == set(opens) - set(closes)

    # The configs in force (the files) are what the state last journaled.
    overlay, policy = configs(root)
    book = json.loads((root / "runtime" / store.STATE_FILE).read_bytes())
    assert book["config"]["overlay"]["values"] == config_values(overlay)
    assert book["config"]["policy"]["values"] == config_values(policy)
