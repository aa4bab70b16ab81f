"""Operator actions beside a trading bot, as real processes (docs/live.md section 6: "each one locked,
journaled with `by` and `reason`"; section 4: every state change is one transaction, so no update is
lost). A bot process opens and closes in a loop while `tc1` processes (deposit, withdraw, set, pause,
resume, cancel, fill, close, resets) and a console driven by a Pilot (cash flows, a close and a cancel
on a position row, pause and resume) act on the same root. Afterwards `tc1 state rebuild` finds no
difference, the balance is start + trading PnL + net flows exactly, every acknowledged call is
journaled exactly once and the seq numbers run without a gap."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from live_tools import CLI_NOW_MS, HERE, T0, assert_books_balance, journal, make_root, start_bot, tc1
from tc1console.engine.live import LiveRisk

sys.path.insert(0, str(HERE.parent / "console"))  # the console tests' helpers (wait_until, toasts)
from console_tools import showing, toasts, wait_until  # noqa: E402

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
pytestmark = pytest.mark.anyio
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
STEP = 0.001  # live_tools.OVERLAY's default qty step
MAX_TRADES = 100_000  # the bot trades until the operators are done; this only bounds it
BUSY_WAIT_S = 60.0  # an action waits its turn for the lock while the bot trades (a loaded CI box is slow)
# The operators' own trades, entered before any of the bot's (so first in the console's table):
# the console closes ops-c and cancels ops-x; the CLI cancels ops-cx, fills ops-f and closes ops-cc.
OPS = ("ops-c", "ops-x", "ops-cx", "ops-f", "ops-cc")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Ticks:
    """Counts the bot's calls: it writes a byte to a pipe after each one (live_bot_child --ticks)."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.count = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        os.close(self.write_fd)  # the bot's copy only: its exit ends the pipe
        self._thread.start()

    def _run(self) -> None:
        while data := os.read(self.read_fd, 4096):
            self.count += len(data)

    def close(self) -> None:
        self._thread.join(timeout=60)
        os.close(self.read_fd)


def cli_actions(fill_qty: str) -> list[list[str]]:
    """What the CLI does, in order (pause and resume first: the console pauses after them)."""
    return [
        ["pause", "--reason", "cli incident"],
        ["resume", "--reason", "cli incident over"],
        ["balance", "deposit", "100", "--flow-id", "cli-dep", "--reason", "top up"],
        ["balance", "deposit", "100", "--flow-id", "cli-dep"],  # a retry: nothing booked twice
        ["balance", "withdraw", "40.5", "--flow-id", "cli-wd"],
        ["balance", "set", "10300", "--flow-id", "cli-set"],
        ["cancel", "ops-cx", "--reason", "rejected"],
        ["fill", "ops-f", fill_qty],
        ["close", "ops-cc", "--price", "3010.5", "--reason", "closed on the exchange"],
        ["policy", "reset", "--peak"],
        ["policy", "reset", "--streak"],
        ["policy", "reset", "--today"],
    ]


async def console_form(pilot, key: str, values: dict[str, str], done: str) -> None:
    """Open an operator form with `key`, fill it, go on, confirm; wait for the toast saying `done`."""
    from textual.widgets import Input

    from tc1console.console.screens.confirm_screen import ConfirmScreen
    from tc1console.console.screens.form_screen import FormScreen

    app = pilot.app
    await pilot.press(key)
    if values:
        await wait_until(pilot, lambda: showing(app, FormScreen, "Input"), f"the form after {key!r}")
        for field, value in values.items():
            app.screen.query_one(f"#form-{field}", Input).value = value
        await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: showing(app, ConfirmScreen, "#confirm-yes"), f"the confirmation after {key!r}")
    await pilot.press("enter")
    await wait_until(pilot, lambda: any(done in t for t in toasts(app)), f"the toast {done!r}", timeout=BUSY_WAIT_S)


