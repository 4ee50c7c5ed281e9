"""Fixtures of the registry tests: a token-auth registry and a programmable proxy before a registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_token import TokenServer, token_registry


@pytest.fixture
def bearer_registry(tmp_path: Path) -> Iterator[tuple[RegistryServer, TokenServer]]:
    """``auth: token`` registry whose token server wants ``ci``/``tok-pass`` for every token."""
    yield from token_registry(tmp_path, credentials=("ci", "tok-pass"))


@pytest.fixture
def proxy(registry: RegistryServer) -> Iterator[RegistryProxy]:
    """A proxy before the anonymous registry; tests set ``proxy.behaviour``."""
    server = RegistryProxy(registry.url).start()
    try:
        yield server
    finally:
        server.stop()
