"""The banner that says a file could not be read: which file, what is wrong, and that the view is the last good one."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from ..messages import Problem
from .base import styled


class ProblemBanner(Static):
    DEFAULT_CSS = """
    ProblemBanner {
        display: none;
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $error;
        color: $text;
    }
    ProblemBanner.-shown { display: block; }
    """

    problem: reactive[Problem | None] = reactive(None)
    since: reactive[str] = reactive("")  # UTC time the problem was first seen
    has_view: reactive[bool] = reactive(True)  # False until a first good read: nothing to keep showing

    def render_problem(self) -> str:
        p = self.problem
        if p is None:
            return ""
        shown = "showing the last good view" if self.has_view else "nothing could be read yet"
        since = f" (problem since {self.since} UTC)" if self.since else ""
        return (styled("⚠ ", bold=True) + styled(p.message, bold=True)
                + f"\n{shown}{since}; this clears by itself when the file is good again")

    def watch_problem(self, problem: Problem | None) -> None:
        self.set_class(problem is not None, "-shown")
        self.update(self.render_problem())

    def watch_since(self) -> None:
        self.update(self.render_problem())
