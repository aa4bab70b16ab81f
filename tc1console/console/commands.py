"""The command palette's console commands (ctrl+p): every operator action and general key, by name.

Built from the same bindings as the footer and the help screen (bindings.py), so a new action
appears here by itself; each hit shows the key that does the same thing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .bindings import ACTIONS, GENERAL

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
    "reload": "Reload the files now",
    "help": "Help: keys and panels",
}


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
