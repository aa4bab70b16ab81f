"""tc1console: risk overlay, position sizing and safety rails for a trading bot, plus its console."""

__version__ = "0.1.0"
