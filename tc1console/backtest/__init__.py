"""The backtest harness: a trades CSV replayed through the engine's RiskEngine (ENGINE.md §5).

Next to the engine, not inside it: the bot imports `tc1console.engine`, which loads nothing of this.
"""
