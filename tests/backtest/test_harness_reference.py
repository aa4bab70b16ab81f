"""The harness against a plain re-statement of docs/harness.md on random trades with many tied times.

The reference replays with sorted lists instead of a heap and chunks: if the two ever disagree on
an allocation, a close or the final balance, one of them has the order rule wrong.
"""

from __future__ import annotations

import random

import pytest

from harness_tools import HEADER, read_csv, write_configs
from tc1console.backtest import reader, run_harness
from tc1console.backtest.trades import Trades
from tc1console.engine import config
from tc1console.engine.core import RiskEngine

T0 = 1_704_067_200_000
OVERLAY = {"max_concurrent_trades": 3, "fee_bps_per_side": 4.0, "default_qty_step": 0.01,
           "total_open_risk_cap": 250.0}


def random_rows(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        ts = T0 + rng.randrange(0, 40) * 60_000  # 40 distinct minutes: many equal timestamps
        xt = ts + rng.choice([0, 0, 60_000, 120_000, rng.randrange(0, 20) * 60_000])
        long = rng.random() < 0.5
        entry = round(rng.uniform(90, 110), 2)
        stop = round(entry - rng.uniform(0.5, 3), 2) if long else round(entry + rng.uniform(0.5, 3), 2)
        exit_ = round(entry + rng.uniform(-3, 4) * (1 if long else -1), 2)
        if rng.random() < 0.02:  # still open at the end, entered after every other exit (at most 59 min)
            ts, xt, exit_ = T0 + rng.randrange(60, 63) * 60_000, "", ""
        rows.append(f"{rng.choice('ABC')},{'long' if long else 'short'},{ts},{entry},{stop},{xt},{exit_}")
    return rows


def reference(rows: list[str], overlay: dict) -> tuple[list, list, float, list[str]]:
    """docs/harness.md restated: before each entry (by time, then input order), close every taken
    trade whose exit time <= the entry's, by (exit time, input order); then open; then drain.
    A trade with no exit stays open."""
    ov = config.validate("overlay", overlay, "ref")
    engine = RiskEngine(ov, config.PolicyConfig())  # type: ignore[arg-type]
    trades = [r.split(",") for r in rows]
    counts: dict[str, int] = {}
    ids = []
    for sym, _, ts, *_ in trades:
        base = f"{sym}_{ts}"
        counts[base] = counts.get(base, 0) + 1
        ids.append(base if counts[base] == 1 else f"{base}_{counts[base]}")
    opens: list = [None] * len(trades)
    closes = []
    waiting: list[tuple[int, int]] = []  # (exit ts, input position) of open trades

    def close_until(t: float) -> None:
        waiting.sort()
        while waiting and waiting[0][0] <= t:
            xt, i = waiting.pop(0)
            closes.append(engine.close(ids[i], xt, float(trades[i][6])))

    for i in sorted(range(len(trades)), key=lambda k: int(trades[k][2])):
        sym, side, ts, entry, stop, xt, _ = trades[i]
        close_until(int(ts))
        r = engine.try_open(ids[i], sym, side == "long", int(ts), float(entry), float(stop))
        opens[i] = r
        if r.skipped_reason is None and xt:
            waiting.append((int(xt), i))
    close_until(float("inf"))
    return opens, closes, engine.balance, sorted(engine.positions)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_harness_matches_the_reference_replay(tmp_path, seed):
    """docs/harness.md order rules, on 400 trades over 40 distinct minutes, some still open at the end."""
    overlay = {**config.DEFAULTS["overlay"], "symbol_overrides": {}, **OVERLAY}
    rows = random_rows(400, seed)
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    risk, _ = write_configs(tmp_path / "c", overlay)
    summary = run_harness(path, risk, tmp_path / "out")
    opens, closes, balance, still_open = reference(rows, overlay)
    got_opens = read_csv(tmp_path / "out" / "open_allocations.csv")
    got_closes = read_csv(tmp_path / "out" / "realized_pnl.csv")
    assert [[r[k] for k in r if k != "line"] for r in got_opens] == \
        [["" if v is None else str(v) for v in o] for o in opens]
    assert [list(r.values()) for r in got_closes] == [[str(v) for v in c] for c in closes]
    assert summary["final_balance"] == balance
    assert summary["still_open"] == still_open and still_open
    assert 0 < summary["trades_taken"] < 400  # the caps bit: the order mattered


def test_fast_and_plain_reading_agree(tmp_path):
    """The fast reader is only an optimisation: the plain one (csv.reader, row by row) gives the same table."""
    rng = random.Random(7)
    rows = random_rows(3000, 7)
    rows[1500] = rows[1500].replace("long", "sideways", 1).replace("short", "sideways", 1)
    rows[2600] = rows[2600].split(",", 1)[0] + ",long,2024-01-01T00:00:00+01:00,100,99,1704067200000,101"
    for k in rng.sample(range(3000), 300):  # ISO in some cells, epoch seconds in others
        sym, side, ts, *rest = rows[k].split(",")
        rows[k] = ",".join([sym, side, str(int(ts) // 1000), *rest])
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")

    def table(t: Trades) -> tuple:  # floats as bytes: a NaN (a trade still open) equals itself
        return (t.trade_ids, t.symbols, t.is_long, t.entry_ts.tolist(), t.entry_price.tobytes(),
                t.stop_price.tobytes(), t.exit_ts.tolist(), t.exit_price.tobytes(), t.lines.tolist(),
                t.invalid, t.in_order)

    fast = table(reader.read_trades(path, fast=True))
    slow = table(reader.read_trades(path, fast=False))
    assert fast == slow
    assert len(fast[-2]) == 1  # the 'sideways' row; the +01:00 row is valid
