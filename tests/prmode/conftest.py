"""Pull-request mode rig: a real registry, a real bare Git remote and a spec-checking fake forge.

The remote is a ``file://`` URL, so the forge repository is named with ``git.forge.repository``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from image_updater.config import Settings, load_settings
from image_updater.cycle import CycleReport, Updater
from tests.forge.conftest import KINDS, ForgeRig, serve_rig
from tests.support.forge_fake import Exchange
from tests.support.gitrepo import BareRemote, git, make_remote
from tests.support.registry import RegistryServer

REPOSITORY = {"github": "acme/config", "gitlab": "platform/deploy/config", "gitea": "acme/config"}
_PR_PATH = {
    "github": r"/repos/acme/config/pulls",
    "gitlab": r"/projects/platform%2Fdeploy%2Fconfig/merge_requests",
    "gitea": r"/repos/acme/config/pulls",
}
_EDIT_METHOD = {"github": "PATCH", "gitlab": "PUT", "gitea": "PATCH"}

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {host}/team/{name}:1.0.0
"""
IMAGES = ("api", "web", "worker")
GROUPS = {"api": "apps", "web": "apps"}  # worker has no group: it gets a pull request of its own


@dataclass
class PrLoop:
    """Everything one pull-request-mode test drives, and what it reads back."""

    registry: RegistryServer
    remote: BareRemote
    rig: ForgeRig
    tmp_path: Path
    pull_request: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        """The settings file (rewritten each time, so a test can change ``pull_request`` between cycles)."""
        path = self.tmp_path / "config.yaml"
        settings = {
            "registries": [{"name": "local", "url": self.registry.url, "prefix": self.registry.host, "insecure": True}],
            "git": {
                "url": self.remote.url,
                "branch": "main",
                "author": {"name": "image-updater", "email": "bot@example.com"},
                "workdir": str(self.tmp_path / "checkout"),
                "write": {"mode": "pull_request", "pull_request": self.pull_request},
                "forge": {
                    "kind": self.rig.kind,
                    "api_url": self.rig.api_url,
                    "token_file": str(self.rig.token_file),
                    "repository": REPOSITORY[self.rig.kind],
                },
            },
            "images": [
                {
                    "name": name,
                    "image": f"{self.registry.host}/team/{name}",
                    "policy": {"semver": "^1.0"},
                    **({"group": GROUPS[name]} if name in GROUPS else {}),
                }
                for name in IMAGES
            ],
        }
        path.write_text(yaml.safe_dump(settings, sort_keys=False))
        return path

    def settings(self) -> Settings:
        return load_settings(self.config)

    def updater(self) -> Updater:
        return Updater(self.settings())

    async def cycles(self, count: int = 1, updater: Updater | None = None) -> list[CycleReport]:
        """Run ``count`` cycles with one long-lived Updater, as the service does."""
        own = updater or self.updater()
        try:
            return [await own.run_cycle() for _ in range(count)]
        finally:
            if updater is None:
                await own.aclose()

    def push_tags(self, name: str, tags: list[str]) -> None:
        with self.registry.pusher() as pusher:
            pusher.push_tags(f"team/{name}", tags)

    def human_commit(self, files: dict[str, str], message: str, branch: str = "main") -> str:
        return self.remote.commit_as_human(self.tmp_path, files, message, branch=branch)

    def deploy_all_images(self) -> str:
        return self.human_commit(manifests(self.registry, IMAGES), "deploy api and worker too")

    # -- reading the forge back -------------------------------------------------------------------
    def creates(self) -> list[Exchange]:
        return self.rig.fake.calls("POST", _PR_PATH[self.rig.kind])

    def edits(self) -> list[Exchange]:
        """Update and close requests on pull requests (both are one PATCH/PUT on the PR)."""
        return self.rig.fake.calls(_EDIT_METHOD[self.rig.kind], _PR_PATH[self.rig.kind] + r"/\d+")

    def writes(self) -> list[Exchange]:
        return [e for e in self.rig.fake.log if e.method != "GET"]

    # -- reading the remote back ------------------------------------------------------------------
    def update_branches(self) -> list[str]:
        return sorted(b for b in self.remote.branches() if b != "main")

    def parent(self, branch: str) -> str:
        return git(self.remote.path, "rev-parse", f"{branch}~1")

    def commits_on(self, branch: str) -> int:
        return int(git(self.remote.path, "rev-list", "--count", f"main..{branch}"))


def manifests(registry: RegistryServer, names: tuple[str, ...]) -> dict[str, str]:
    return {f"deploy/{name}.yaml": MANIFEST.format(name=name, host=registry.host) for name in names}


@pytest.fixture(params=KINDS)
def loop(request: pytest.FixtureRequest, registry: RegistryServer, tmp_path: Path) -> Iterator[PrLoop]:
    """One forge per parameter; ``main`` deploys only web (fewer groups, faster cycles), at 1.0.0.

    Every configured image has 1.0.0 in the registry; a test adds the other manifests when it needs them.
    """
    with registry.pusher() as pusher:
        for name in IMAGES:
            pusher.push_tags(f"team/{name}", ["1.0.0"])
    remote = make_remote(tmp_path, manifests(registry, ("web",)))
    for rig in serve_rig(request.param, tmp_path):
        yield PrLoop(registry, remote, rig, tmp_path)
