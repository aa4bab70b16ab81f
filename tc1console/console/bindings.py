"""The console's keys, in one place: the footer, the command palette and the `?` help screen read them.

Every binding has an `id`, so a keymap can rebind it (`TC1_CONSOLE_KEYMAP="help=f1,reload=ctrl+r"`,
or `Tc1ConsoleApp(keymap={"help": "f1"})`), and a tooltip, which the help screen shows. The operator actions (reset today's / all counters, edit caps,
launch a harness run) slot into ACTIONS with their own ids; nothing else needs to change for them
to appear in the footer and on the help screen.
"""

from __future__ import annotations

from textual.binding import Binding

from ..engine.errors import InputError

ACTIONS: list[Binding] = [
    # Operator actions come here, e.g.:
    # Binding("t", "reset_today", "Reset today", id="reset_today", tooltip="..."),
    # Binding("T", "reset_all", "Reset all", id="reset_all", tooltip="..."),
    # Binding("e", "edit_caps", "Edit caps", id="edit_caps", tooltip="..."),
    # Binding("h", "harness", "Harness run", id="harness", tooltip="..."),
]

GENERAL: list[Binding] = [
    Binding("r", "reload", "Reload", id="reload",
            tooltip="Read runtime/ and configs/ again now (changes are picked up by themselves; "
                    "this is for file systems that do not report them, such as some network mounts)"),
    Binding("question_mark", "help", "Help", id="help", key_display="?",
            tooltip="This screen: every key, and what each panel shows"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Leave the console (a demo bot started with it stops too)"),
]

APP_BINDINGS: list[Binding] = [*ACTIONS, *GENERAL]


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
