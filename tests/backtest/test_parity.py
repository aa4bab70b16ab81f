"""`tc1 parity` (issue 15): the live journal decided again by the engine and compared to the bit
(docs/live.md: "the state files must be rebuildable from" the journal; section 5 "Parity";
section 6: every operator action is journaled and replayed), a backtest CSV lined up with the live
trades, and `tc1 journal export` whose harness re-run gives the live allocations and closes.

Everything runs through real roots, real processes (a bot child SIGKILLed mid-commit, `tc1` itself
as a subprocess) and real files.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tc1console.backtest.lineup import ENTRY, EXIT, FEES, ONLY_LIVE, SIZE, line_up
from tc1console.engine import config, store
from tc1console.engine.live import LiveRisk

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from live_tools import (PARITY_OVERLAY, PARITY_POLICY, T0, apply_event, journal, make_root,  # noqa: E402
                        parity_events, read_ack, start_bot)

MIN = 60_000


def tc1(*args: str, root: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tc1console", *args]
    if root is not None:
        cmd += ["--root", str(root)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TC1_NOW_MS": str(T0 + 10 * 86_400_000)})


def write_overlay(root: Path, **changes: Any) -> None:
    path = root / "configs" / "risk_overlay.toml"
    values = {**config.read_raw(path), **changes}
    path.write_text(config.dump_toml("overlay", values))


def session(root: Path) -> None:
    """A live session with every kind of entry: a bot killed mid-commit and restarted, restarts of
    the API object, hot reloads (by the store and by hand), cash flows, a cancel, a partial fill, a
    pause with entries skipped under it, resets and manual exits."""
    # A bot process SIGKILLed between its journal commit and its state files (store.py's window).
    bot = start_bot(root, 1, 10_000, 7, extra=["--stall-at-write", "9"])
    while (ack := read_ack(bot)) is not None and ack["ack"] != "stalled":
        pass
    assert ack is not None, bot.stderr.read()
    bot.kill()
    bot.wait()
    bot = start_bot(root, 2, 12, 7)  # restarts: closes what the killed run left open, trades on
    out, err = bot.communicate(timeout=120)
    assert bot.returncode == 0, err

    t = T0 + 30_000_000
    live = LiveRisk(root)
    live.adjust_balance(1_500.0, "deposit", ts_ms=t, by="cli")
    live.try_open("m1", "BTCUSDT", True, t + MIN, 60_000.0, 59_400.0)
    m2 = live.try_open("m2", "ETHUSDT", False, t + 2 * MIN, 3_000.0, 3_030.0)
    live.try_open("m3", "SOLUSDT", True, t + 3 * MIN, 150.0, 148.5)
    live.fill("m2", float(Decimal(int(m2["qty"] / 0.002)) * Decimal("0.001")))  # half of it, in whole steps
    live.cancel("m3", "never filled", by="cli")
    live.store.save_config("overlay", {"percent_risk": 0.004}, by="console")  # a hot reload, journaled
    live = LiveRisk(root)  # a restart
    live.pause("news", by="cli")
    live.try_open("m4", "BTCUSDT", False, t + 4 * MIN, 60_100.0, 60_700.0)  # skipped: paused
    live.resume(by="cli")
    write_overlay(root, per_trade_risk_cap=40.0)  # an edit by hand: detected on the next call
    live.try_open("m5", "BTCUSDT", False, t + 5 * MIN, 60_100.0, 60_700.0)
    live.close("m1", t + 6 * MIN, 60_900.0, by="cli", reason="closed on the exchange")
    balance = json.loads((root / "runtime" / store.STATE_FILE).read_bytes())["balance"]
    live.set_balance(balance - 20.0, "sync", ts_ms=t + 7 * MIN, by="cli")
    live.reset("all", peak=True, streak=True, by="cli")
    live = LiveRisk(root)
    live.close("m5", t + 8 * MIN, 59_800.0)
    live.reset("today", today_key="2025-11-25", by="cli")


@pytest.fixture(scope="module")
def lived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_root(tmp_path_factory.mktemp("parity") / "root")
    session(root)
    return root


def copy_root(src: Path, dst: Path) -> Path:
    for sub in ("configs", "runtime"):
        (dst / sub).mkdir(parents=True)
        for p in (src / sub).iterdir():
            if p.is_file() and p.name != store.LOCK_FILE:
                (dst / sub / p.name).write_bytes(p.read_bytes())
    return dst


def test_a_live_session_with_every_operator_action_replays_with_0_differences(lived: Path) -> None:
    """docs/live.md and 6: every entry, decided again, is what was journaled, to the bit."""
    kinds = {e["type"] for e in journal(lived)}
    assert kinds >= {"adopt", "config", "open", "skip", "close", "cancel", "fill", "flow", "pause", "resume",
                     "reset"}
    done = tc1("parity", root=lived)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("0 differences")
    assert "final state    : equal to risk_state.json" in done.stdout
    n = len(journal(lived))
    assert f"{n} entries" in done.stdout


def test_one_tampered_journal_line_is_reported_at_its_seq(lived: Path, tmp_path: Path) -> None:
    root = copy_root(lived, tmp_path / "root")
    path = root / "runtime" / store.JOURNAL_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "close" and i > len(lines) // 2)
    entry = json.loads(lines[at])
    entry["result"]["exit_price"] = entry["result"]["exit_price"] + 1.0
    lines[at] = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    path.write_bytes(b"".join(lines))
    done = tc1("parity", root=root)
    assert done.returncode == 1, done.stderr
    assert f"DIFFERENCE at seq {entry['seq']} (journal line {at + 1}, close of trade" in done.stdout
    assert "field        : result.gross_pnl" in done.stdout
    assert "likely cause : a hand edit of this journal line" in done.stdout
    assert f"not compared : {len(lines) - at - 1}" in done.stdout


def test_a_config_in_force_that_the_journal_does_not_hold_is_named_as_the_cause(tmp_path: Path) -> None:
    """The journal's config entry says one percent_risk, the opens after it were sized with the one
    on disk: the first of them diverges, and deciding it under the configs on disk agrees."""
    root = make_root(tmp_path / "root")
    live = LiveRisk(root)
    for i in range(3):
        live.try_open(f"c{i}", "BTCUSDT", True, T0 + i * MIN, 60_000.0, 59_400.0)
    path = root / "runtime" / store.JOURNAL_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "config"
              and json.loads(line)["kind"] == "overlay")
    entry = json.loads(lines[at])
    entry["values"]["percent_risk"] = 0.009
    lines[at] = (json.dumps(entry) + "\n").encode()
    path.write_bytes(b"".join(lines))
    done = tc1("parity", root=root)
    assert done.returncode == 1
    first_open = next(json.loads(line)["seq"] for line in lines if json.loads(line)["type"] == "open")
    assert f"DIFFERENCE at seq {first_open} " in done.stdout
    assert "likely cause : a config change not journaled" in done.stdout
    assert "configs on disk now give the journaled value" in done.stdout


def test_a_state_file_edited_by_hand_is_a_final_state_difference(lived: Path, tmp_path: Path) -> None:
    root = copy_root(lived, tmp_path / "root")
    path = root / "runtime" / store.STATE_FILE
    doc = json.loads(path.read_bytes())
    doc["balance"] += 1.0
    path.write_text(json.dumps(doc))
    done = tc1("parity", root=root)
    assert done.returncode == 1
    assert "DIFFERENCE at the final state" in done.stdout
    assert "field        : book.balance" in done.stdout
    assert "a hand edit of runtime/risk_state.json" in done.stdout


@pytest.mark.parametrize("journal_text, said", [
    (None, "journal.jsonl: not found"),
    (b'not json\n', "line 1 is not JSON"),
    (b'{"seq": 1, "type": "adopt"}\n', "line 1 (seq 1): an unusable adopt entry"),
    (b'{"seq": 1, "type": "open"}\n', "records no overlay and policy config"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, journal_text: bytes | None, said: str) -> None:
    """The house rule: bad input never crashes: one line naming the file and line, exit 2."""
    root = make_root(tmp_path / "root")
    (root / "runtime").mkdir()
    if journal_text is not None:
        (root / "runtime" / store.JOURNAL_FILE).write_bytes(journal_text)
    done = tc1("parity", root=root)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and said in done.stderr


# --- tc1 journal export, and the harness re-run ----------------------------------------------------

def trade_session(root: Path) -> None:
    """Opens, skips (caps and rails), closes and trades left open, with restarts, in time order: what a
    backtest can replay."""
    live = LiveRisk(root)
    for k, ev in enumerate(parity_events(160, 3)):
        if k % 20 == 0:
            live = LiveRisk(root)  # a restart: nothing kept in memory
        apply_event(live, ev)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_rerun_by_the_harness_gives_the_live_allocations_and_closes_bit_for_bit(tmp_path: Path) -> None:
    """docs/harness.md "Parity", from the live side: the journal's trade set, exported and run
    through `tc1 harness` with the same configs, gives every allocation and close as journaled."""
    root = make_root(tmp_path / "root", PARITY_OVERLAY, PARITY_POLICY)
    trade_session(root)
    entries = journal(root)
    csv_path = tmp_path / "live.csv"
    done = tc1("journal", "export", "--trades_csv", str(csv_path), root=root)
    assert done.returncode == 0, done.stderr
    assert csv_path.read_text().splitlines()[0] == "symbol,side,timestamp,entry_price,sl_price,exit_time,exit_price,trade_id"
    out = tmp_path / "out"
    ran = tc1("harness", "--trades_csv", str(csv_path), "--risk_config", str(root / "configs/risk_overlay.toml"),
              "--policy_config", str(root / "configs/risk_policy.toml"), "--out_dir", str(out))
    assert ran.returncode == 0, ran.stderr

    allocations = rows(out / "open_allocations.csv")  # one per input row, in event order (docs/harness.md)
    asked = [e for e in entries if e["type"] == "open" or (e["type"] == "skip" and e["result"]["skipped_reason"]
                                                           not in ("invalid_input", "duplicate_trade_id"))]
    assert len({e["result"]["skipped_reason"] for e in asked if e["type"] == "skip"}) >= 2  # rails and caps too
    assert len(allocations) == len(asked)
    for e, row in zip(asked, allocations):
        rec = e["position"] if e["type"] == "open" else e["result"]
        assert row["trade_id"] == rec["trade_id"]
        assert row["skipped_reason"] == (rec.get("skipped_reason") or "")
        assert row["detail"] == rec.get("detail", "")
        for key in ("entry_ts_ms", "entry_price", "stop_price", "qty", "risk_amount", "notional", "budget"):
            assert row[key] == repr(rec[key]), (rec["trade_id"], key)

    closes = [e["result"] for e in entries if e["type"] == "close"]
    realized = rows(out / "realized_pnl.csv")
    assert closes and len(realized) == len(closes)
    for rec, row in zip(closes, realized):
        assert row == {k: ("True" if v is True else "False" if v is False else str(v) if isinstance(v, (int, str))
                           else repr(v)) for k, v in rec.items()}
    summary = json.loads((out / "summary.json").read_text())
    state = json.loads((root / "runtime" / store.STATE_FILE).read_bytes())
    assert summary["final_balance"] == state["balance"]
    assert sorted(summary["still_open"]) == sorted(state["open_positions"])


def test_export_window_and_blank_exits_for_open_trades(lived: Path, tmp_path: Path) -> None:
    out = tmp_path / "live.csv"
    since = "2025-11-24T16:00:00"
    done = tc1("journal", "export", "--trades_csv", str(out), "--from", since, "--to", str(T0 + 30_000_000 + 4 * MIN),
               root=lived)
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert {r["trade_id"] for r in got} >= {"m1", "m2"} and "m5" not in {r["trade_id"] for r in got}
    assert "m3" not in {r["trade_id"] for r in got}  # cancelled: never a trade
    m2 = next(r for r in got if r["trade_id"] == "m2")
    assert (m2["exit_time"], m2["exit_price"]) == ("", "")  # still open: blank exit (docs/harness.md)
    assert "1 cancelled" in done.stdout and "flow" in done.stdout  # what a re-run cannot replay is named
    bad = tc1("journal", "export", "--trades_csv", str(out), "--from", "soon", root=lived)
    assert bad.returncode == 2 and "--from 'soon'" in bad.stderr


# --- tc1 parity --trades_csv -------------------------------------------------------------------------

LINEUP_OVERLAY = {**config.DEFAULTS["overlay"], "flat_risk_until": 1e9, "flat_risk_amount": 30.0,
                  "fees_in_risk": False, "fee_bps_per_side": 4.0, "max_concurrent_trades": 50,
                  "total_open_risk_cap": 1e6, "max_leverage": 100.0}


def test_a_backtest_csv_is_explained_class_by_class(tmp_path: Path) -> None:
    """A shifted exit, a trade the backtest lacks and a fee rate that differs: each class of the
    PnL gap is the amount the walk from the live PnL gives, and together they are the gap."""
    root = make_root(tmp_path / "root", LINEUP_OVERLAY, {})
    live = LiveRisk(root)
    specs = [("BTCUSDT", True, 60_000.0, 59_500.0, 60_400.0), ("ETHUSDT", False, 3_000.0, 3_030.0, 2_970.0),
             ("BTCUSDT", False, 60_100.0, 60_600.0, 60_300.0), ("ETHUSDT", True, 3_010.0, 2_990.0, 3_040.0),
             ("SOLUSDT", True, 150.0, 148.0, 151.5)]
    for i, (sym, is_long, e, s, _x) in enumerate(specs):
        live.try_open(f"t{i}", sym, is_long, T0 + i * MIN, e, s)
    closes = {}
    for i, (sym, is_long, e, s, x) in enumerate(specs):
        closes[f"t{i}"] = live.close(f"t{i}", T0 + (10 + i) * MIN, x)
    export = tmp_path / "live.csv"
    assert tc1("journal", "export", "--trades_csv", str(export), root=root).returncode == 0
    same = line_up(root, export)
    assert same.ok and same.gap == 0 and not same.classes

    table = list(csv.reader(export.open()))
    header, body = table[0], table[1:]
    by_id = {r[7]: r for r in body}
    by_id["t0"][5] = str(T0 + 12 * MIN)  # the exit comes later ...
    by_id["t0"][6] = "60500.0"  # ... and higher
    del by_id["t3"]  # a trade the backtest lacks
    bt = tmp_path / "bt.csv"
    with bt.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *by_id.values()])
    overlay = tmp_path / "bt_overlay.toml"  # ETHUSDT pays 2 bps a side in the backtest, 4 live
    overlay.write_text(config.dump_toml("overlay", {**LINEUP_OVERLAY, "symbol_overrides": {"ETHUSDT": {"fee_bps_per_side": 2.0}}}))

    x = line_up(root, bt, risk_config=overlay, policy_config=root / "configs" / "risk_policy.toml")
    assert not x.ok
    classes = {name: (n, amount) for name, n, amount in x.classes}
    assert set(classes) == {ONLY_LIVE, EXIT, FEES}  # nothing else differs: no size, no entry class
    t0, t1, t3 = closes["t0"], closes["t1"], closes["t3"]
    assert classes[ONLY_LIVE] == (1, -t3["pnl_after_fees"])
    rate = 4.0 / 10_000
    live_pnl = (60_400.0 - 60_000.0) * t0["qty"] - rate * t0["qty"] * (60_000.0 + 60_400.0)
    bt_pnl = (60_500.0 - 60_000.0) * t0["qty"] - rate * t0["qty"] * (60_000.0 + 60_500.0)
    assert classes[EXIT][0] == 1 and classes[EXIT][1] == pytest.approx(bt_pnl - live_pnl, rel=1e-12)
    eth_fees = t1["fees"] - (2.0 / 10_000) * t1["qty"] * (3_000.0 + 2_970.0)
    assert classes[FEES][0] == 1 and classes[FEES][1] == pytest.approx(eth_fees, rel=1e-9)
    assert [c[0] for c in x.classes] == sorted(classes, key=lambda k: -abs(classes[k][1]))  # largest first
    assert sum(a for _n, a in classes.values()) == pytest.approx(x.gap, abs=1e-9)
    t0_pair = next(p for p in x.pairs if p.trade_id == "t0")
    assert set(t0_pair.differs) == {"exit_price", "exit_time", "fees"}
    assert ENTRY not in classes and SIZE not in classes

    # The same file without trade_id pairs by symbol, side and entry time; the CLI prints the classes.
    noid = tmp_path / "noid.csv"
    with noid.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([r[:7] for r in [header, *by_id.values()]])
    done = tc1("parity", "--trades_csv", str(noid), "--risk_config", str(overlay), "--policy_config",
               str(root / "configs" / "risk_policy.toml"), root=root)
    assert done.returncode == 1, done.stderr
    assert "paired   : 0 by trade_id, 4 by symbol, side and entry time (within 60 s)" in done.stdout
    assert "only live: 1 (t3)" in done.stdout
    order = [line.split("  ")[1].strip() for line in done.stdout.splitlines() if line.startswith("  ") and
             not line.startswith("    ") and "explained by" not in line]
    assert order == [c[0] for c in x.classes]
    bad = tc1("parity", "--trades_csv", str(tmp_path / "missing.csv"), root=root)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
