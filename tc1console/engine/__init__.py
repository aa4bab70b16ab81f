"""The headless risk engine a bot imports: sizing, caps, market rules, safety rails and runtime state.

Standard library plus filelock and tomli-w (orjson, when installed, only speeds up reading a float's
shortest digits); never textual, rich, watchfiles or the backtest harness (`tc1console.backtest`,
which drives this engine).
"""

from .config import OverlayConfig, PolicyConfig
from .core import CancelResult, CloseResult, FillResult, FlowResult, OpenResult, RiskEngine
from .errors import (ConfigError, InputError, InvalidExitError, NotRecordedError, StateError, Tc1Error,
                     UnknownTradeError)
from .live import (LiveRisk, init_risk, risk_adjust_balance, risk_cancel, risk_close, risk_fill, risk_mark,
                   risk_pause, risk_resume, risk_status, risk_try_open)

__all__ = [
    "CancelResult", "CloseResult", "ConfigError", "FillResult", "FlowResult", "InputError", "InvalidExitError",
    "LiveRisk", "NotRecordedError", "OpenResult", "OverlayConfig", "PolicyConfig", "RiskEngine", "StateError",
    "Tc1Error", "UnknownTradeError", "init_risk", "risk_adjust_balance", "risk_cancel", "risk_close", "risk_fill",
    "risk_mark", "risk_pause", "risk_resume", "risk_status", "risk_try_open",
]
