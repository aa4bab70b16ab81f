"""Shared helpers for the harness tests: real config files and trades CSVs in tmp_path, outputs read back."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

from tc1console.backtest import run_harness
from tc1console.engine import config

HEADER = "symbol,side,timestamp,entry_price,sl_price,exit_time,exit_price"

# Round numbers so every expected figure can be worked out by hand: budget = 1% of balance,
# whole-unit qty steps, no fees, no caps, no market minimums.
SIMPLE = {"initial_balance": 10_000.0, "flat_risk_amount": 10.0, "percent_risk": 0.01,
          "default_qty_step": 1.0, "fee_bps_per_side": 0.0}


def write_configs(tmp: Path, overlay: dict[str, Any] | None = None,
                  policy: dict[str, Any] | None = None, ext: str = "toml") -> tuple[Path, Path | None]:
    """Config files written by the project's own writer; policy None means no policy file."""
    tmp.mkdir(parents=True, exist_ok=True)
    dump = config.dump_toml if ext == "toml" else config.dump_json
    risk = tmp / f"risk_overlay.{ext}"
    risk.write_text(dump("overlay", {**SIMPLE, **(overlay or {})}), encoding="utf-8")
    if policy is None:
        return risk, None
    pol = tmp / f"risk_policy.{ext}"
    pol.write_text(dump("policy", policy), encoding="utf-8")
    return risk, pol


def write_trades(tmp: Path, *rows: str, header: str = HEADER, name: str = "trades.csv") -> Path:
    path = tmp / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def header_of(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


class Run:
    """One harness run in tmp_path and its four outputs, parsed."""

    def __init__(self, tmp: Path, *rows: str, overlay: dict[str, Any] | None = None,
                 policy: dict[str, Any] | None = None, header: str = HEADER, **kw: Any) -> None:
        self.risk, self.policy = write_configs(tmp / "configs", overlay, policy)
        self.trades = write_trades(tmp, *rows, header=header)
        self.out = tmp / "out"
        self.summary = run_harness(self.trades, self.risk, self.out, self.policy, **kw)
        self.opens = read_csv(self.out / "open_allocations.csv")
        self.closes = read_csv(self.out / "realized_pnl.csv")
        self.equity = [(int(r["ts_ms"]), float(r["balance"])) for r in read_csv(self.out / "equity_curve.csv")]
        self.summary_file = json.loads((self.out / "summary.json").read_text(encoding="utf-8"))

    def open_by_line(self, line: int) -> dict[str, str]:
        return next(r for r in self.opens if int(r["line"]) == line)

    def taken(self) -> list[str]:
        return [r["trade_id"] for r in self.opens if not r["skipped_reason"]]


def iso_ms(text: str) -> int:
    """Reference conversion for the tests: an aware ISO time to ms, through datetime."""
    from datetime import datetime
    return int(datetime.fromisoformat(text).timestamp() * 1000)


# --- generated files --------------------------------------------------------------------------------

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def awkward_rows(n: int, seed: int) -> list[str]:
    """Out of time order, explicit trade_ids (some repeated: retries and duplicates), ids that
    need quoting, bad rows, exits at their own entry time, trades still open at the end: every
    path the row writer has."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        ts = T0 + rng.randrange(0, 3_000) * 60_000
        xt = ts + rng.choice([0, 60_000, rng.randrange(0, 90) * 60_000])
        long = rng.random() < 0.5
        entry = round(rng.uniform(90, 110), 2)
        stop = round(entry - rng.uniform(0.2, 3), 2) if long else round(entry + rng.uniform(0.2, 3), 2)
        exit_ = round(entry + rng.uniform(-3, 4) * (1 if long else -1), 2)
        tid = f"t{k}"
        if k % 53 == 0:
            tid = f'"id ""{k}"", with a comma"'
        elif k % 41 == 0 and rows:
            tid = rows[-1].split(",", 1)[0]  # the previous row's id again
        row = f"{tid},{rng.choice('ABCD')},{'long' if long else 'short'},{ts},{entry},{stop},{xt},{exit_}"
        if k % 97 == 0:
            row = row.replace(f",{entry},", ",not-a-price,", 1)
        elif k % 997 == 0:  # still open at the end of the data, entered a day after every other exit
            row = row.replace(f",{ts},", f",{T0 + 5_000 * 60_000 + k},", 1).rsplit(",", 2)[0] + ",,"
        rows.append(row)
        if k % 131 == 0:
            rows.append(row)  # the very same row again: a harmless retry while it is open
    return rows


def in_time_order(rows: list[str], jitter: int, seed: int) -> list[str]:
    """`rows` sorted by entry time, then each moved up to `jitter` places: a log written as
    trades happen, give or take a few."""
    rng = random.Random(seed)
    rows = sorted(rows, key=lambda r: int(r.rsplit(",", 5)[1]) if r.count(",") >= 7 else 0)
    keyed = sorted(range(len(rows)), key=lambda k: k + rng.uniform(0, jitter))
    return [rows[k] for k in keyed]
