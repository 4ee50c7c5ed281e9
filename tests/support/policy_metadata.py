"""Synchronous access to the real registry client for the policy tests: what a cycle would fetch.

The policy package is pure; these helpers feed it exactly what ``RegistryClient`` reads from a real
registry (tag lists, index platforms, the chosen platform's creation time), so the tests cover the
product's own path from registry to decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from image_updater.registry import RegistryClient, RegistrySettings, TagMetadata
from tests.support.registry import RegistryServer


def _client(registry: RegistryServer) -> RegistryClient:
    return RegistryClient([RegistrySettings(name="test", url=registry.url, prefix=registry.host, insecure=True)])


async def _metadata(
    registry: RegistryServer, repo: str, tags: list[str], platforms: Sequence[str]
) -> dict[str, TagMetadata]:
    async with _client(registry) as client:
        image = f"{registry.host}/{repo}"
        found = await asyncio.gather(*(client.tag_metadata(image, tag, platforms) for tag in tags))
    return dict(zip(tags, found, strict=True))


def fetch_metadata(
    registry: RegistryServer, repo: str, tags: Iterable[str], platforms: Sequence[str] = ()
) -> dict[str, TagMetadata]:
    return asyncio.run(_metadata(registry, repo, list(tags), platforms))


def fetch_tag_metadata(registry: RegistryServer, repo: str, tag: str, platforms: Sequence[str] = ()) -> TagMetadata:
    return fetch_metadata(registry, repo, [tag], platforms)[tag]


def list_tags(registry: RegistryServer, repo: str) -> list[str]:
    async def listing() -> list[str]:
        async with _client(registry) as client:
            return await client.list_tags(f"{registry.host}/{repo}")

    return asyncio.run(listing())
