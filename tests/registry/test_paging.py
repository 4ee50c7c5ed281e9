"""Paging (relative and absolute ``Link`` targets), loop protection and conditional listing requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.errors import RegistryProtocolError
from image_updater.registry import RegistryClient, RegistrySettings, TagScanner
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_recorder import RecordingServer

TAGS = [f"1.{i}.0" for i in range(23)]


def through(proxy: RegistryProxy, **extra: object) -> RegistrySettings:
    fields = {"name": "paged", "url": proxy.url, "prefix": proxy.host, "insecure": True, **extra}
    return RegistrySettings.model_validate(fields)


def tag_requests(proxy: RegistryProxy) -> list[str]:
    return [path for method, path in proxy.requests if "/tags/list" in path]


async def test_follows_every_page_whatever_the_link_form(registry: RegistryServer, proxy: RegistryProxy) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/paged", TAGS)
    proxy.behaviour.page_size = 5
    async with RegistryClient([through(proxy)]) as client:
        tags = await client.list_tags(f"{proxy.host}/team/paged")
    assert tags == sorted(TAGS)  # every tag once, in the server's order
    paths = tag_requests(proxy)
    assert len(paths) == 5
    assert paths[0] == "/v2/team/paged/tags/list?n=1000"  # we ask for large pages
    # the proxy links page k+1 as an absolute URL, a query-only reference or an absolute path by turns
    assert [p.rsplit("page=", 1)[-1] for p in paths[1:]] == ["2", "3", "4", "5"]


async def test_a_link_loop_is_a_protocol_error(registry: RegistryServer, proxy: RegistryProxy) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("looping", TAGS[:4])
    proxy.behaviour.page_size = 2
    proxy.behaviour.loop_links = True
    async with RegistryClient([through(proxy)]) as client:
        with pytest.raises(RegistryProtocolError, match="loop back"):
            await client.list_tags(f"{proxy.host}/looping")
    assert len(tag_requests(proxy)) == 2


async def test_a_link_to_another_origin_is_never_followed(basic_auth_registry: RegistryServer, tmp_path: Path) -> None:
    """Following it would hand the registry's Basic credentials to another host and merge its tags."""
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("private", TAGS[:4])
    password = tmp_path / "password"
    password.write_text("s3cret-pass\n")
    elsewhere = RecordingServer().start()
    proxy = RegistryProxy(basic_auth_registry.url).start()
    try:
        proxy.behaviour.page_size = 2
        proxy.behaviour.link_origin = elsewhere.url
        settings = through(proxy, username="ci", password_file=str(password))
        async with RegistryClient([settings]) as client:
            with pytest.raises(RegistryProtocolError, match="another origin") as caught:
                await client.list_tags(f"{proxy.host}/private")
        assert caught.value.registry == "paged" and caught.value.image == f"{proxy.host}/private"
        assert proxy.authorizations[-1] is not None  # the registry itself got the credentials
        assert elsewhere.requests == []
    finally:
        proxy.stop()
        elsewhere.stop()


async def test_a_link_to_the_same_host_on_another_scheme_or_port_is_refused(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("moved", TAGS[:4])
    proxy.behaviour.page_size = 2
    for elsewhere in (proxy.url.replace("http://", "https://"), f"http://127.0.0.1:{proxy.app.port + 1}"):
        proxy.behaviour.link_origin = elsewhere
        async with RegistryClient([through(proxy)]) as client:
            with pytest.raises(RegistryProtocolError, match="another origin"):
                await client.list_tags(f"{proxy.host}/moved")
    proxy.behaviour.link_origin = proxy.url.replace("http://", "HTTP://")  # the same origin, spelt otherwise
    async with RegistryClient([through(proxy)]) as client:
        assert await client.list_tags(f"{proxy.host}/moved") == sorted(TAGS[:4])


async def test_a_registry_rejecting_the_page_size_is_asked_without_it(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("strict", TAGS[:3])
    proxy.behaviour.reject_page_size = True
    async with RegistryClient([through(proxy)]) as client:
        assert sorted(await client.list_tags(f"{proxy.host}/strict")) == sorted(TAGS[:3])
        assert sorted(await client.list_tags(f"{proxy.host}/strict")) == sorted(TAGS[:3])
    assert tag_requests(proxy) == ["/v2/strict/tags/list?n=1000", "/v2/strict/tags/list", "/v2/strict/tags/list"]


async def test_etags_make_an_unchanged_listing_cost_304s(registry: RegistryServer, proxy: RegistryProxy) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("cached", TAGS)
    proxy.behaviour.page_size = 10
    proxy.behaviour.etag = True
    image = f"{proxy.host}/cached"
    async with RegistryClient([through(proxy)]) as client:
        first = await client.list_tags(image)
        assert proxy.statuses == [200, 200, 200]
        second = await TagScanner(client).scan([image, image])  # a new cycle: revalidated, not refetched
        assert second[image] == first and proxy.statuses[3:] == [304, 304, 304]
        with registry.pusher() as pusher:
            pusher.push_tags("cached", ["9.9.9"])
        third = await client.list_tags(image)
    assert third == sorted([*TAGS, "9.9.9"])
    assert proxy.statuses[6:] == [304, 304, 200]  # only the last page changed


async def test_an_oversized_tag_list_fails_its_image_only_and_the_registry_keeps_its_page_size(
    registry: RegistryServer, proxy: RegistryProxy
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("big", [f"1.0.{n}-a-rather-long-build-suffix" for n in range(40)])  # > 1 KiB of JSON
        pusher.push_tags("small", TAGS[:2])
    async with RegistryClient([through(proxy, max_tag_list_bytes=1024)]) as client:
        with pytest.raises(RegistryProtocolError, match="max_tag_list_bytes"):
            await client.list_tags(f"{proxy.host}/big")
        assert sorted(await client.list_tags(f"{proxy.host}/small")) == sorted(TAGS[:2])
    # the oversized answer is not "the registry refused n=": neither asked again nor paged without it
    assert tag_requests(proxy) == ["/v2/big/tags/list?n=1000", "/v2/small/tags/list?n=1000"]
