"""The command line as a real process: ``python -m image_updater``, and a reader that goes away (``| head``)."""

from __future__ import annotations

import os
import subprocess
import sys

from image_updater import __version__
from tests.conftest import ROOT
from tests.support.registry import RegistryServer


def test_python_dash_m_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "image_updater", "version"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"image-updater {__version__}\n", "")
    usage = subprocess.run([sys.executable, "-m", "image_updater"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage: image-updater" in usage.stderr


def _with_closed_stdout(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe nobody reads any more: every write fails with EPIPE, as after ``head`` exits."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # before the child writes anything, so the outcome does not depend on timing
    try:
        return subprocess.run(
            [sys.executable, "-m", "image_updater", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_a_reader_that_went_away_ends_the_test_command_quietly(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", [f"1.{minor}.0" for minor in range(12)])
    result = _with_closed_stdout("test", f"{registry.host}/team/web", "--insecure", "--semver", "^1")
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.stderr == ""
    assert result.returncode == 141  # what a shell reports for SIGPIPE, as `git log | head` does


def test_a_reader_that_went_away_ends_version_quietly() -> None:
    result = _with_closed_stdout("version")
    assert (result.returncode, result.stderr) == (141, "")


def test_test_command_piped_into_head(registry: RegistryServer) -> None:
    """The shell pipeline itself: ``head`` may exit before or after the last write; either way no traceback."""
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", [f"1.{minor}.0" for minor in range(12)])
    command = f"{sys.executable} -m image_updater test {registry.host}/team/web --insecure --semver '^1' | head -n 2"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines() == [f"image:   {registry.host}/team/web", "current: (none)"]
    assert result.stderr == "" and result.returncode == 0
