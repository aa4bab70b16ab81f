"""Benchmark the live API's durable transaction against bare durable writes of the same bytes.

One live open+close is two transactions; each one appends a journal line (append + fsync) and
replaces both state files (temp + write + fsync + rename + folder fsync). The baseline does exactly
those writes, with the same sizes recorded from the live run, and nothing else, in the same run:
live and bare blocks alternate so that disk weather hits both alike.

Two histories are measured: a root with 10 journaled trades, and one with 100,000. The large
journal is built quickly but honestly: a few big store transactions drive the real RiskEngine in
memory and journal every open and close with the store's own record format and commit path (one
fsync per 10,000 trades instead of two per trade), spread over ~60 UTC days so that the equity,
close and day windows are full. Each measured root keeps 3 other positions open throughout.

    python bench/live_bench.py [--pairs 400] [--history 10,100000] [--profile] [--keep DIR]

Prints p50 / p99 per open+close for live and bare, and the ratios: live/bare at each history,
and p50 at 100k / p50 at 10; then, per history, a breakdown of one live transaction (fsyncs, other
syscalls, Python work and its main pieces) measured after the timed run. `--profile` adds a
cProfile of the live calls at the largest history. Targets: live within 1.5x of bare, flat with
history.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tc1console.engine import config, store  # noqa: E402
from tc1console.engine.live import LiveRisk  # noqa: E402

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
DAY = 86_400_000
OVERLAY = {**config.DEFAULTS["overlay"], "max_concurrent_trades": 50, "total_open_risk_cap": 10_000.0,
           "max_leverage": 100.0}
POLICY = {"equity_floor": 100.0, "daily_loss_cap": 1e12, "max_trades_per_day": 10_000_000}
BUILD_CHUNK = 10_000


def make_root(path: Path) -> Path:
    (path / "configs").mkdir(parents=True)
    (path / "configs" / "risk_overlay.toml").write_text(config.dump_toml("overlay", OVERLAY))
    (path / "configs" / "risk_policy.toml").write_text(config.dump_toml("policy", POLICY))
    return path


def _trade(i: int) -> tuple[dict, float]:
    """Open arguments and exit price of synthetic trade i (alternating sides, small wins and losses)."""
    price = 3_000.0 + (i * 7919 % 400) - 200
    is_long = i % 2 == 0
    stop = price - 15.0 if is_long else price + 15.0
    exit_price = price + ((i * 104729 % 41) - 15) * (1 if is_long else -1)  # a small edge over the fees
    return dict(symbol="ETHUSDT", is_long=is_long, entry_price=price, stop_price=stop), exit_price


def build_history(root: Path, trades: int) -> int:
    """Journal `trades` open+close pairs through the store's commit path; returns the next timestamp."""
    live = LiveRisk(root)
    span = 60 * DAY
    step = max(1, span // max(trades, 1))
    ts = T0
    done = 0
    while done < trades:
        n = min(BUILD_CHUNK, trades - done)
        with live.store.transaction() as tx:
            for i in range(done, done + n):
                args, exit_price = _trade(i)
                tid = f"h{i}"
                r = tx.engine.try_open(tid, args["symbol"], args["is_long"], ts, args["entry_price"],
                                       args["stop_price"])
                assert r.skipped_reason is None, r
                tx.record({"type": "open", "trade_id": tid, "position": tx.engine.positions[tid].to_record()})
                c = tx.engine.close(tid, ts + step // 2, exit_price)
                tx.record({"type": "close", "trade_id": tid, "result": c._asdict()})
                ts += step
        done += n
    # Three positions that stay open while the benchmark trades beside them.
    for k in range(3):
        args, _ = _trade(k)
        live.try_open(trade_id=f"bg{k}", entry_ts_ms=ts, **args)
    return ts + 1


def _bare_append(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.fstat(fd)
        os.write(fd, b"x" * (size - 1) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def _bare_replace(path: Path, size: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b"x" * size)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def measure(root: Path, ts: int, pairs: int, block: int, profile: cProfile.Profile | None) -> dict:
    """Alternate blocks of live open+close pairs and bare writes of the same sizes."""
    live = LiveRisk(root)
    runtime = root / "runtime"
    jpath, spath, ppath = (runtime / store.JOURNAL_FILE, runtime / store.STATE_FILE, runtime / store.POLICY_FILE)
    bare_dir = root / "bare"
    bare_dir.mkdir(exist_ok=True)
    bj, bs, bp = bare_dir / "journal.jsonl", bare_dir / "risk_state.json", bare_dir / "risk_policy_state.json"
    live_t: list[float] = []
    bare_t: list[float] = []
    sizes_seen: list[tuple[int, int, int]] = []
    i = 0
    while i < pairs:
        sizes: list[list[tuple[int, int, int]]] = []
        for _ in range(min(block, pairs - i)):
            args, exit_price = _trade(i)
            tid = f"m{i}"
            jsize = jpath.stat().st_size
            if profile:
                profile.enable()
            t = time.perf_counter()
            live.try_open(trade_id=tid, entry_ts_ms=ts, **args)
            t_mid = time.perf_counter()
            if profile:
                profile.disable()
            one = [(jpath.stat().st_size - jsize, spath.stat().st_size, ppath.stat().st_size)]
            jsize = jpath.stat().st_size
            if profile:
                profile.enable()
            t2 = time.perf_counter()
            live.close(trade_id=tid, exit_ts_ms=ts + 1, exit_price=exit_price)
            t_end = time.perf_counter()
            if profile:
                profile.disable()
            one.append((jpath.stat().st_size - jsize, spath.stat().st_size, ppath.stat().st_size))
            live_t.append((t_mid - t) + (t_end - t2))
            sizes.append(one)
            ts += 2
            i += 1
        for one in sizes:
            t = time.perf_counter()
            for jn, sn, pn in one:
                _bare_append(bj, jn)
                _bare_replace(bs, sn)
                _bare_replace(bp, pn)
            bare_t.append(time.perf_counter() - t)
            sizes_seen.extend(one)
    return {"live": live_t, "bare": bare_t, "sizes": sizes_seen}


def breakdown(root: Path, ts: int, pairs: int = 200) -> None:
    """Where a live transaction's time goes, measured without a profiler's distortion: the fsyncs,
    the rest of the file writes, and the Python work around them (timed piece by piece)."""
    live = LiveRisk(root)
    s = live.store
    fsyncs: list[float] = []
    writes: list[float] = []
    real_fsync, real_write = os.fsync, store.atomic_write

    def timed_fsync(fd: int) -> None:
        t = time.perf_counter()
        real_fsync(fd)
        fsyncs.append(time.perf_counter() - t)

    def timed_write(path: Path, data: bytes) -> None:
        t = time.perf_counter()
        real_write(path, data)
        writes.append(time.perf_counter() - t)

    os.fsync, store.atomic_write = timed_fsync, timed_write
    try:
        total = 0.0
        for i in range(pairs):
            args, exit_price = _trade(10_000_000 + i)
            t = time.perf_counter()
            live.try_open(trade_id=f"b{i}", entry_ts_ms=ts, **args)
            live.close(trade_id=f"b{i}", exit_ts_ms=ts + 1, exit_price=exit_price)
            total += time.perf_counter() - t
            ts += 2
    finally:
        os.fsync, store.atomic_write = real_fsync, real_write
    tx = 2 * pairs
    per = total / tx * 1e6
    fs = sum(fsyncs) / tx * 1e6
    state_writes = sum(writes) / tx * 1e6
    journal_fsync = statistics.median(fsyncs[0::5]) * 1e6
    print(f"  breakdown per live transaction (us): total {per:,.0f} = fsyncs {fs:,.0f} (5 of them; journal "
          f"{journal_fsync:,.0f}) + other syscalls of the writes ~{state_writes - fs + journal_fsync:,.0f} "
          f"+ everything else ~{per - state_writes - journal_fsync:,.0f} (Python, lock, stats, journal "
          f"open/write; its main pieces, timed in a hot loop:)")
    loaded = s._loaded
    configs = s.configs()

    def us(fn, n: int = 300) -> float:
        fn()
        t = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t) / n * 1e6

    def lock() -> None:
        s._file_lock.acquire()
        s._file_lock.release()

    pieces = [
        ("encode risk_state.json (Store._encoder.book)", lambda: s._encoder.book(loaded)),
        ("encode risk_policy_state.json", lambda: store._dumps(s._days_doc(loaded))),
        ("journal the config hash check (note_config)",
         lambda: store.Transaction(s, loaded, configs).note_config(configs)),
        ("inter-process lock acquire + release (filelock)", lock),
        ("config files changed? (Store.configs: 4 exists + 2 stat)", s.configs),
        ("state files changed? (Store._current: 3 stat)", lambda: s._current(configs)),
    ]
    for name, fn in pieces:
        print(f"    {name:<58}{us(fn):8.0f} us")
    print(f"    (equity points kept {len(loaded.engine.equity_points)}, closes kept "
          f"{len(loaded.engine.recent_closes)}, day buckets {len(loaded.engine.days)})")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=400, help="measured open+close pairs per history (default 400)")
    ap.add_argument("--block", type=int, default=25, help="pairs per alternating live/bare block")
    ap.add_argument("--history", default="10,100000", help="journaled trades before measuring (comma list)")
    ap.add_argument("--profile", action="store_true", help="cProfile the live calls at the largest history")
    ap.add_argument("--keep", metavar="DIR", help="build the roots under DIR and keep them")
    args = ap.parse_args(argv)
    histories = [int(x) for x in args.history.split(",")]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tc1-live-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for n in histories:
            root = make_root(base / f"h{n}")
            t = time.perf_counter()
            ts = build_history(root, n)
            built = time.perf_counter() - t
            jbytes = (root / "runtime" / store.JOURNAL_FILE).stat().st_size
            prof = cProfile.Profile() if args.profile and n == max(histories) else None
            r = measure(root, ts, args.pairs, args.block, prof)
            results[n] = r
            js, ss, ps = (statistics.median(x[k] for x in r["sizes"]) for k in range(3))
            print(f"history {n:>7,} trades (journal {jbytes / 1e6:,.1f} MB, built in {built:.1f}s); "
                  f"per transaction: journal line {js:.0f} B, risk_state.json {ss:,.0f} B, "
                  f"risk_policy_state.json {ps:,.0f} B")
            for name in ("live", "bare"):
                v = r[name]
                print(f"  {name:<5} open+close  p50 {pct(v, 0.5) * 1e3:7.3f} ms   p99 {pct(v, 0.99) * 1e3:7.3f} ms"
                      f"   mean {statistics.fmean(v) * 1e3:7.3f} ms")
            print(f"  live/bare  p50 {pct(r['live'], 0.5) / pct(r['bare'], 0.5):.2f}x   "
                  f"p99 {pct(r['live'], 0.99) / pct(r['bare'], 0.99):.2f}x")
            breakdown(root, ts + 10 * args.pairs)
            if prof is not None:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
                print("\n  profile of the live calls (cumulative):")
                print("\n".join("    " + line for line in out.getvalue().splitlines()[:60]))
        if len(histories) >= 2:
            lo = min(histories)
            print()
            for n in sorted(histories):
                r = results[n]
                print(f"summary: history {n:>7,}: live/bare p50 {pct(r['live'], 0.5) / pct(r['bare'], 0.5):.2f}x"
                      f"  p99 {pct(r['live'], 0.99) / pct(r['bare'], 0.99):.2f}x;  live p50 vs history {lo:,}: "
                      f"{pct(r['live'], 0.5) / pct(results[lo]['live'], 0.5):.2f}x "
                      f"(bare {pct(r['bare'], 0.5) / pct(results[lo]['bare'], 0.5):.2f}x)")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
