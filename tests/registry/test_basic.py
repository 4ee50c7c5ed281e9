"""The client against a real Distribution registry: anonymous and htpasswd, listings, digests, metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from image_updater.errors import RegistryAuthError, RegistryNotFoundError
from image_updater.registry import RegistryClient, RegistrySettings, TagScanner
from tests.support.registry import RegistryServer


def local(server: RegistryServer, **extra: object) -> RegistrySettings:
    return RegistrySettings.model_validate(
        {"name": "local", "url": server.url, "prefix": server.host, "insecure": True, **extra}
    )


async def test_anonymous_listing_digest_and_metadata(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
        single = pusher.push_image("team/web", "1.2.0", created="2024-03-01T10:00:00.123456789Z")
        multi = pusher.push_index("team/web", "2.0.0", ["linux/amd64", "linux/arm/v7"], created="2024-05-01T00:00:00Z")
    image = f"{registry.host}/team/web"
    async with RegistryClient([local(registry)]) as client:
        assert sorted(await client.list_tags(image)) == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]
        assert await client.resolve_digest(image, "1.2.0") == single.digest
        assert await client.resolve_digest(image, "2.0.0") == multi.digest
        meta = await client.tag_metadata(image, "1.2.0")
        assert meta.digest == single.digest
        assert meta.created == datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
        assert meta.platforms == frozenset({"linux/amd64"})
        meta = await client.tag_metadata(image, "2.0.0", ["linux/arm"])
        assert meta.digest == multi.digest
        assert meta.created == datetime(2024, 5, 1, tzinfo=UTC)
        assert meta.platforms == frozenset({"linux/amd64", "linux/arm", "linux/arm/v7"})
        absent = await client.tag_metadata(image, "2.0.0", ["linux/s390x"])
        assert absent.created is None and absent.digest == multi.digest
        with pytest.raises(RegistryNotFoundError, match=r"registry local image .*team/web"):
            await client.resolve_digest(image, "9.9.9")


async def test_basic_auth_with_password_file(basic_auth_registry: RegistryServer, tmp_path: Path) -> None:
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("app", ["v1", "v2"])
    secret = tmp_path / "password"
    secret.write_text("s3cret-pass\n")
    image = f"{basic_auth_registry.host}/app"
    settings = local(basic_auth_registry, username="ci", password_file=str(secret))
    async with RegistryClient([settings]) as client:
        assert sorted(await client.list_tags(image)) == ["v1", "v2"]
        first = client.requests_made
        assert sorted(await client.list_tags(image)) == ["v1", "v2"]
        assert client.requests_made == first + 1  # Basic is now sent up front: no second 401
    async with RegistryClient([local(basic_auth_registry)]) as anonymous:
        with pytest.raises(RegistryAuthError, match="none are configured"):
            await anonymous.list_tags(image)
    wrong = tmp_path / "wrong"
    wrong.write_text("nope")
    refused = local(basic_auth_registry, username="ci", password_file=str(wrong))
    async with RegistryClient([refused]) as client:
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags(image)
        assert "nope" not in str(caught.value) and "nope" not in repr(client)


async def test_scanner_lists_each_repository_once_and_isolates_failures(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("a", ["1", "2"])
        pusher.push_tags("b/c", ["3"])
    host = registry.host
    async with RegistryClient([local(registry)]) as client:
        scanner = TagScanner(client)
        result = await scanner.scan([f"{host}/a", f"{host}/b/c", f"{host}/a", f"{host}/missing"])
        assert sorted(result[f"{host}/a"]) == ["1", "2"]  # type: ignore[arg-type]
        assert result[f"{host}/b/c"] == ["3"]
        assert isinstance(result[f"{host}/missing"], RegistryNotFoundError)
        assert "image 127.0.0.1" in str(result[f"{host}/missing"])
        made = client.requests_made
        again = await scanner.scan([f"{host}/a", f"{host}/b/c"])
        assert client.requests_made == made and sorted(again[f"{host}/a"]) == ["1", "2"]  # type: ignore[arg-type]
        assert made == 3
