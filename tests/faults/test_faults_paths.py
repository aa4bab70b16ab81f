"""runtime/ and its files in odd shapes (issue 19 item 2; README "runtime/"): a file or a symlink
loop where the runtime folder belongs, and a folder where a state file belongs, are one StateError
naming the path, `tc1` prints one line with exit 2, and nothing is written, not even a temp file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli_tools import assert_one_line_error, tc1
from live_tools import T0, files, make_root
from tc1console.engine import store
from tc1console.engine.errors import StateError
from tc1console.engine.live import LiveRisk

OPEN = dict(symbol="ETHUSDT", is_long=True, entry_price=3_000.0, stop_price=2_970.0)


def _runtime_file(root: Path) -> None:
    (root / "runtime").write_text("not a folder")


def _runtime_loop(root: Path) -> None:
    os.symlink(root / "runtime", root / "runtime")


@pytest.mark.parametrize("spoil", [_runtime_file, _runtime_loop], ids=["a file", "a symlink loop"])
def test_runtime_that_is_not_a_folder_is_one_state_error(tmp_path: Path, spoil) -> None:
    root = make_root(tmp_path / "root")
    spoil(root)
    with pytest.raises(StateError, match="runtime"):
        LiveRisk(root)
    for args in (("dashboard",), ("state", "rebuild"), ("policy", "reset")):
        assert_one_line_error(tc1(*args, root=root), "runtime")
    assert os.path.islink(root / "runtime") or (root / "runtime").read_text() == "not a folder"


@pytest.mark.parametrize("name", [store.STATE_FILE, store.POLICY_FILE])
def test_rebuild_over_a_state_path_that_is_a_folder_writes_nothing(tmp_path: Path, name: str) -> None:
    """Refused before either file is written (the message says nothing was changed, and it is so),
    and no temporary file is left behind."""
    root = make_root(tmp_path / "root")
    LiveRisk(root).try_open(trade_id="a", entry_ts_ms=T0, **OPEN)
    runtime = root / "runtime"
    (runtime / store.STATE_FILE).write_text("damaged")  # what a rebuild is run for
    (runtime / name).unlink(missing_ok=True)
    (runtime / name).mkdir()
    before = files(root)
    with pytest.raises(StateError, match="nothing was changed"):
        store.Store(root).rebuild()
    line = assert_one_line_error(tc1("state", "rebuild", root=root), name)
    assert "nothing was changed" in line
    assert files(root) == before
    assert sorted(p.name for p in runtime.iterdir()) == sorted({".lock", store.JOURNAL_FILE, store.STATE_FILE,
                                                                store.POLICY_FILE})
    (runtime / name).rmdir()
    assert store.Store(root).rebuild()["open_positions"] == 1  # moved away: the rebuild goes through
    assert not list(runtime.glob(".*.tmp"))
