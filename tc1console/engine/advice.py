"""Risky config values, said once: the warnings `tc1 config check` prints and the cap editor shows.

Pure: two loaded configs, the balance they apply to and the symbols the bot trades in, a list of
(key, text) out, in the order of the rules below; no I/O. A warning is advice, never a refusal:
the loader (config.py) decides what is valid, this module what an operator should look at twice.
docs/engine.md section 1.4 lists the rules.

The rules, each with its threshold ("above" is strictly above):
- percent_risk above 2% of the balance per trade;
- flat_risk_amount above 2% of the balance while the balance is below flat_risk_until (the flat
  amount is then the per-trade budget in force);
- per_trade_risk_cap above 5% of the balance;
- daily_loss_cap above 10% of the balance;
- equity_floor unset (no balance stops new entries);
- max_leverage above 5, or unset (no limit at all);
- a fee of 0 bps for a symbol that is configured (symbol_overrides) or traded;
- a traded symbol without an override while other symbols have one (it gets the defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .config import OVERRIDES_KEY, OverlayConfig, PolicyConfig
from .numbers import money

MAX_PERCENT_RISK = 0.02  # of the balance, per trade (percent_risk, and flat_risk_amount while in force)
MAX_TRADE_CAP = 0.05  # per_trade_risk_cap, as a fraction of the balance
MAX_DAILY_CAP = 0.10  # daily_loss_cap, as a fraction of the balance
MAX_LEVERAGE = 5.0
STREAK = 10  # the losing run the percent_risk warning prices


@dataclass(frozen=True, slots=True)
class Advice:
    """One warning: the config key it is about (`symbol_overrides` for the symbol rules) and why."""

    key: str
    text: str


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.4g}%"


def _names(symbols: Iterable[str], shown: int = 5) -> str:
    names = sorted(symbols)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def advise(overlay: OverlayConfig, policy: PolicyConfig, balance: float,
           traded: Iterable[str] = ()) -> list[Advice]:
    """The warnings for these configs at `balance` ($; the state's, or initial_balance when there is
    no state yet), given the symbols the bot trades (from its state and journal)."""
    out: list[Advice] = []
    add = out.append
    of_balance = balance > 0  # a share of nothing means nothing: those rules wait for a balance

    if overlay.percent_risk > MAX_PERCENT_RISK:
        run = 1 - (1 - overlay.percent_risk) ** STREAK
        add(Advice("percent_risk", f"{overlay.percent_risk:g} risks {_pct(overlay.percent_risk)} of the balance "
                                   f"on each trade (above {_pct(MAX_PERCENT_RISK)}): {STREAK} losses in a row "
                                   f"would cost {_pct(run)} of it"))
    flat_in_force = balance < overlay.flat_risk_until
    if of_balance and flat_in_force and overlay.flat_risk_amount > MAX_PERCENT_RISK * balance:
        add(Advice("flat_risk_amount", f"{money(overlay.flat_risk_amount)} per trade is "
                                       f"{_pct(overlay.flat_risk_amount / balance)} of the balance "
                                       f"{money(balance)} (above {_pct(MAX_PERCENT_RISK)}); it is the budget "
                                       f"while the balance is below flat_risk_until "
                                       f"{money(overlay.flat_risk_until)}"))
    cap = overlay.per_trade_risk_cap
    if of_balance and cap is not None and cap > MAX_TRADE_CAP * balance:
        add(Advice("per_trade_risk_cap", f"{money(cap)} is {_pct(cap / balance)} of the balance {money(balance)} "
                                         f"(above {_pct(MAX_TRADE_CAP)}): one stop-out may cost that much"))
    daily = policy.daily_loss_cap
    if of_balance and daily is not None and daily > MAX_DAILY_CAP * balance:
        add(Advice("daily_loss_cap", f"{money(daily)} is {_pct(daily / balance)} of the balance {money(balance)} "
                                     f"(above {_pct(MAX_DAILY_CAP)}): a bad day may cost that much before "
                                     f"the rail stops new entries"))
    if policy.equity_floor is None:
        add(Advice("equity_floor", "unset: no balance stops new entries; set the floor below which the bot "
                                   "must stop opening trades"))
    lev = overlay.max_leverage
    if lev is None:
        add(Advice("max_leverage", "unset: open positions may reach any multiple of the balance in notional"))
    elif lev > MAX_LEVERAGE:
        add(Advice("max_leverage", f"{lev:g}x is above {MAX_LEVERAGE:g}x: open notional may reach "
                                   f"{money(lev * balance) if of_balance else f'{lev:g} times the balance'}"))

    traded = set(traded)
    overrides = overlay.symbol_overrides
    free = {s for s in set(overrides) | traded if overlay.rules_for(s).fee_bps == 0}
    if free:
        add(Advice("fee_bps_per_side", f"0 bps for {_names(free)}: sizing and PnL leave fees out; set the "
                                       f"exchange's fee (4 = 0.04% per side)"))
    bare = traded - set(overrides)
    if overrides and bare:
        add(Advice(OVERRIDES_KEY, f"{_names(bare)} {'is' if len(bare) == 1 else 'are'} traded without an "
                                  f"override while {len(overrides)} other symbol"
                                  f"{'s have' if len(overrides) != 1 else ' has'} one: "
                                  f"{'it gets' if len(bare) == 1 else 'they get'} default_qty_step "
                                  f"{overlay.default_qty_step:g}, default_min_qty {overlay.default_min_qty:g}, "
                                  f"default_min_notional {money(overlay.default_min_notional)}"))
    return out


def traded_symbols(positions: Iterable[Any], closes: Iterable[Any] = (),
                   events: Iterable[Mapping[str, Any]] = ()) -> set[str]:
    """The symbols a bot trades: its open positions (core.Position), the closes its state keeps
    (core.CloseResult), and the opens and closes among `events` (journal entries)."""
    found = {p.alloc.symbol for p in positions} | {c.symbol for c in closes}
    for e in events:  # an open's symbol is in its position record, a close's in its result
        part = e.get("position") if e.get("type") == "open" else e.get("result") if e.get("type") == "close" else None
        symbol = part.get("symbol") if isinstance(part, Mapping) else None
        if isinstance(symbol, str):  # a line edited by hand may hold anything
            found.add(symbol)
    return {s for s in found if isinstance(s, str) and s}


def lines(advice: Iterable[Advice]) -> list[str]:
    """`key: text`, one line per warning: how the CLI and the console both print them."""
    return [f"{a.key}: {a.text}" for a in advice]
