"""The project's image, built with buildah and run without a container engine.

``build_image`` runs scripts/build-image.sh (buildah on a Debian base made locally; no registry
outside this machine is needed). ``Container`` runs commands in the built image the way a pod with
the chart's securityContext would: as the image's user, with the image's environment, working
directory and entrypoint, the root file system read-only and only the given volumes writable.

buildah provides the root file system (``buildah from`` + ``buildah mount``); the rest is
``unshare --mount --pid --fork`` and tests/support/container_init.py (bind mounts, chroot, setuid),
because ``buildah run`` cannot make the root read-only (with a read-only root it fails when it
cleans up after the command, losing the command's exit status) and ``podman run`` cannot start on
this kernel (setrlimit RLIMIT_NOFILE is refused). The network namespace is the host's, so loopback
services (registry, forge fakes) are reachable at 127.0.0.1 as in the other tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build-image.sh"
INIT = Path(__file__).with_name("container_init.py")


class NotAvailable(Exception):
    """What this machine lacks to build or run the image; the tests skip with this message."""


@dataclass(frozen=True)
class BuiltImage:
    image_id: str
    buildah: tuple[str, ...]  # buildah with the storage options the build used
    build_log: str

    def inspect(self) -> dict[str, Any]:
        out = subprocess.run(
            [*self.buildah, "inspect", "--type", "image", self.image_id], check=True, capture_output=True, text=True
        ).stdout
        data: dict[str, Any] = json.loads(out)
        return data

    @property
    def config(self) -> dict[str, Any]:
        """The Docker image config's ``config`` (User, Env, Entrypoint, Cmd, Volumes, Healthcheck …)."""
        config: dict[str, Any] = self.inspect()["Docker"]["config"]
        return config


def missing_tools() -> str | None:
    if sys.platform != "linux":
        return "building and running the image needs Linux"
    if os.geteuid() != 0:
        return "building and running the image without a container engine needs root (mounts, chroot)"
    for tool in ("buildah", "mmdebstrap", "unshare", "mount"):
        if not shutil.which(tool):
            return f"{tool} is not installed: bash scripts/setup.sh installs it (apt)"
    return None


def build_image() -> BuiltImage:
    """Build (or reuse from the cache) the image of this checkout; the script's output is kept."""
    reason = missing_tools()
    if reason:
        raise NotAvailable(reason)
    with tempfile.TemporaryDirectory(prefix="image-build-") as scratch:
        result = Path(scratch) / "result"
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT), "localhost/image-updater:test"],
            env={**os.environ, "IMAGE_BUILD_RESULT": str(result)},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/build-image.sh failed ({proc.returncode}):\n{log[-6000:]}")
        image_id, *buildah = result.read_text().split("\n")[:-1]
    built = BuiltImage(image_id=image_id, buildah=tuple(buildah), build_log=log)
    remove_stale_containers(built)
    return built


def remove_stale_containers(image: BuiltImage) -> None:
    """Root file systems left by test runs that were killed (their pid is in the name) are removed."""
    names = subprocess.run(
        [*image.buildah, "containers", "--format", "{{.ContainerName}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        match = re.fullmatch(r"image-updater-test-(\d+)-[0-9a-f]+", name)
        if match and not Path(f"/proc/{match[1]}").exists():
            subprocess.run([*image.buildah, "rm", name], check=False, capture_output=True)


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = False


class Container:
    """One root file system made from the image; every ``run``/``start`` is a fresh process 1 on it."""

    def __init__(self, image: BuiltImage) -> None:
        self.image = image
        self.config = image.config
        self._name = f"image-updater-test-{os.getpid()}-{id(self):x}"
        subprocess.run(
            [*image.buildah, "from", "--pull=never", "--name", self._name, image.image_id],
            check=True,
            capture_output=True,
        )
        self.rootfs = subprocess.run(
            [*image.buildah, "mount", self._name], check=True, capture_output=True, text=True
        ).stdout.strip()

    def remove(self) -> None:
        subprocess.run([*self.image.buildah, "rm", self._name], check=False, capture_output=True)

    @property
    def user(self) -> tuple[int, int]:
        uid, _, gid = str(self.config["User"]).partition(":")
        return int(uid), int(gid or uid)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(item.split("=", 1) for item in self.config.get("Env") or [])
        env.update(extra or {})
        return env

    def command(
        self,
        args: Sequence[str] | None = None,
        *,
        entrypoint: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        mounts: Sequence[Mount] = (),
    ) -> list[str]:
        """The host command line running ``entrypoint + args`` in the image (defaults: the image's)."""
        if entrypoint is None:
            entrypoint = self.config.get("Entrypoint") or []
        if args is None:
            args = self.config.get("Cmd") or []
        argv = [*entrypoint, *args]
        uid, gid = self.user
        spec = {
            "rootfs": self.rootfs,
            "cwd": self.config.get("WorkingDir") or "/",
            "uid": uid,
            "gid": gid,
            "env": self.environment(env),
            "argv": argv,
            "mounts": [{"source": str(m.source), "target": m.target, "read_only": m.read_only} for m in mounts],
        }
        return [
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            sys.executable,
            "-I",
            str(INIT),
            json.dumps(spec),
        ]

    def run(
        self,
        args: Sequence[str] | None = None,
        *,
        timeout: float = 120,
        **kwargs: Any,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(args, **kwargs), capture_output=True, text=True, timeout=timeout)

    def start(self, args: Sequence[str] | None = None, *, log: Path, **kwargs: Any) -> Started:
        with open(log, "wb") as out:
            process = subprocess.Popen(self.command(args, **kwargs), stdout=out, stderr=subprocess.STDOUT)
        return Started(process, log)


@dataclass
class Started:
    """A running container: ``unshare`` on the host, and below it the container's process 1."""

    process: subprocess.Popen[bytes]
    log: Path

    def pid1(self) -> int:
        """The host PID of the container's process 1 (unshare's only child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM to process 1, as the kubelet sends it; returns the container's exit status."""
        os.kill(self.pid1(), signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # --kill-child takes process 1 (and the namespace) with it
            self.process.wait(30)
