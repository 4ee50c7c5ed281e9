"""Limits, TLS and caches that make the client cheap for the registry."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from image_updater.errors import RegistryUnavailableError
from image_updater.registry import RegistryClient, RegistrySettings, TagScanner
from image_updater.registry.oci import MANIFEST_ACCEPT
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_tls import private_ca


def through(proxy: RegistryProxy, **extra: object) -> RegistrySettings:
    fields = {"name": "polite", "url": proxy.url, "prefix": proxy.host, **extra}
    return RegistrySettings.model_validate(fields)


async def test_never_more_requests_in_flight_than_max_concurrency(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    repos = [f"team/r{i}" for i in range(12)]
    with registry.pusher() as pusher:
        for repo in repos:
            pusher.push_tags(repo, ["1"])
    proxy.behaviour.delay = 0.05  # keep requests overlapping
    async with RegistryClient([through(proxy, insecure=True, max_concurrency=3)]) as client:
        result = await TagScanner(client).scan(f"{proxy.host}/{repo}" for repo in repos)
    assert all(tags == ["1"] for tags in result.values())
    assert proxy.max_in_flight == 3


async def test_metadata_by_digest_is_cached_so_a_known_tag_costs_one_head(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    with registry.pusher() as pusher:
        pushed = pusher.push_index("app", "1.0", ["linux/amd64", "linux/arm64"])
        pusher.put_manifest("app", "latest", *_manifest_of(registry, "app", "1.0"))
    image = f"{proxy.host}/app"
    async with RegistryClient([through(proxy, insecure=True)]) as client:
        first = await client.tag_metadata(image, "1.0", ["linux/arm64"])
        methods = [m for m, _ in proxy.requests]
        assert methods == ["HEAD", "GET", "GET", "GET"]  # HEAD tag, index, arm64 child, its config
        again = await client.tag_metadata(image, "1.0", ["linux/arm64"])
        alias = await client.tag_metadata(image, "latest", ["linux/arm64"])  # same digest, other tag
        assert [m for m, _ in proxy.requests[4:]] == ["HEAD", "HEAD"]
    assert first == again == alias and first.digest == pushed.digest


def _manifest_of(registry: RegistryServer, repo: str, tag: str) -> tuple[bytes, str]:
    response = httpx.get(f"{registry.url}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT})
    return response.content, response.headers["Content-Type"]


async def test_tls_verification_with_a_private_ca(registry: RegistryServer, tmp_path: Path) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("secure", ["1"])
    context, ca_path = private_ca(tmp_path)
    proxy = RegistryProxy(registry.url, ssl_context=context).start()
    try:
        image = f"{proxy.host}/secure"
        assert proxy.url.startswith("https://")
        async with RegistryClient([through(proxy, ca_file=str(ca_path))]) as client:
            assert await client.list_tags(image) == ["1"]
        async with RegistryClient([through(proxy, retries=3)]) as client:
            with pytest.raises(RegistryUnavailableError, match=r"TLS failed .*set ca_file"):
                await client.list_tags(image)
        assert len(proxy.requests) == 1  # a certificate error is not retried (and never reached the proxy)
        async with RegistryClient([through(proxy, insecure=True)]) as client:
            assert await client.list_tags(image) == ["1"]  # insecure: the explicit opt-out
    finally:
        proxy.stop()


async def test_digest_is_computed_when_the_registry_does_not_send_it(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    with registry.pusher() as pusher:
        docker_list = pusher.push_index(
            "legacy", "1.0", ["linux/amd64", "linux/arm64/v8"], oci=False, created="2023-06-01T12:00:00Z"
        )
    proxy.behaviour.strip_digest = True
    image = f"{proxy.host}/legacy"
    async with RegistryClient([through(proxy, insecure=True)]) as client:
        assert await client.resolve_digest(image, "1.0") == docker_list.digest
        meta = await client.tag_metadata(image, "1.0", ["linux/arm64"])
    assert [m for m, _ in proxy.requests[:2]] == ["HEAD", "GET"]  # HEAD told nothing: GET and hash the bytes
    assert meta.digest == docker_list.digest
    assert meta.platforms == frozenset({"linux/amd64", "linux/arm64", "linux/arm64/v8"})
    assert meta.created is not None and meta.created.year == 2023
