"""The headless risk engine a bot imports: sizing, caps, market rules, safety rails and runtime state.

Standard library plus filelock, tomli-w and (for the harness's prices in and rows out) orjson; never
textual, rich or watchfiles.
"""

from .config import OverlayConfig, PolicyConfig
from .core import CloseResult, OpenResult, RiskEngine
from .errors import (ConfigError, InputError, InvalidExitError, StateError, Tc1Error,
                     UnknownTradeError)
from .live import LiveRisk, init_risk, risk_close, risk_mark, risk_try_open

__all__ = [
    "CloseResult", "ConfigError", "LiveRisk", "init_risk", "risk_close", "risk_mark", "risk_try_open", "InputError", "InvalidExitError", "OpenResult", "OverlayConfig",
    "PolicyConfig", "RiskEngine", "StateError", "Tc1Error", "UnknownTradeError",
]
