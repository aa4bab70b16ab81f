"""Shared helpers for the reliability tests: real roots, file snapshots, journal checks."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

from tc1console.engine import config, store

HERE = Path(__file__).resolve().parent
BOT_CHILD = HERE / "live_bot_child.py"
T0 = 1_764_000_000_000  # 2025-11-24T16:00:00Z

OVERLAY = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 50, "total_open_risk_cap": 5_000.0,
           "max_leverage": 50.0}
POLICY = {"equity_floor": 1_000.0, "daily_loss_cap": 1_000_000.0, "max_trades_per_day": 1_000_000}


def make_root(path: Path, overlay: dict[str, Any] | None = None, policy: dict[str, Any] | None = None,
              fmt: str = "toml") -> Path:
    """A root with configs written by the project's own writer (TOML, or JSON with fmt="json")."""
    (path / "configs").mkdir(parents=True, exist_ok=True)
    dump = config.dump_json if fmt == "json" else config.dump_toml
    (path / "configs" / f"risk_overlay.{fmt}").write_text(dump("overlay", overlay or OVERLAY))
    (path / "configs" / f"risk_policy.{fmt}").write_text(dump("policy", policy or POLICY))
    return path


def files(root: Path) -> dict[str, bytes]:
    """Every file under configs/ and runtime/ (the lock file aside), by relative path."""
    out = {}
    for sub in ("configs", "runtime"):
        folder = root / sub
        if folder.exists():
            for p in sorted(folder.iterdir()):
                if p.is_file() and p.name != store.LOCK_FILE:
                    out[f"{sub}/{p.name}"] = p.read_bytes()
    return out


def journal(root: Path) -> list[dict[str, Any]]:
    path = root / "runtime" / store.JOURNAL_FILE
    return [json.loads(line) for line in path.read_bytes().splitlines(keepends=True) if line.endswith(b"\n")]


def configs(root: Path) -> tuple[config.OverlayConfig, config.PolicyConfig]:
    return (config.load_overlay(config.find_config(root, "overlay")),
            config.load_policy(config.find_config(root, "policy")))


def essentials(engine: Any) -> dict[str, Any]:
    """What must survive anything: balance, positions, day buckets, equity, kept closes, the rails'
    state (peak, streak and its block, symbol cooldowns)."""
    return {
        "balance": engine.balance,
        "rails": engine.rail_state.to_record(),
        "total_open_risk": engine.total_open_risk,
        "positions": {t: p.to_record() for t, p in engine.positions.items()},
        "days": engine.days_state(),
        "equity_points": [list(p) for p in engine.equity_points],
        "recent_closes": {t: r._asdict() for t, r in engine.recent_closes.items()},
    }


def assert_files_equal_replay(root: Path) -> store.Loaded:
    """docs/live.md: the state a load gives (files + journal tail) equals a replay of the journal."""
    overlay, policy = configs(root)
    loaded = store.load(root, overlay, policy)
    replayed = store.replay_journal(root / "runtime" / store.JOURNAL_FILE, overlay, policy)
    assert essentials(loaded.engine) == essentials(replayed.engine)
    assert loaded.seq == replayed.seq
    return loaded


def start_bot(root: Path, run: int, n: int, seed: int, *, hold: int = 3, extra: Iterable[str] = (),
              pass_fds: tuple[int, ...] = (), stdin: int | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(BOT_CHILD), str(root), str(run), str(n), str(seed),
                             str(hold), *extra], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1, env={**os.environ, "PYTHONUNBUFFERED": "1"}, pass_fds=pass_fds)


def read_ack(proc: subprocess.Popen) -> dict[str, Any] | None:
    """The child's next ack line (printed after a call returned), None at its end of output."""
    line = proc.stdout.readline()
    return json.loads(line) if line else None


