"""`tc1` subcommands as real processes (docs/console.md command-line table): what each prints, what it
writes, and that every error is one line on stderr with a non-zero exit."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_tools import NOW_MS, assert_one_line_error, make_root, tc1
from tc1console.engine import store
from tc1console.engine.live import LiveRisk
from tc1console.engine.rails import MS_PER_DAY, day_key

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)
TODAY = day_key(NOW_MS)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")


@pytest.fixture
def traded(root: Path) -> Path:
    """Today: one loss closed, one position open (stamped just before the `tc1` processes' clock)."""
    live = LiveRisk(root)
    live.try_open(trade_id="lost", entry_ts_ms=NOW_MS - 60_000, **OPEN)
    live.close(trade_id="lost", exit_ts_ms=NOW_MS - 30_000, exit_price=2_985.0)
    live.try_open(trade_id="open1", entry_ts_ms=NOW_MS - 10_000, **OPEN)
    return root


def test_dashboard_on_a_fresh_root_is_plain_text_and_writes_nothing(root: Path) -> None:
    proc = tc1("dashboard", root=root)
    assert proc.returncode == 0 and proc.stderr == ""
    out = proc.stdout
    for fragment in ("Balance", "10,000.00", "Open risk", "0 / 5 max", "Rails", "ACTIVE", "Headroom",
                     "daily loss left", "trades left today", "distance to floor", "UTC rollover in", "no state yet"):
        assert fragment in out, fragment
    assert "\033[" not in out  # no colours in a pipe
    assert not (root / "runtime").exists()  # a snapshot never writes


def test_dashboard_shows_positions_rails_and_events_after_trading(traded: Path) -> None:
    out = tc1("dashboard", root=traded).stdout
    assert "open1" in out and "ETHUSDT" in out and "long" in out
    assert "close lost ETHUSDT long" in out and "open  open1 ETHUSDT long" in out  # the console's Events lines
    assert f"Today        {TODAY} UTC: 2 entries" in out


def test_dashboard_lists_hand_edited_journal_entries_without_failing(traded: Path) -> None:
    """Recent events are shown whatever shape a hand edit left them in: a close whose R_multiple
    is text and an open whose position is a list (both within the state files' position: shown,
    not replayed) are each one line, and the dashboard runs as before."""
    path = traded / "runtime" / store.JOURNAL_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    entries = [json.loads(line) for line in lines]
    k = next(i for i, e in enumerate(entries) if e["type"] == "close")
    entries[k]["result"]["R_multiple"] = "lots"
    entries[k - 1]["position"] = [1, 2]
    for i in (k - 1, k):  # each line kept at its length, so the state files' offsets stay right
        text = json.dumps(entries[i], separators=(",", ":"))
        entries[i]["pad"] = "x" * (len(lines[i]) - len(text) - 1 - len(',"pad":""'))
        lines[i] = json.dumps(entries[i], separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    proc = tc1("dashboard", root=traded)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "close lost ETHUSDT long  @ 2,985.00  ?R" in proc.stdout
    assert "unreadable entry" in proc.stdout and "open  open1 ETHUSDT" in proc.stdout


def test_dashboard_json_is_one_object_with_the_same_numbers(traded: Path) -> None:
    proc = tc1("dashboard", "--json", root=traded)
    doc = json.loads(proc.stdout)
    live = LiveRisk(traded)
    with live.store.transaction() as tx:
        balance, open_risk = tx.engine.balance, tx.engine.total_open_risk
    assert doc["balance"]["balance"] == balance and doc["open_risk"]["total"] == open_risk
    assert doc["positions"]["count"] == 1 and doc["positions"]["rows"][0]["trade_id"] == "open1"
    assert doc["today"] == TODAY and doc["today_counters"]["entries"] == 2
    h = doc["headroom"]
    assert h["trades_left_today"] == 18 and h["open_risk_left"] == pytest.approx(300.0 - open_risk)
    assert h["daily_loss_left"] == pytest.approx(200.0 + doc["today_counters"]["pnl"])
    assert 0 < h["ms_to_rollover"] <= 86_400_000
    assert doc["rails"]["status"] == "ACTIVE" and [e["type"] for e in doc["events"]][-1] == "open"


def test_root_comes_from_tc1_root_then_the_current_folder(traded: Path, tmp_path: Path) -> None:
    by_env = json.loads(tc1("dashboard", "--json", env={"TC1_ROOT": str(traded)}, cwd=tmp_path).stdout)
    by_cwd = json.loads(tc1("dashboard", "--json", cwd=traded).stdout)
    assert by_env["root"] == by_cwd["root"] == str(traded.resolve())


def test_policy_show_and_reset_today_then_all(traded: Path) -> None:
    shown = tc1("policy", "show", root=traded)
    assert shown.returncode == 0
    assert "daily_loss_cap" in shown.stdout and "200.00" in shown.stdout and f"{TODAY}" in shown.stdout
    doc = json.loads(tc1("policy", "show", "--json", root=traded).stdout)
    set_keys = {k: v for k, v in doc["policy"].items() if v not in (None, False)}
    assert set_keys == {"equity_floor": 8000.0, "daily_loss_cap": 200.0, "max_trades_per_day": 20}
    assert doc["days"][TODAY]["entries"] == 2
    pnl = doc["days"][TODAY]["pnl"]

    reset = tc1("policy", "reset", "--today", root=traded)
    # docs/engine.md 6: a reset prints (and journals) exactly what it cleared
    assert reset.returncode == 0 and f"cleared 1 day bucket: {TODAY} (2 entries, {pnl:+,.2f} pnl)" in reset.stdout
    assert json.loads(tc1("policy", "show", "--json", root=traded).stdout)["days"] == {}
    again = tc1("policy", "reset", root=traded)
    assert again.returncode == 0 and "nothing to clear" in again.stdout
    events = store.tail_events(traded, 2)
    assert [(e["type"], e["scope"], e["by"]) for e in events] == [("reset", "today", "cli"), ("reset", "all", "cli")]
    # Counters only: the book is untouched.
    assert json.loads(tc1("dashboard", "--json", root=traded).stdout)["positions"]["count"] == 1


def test_state_rebuild_reports_differences_then_none(traded: Path) -> None:
    path = traded / "runtime" / store.STATE_FILE
    doc = json.loads(path.read_bytes())
    real = doc["balance"]
    doc["balance"] = 123.0
    path.write_text(json.dumps(doc))
    first = tc1("state", "rebuild", root=traded)
    assert first.returncode == 0
    assert f"book.balance: 123.0 -> {real}" in first.stdout and f"balance {real:,.2f}" in first.stdout
    assert json.loads(path.read_bytes())["balance"] == real
    second = tc1("state", "rebuild", root=traded)
    assert "no differences" in second.stdout


def _trade_late(root: Path, day_start: int) -> Path:
    """Two entries and a loss in the last two minutes of the UTC day starting at `day_start`."""
    live = LiveRisk(root)
    live.try_open(trade_id="late1", entry_ts_ms=day_start + MS_PER_DAY - 120_000, **OPEN)
    live.close(trade_id="late1", exit_ts_ms=day_start + MS_PER_DAY - 90_000, exit_price=2_985.0)
    live.try_open(trade_id="late2", entry_ts_ms=day_start + MS_PER_DAY - 60_000, **OPEN)
    return root


def test_day_dependent_commands_see_the_day_of_their_clock_either_side_of_midnight(root: Path) -> None:
    """docs/console.md command line: "today's counters" and "reset today's (UTC)" mean the UTC day of
    the clock the command runs at ($TC1_NOW_MS here), read once: at 23:59:30 the day that traded is
    today; at 00:00:30 the next day is, with nothing in it yet, and the day before keeps its bucket."""
    day = NOW_MS - NOW_MS % MS_PER_DAY
    late, next_day = day_key(day), day_key(day + MS_PER_DAY)
    _trade_late(root, day)
    other = root.parent / "copy"
    shutil.copytree(root, other)
    for at, where, today, entries in ((day + MS_PER_DAY - 30_000, root, late, 2),
                                      (day + MS_PER_DAY + 30_000, other, next_day, 0)):
        env = {"TC1_NOW_MS": str(at)}
        doc = json.loads(tc1("dashboard", "--json", root=where, env=env).stdout)
        assert doc["now_ms"] == at and doc["today"] == today
        assert (doc["today_counters"]["day"], doc["today_counters"]["entries"]) == (today, entries)
        assert doc["headroom"]["trades_left_today"] == 20 - entries
        assert doc["headroom"]["ms_to_rollover"] == (30_000 if entries else MS_PER_DAY - 30_000)
        text = tc1("dashboard", root=where, env=env).stdout
        assert f"Today        {today} UTC: {entries} entries" in text
        assert re.search(rf"UTC rollover in +{'30s' if entries else '23h59m30s'}\n", text)

        shown = json.loads(tc1("policy", "show", "--json", root=where, env=env).stdout)
        assert shown["today"] == today and shown["days"][late]["entries"] == 2 and list(shown["days"]) == [late]
        text = tc1("policy", "show", root=where, env=env).stdout
        assert f"today is {today}" in text and ("<- today" in text) == (today == late)

        reset = tc1("policy", "reset", "--today", root=where, env=env)
        assert reset.returncode == 0, reset.stderr
        after = json.loads(tc1("policy", "show", "--json", root=where, env=env).stdout)["days"]
        if today == late:
            assert f"cleared 1 day bucket: {late} (2 entries" in reset.stdout and after == {}
        else:
            assert f"nothing to clear: no counters for today ({next_day})" in reset.stdout
            assert after == shown["days"]  # yesterday's bucket is not today's to clear
        assert store.tail_events(where, 1)[0]["days"] == [today]


def test_the_cli_clock_leaves_the_journal_stamps_real(traded: Path) -> None:
    """README "The command line": $TC1_NOW_MS fixes what a command calls now and today; the
    journal's at_ms is when the line was written, always the real clock."""
    before = time.time_ns() // 1_000_000
    assert tc1("policy", "reset", "--today", root=traded).returncode == 0
    after = time.time_ns() // 1_000_000
    entry = store.tail_events(traded, 1)[0]
    assert entry["days"] == [TODAY] and before <= entry["at_ms"] <= after


@pytest.mark.parametrize("value", ["yesterday", "1732026600", "1.7e12", "-1", "9" * 20])
def test_a_bad_tc1_now_ms_is_a_one_line_error_naming_it(traded: Path, value: str) -> None:
    """README "The command line": TC1_NOW_MS is an epoch time in whole milliseconds; anything else
    (a date in words, seconds by mistake, a float, out of range) is one line naming the variable,
    and a refused reset writes nothing."""
    files_before = {p: p.read_bytes() for p in traded.rglob("*") if p.is_file()}
    for args in (["dashboard"], ["policy", "show"], ["policy", "reset", "--today"]):
        proc = tc1(*args, root=traded, env={"TC1_NOW_MS": value})
        assert proc.returncode == 2
        assert_one_line_error(proc, "TC1_NOW_MS", repr(value))
    assert {p: p.read_bytes() for p in traded.rglob("*") if p.is_file()} == files_before


def test_smoke_passes_end_to_end_with_a_restart(tmp_path: Path) -> None:
    proc = tc1("smoke", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "restart" in proc.stdout and "new process" in proc.stdout and "FAIL" not in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("smoke: all ")
    assert not list(tmp_path.iterdir())  # it used a temporary root, not the current folder


def test_demo_count_trades_through_the_live_api(root: Path) -> None:
    proc = tc1("demo", "--count", "5", "--interval", "0", "--seed", "1", root=root)
    assert proc.returncode == 0, proc.stderr
    assert " open " in proc.stdout and proc.stdout.rstrip().endswith("Bye.")
    types = [e["type"] for e in store.tail_events(root, 100)]
    assert "open" in types
    before = len(store.tail_events(root, 1000))
    assert tc1("demo", "--count", "40", "--interval", "0", "--seed", "2", root=root).returncode == 0
    assert len(store.tail_events(root, 1000)) > before  # a second run moves the journal on


def test_demo_stops_cleanly_on_ctrl_c(root: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tc1console", "demo", "--interval", "0.05", "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:  # wait until it is trading, then press Ctrl-C
            if " open " in line or " skip " in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130 and err == ""  # README: Ctrl-C exits 130, the demo included
    assert out.rstrip().splitlines()[-1].startswith("demo stopped") and out.rstrip().endswith("Bye.")


def test_harness_runs_a_small_csv(tmp_path: Path, root: Path) -> None:
    csv = tmp_path / "trades.csv"
    csv.write_text("symbol,side,timestamp,entry_price,sl_price,exit_time,exit_price\n"
                   "BTCUSDT,long,2025-01-01T00:00:00Z,50000,49500,2025-01-01T01:00:00Z,50500\n"
                   "ETHUSDT,short,2025-01-01T00:30:00Z,3000,3030,2025-01-01T02:00:00Z,3050\n")
    out = tmp_path / "out"
    proc = tc1("harness", "--trades-csv", str(csv), "--risk_config", str(root / "configs" / "risk_overlay.toml"),
               "--policy-config", str(root / "configs" / "risk_policy.toml"), "--out_dir", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.json").exists() and json.loads((out / "summary.json").read_text())["trades_in"] == 2
    assert tc1("harness", "--help").returncode == 0


def _corrupt(root: Path) -> Path:
    LiveRisk(root)
    (root / "runtime" / store.STATE_FILE).write_text('{"balance": ')
    return root


def _odd_journal_line(root: Path) -> Path:
    """A journal line past the state files that is JSON of the wrong shape (a close without
    most of its result): what a hand edit leaves."""
    LiveRisk(root)
    with open(root / "runtime" / store.JOURNAL_FILE, "a", encoding="utf-8") as f:
        f.write('{"seq": 99, "at_ms": 1, "type": "close", "result": {"trade_id": "x", "pnl_after_fees": null}}\n')
    return root


ERRORS = {
    "dashboard-no-configs": (lambda r: r.parent, ["dashboard"], ["configs not found", "tc1 init"]),
    "dashboard-corrupt-state": (_corrupt, ["dashboard"], [store.STATE_FILE, "tc1 state rebuild"]),
    "policy-show-corrupt-state": (_corrupt, ["policy", "show"], [store.STATE_FILE]),
    "policy-reset-corrupt-state": (_corrupt, ["policy", "reset"], [store.STATE_FILE]),
    "rebuild-without-journal": (lambda r: r, ["state", "rebuild"], ["journal.jsonl", "not found"]),
    "dashboard-corrupt-journal-line": (_odd_journal_line, ["dashboard"], ["journal.jsonl", "corrupt close entry"]),
    "rebuild-corrupt-journal-line": (_odd_journal_line, ["state", "rebuild"], ["journal.jsonl", "corrupt close entry"]),
    "demo-no-configs": (lambda r: r.parent, ["demo", "--count", "1"], ["configs", "not found"]),
    "demo-bad-count": (lambda r: r, ["demo", "--count", "-1"], ["--count"]),
    "bad-config-value": (lambda r: (r / "configs" / "risk_policy.toml").write_text("daily_loss_cap = -5\n") and r,
                         ["dashboard"], ["risk_policy.toml", "daily_loss_cap"]),
    "unknown-option": (lambda r: r, ["dashboard", "--colour"], ["unrecognized arguments: --colour"]),
    "unknown-command": (lambda r: r, ["dashbored"], ["invalid choice"]),
    "harness-missing-csv": (lambda r: r, ["harness", "--trades_csv", "nope.csv", "--risk_config", "x.toml",
                                          "--out_dir", "o"], ["x.toml"]),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_errors_are_one_line_on_stderr_never_a_traceback(root: Path, case: str) -> None:
    prepare, args, fragments = ERRORS[case]
    target = prepare(root)
    files_before = {p: p.read_bytes() for p in Path(target).rglob("*") if p.is_file()}
    proc = tc1(*args, root=target, cwd=target)
    assert proc.returncode == 2
    assert_one_line_error(proc, *fragments)
    if "corrupt" in case:  # and a refusal leaves the files exactly as they were
        assert {p: p.read_bytes() for p in Path(target).rglob("*") if p.is_file()} == files_before


@pytest.mark.parametrize("where", ["top", "group", "leaf"])
def test_root_may_come_before_or_after_the_subcommand(traded: Path, where: str) -> None:
    argv = {"top": ["--root", str(traded), "policy", "show", "--json"],
            "group": ["policy", "--root", str(traded), "show", "--json"],
            "leaf": ["policy", "show", "--json", "--root", str(traded)]}[where]
    assert json.loads(tc1(*argv).stdout)["days"][TODAY]["entries"] == 2


def test_help_lists_every_command() -> None:
    proc = tc1("--help")
    assert proc.returncode == 0
    for name in ("console", "dashboard", "policy", "harness", "smoke", "demo", "state"):
        assert name in proc.stdout
