"""Write SVG screenshots of the console from the fixed demo state: `python -m tc1console.console.screenshots`.

    python -m tc1console.console.screenshots [--out screenshots/]

Builds the demo root in a temporary folder, runs the app headless at a fixed clock with no watcher,
and saves the main screen at 120x40 and 80x24, the help screen, and the banner a corrupt file shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from .app import Tc1ConsoleApp  # noqa: E402 - after the environment is set
from .fixtures import build_demo_root, fixed_clock  # noqa: E402

DEMO_LABEL = "~/tc1-demo"
SHOTS: tuple[tuple[str, tuple[int, int], tuple[str, ...], bool], ...] = (
    # file name, terminal size, keys to press, corrupt the state file first
    ("console-120x40.svg", (120, 40), (), False),
    ("console-80x24.svg", (80, 24), (), False),
    ("console-help-120x40.svg", (120, 40), ("question_mark",), False),
    ("console-banner-120x40.svg", (120, 40), (), True),
)


def demo_app(root: Path) -> Tc1ConsoleApp:
    """The app as the snapshot tests and screenshots see it: fixed clock, no watcher, no animation."""
    app = Tc1ConsoleApp(root, clock=fixed_clock, watch=False, label=DEMO_LABEL)
    app.animation_level = "none"
    return app


def corrupt_state(root: Path) -> None:
    """Leave runtime/risk_state.json half-written, as a crashed hand edit would."""
    path = Path(root) / "runtime" / "risk_state.json"
    path.write_bytes(path.read_bytes()[:200])


async def _shoot(root: Path, out: Path, name: str, size: tuple[int, int], keys: tuple[str, ...],
                 corrupt: bool) -> Path:
    app = demo_app(root)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if corrupt:
            corrupt_state(root)
            app.action_reload()
            await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        svg = app.export_screenshot(title="tc1 console")
    path = out / name
    path.write_text(svg, encoding="utf-8")
    return path


async def write_screenshots(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, keys, corrupt in SHOTS:
        with tempfile.TemporaryDirectory(prefix="tc1-shots-") as tmp:
            root = build_demo_root(Path(tmp) / "tc1-demo")
            written.append(await _shoot(root, out, name, size, keys, corrupt))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tc1console.console.screenshots",
                                     description="Write SVG screenshots of the console from a fixed demo state.")
    parser.add_argument("--out", default="screenshots", help="folder to write the SVGs into (default: screenshots/)")
    args = parser.parse_args(argv)
    for path in asyncio.run(write_screenshots(Path(args.out))):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
