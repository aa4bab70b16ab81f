"""The headless risk engine a bot imports: sizing, caps, market rules, safety rails and runtime state.

Standard library plus filelock and tomli-w; never textual, rich, watchfiles or the backtest harness
(`tc1console.backtest`, which drives this engine).
"""

from .config import OverlayConfig, PolicyConfig
from .core import CloseResult, OpenResult, RiskEngine
from .errors import (ConfigError, InputError, InvalidExitError, StateError, Tc1Error,
                     UnknownTradeError)
from .live import LiveRisk, init_risk, risk_close, risk_try_open

__all__ = [
    "CloseResult", "ConfigError", "LiveRisk", "init_risk", "risk_close", "risk_try_open", "InputError", "InvalidExitError", "OpenResult", "OverlayConfig",
    "PolicyConfig", "RiskEngine", "StateError", "Tc1Error", "UnknownTradeError",
]
