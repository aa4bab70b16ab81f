"""How many examples a Hypothesis test tries: its own CI budget, or more under a wider profile."""

from __future__ import annotations

from hypothesis import settings


def examples(budget: int) -> int:
    """`budget` (what the test needs in every CI run), or the loaded profile's `max_examples` when
    that is larger (the `wide` profile of tests/conftest.py). A test's own `max_examples` would
    override any profile; this lets a profile raise it."""
    return max(budget, settings.default.max_examples)
