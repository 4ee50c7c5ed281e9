"""Fixtures shared by the whole suite: real registries and paths to the shared corpus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import RegistryServer, registry_fixture

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """``../shared`` beside the repo, or ``$IMAGE_UPDATER_SHARED`` when set."""
    return Path(os.environ.get("IMAGE_UPDATER_SHARED", ROOT.parent / "shared")).resolve()


def require_shared(sub: str) -> Path:
    path = shared_dir() / sub
    if not path.exists():
        pytest.skip(f"{path} is absent: set IMAGE_UPDATER_SHARED to the folder holding corpus/, reference/, specs/")
    return path


@pytest.fixture
def registry() -> Iterator[RegistryServer]:
    """A fresh anonymous registry per test (in-memory, so state never leaks between tests)."""
    if not shutil.which("docker-registry"):
        pytest.fail("docker-registry is not installed: run the README's test command, which installs it")
    yield from registry_fixture()


@pytest.fixture
def basic_auth_registry() -> Iterator[RegistryServer]:
    yield from registry_fixture(htpasswd=("ci", "s3cret-pass"))
