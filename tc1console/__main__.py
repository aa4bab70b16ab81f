"""`python -m tc1console ...`: the same as the `tc1` command."""

import sys

from .cli import main

sys.exit(main())
