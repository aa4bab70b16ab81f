"""Cash flows in the console's balance card and equity panel (docs/live.md section 6: trading PnL is
shown apart from net flows; equity points mark flows). Found by use: after `tc1 state adopt` of a
hand-edited balance, the balance card showed the adopted difference as today's profit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from console_tools import shown

from tc1console.console.fixtures import FIXED_NOW_MS, write_default_configs
from tc1console.console.screenshots import demo_app
from tc1console.console.widgets.equity_panel import EquityPanel
from tc1console.console.widgets.summary_cards import BalanceCard
from tc1console.engine import store
from tc1console.engine.live import LiveRisk
from tc1console.engine.numbers import signed_money

pytestmark = pytest.mark.anyio
OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


@pytest.fixture
def flowed(tmp_path: Path) -> tuple[Path, float, float]:
    """Today (by the console's fixed clock): a win, a balance raised by hand and adopted, a deposit."""
    root = tmp_path / "root"
    write_default_configs(root)
    live = LiveRisk(root)
    live.try_open(trade_id="won", entry_ts_ms=FIXED_NOW_MS - 60_000, **OPEN)
    pnl = live.close(trade_id="won", exit_ts_ms=FIXED_NOW_MS - 30_000, exit_price=3_030.0)["pnl_after_fees"]
    path = root / "runtime" / store.STATE_FILE
    doc = json.loads(path.read_bytes())
    doc["balance"] += 1_234.5
    path.write_text(json.dumps(doc))
    adopted = store.Store(root).adopt(by="test", ts_ms=FIXED_NOW_MS - 20_000)["adjustment"]
    live.adjust_balance(100.0, "top up", FIXED_NOW_MS - 10_000, by="test")
    return root, pnl, adopted + 100.0


async def test_balance_card_shows_todays_trading_apart_from_adopted_and_deposited_flows(flowed) -> None:
    root, pnl, flows = flowed
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        card = shown(app.main.query_one(BalanceCard))
        assert f"flows {signed_money(flows)}" in card
        today = next(line for line in card.splitlines() if line.startswith("today"))
        assert today.split()[-1] == signed_money(pnl)  # the trade's PnL alone, not the flows
        assert app.snapshot.balance.change_today == pytest.approx(pnl)
        equity = shown(app.main.query_one(EquityPanel).query_one("#equity-range"))
        assert "1 close, 2 flows" in equity
