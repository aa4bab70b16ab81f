"""The command palette's console commands (ctrl+p): every operator action and general key, by name.

Built from the same bindings as the footer and the help screen (bindings.py), so a new action
appears here by itself; each hit shows the key that does the same thing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .bindings import ACTIONS, GENERAL, POSITION_ACTIONS

if TYPE_CHECKING:
    from .app import Tc1ConsoleApp

# What each command is called in the palette: the question it answers, not just the key's label.
NAMES = {
    "reset_today": "Reset today's counters",
    "reset_all": "Reset all day counters",
    "edit_caps": "Edit caps and rails",
    "harness": "Launch a harness run",
    "history": "Trade history: closed trades",
    "daily": "Daily table: PnL by UTC day",
    "compare_runs": "Compare two harness runs",
    "sweep": "Config sweep: a grid of caps over a trades CSV",
    "reload": "Reload the files now",
    "help": "Help: keys and panels",
    "pause": "Pause or resume new entries",
    "cash_flow": "Book a cash flow: deposit, withdrawal, balance sync",
}
# Commands with no key of their own on the dashboard: the position actions (the positions table's
# keys) and the resets of the rails' state.
EXTRA: list[tuple[str, str, str]] = [
    ("Close the selected position by hand", "close_position", POSITION_ACTIONS[0].tooltip + "  (key in the "
     "positions table: c)"),
    ("Cancel the selected entry (never filled)", "cancel_position", POSITION_ACTIONS[1].tooltip + "  (key in "
     "the positions table: x)"),
    ("Reset the peak (max drawdown)", "reset_peak", "Set the peak max_drawdown_pct measures from to the "
     "balance now, after a confirmation naming both; journaled"),
    ("Parity: replay the journal and compare it to the bit", "parity", "Decide every journal entry again with "
     "this engine, compare each one and the final state with what was recorded (`tc1 parity`); read only"),
    ("Reset the loss streak", "reset_streak", "Clear the losing closes in a row and lift a streak's block, "
     "after a confirmation; journaled"),
]


class ConsoleCommands(Provider):
    """Operator actions first, then the general keys (quit is among Textual's own commands)."""

    @property
    def console(self) -> "Tc1ConsoleApp":
        return cast("Tc1ConsoleApp", self.app)

    def commands(self) -> list[tuple[str, str, str]]:
        """(name, action, help) for each command available on the screen the palette was opened from."""
        app = self.console
        out = []
        for binding in (*ACTIONS, *GENERAL):
            name = NAMES.get(binding.action)
            if name is None or not app.command_available(binding.action, self.screen):
                continue
            keys = app.get_key_display(binding)
            out.append((name, binding.action, f"{binding.tooltip}  (key: {keys})"))
        out += [(name, action, text) for name, action, text in EXTRA if app.command_available(action, self.screen)]
        return out

    def _run(self, action: str) -> None:
        self.console.run_command(action)

    async def discover(self) -> Hits:
        for name, action, help_text in self.commands():
            yield DiscoveryHit(name, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action), text=name, help=help_text)
