"""SIGTERM on a real process: the cycle in flight completes, then the process exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "service_sigterm_app.py"


def _expect(process: subprocess.Popen[str], line: str) -> str:
    assert process.stdout is not None
    got = process.stdout.readline().strip()
    assert got.startswith(line), (got, line)
    return got


def test_sigterm_finishes_the_cycle_in_flight_then_exits_cleanly(tmp_path: Path) -> None:
    release = tmp_path / "release"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(release)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    watchdog = threading.Timer(60, process.kill)  # a hung child must fail the test, not block it
    watchdog.start()
    try:
        port = int(_expect(process, "listening").split()[1])
        _expect(process, "cycle-started")
        process.send_signal(signal.SIGTERM)
        _expect(process, "shutdown-requested")
        # Still draining: alive, and still answering health checks, while the "push" is in flight.
        assert process.poll() is None
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        release.touch()
        _expect(process, "cycle-finished")
        _expect(process, "stopped")
        assert process.wait(timeout=20) == 0
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    log = process.stderr.read()
    assert '"event": "shutdown requested"' in log and '"event": "cycle finished"' in log
