"""Hypothesis profiles for the whole suite, loaded before any test module is imported.

- `ci` (the default): derandomized, so every run tries the same examples and a failure is a real
  one, not a new draw; no example database (a fresh clone and a reused checkout run alike).
- `wide` (`HYPOTHESIS_PROFILE=wide`, or `--hypothesis-profile=wide`): fresh random examples, and
  at least `max_examples` of them per property test, for a separate run that does not block
  (`.ci/wide`); failures are kept in `.hypothesis/` and replayed first on the next run.

Neither has a deadline or the too-slow health check: both time the machine, not the code.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("wide", derandomize=False, max_examples=2_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")
