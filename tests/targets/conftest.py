"""A fleet rig: one real registry behind a recording proxy, bare remotes served by ``git daemon``, and
settings with several targets, driven through the real CLI or one long-lived ``Updater``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.gitrepo import BareRemote, GitDaemon, git, make_remote, start_git_daemon
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy

ROOT = Path(__file__).resolve().parents[2]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {host}/team/{name}:{tag}
"""


@dataclass
class Fleet:
    registry: RegistryServer
    proxy: RegistryProxy
    daemon: GitDaemon
    base: Path

    def push_tags(self, repository: str, tags: list[str]) -> None:
        with self.registry.pusher() as pusher:
            pusher.push_tags(repository, tags)

    def deployment(self, name: str, tag: str) -> str:
        return DEPLOYMENT.format(name=name, host=self.registry.host, tag=tag)

    def remote(self, name: str, files: Mapping[str, str]) -> tuple[BareRemote, str]:
        """A bare remote under the daemon's folder, and its git:// URL."""
        remote = make_remote(self.base, files, name=f"{name}.git")
        return remote, self.daemon.url(f"{name}.git")

    def image(self, name: str, **policy: Any) -> dict[str, Any]:
        return {"name": name, "image": f"{self.registry.host}/team/{name}", "policy": policy or {"semver": "^1.0"}}

    def config(self, document: Mapping[str, Any], name: str = "config.yaml") -> Path:
        """The settings file: ``document`` plus the registry, reached through the recording proxy."""
        registries = [{"name": "local", "url": self.proxy.url, "prefix": self.registry.host, "insecure": True}]
        path = self.base / name
        settings = {"registries": registries, "workdir": str(self.base / "checkouts"), **document}
        path.write_text(yaml.safe_dump(settings, sort_keys=False))
        return path

    def tag_listings(self, repository: str) -> int:
        return sum(
            1
            for method, path in self.proxy.requests
            if method == "GET" and path.startswith(f"/v2/{repository}/tags/list")
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real command line, in a process of its own."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-m", "image_updater.cli", *args],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            cwd=self.base,
        )


def backdated_commit(
    remote: BareRemote, scratch: Path, files: Mapping[str, str], message: str, hours_ago: float
) -> str:
    """A person's commit whose committer date lies ``hours_ago`` in the past (``GIT_COMMITTER_DATE``)."""
    work = scratch / f"backdated-{len(list(scratch.glob('backdated-*')))}"
    git(scratch, "clone", "-q", remote.url, str(work))
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    when = f"@{int(time.time() - hours_ago * 3600)} +0000"
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    for args in (("add", "-A"), ("commit", "-q", "-m", message), ("push", "-q", "origin", "HEAD:main")):
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def fleet(registry: RegistryServer, tmp_path: Path) -> Iterator[Fleet]:
    proxy = RegistryProxy(registry.url).start()
    daemon = start_git_daemon(tmp_path)
    try:
        yield Fleet(registry, proxy, daemon, tmp_path)
    finally:
        daemon.stop()
        proxy.stop()