def parity_events(n: int, seed: int) -> list[dict[str, Any]]:
    """A deterministic list of opens and closes over two UTC days, with retries and duplicate closes,
    closes of trades that were skipped, and enough activity to trip the rails of PARITY_POLICY."""
    import random

    rng = random.Random(seed)
    prices = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}
    events: list[dict[str, Any]] = []
    opened: list[tuple[str, dict[str, Any]]] = []
    ts = T0
    for i in range(n):
        ts += rng.randint(60_000, 3_600_000)  # 1 min - 1 h: the list spans a few UTC days
        roll = rng.random()
        if opened and roll < 0.45:
            tid, ev = opened.pop(rng.randrange(len(opened)))
            exit_price = round(ev["entry_price"] * rng.uniform(0.985, 1.02), 2)
            events.append({"op": "close", "trade_id": tid, "exit_ts_ms": ts, "exit_price": exit_price})
            if rng.random() < 0.1:  # a retried close
                events.append({**events[-1], "exit_price": exit_price + 1})
        elif events and roll < 0.5 and events[-1]["op"] == "open":
            events.append(dict(events[-1]))  # a retried open, identical
        elif roll < 0.53 and any(e["op"] == "open" for e in events):
            reused = rng.choice([e for e in events if e["op"] == "open"])
            events.append({**reused, "entry_ts_ms": ts, "entry_price": reused["entry_price"] + 1})  # id reused
        else:
            symbol = rng.choice(list(prices))
            price = round(prices[symbol] * rng.uniform(0.95, 1.05), 2)
            is_long = rng.random() < 0.5
            dist = price * rng.uniform(0.002, 0.015)
            ev = {"op": "open", "trade_id": f"p{i}", "symbol": symbol, "is_long": is_long, "entry_ts_ms": ts,
                  "entry_price": price, "stop_price": round(price - dist if is_long else price + dist, 2)}
            events.append(ev)
            opened.append((ev["trade_id"], ev))
    return events


PARITY_OVERLAY = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 3, "total_open_risk_cap": 140.0}
PARITY_POLICY = {"equity_floor": 9_800.0, "daily_loss_cap": 60.0, "max_trades_per_day": 6}


def apply_event(target: Any, ev: dict[str, Any]) -> dict[str, Any]:
    """Feed one event to a LiveRisk or a RiskEngine; the result (or the error's type) as a dict."""
    from tc1console.engine.errors import Tc1Error
    from tc1console.engine.live import LiveRisk

    args = {k: v for k, v in ev.items() if k != "op"}
    try:
        if isinstance(target, LiveRisk):
            result = target.try_open(**args) if ev["op"] == "open" else target.close(**args)
            result.pop("replayed")  # the live API's flag (docs/engine.md 6): what the engine's record lacks
            return result
        if ev["op"] == "open":
            return target.try_open(**args)._asdict()
        return target.close(**args)._asdict()
    except Tc1Error as exc:
        return {"error": type(exc).__name__}


# --- operator actions (docs/live.md section 6) as real `tc1` processes ---------------------------------

CLI_CHILD = HERE / "live_cli_child.py"
CLI_NOW_MS = T0 + 6_000_000  # the clock `tc1` runs at here ($TC1_NOW_MS): after every entry of bot run 0


def start_tc1(root: Path, point: str, *args: str) -> subprocess.Popen:
    """`tc1 ARGS --root ROOT` through live_cli_child.py, stopping for good at `point` (see there)."""
    env = {k: v for k, v in os.environ.items() if k != "TC1_ROOT"}
    env.update(TC1_NOW_MS=str(CLI_NOW_MS), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, str(CLI_CHILD), point, *args, "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def tc1(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`tc1 ARGS --root ROOT` run to its end, at the tests' CLI clock."""
    proc = start_tc1(root, "none", *args)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def account(engine: Any) -> dict[str, Any]:
    """essentials() plus what the operator actions move: net flows, the pause, the peak and streak."""
    return {**essentials(engine), "net_flows": engine.net_flows, "start_balance": engine.start_balance,
            "paused": engine.paused, "rails": engine.rail_state.to_record(),
            "recent_flows": {k: r._asdict() for k, r in engine.recent_flows.items()},
            "recent_cancels": {k: r._asdict() for k, r in engine.recent_cancels.items()}}


def assert_books_balance(root: Path) -> store.Loaded:
    """After any mix of bot calls and operator actions (docs/engine.md 4 and 6): `tc1 state rebuild` finds
    no difference, the journal's seq runs 1..N, a load equals a replay, and the balance is the start
    balance plus every close's PnL and every cash flow, in journal order: the engine's own float
    operations, so exactly equal; trading PnL = balance - start - net flows."""
    proc = tc1(root, "state", "rebuild")
    assert proc.returncode == 0 and "no differences" in proc.stdout, (proc.stdout, proc.stderr)
    entries = journal(root)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    loaded = assert_files_equal_replay(root)
    assert entries[0]["type"] == "adopt"
    balance, flows, pnl = entries[0]["book"]["balance"], 0.0, []
    for e in entries:
        if e["type"] == "close":
            balance += e["result"]["pnl_after_fees"]
            pnl.append(e["result"]["pnl_after_fees"])
        elif e["type"] == "flow":
            balance += e["result"]["amount"]
            flows += e["result"]["amount"]
    engine = loaded.engine
    assert engine.balance == balance and engine.net_flows == flows
    assert engine.trading_pnl == engine.balance - engine.start_balance - engine.net_flows
    assert abs(engine.trading_pnl - math.fsum(pnl)) < 1e-6  # the closes alone, summed another way
    return loaded
