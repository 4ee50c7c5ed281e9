"""Fake GitHub, GitLab and Gitea servers on loopback, each checking traffic against its API description."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from image_updater.forge import Forge, ForgeSettings, forge_for
from tests.conftest import require_shared
from tests.support.forge_fake import FakeForge, ForgeServer
from tests.support.forge_fake_gitea import FakeGitea
from tests.support.forge_fake_github import FakeGitHub
from tests.support.forge_fake_gitlab import FakeGitLab
from tests.support.forge_gitlab_spec import GITLAB_MRS_SPEC
from tests.support.forge_openapi import SpecChecker, gitea_spec, github_spec

KINDS = ("github", "gitlab", "gitea")
PREFIX = {"github": "/api/v3", "gitlab": "/api/v4", "gitea": "/api/v1"}  # GitHub Enterprise-style base
REMOTE = {
    "github": "https://github.test/acme/config.git",
    "gitlab": "git@gitlab.test:platform/deploy/config.git",
    "gitea": "ssh://git@gitea.test:2222/acme/config.git",
}


_CHECKERS: dict[str, SpecChecker] = {}


def checker_for(kind: str) -> SpecChecker:
    """Built once per session (GitHub's description takes ~0.5 s to load); GitLab's needs no shared files."""
    if kind not in _CHECKERS:
        if kind == "gitlab":
            _CHECKERS[kind] = SpecChecker("GitLab", GITLAB_MRS_SPEC)
        else:
            specs = require_shared("specs")
            spec = github_spec(specs) if kind == "github" else gitea_spec(specs)
            _CHECKERS[kind] = SpecChecker(kind, spec)
    return _CHECKERS[kind]


def make_fake(kind: str, checker: SpecChecker, token: str, prefix: str, **extra: Any) -> FakeForge:
    if kind == "github":
        return FakeGitHub(checker, prefix=prefix, token=token, owner="acme", repo="config", **extra)
    if kind == "gitlab":
        return FakeGitLab(checker, prefix=prefix, token=token, project="platform/deploy/config")
    return FakeGitea(checker, prefix=prefix, token=token, owner="acme", repo="config")


@dataclass
class ForgeRig:
    """One fake forge, its server, and what a client needs to reach it."""

    kind: str
    fake: FakeForge
    server: ForgeServer
    token: str
    token_file: Path

    @property
    def api_url(self) -> str:
        return self.server.url + self.fake.prefix

    @property
    def remote(self) -> str:
        return REMOTE[self.kind]

    def settings(self, **overrides: Any) -> ForgeSettings:
        values: dict[str, Any] = {
            "kind": self.kind,
            "api_url": self.api_url,
            "token_file": str(self.token_file),
        }
        return ForgeSettings(**{**values, **overrides})

    def client(self, **overrides: Any) -> Forge:
        return forge_for(self.remote, self.settings(**overrides))


def serve_rig(kind: str, tmp_path: Path, **extra: Any) -> Iterator[ForgeRig]:
    token = f"{kind}-secret-{secrets.token_hex(8)}"
    token_file = tmp_path / f"{kind}-token"
    token_file.write_text(token + "\n")
    fake = make_fake(kind, checker_for(kind), token, extra.pop("prefix", PREFIX[kind]), **extra)
    with ForgeServer(fake) as server:
        yield ForgeRig(kind, fake, server, token, token_file)
    if fake.violations:
        pytest.fail(f"{kind} API description violations:\n" + "\n".join(fake.violations))


@pytest.fixture(params=KINDS)
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ForgeRig]:
    yield from serve_rig(request.param, tmp_path)
