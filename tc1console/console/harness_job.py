"""One harness run in a child process (harness_runner), seen from the console: start, read, cancel.

No Textual here: the launcher screen drives a HarnessJob from a thread worker and turns what
`events()` yields into messages for the UI. The child runs in its own session, so a Ctrl+C meant
for the terminal never reaches it; the console ends it with SIGTERM (the harness then cleans up),
and with SIGKILL if it does not stop within KILL_AFTER_S.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import tc1console

KILL_AFTER_S = 10.0  # a cancelled run that has not stopped by then is killed
NOISE_KEPT = 20  # lines of non-JSON output kept to explain a crash


class JobRequest(Protocol):
    """What a child job needs: its command line, and the folder it writes into."""

    out_dir: Path

    def command(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class LiveWindow:
    """The live trades of the last `days` days before `now_ms` (the app's clock), from `root`'s journal."""

    root: Path
    days: int
    now_ms: int


@dataclass(frozen=True, slots=True)
class HarnessRequest:
    trades_csv: Path
    risk_config: Path
    policy_config: Path | None
    out_dir: Path
    live: LiveWindow | None = None  # re-run the live trades: exported into out_dir/trades.csv first

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "tc1console.console.harness_runner"]
        if self.live is None:
            cmd += ["--trades-csv", str(self.trades_csv)]
        else:
            cmd += ["--live-root", str(self.live.root), "--live-days", str(self.live.days),
                    "--now-ms", str(self.live.now_ms)]
        cmd += ["--risk-config", str(self.risk_config), "--out-dir", str(self.out_dir)]
        if self.policy_config is not None:
            cmd += ["--policy-config", str(self.policy_config)]
        return cmd


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: "done" (with the summary), "cancelled" or "error" (with one line)."""

    status: str
    text: str = ""
    summary: dict[str, Any] | None = None


def _child_env() -> dict[str, str]:
    """The console's environment, with this package importable whatever the child's working folder."""
    env = dict(os.environ)
    package_parent = str(Path(tc1console.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class HarnessJob:
    """A started harness process and the lines it reports. `cancel()` is safe from any thread.

    The same for any child that speaks these JSON lines (sweep_job.SweepJob): RESULT_KEY names the
    final line's key that means "done", WHAT the child in a message."""

    RESULT_KEY = "summary"
    WHAT = "harness"

    def __init__(self, request: JobRequest, kill_after_s: float = KILL_AFTER_S) -> None:
        self.request = request
        self.kill_after_s = kill_after_s
        self.proc: subprocess.Popen[str] | None = None
        self.final: dict[str, Any] | None = None  # the last line: summary, error or cancelled
        self.noise: list[str] = []  # anything else it printed (a traceback, a warning)
        self.cancel_requested = threading.Event()
        self._kill_timer: threading.Timer | None = None

    def start(self) -> None:
        """Start the child. Raises OSError when it cannot be started."""
        self.proc = subprocess.Popen(self.request.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, encoding="utf-8", bufsize=1,
                                     env=_child_env(), start_new_session=True)
        if self.cancel_requested.is_set():  # cancelled before it even started
            self._terminate()

    def events(self) -> Iterator[dict[str, Any]]:
        """Progress lines ({"done", "total"}) as they come; the final line is kept in `final`."""
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                doc = json.loads(line)
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                if line.strip():
                    self.noise = [*self.noise[-(NOISE_KEPT - 1):], line.rstrip("\n")]
                continue
            if "done" in doc and "total" in doc:
                yield doc
            else:
                self.final = doc

    def wait(self) -> Outcome:
        """Wait for the child to exit and say how the run ended."""
        assert self.proc is not None
        code = self.proc.wait()
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        final = self.final or {}
        if isinstance(final.get(self.RESULT_KEY), dict):
            return Outcome("done", "", final[self.RESULT_KEY])
        if "cancelled" in final or (self.cancel_requested.is_set() and code != 0):
            return Outcome("cancelled", str(final.get("cancelled") or f"{self.WHAT} run cancelled"))
        if final.get("error"):
            return Outcome("error", str(final["error"]))
        last = self.noise[-1] if self.noise else ""
        return Outcome("error", f"the {self.WHAT} process ended with exit code {code}" + (f": {last}" if last else ""))

    def run_to_end(self, progress: Callable[[int, int], None], load: Callable[[Path], Any],
                   out_created: bool) -> tuple[Outcome, Any]:
        """Start the child, relay its progress, and say how it ended, with its result read back by
        `load` from the output folder when done (None otherwise); a folder made for this run and
        left empty by it is removed. For a worker thread: never raises."""
        try:
            self.start()
            for event in self.events():
                progress(int(event["done"]), int(event["total"]))
            outcome = self.wait()
        except Exception as exc:  # noqa: BLE001 - cannot start it, or a broken pipe: shown, not raised
            self.cancel()
            outcome = Outcome("error", f"the {self.WHAT} could not run: {exc.__class__.__name__}: {exc}")
        result = None
        if outcome.status == "done":
            try:
                result = load(self.request.out_dir)
            except (OSError, ValueError) as exc:
                outcome = Outcome("error", f"the {self.WHAT} finished but cannot be read back: {exc}")
        elif out_created:
            try:
                self.request.out_dir.rmdir()
            except OSError:
                pass
        return outcome, result

    def cancel(self) -> None:
        """Ask the run to stop (SIGTERM: the harness deletes its partial files); kill it if it hangs."""
        self.cancel_requested.set()
        self._terminate()

    def _terminate(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return
        if self._kill_timer is None:
            self._kill_timer = threading.Timer(self.kill_after_s, self._kill)
            self._kill_timer.daemon = True
            self._kill_timer.start()

    def _kill(self) -> None:
        """SIGKILL to the child's whole process group (its own session): a sweep's forked workers
        go with it. SIGTERM went to the child alone, so that it could stop its workers itself."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
