"""A new root of one's own (`tc1 init DIR`): the packaged default configs and an empty runtime/.

The defaults are `config.DEFAULTS`, Python data inside the package, rendered by the project's own
writer (`config.default_text`), so a wheel install needs no configs/ folder from the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from . import config as cfg
from .errors import InputError
from .store import atomic_write, resolve_root

CONFIGS, RUNTIME = "configs", "runtime"


def write_default_configs(root: str | os.PathLike[str]) -> list[Path]:
    """Write the shipped default configs into root/configs/ (created if missing); returns the files."""
    folder = Path(root) / CONFIGS
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, stem in cfg.STEMS.items():
        path = folder / f"{stem}.toml"
        atomic_write(path, cfg.default_text(kind).encode("utf-8"))
        written.append(path)
    return written


def init_root(path: str | os.PathLike[str]) -> list[Path]:
    """Make `path` a new root: configs/ with the default configs and an empty runtime/.

    Refuses, writing nothing, when `path` already holds a configs/ or runtime/ folder (an existing
    root: its configs and state are someone's live account) or is not a folder. An existing folder
    without either (an empty one, a home folder) is fine. Returns the config files, then runtime/.
    """
    root = resolve_root(path)
    if root.exists() and not root.is_dir():
        raise InputError(f"{root}: exists and is not a folder; nothing written")
    taken = [f"{name}/" for name in (CONFIGS, RUNTIME) if (root / name).exists()]
    if taken:
        raise InputError(f"{root} is already a root (it holds {' and '.join(taken)}); nothing written: "
                         f"use it with --root {root}, or pick a new folder")
    made_root = not root.exists()
    created: list[Path] = []
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / CONFIGS).mkdir()  # not exist_ok: a root made meanwhile by someone else is not ours to fill
        created.append(root / CONFIGS)
        files = write_default_configs(root)
        (root / RUNTIME).mkdir()
        created.append(root / RUNTIME)
    except OSError:
        # Half a root would be refused as "already a root" next time: take back what was made.
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        if made_root:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return [*files, root / RUNTIME]
