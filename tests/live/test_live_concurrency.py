"""A bot and an operator acting at once on one root, as real processes (ENGINE.md §4: every state
change is one locked transaction, so no update is lost and the files stay rebuildable)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from live_tools import (HERE, T0, assert_files_equal_replay, configs, journal, make_root, start_bot)
from tc1console.engine import store
from tc1console.engine.rails import day_key
from tc1console.engine.store import config_values

TRADES = 300
ADMIN_OPS = 300
# Both processes pause a little between calls, as a bot waiting on the exchange and an operator
# do; in a tight loop filelock (non-blocking flock polled every 50 ms, no fairness) lets one
# process run hundreds of transactions back to back while the other waits.
PAUSE_S = 0.005


def test_bot_trading_while_operator_resets_and_edits_caps_loses_nothing(tmp_path: Path) -> None:
    """ENGINE.md §4: hundreds of resets and cap edits interleaved with a bot's opens and closes;
    afterwards the journal replays to the state files, its seq numbers run 1..N without a gap,
    and the balance is the start balance plus every journaled close's PnL."""
    root = make_root(tmp_path)
    run = 0
    bot_days = sorted({day_key(T0 + run * 10_000_000 + 1_000 * (i + 1)) for i in range(TRADES)})
    bot = start_bot(root, run, TRADES, seed=11, hold=4, extra=["--pause", str(PAUSE_S)])
    assert json.loads(bot.stdout.readline()) == {"ack": "ready"}
    admin = subprocess.Popen([sys.executable, str(HERE / "live_admin_child.py"), str(root), str(ADMIN_OPS), "5",
                              str(PAUSE_S), *bot_days], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bot_out, bot_err = bot.communicate(timeout=240)
    admin_out, admin_err = admin.communicate(timeout=240)
    assert bot.returncode == 0, bot_err
    assert admin.returncode == 0, admin_err
    acks = [json.loads(x) for x in bot_out.splitlines()]
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

    # The two really interleaved (otherwise this proves nothing about the lock).
    kinds = ["bot" if e["type"] in ("open", "close", "skip") else "admin" for e in entries
             if e["type"] in ("open", "close", "skip", "reset") or e.get("by") == "admin"]
    switches = sum(1 for a, b in zip(kinds, kinds[1:]) if a != b)
    assert switches > 20, f"the processes barely interleaved ({switches} switches)"
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
