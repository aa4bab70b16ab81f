"""The console's keys, in one place: the footer, the command palette and the `?` help screen read them.

Every binding has an `id`, so a keymap can rebind it (`TC1_CONSOLE_KEYMAP="help=f1,reload=ctrl+r"`,
or `Tc1ConsoleApp(keymap={"help": "f1"})`), and a tooltip, which the help screen shows. ACTIONS are
the operator actions (resets, caps, pause, cash flows, the harness and the desk's screens); the
command palette (commands.py) offers the same list, so a new action needs only a binding here and its
`action_` method on the app. POSITION_ACTIONS act on the position under the cursor and are the
positions table's keys (shown while it has focus). At 80 columns the footer holds about eight keys:
the rest say `show=False` and are in the palette and on the help screen; the desk's screens come
last in the footer, so a narrow terminal cuts them before help and quit.
"""

from __future__ import annotations

from textual.binding import Binding

from ..engine.errors import InputError

INCIDENT: list[Binding] = [
    Binding("t", "reset_today", "Reset today", id="reset_today",
            tooltip="Clear today's (UTC) entry count and realized PnL, after a confirmation, so "
                    "max_trades_per_day and daily_loss_cap count from zero again; journaled, safe "
                    "while the bot trades"),
    Binding("T", "reset_all", "Reset all", id="reset_all", key_display="T", show=False,
            tooltip="Clear every day's counters, after a confirmation naming each day; journaled, "
                    "safe while the bot trades"),
    Binding("p", "pause", "Pause", id="pause",
            tooltip="Pause new entries (with a reason) or resume them, after a confirmation: while "
                    "paused every new entry is skipped with `paused`; closes, cancels and fills go on; "
                    "journaled, and a restart stays paused"),
    Binding("f", "cash_flow", "Cash flow", id="cash_flow", show=False,
            tooltip="Book a deposit, a withdrawal or a sync to the exchange's balance, after a "
                    "confirmation: not trading PnL (shown apart); the peak moves with it; journaled"),
    Binding("e", "edit_caps", "Edit caps", id="edit_caps",
            tooltip="A form for every cap and rail, checked as you type; ctrl+s writes the config "
                    "file in its own format and journals old -> new; the bot uses it on its next call"),
]

DESK: list[Binding] = [
    Binding("h", "harness", "Harness", id="harness",
            tooltip="Replay a trades CSV through the engine in a separate process, with a progress "
                    "bar and a cancel key; shows the summary and equity curve; earlier runs are "
                    "listed there (runtime/runs/)"),
    Binding("l", "history", "History", id="history",
            tooltip="The closed trades the state keeps, newest first, filtered by symbol and day; "
                    "enter on one shows its journal story (open, fills, close, who did what)"),
    Binding("d", "daily", "Daily", id="daily",
            tooltip="PnL by UTC day from the journal: trades, wins, PnL, R, fees, the balance at "
                    "the close of each day, and rail hits (as `tc1 daily`)"),
    Binding("w", "sweep", "Sweep", id="sweep", show=False,
            tooltip="A config sweep: a grid built from the cap fields (a,b,c or start:stop:step each), "
                    "run in a separate process with a progress bar and a cancel key; then the configs "
                    "ranked in a sortable table, the selected one's equity beside the base config's, "
                    "and a to apply a row through the cap editor's save (runtime/sweeps/)"),
    # Not in the dashboard's footer (80 columns hold no more): the run list's footer shows it, where
    # the runs are marked; the palette and the help screen list it here too.
    Binding("v", "compare_runs", "Compare", id="compare_runs", show=False,
            tooltip="Two harness runs side by side: every summary figure (differences marked) and "
                    "both equity curves on one chart; mark the runs with m in the harness run list"),
]

ACTIONS: list[Binding] = [*INCIDENT, *DESK]

GENERAL: list[Binding] = [
    Binding("r", "reload", "Reload", id="reload", show=False,
            tooltip="Read runtime/ and configs/ again now (changes are picked up by themselves; "
                    "this is for file systems that do not report them, such as some network mounts)"),
    Binding("question_mark", "help", "Help", id="help", key_display="?",
            tooltip="This screen: every key, and what each panel shows"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Leave the console (a demo bot started with it stops too)"),
]

# The footer's order: what an incident needs, then help and quit, then the desk's screens (cut
# first where 80 columns run out; they stay in the palette and on the help screen).
APP_BINDINGS: list[Binding] = [*INCIDENT, *GENERAL, *DESK]

POSITION_ACTIONS: list[Binding] = [
    Binding("c", "app.close_position", "Close", id="position.close",
            tooltip="Close the position under the cursor by hand at a price (a trade closed on the "
                    "exchange, or whose bot died), after a confirmation; booked as risk_close would"),
    Binding("x", "app.cancel_position", "Cancel", id="position.cancel",
            tooltip="Drop the position under the cursor as an entry that never filled (no PnL, its "
                    "risk freed), after a confirmation"),
]


KEYMAP_ENV = "TC1_CONSOLE_KEYMAP"


def parse_keymap(text: str) -> dict[str, str]:
    """`"help=f1,reload=ctrl+r"` -> {"help": "f1", "reload": "ctrl+r"}; unknown ids are refused."""
    known = {b.id for b in APP_BINDINGS}
    keymap: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        binding_id, sep, keys = item.partition("=")
        binding_id, keys = binding_id.strip(), keys.strip()
        if not sep or not keys or binding_id not in known:
            raise InputError(f"{KEYMAP_ENV}: {item!r} is not ID=KEY with ID one of {', '.join(sorted(known))}")
        keymap[binding_id] = keys
    return keymap
