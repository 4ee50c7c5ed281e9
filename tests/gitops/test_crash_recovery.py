"""``kill -9`` image-updater at every stage of its git work, repeatedly: the next run always converges.

The work dir survives each kill (as the chart's emptyDir survives a container restart). A wrapper
``git`` on PATH (tests/support/git_stall.py) pauses real git inside the stage, holding whatever git
holds there; the whole process group is then killed, as a container's are. The next ``run --once``
must succeed and land the update, exactly once, without forcing anything on the remote.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import git_stall
from tests.support.gitrepo import BareRemote, git, make_remote
from tests.support.registry import ImagePusher, RegistryServer

KILLS_PER_STAGE = 2
WAIT = 90.0  # seconds a run may take to reach its stage or to finish; a guard against hangs


def _deployment(host: str, stage: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        f"      containers:\n        - name: web\n          image: {host}/{stage}/web:1.0.0\n"
    )


class Rig:
    """One stage's remote, image and work dir; ``kill_at`` and ``converge`` drive the CLI."""

    def __init__(self, base: Path, stage: str, registry: RegistryServer, env: dict[str, str]) -> None:
        self.base, self.stage, self.registry = base, stage, registry
        base.mkdir()
        self.remote: BareRemote = make_remote(
            base, {"deploy/web.yaml": _deployment(registry.host, stage), ".gitattributes": "* filter=stall\n"}
        )
        self.remote.keep_reflog()
        self.workdir = base / "checkout"
        self.config = base / "config.yaml"
        self.config.write_text(
            f"registries:\n  - {{name: local, url: {registry.url}, prefix: {registry.host}, insecure: true}}\n"
            f"git:\n  url: {self.remote.url}\n  author: {{name: image-updater, email: bot@example.com}}\n"
            f"  workdir: {self.workdir}\n"
            f'images:\n  - name: web\n    image: {registry.host}/{stage}/web\n    policy: {{semver: "^1.0"}}\n'
        )
        self.env = {
            **os.environ,
            "IU_REAL_GIT": env["IU_REAL_GIT"],
            "IU_STALL_TOOLS": env["IU_STALL_TOOLS"],
            "PATH": f"{env['PATH_PREFIX']}:{os.environ['PATH']}",
        }
        self.person = 0

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "image_updater.cli", "run", "--once", "--config", str(self.config)]

    def next_update(self, pusher: ImagePusher, n: int) -> str:
        """A newer tag to land, and a person's commit so the remote moved since the last run."""
        tag = f"1.0.{n}"
        pusher.push_image(f"{self.stage}/web", tag)
        self.person += 1
        self.remote.commit_as_human(self.base, {f"notes/{self.person}.txt": f"note {self.person}\n"}, "person note")
        return tag

    def kill_at(self, n: int) -> None:
        """Start a run that stalls at the stage, and kill its process group once it is there."""
        if self.stage == "clone":
            shutil.rmtree(self.workdir, ignore_errors=True)  # a clone only happens into an empty work dir
        flag = self.base / f"stalled-{n}"
        env = {**self.env, "IU_STALL": self.stage, "IU_STALL_FLAG": str(flag)}
        process = subprocess.Popen(
            self._command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + WAIT
        while not flag.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        reached = flag.exists()
        with contextlib.suppress(ProcessLookupError):  # it may have ended without reaching the stage
            os.killpg(process.pid, signal.SIGKILL)
        out = process.communicate()[0].decode(errors="replace")
        assert reached, f"stage {self.stage} was never reached (exit {process.returncode}):\n{out[-3000:]}"

    def converge(self) -> tuple[int, str]:
        done = subprocess.run(self._command(), env=self.env, capture_output=True, text=True, timeout=WAIT)
        return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_a_kill_at_any_stage_leaves_a_checkout_the_next_run_converges_from(
    registry: RegistryServer, tmp_path: Path
) -> None:
    env = git_stall.install(tmp_path / "stall")
    with registry.pusher() as pusher:
        for stage in git_stall.STAGES:
            pusher.push_image(f"{stage}/web", "1.0.0")
    rigs = [Rig(tmp_path / stage, stage, registry, env) for stage in git_stall.STAGES]
    results: dict[str, list[tuple[int, str, str]]] = {}  # stage → (rc, tag, output) per kill
    failures: list[str] = []

    def drive(rig: Rig) -> None:
        try:
            if rig.stage == "fetch":  # a fetch (not a clone) needs a checkout to fetch into
                rc, out = rig.converge()
                assert rc == 0, out
            with registry.pusher() as pusher:
                for n in range(1, KILLS_PER_STAGE + 1):
                    tag = rig.next_update(pusher, n)
                    rig.kill_at(n)
                    rc, out = rig.converge()
                    results.setdefault(rig.stage, []).append((rc, tag, out))
                    if rc != 0:
                        break  # stuck: later kills would only repeat it
        except BaseException as exc:  # reported below, with the stage
            failures.append(f"{rig.stage}: {exc}")

    threads = [threading.Thread(target=drive, args=(rig,)) for rig in rigs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * KILLS_PER_STAGE * 3)
    assert not any(thread.is_alive() for thread in threads)
    kills = sum(len(runs) for runs in results.values())
    converged = sum(1 for runs in results.values() for rc, _, _ in runs if rc == 0)
    print(f"\ncrash recovery: {converged} of {kills} runs after a kill converged")
    not_converged = {stage: out[-1500:] for stage, runs in results.items() for rc, _, out in runs if rc != 0}
    assert not_converged == {}
    assert failures == []
    assert kills == len(git_stall.STAGES) * KILLS_PER_STAGE
    for rig in rigs:
        landed = rig.remote.read("deploy/web.yaml").decode()
        assert f"{rig.stage}/web:1.0.{KILLS_PER_STAGE}\n" in landed, rig.stage
        history = git(rig.remote.path, "log", "-p", "--format=commit %s", "main")
        for n in range(1, KILLS_PER_STAGE + 1):
            pushed = re.findall(rf"^\+ +image: \S+/{rig.stage}/web:1\.0\.{n}$", history, re.M)
            assert len(pushed) == 1, (rig.stage, n)  # landed exactly once, never twice
        assert rig.remote.log().count("person note") == KILLS_PER_STAGE  # the person's commits kept
        assert rig.remote.forced_updates() == []