async def test_cli_console_and_bot_acting_at_once_lose_nothing_and_count_nothing_twice(tmp_path: Path) -> None:
    from tc1console.console.app import Tc1ConsoleApp
    from tc1console.console.widgets.positions_table import PositionsTable

    root = make_root(tmp_path / "root")
    ticks, stop = Ticks(), tmp_path / "STOP"
    bot = start_bot(root, 0, MAX_TRADES, seed=7, hold=4, pass_fds=(ticks.write_fd,),
                    extra=["--pause", "0.002", "--ticks", str(ticks.write_fd), "--until", str(stop)])
    ticks.start()
    # The operators' trades, once the bot has made its first call (at start it closes what it finds open).
    acks = [json.loads(bot.stdout.readline()), json.loads(bot.stdout.readline())]
    reader = threading.Thread(target=lambda: acks.extend(json.loads(line) for line in bot.stdout), daemon=True)
    reader.start()
    ops = LiveRisk(root)
    allocated = {tid: ops.try_open(trade_id=tid, entry_ts_ms=T0 + k, **OPEN)["qty"] for k, tid in enumerate(OPS)}
    fill_qty = f"{(int(round(allocated['ops-f'] / STEP)) // 2) * STEP:.3f}"
    cli_done: list = []

    def run_cli() -> None:
        for args in cli_actions(fill_qty):
            seen = ticks.count
            proc = tc1(root, *args)
            cli_done.append((args, proc.returncode, proc.stdout, proc.stderr, ticks.count - seen))
            if proc.returncode != 0:
                return

    app = Tc1ConsoleApp(root, clock=lambda: CLI_NOW_MS, label="root")  # watching the files
    app.animation_level = "none"
    cli = threading.Thread(target=run_cli, daemon=True)
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            toasts(app)  # record every toast from the start
            table = app.main.query_one(PositionsTable)
            await wait_until(pilot, lambda: table.selected_trade_id == "ops-c", "the console to list ops-c",
                             timeout=BUSY_WAIT_S)
            cli.start()
            await console_form(pilot, "f", {"flow": "+250", "reason": "console deposit"}, "deposit +250.00")
            await console_form(pilot, "f", {"flow": "-60", "reason": "console withdrawal"}, "withdrawal -60.00")
            await console_form(pilot, "f", {"flow": "=10,400", "reason": "sync"}, "balance sync")
            await console_form(pilot, "c", {"price": "2990", "reason": "closed by hand"}, "closed ops-c")
            await wait_until(pilot, lambda: table.selected_trade_id == "ops-x", "the cursor on ops-x")
            await console_form(pilot, "x", {"reason": "never filled"}, "cancelled ops-x")
            await wait_until(pilot, lambda: not cli.is_alive(), "the CLI to finish", timeout=4 * BUSY_WAIT_S)
            await console_form(pilot, "p", {"reason": "console incident"}, "new entries paused by console")
            await wait_until(pilot, lambda: app.snapshot.rails.word == "PAUSED", "the status PAUSED")
            await console_form(pilot, "p", {}, "new entries allowed again")
            seen = ticks.count
            await wait_until(pilot, lambda: ticks.count >= seen + 2, "the bot to trade after the operators",
                             timeout=BUSY_WAIT_S)
    finally:
        stop.touch()
        bot.wait(timeout=120)
        reader.join(timeout=60)
        ticks.close()
        if cli.is_alive() or cli_done:
            cli.join(timeout=240)
    assert bot.returncode == 0, bot.stderr.read()
    assert acks[0] == {"ack": "ready"} and acks[-1] == {"ack": "done"}
    assert len(cli_done) == len(cli_actions(fill_qty)) and all(rc == 0 for _a, rc, *_ in cli_done), cli_done
    assert "already booked under this flow id" in cli_done[3][2]
    assert any(bot_calls for *_, bot_calls in cli_done), "the bot never traded while the CLI acted"

    loaded = assert_books_balance(root)
    entries = journal(root)

    # Every acknowledged bot call, once.
    opens = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "open"}
    closes = {a["trade_id"]: a["result"] for a in acks if a["ack"] == "close"}
    j_opens = [e["trade_id"] for e in entries if e["type"] == "open" and e["trade_id"] not in OPS]
    assert sorted(j_opens) == sorted(opens)
    assert {e["trade_id"]: e["result"] for e in entries if e["type"] == "close" and "by" not in e} == closes
    assert sum(e["type"] == "skip" for e in entries) == sum(a["ack"] == "skip" for a in acks)

    # Every operator action, once, by whom it was done.
    def by(who: str, kind: str) -> list[dict]:
        return [e for e in entries if e["type"] == kind and e.get("by") == who]

    assert sorted(e["result"]["flow_id"] for e in by("cli", "flow")) == ["cli-dep", "cli-set", "cli-wd"]
    assert [e["result"]["kind"] for e in by("console", "flow")] == ["deposit", "withdraw", "set"]
    assert [e["trade_id"] for e in by("cli", "cancel")] == ["ops-cx"]
    assert [e["trade_id"] for e in by("console", "cancel")] == ["ops-x"]
    assert [(e["trade_id"], e["result"]["qty"]) for e in by("cli", "fill")] == [("ops-f", float(fill_qty))]
    assert [e["trade_id"] for e in by("cli", "close")] == ["ops-cc"]
    assert [e["trade_id"] for e in by("console", "close")] == ["ops-c"]
    for who in ("cli", "console"):
        assert len(by(who, "pause")) == 1 and len(by(who, "resume")) == 1
    assert len(by("cli", "reset")) == 3
    assert loaded.engine.paused is None
    assert set(loaded.engine.positions) == (set(opens) - set(closes)) | {"ops-f"}
    assert loaded.engine.positions["ops-f"].alloc.qty == float(fill_qty)
