"""`tc1 init DIR` and the errors for a root that is not there (docs/console.md command line: "`tc1 init DIR`:
a new root from the packaged defaults"; docs/engine.md section 1: configs are found under the root's
configs/). Real processes on real folders; the wheel test installs a built wheel, not this checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from cli_tools import assert_one_line_error, make_root, tc1
from tc1console.engine import config, store

REPO = Path(__file__).resolve().parents[2]


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_writes_the_default_configs_and_an_empty_runtime_then_names_the_next_commands(tmp_path: Path) -> None:
    root = tmp_path / "nested" / "live"
    proc = tc1("init", str(root))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    for kind, stem in config.STEMS.items():  # written by the project's own writer, as shipped
        assert (root / "configs" / f"{stem}.toml").read_text() == config.default_text(kind)
    assert sorted(p.name for p in (root / "configs").iterdir()) == ["risk_overlay.toml", "risk_policy.toml"]
    assert (root / "runtime").is_dir() and not list((root / "runtime").iterdir())
    assert f"tc1 console --root {root}" in proc.stdout and f"TC1_ROOT={root}" in proc.stdout
    # The new root works at once: a read-only view, then the bot's first call.
    assert tc1("dashboard", root=root).returncode == 0
    assert tc1("policy", "reset", root=root).returncode == 0
    assert (root / "runtime" / store.JOURNAL_FILE).exists()


def test_init_into_an_existing_folder_without_a_root_keeps_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert tc1("init", str(tmp_path)).returncode == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "configs").is_dir()


def test_init_refuses_an_existing_root_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    live = make_root(tmp_path / "live")
    (live / "configs" / "risk_policy.toml").write_text("daily_loss_cap = 50.0\n")  # someone's edit
    state_only = tmp_path / "state-only"
    (state_only / "runtime").mkdir(parents=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for target, fragment in ((live, "already a root"), (state_only, "already a root"), (a_file, "not a folder")):
        before = files_under(tmp_path)
        proc = tc1("init", str(target))
        assert proc.returncode == 2
        assert_one_line_error(proc, str(target), fragment, "nothing written")
        assert files_under(tmp_path) == before
    assert not (state_only / "configs").exists()


def test_a_missing_root_folder_is_named_as_missing_and_nothing_is_created(tmp_path: Path) -> None:
    """`--root /nonexistent` says the folder itself is missing and what to run; no command (not even
    one that writes, nor the console) leaves a runtime/ folder behind."""
    missing = tmp_path / "nope"
    for args in (["dashboard"], ["policy", "show"], ["policy", "reset"], ["state", "rebuild"],
                 ["demo", "--count", "1"], ["console"]):
        proc = tc1(*args, root=missing)
        assert proc.returncode == 2
        assert_one_line_error(proc, f"{missing}: no such folder", f"tc1 init {missing}", "--root")
    assert not missing.exists()


def test_a_folder_without_configs_says_what_it_holds_and_suggests_init(tmp_path: Path) -> None:
    (tmp_path / "trades.csv").write_text("")
    (tmp_path / "notes").mkdir()
    for args in (["dashboard"], ["policy", "reset"], ["console"]):
        proc = tc1(*args, root=tmp_path)
        assert_one_line_error(proc, f"{tmp_path / 'configs'} not found", "holds notes/, trades.csv",
                              "tc1 init", "--root")
    assert not (tmp_path / "runtime").exists()  # not a root: nothing is made in it


def test_a_missing_config_file_names_its_folder_and_what_is_there(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    (root / "configs" / "risk_policy.toml").unlink()
    proc = tc1("dashboard", root=root)
    assert_one_line_error(proc, "risk_policy.toml not found", "configs/ holds risk_overlay.toml", "tc1 init",
                          "--root")


def test_a_built_wheel_inits_a_root_without_the_repositorys_configs(tmp_path: Path) -> None:
    """The default configs ship inside the package: a wheel installed elsewhere (not this checkout,
    not its configs/ folder) makes a working root."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("tc1console-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tc1console/engine/root.py" in names and not any(n.endswith(".toml") for n in names)

    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "TC1_ROOT"}, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import tc1console; print(tc1console.__file__)"],
                           capture_output=True, text=True, cwd=work, env=env, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr  # the installed copy
    made = subprocess.run([sys.executable, "-m", "tc1console", "init", "live"], capture_output=True, text=True,
                          cwd=work, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    for kind, stem in config.STEMS.items():
        assert (work / "live" / "configs" / f"{stem}.toml").read_text() == config.default_text(kind)
    shown = subprocess.run([sys.executable, "-m", "tc1console", "dashboard", "--root", "live"], capture_output=True,
                           text=True, cwd=work, env=env, timeout=60)
    assert shown.returncode == 0 and "10,000.00" in shown.stdout, shown.stderr
