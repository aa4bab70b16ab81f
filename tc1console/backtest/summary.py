"""A backtest's figures: the running tally over its closes and summary.json (docs/harness.md)."""

from __future__ import annotations

from array import array
from typing import Any

from ..engine.core import INVALID_INPUT, RiskEngine
from .replay import Replayed
from .trades import Trades


class Tally:
    """Running figures over the closes, in close order (the equity curve's order)."""

    __slots__ = ("closes", "wins", "losses", "gross_profit", "gross_loss", "total_R", "total_fees",
                 "peak", "max_dd", "max_dd_pct")

    def __init__(self, balance: float) -> None:
        self.closes = self.wins = self.losses = 0
        self.gross_profit = self.gross_loss = self.total_R = self.total_fees = 0.0
        self.peak, self.max_dd, self.max_dd_pct = balance, 0.0, 0.0

    def add_batch(self, floats: array) -> None:
        """Add a batch's closes: `floats` holds seven per close (see replay.Batch.cfl), fees at 3,
        then pnl_after_fees, R_multiple and balance_after."""
        for fees, pnl, r_mult, balance in zip(floats[3::7], floats[4::7], floats[5::7], floats[6::7]):
            self.closes += 1
            if pnl > 0:
                self.wins += 1
                self.gross_profit += pnl
            elif pnl < 0:
                self.losses += 1
                self.gross_loss -= pnl
            self.total_R += r_mult
            self.total_fees += fees
            if balance > self.peak:
                self.peak = balance
            else:
                dd = self.peak - balance
                if dd > self.max_dd:
                    self.max_dd = dd
                if dd / self.peak > self.max_dd_pct:
                    self.max_dd_pct = dd / self.peak

    def state(self) -> tuple:
        """The figures as a tuple of numbers (to send to another process)."""
        return tuple(getattr(self, name) for name in self.__slots__)

    @classmethod
    def from_state(cls, state: tuple) -> "Tally":
        tally = cls(0.0)
        for name, value in zip(cls.__slots__, state):
            setattr(tally, name, value)
        return tally


def summary(engine: RiskEngine, t: Trades, r: Replayed, tally: Tally, paths: dict[str, str | None]) -> dict[str, Any]:
    """summary.json. Percentages are in percent (return_pct, max_drawdown_pct: of the running
    peak); win_rate is a fraction of closed trades with pnl_after_fees > 0; R figures and
    profit_factor (gross profit / gross loss, null with no loss) use pnl_after_fees; a figure
    with nothing to average is null. trades_in = taken + skipped + retried_opens: the rows the
    reader could not use are invalid_input skips too."""
    initial, final = engine.start_balance, engine.balance
    closes = tally.closes
    skipped = dict(r.skipped)
    skipped[INVALID_INPUT] += len(t.invalid)
    return {
        **paths,
        "initial_balance": initial,
        "final_balance": final,
        "return_pct": (final - initial) / initial * 100,
        "total_pnl": final - initial,
        "trades_in": len(t),
        "trades_taken": r.taken,
        "trades_skipped": sum(skipped.values()),
        "retried_opens": r.retried,
        "skipped_by_reason": skipped,
        "trades_closed": closes,
        "wins": tally.wins,
        "losses": tally.losses,
        "win_rate": tally.wins / closes if closes else None,
        "avg_R": tally.total_R / closes if closes else None,
        "total_R": tally.total_R,
        "gross_profit": tally.gross_profit,
        "gross_loss": tally.gross_loss,
        "profit_factor": tally.gross_profit / tally.gross_loss if tally.gross_loss else None,
        "total_fees": tally.total_fees,
        "peak_balance": tally.peak,
        "max_drawdown": tally.max_dd,
        "max_drawdown_pct": tally.max_dd_pct * 100,
        "peak_concurrency": r.peak_open,
        "peak_open_risk": r.peak_risk,
        "first_ts_ms": r.first_ts,
        "still_open": sorted(engine.positions),
    }
