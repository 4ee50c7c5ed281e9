"""Registry scans through a real HTTP proxy process: HTTP(S)_PROXY, NO_PROXY, and a registry's own ``proxy``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_updater.config import load_settings
from image_updater.errors import ConfigError, RegistryAuthError
from image_updater.registry import RegistryClient, RegistrySettings
from image_updater.registry.settings import ProxySettings
from tests.conftest import ROOT
from tests.support.forward_proxy import ProxyProcess, forward_proxy
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_tls import private_ca

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
PROXY_PASSWORD = "proxy-pass-5150"


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets exactly the variables it is about."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def tagged(registry: RegistryServer) -> RegistryServer:
    with registry.pusher() as pusher:  # before any proxy variable is set: the pusher (httpx) would use it
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
        pusher.push_index("team/web", "1.2.0", ["linux/amd64", "linux/arm64"])
    return registry


@pytest.fixture
def http_proxy(tmp_path: Path) -> Iterator[ProxyProcess]:
    with forward_proxy(tmp_path) as proxy:
        yield proxy


@pytest.fixture
def guarded_proxy(tmp_path: Path) -> Iterator[ProxyProcess]:
    with forward_proxy(tmp_path, credentials=f"proxyuser:{PROXY_PASSWORD}") as proxy:
        yield proxy


def plain(registry: RegistryServer, **extra: object) -> RegistrySettings:
    return RegistrySettings.model_validate(
        {"name": "test", "url": registry.url, "prefix": registry.host, "insecure": True, "retries": 0, **extra}
    )


async def scan(settings: RegistrySettings, image: str) -> tuple[list[str], int]:
    """List the tags and read one index's platforms, as a cycle with ``platforms`` does; (tags, requests)."""
    async with RegistryClient([settings]) as client:
        tags = await client.list_tags(image)
        metadata = await client.tag_metadata(image, "1.2.0", ["linux/arm64"])
        assert "linux/arm64" in metadata.platforms
        return sorted(tags), client.requests_made


async def test_http_proxy_from_the_environment_carries_every_request(
    tagged: RegistryServer, http_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    tags, requests = await scan(plain(tagged), f"{tagged.host}/team/web")
    assert tags == ["1.0.0", "1.1.0", "1.2.0"]
    forwarded = http_proxy.forwarded_to(tagged.host)
    assert requests >= 4 and len(forwarded) == requests  # tag list, HEAD, index, child, config: all proxied
    assert f"GET http://{tagged.host}/v2/team/web/tags/list?n=1000" in forwarded


async def test_all_proxy_carries_the_registry_when_no_scheme_has_its_own(
    tagged: RegistryServer, http_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", http_proxy.url)  # as curl (git) and httpx (the forges) read it
    _, requests = await scan(plain(tagged), f"{tagged.host}/team/web")
    assert requests >= 4 and len(http_proxy.forwarded_to(tagged.host)) == requests


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "example.com, 127.0.0.1", "*", "{host}"])
async def test_no_proxy_sends_the_registry_direct(
    tagged: RegistryServer, http_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(host=tagged.host))
    tags, requests = await scan(plain(tagged), f"{tagged.host}/team/web")
    assert tags == ["1.0.0", "1.1.0", "1.2.0"] and requests >= 4
    assert http_proxy.lines() == []


async def test_no_proxy_for_another_host_keeps_the_proxy(
    tagged: RegistryServer, http_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", http_proxy.url)  # the lower-case spelling curl prefers works as well
    monkeypatch.setenv("no_proxy", "registry.example.com,.corp.example")
    _, requests = await scan(plain(tagged), f"{tagged.host}/team/web")
    assert len(http_proxy.forwarded_to(tagged.host)) == requests


async def test_https_proxy_tunnels_tls_to_the_registry(
    tagged: RegistryServer, http_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    context, ca_path = private_ca(tmp_path)
    front = RegistryProxy(tagged.url, ssl_context=context).start()  # the registry behind TLS
    try:
        monkeypatch.setenv("HTTPS_PROXY", http_proxy.url)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # not for https:// URLs: never used
        settings = RegistrySettings(name="tls", url=front.url, prefix=front.host, ca_file=ca_path, retries=0)
        tags, requests = await scan(settings, f"{front.host}/team/web")
        assert tags == ["1.0.0", "1.1.0", "1.2.0"]
        tunnels = http_proxy.lines("tunnel")
        assert tunnels and set(tunnels) == {f"tunnel CONNECT {front.host}"}
        assert len(front.requests) == requests  # every request reached the registry inside a tunnel
        assert http_proxy.lines("forward") == []  # and none was sent as plain text
    finally:
        front.stop()


async def test_a_registry_proxy_setting_logs_in_on_the_connect_tunnel(
    tagged: RegistryServer, guarded_proxy: ProxyProcess, tmp_path: Path
) -> None:
    context, ca_path = private_ca(tmp_path)
    front = RegistryProxy(tagged.url, ssl_context=context).start()
    password_file = tmp_path / "proxy-password"
    password_file.write_text(PROXY_PASSWORD)
    setting = ProxySettings(address=guarded_proxy.url, username="proxyuser", password_file=password_file)
    try:
        settings = RegistrySettings(name="tls", url=front.url, prefix=front.host, ca_file=ca_path, proxy=setting)
        tags, requests = await scan(settings, f"{front.host}/team/web")
        assert tags == ["1.0.0", "1.1.0", "1.2.0"] and len(front.requests) == requests
        assert guarded_proxy.lines("tunnel") and guarded_proxy.lines("refused") == []
    finally:
        front.stop()


async def test_credentials_in_the_proxy_variable_are_used_and_never_shown(
    tagged: RegistryServer, guarded_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:{guarded_proxy.port}")
    _, requests = await scan(plain(tagged), f"{tagged.host}/team/web")
    assert len(guarded_proxy.forwarded_to(tagged.host)) == requests

    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:wrong-pass-0000@127.0.0.1:{guarded_proxy.port}")
    async with RegistryClient([plain(tagged)]) as client:
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags(f"{tagged.host}/team/web")
    text = str(caught.value)
    assert f"the proxy http://127.0.0.1:{guarded_proxy.port} refused the credentials (HTTP 407)" in text
    assert "check the credentials in HTTP_PROXY" in text and "wrong-pass" not in text


async def test_a_registry_proxy_setting_wins_over_the_environment(
    tagged: RegistryServer, guarded_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The setting is for this registry alone, so NO_PROXY does not apply to it (docs/registries.md)."""
    password_file = tmp_path / "proxy-password"
    password_file.write_text(PROXY_PASSWORD + "\n")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would fail: the setting must be what is used
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    setting = ProxySettings(address=guarded_proxy.url, username="proxyuser", password_file=password_file)
    tags, requests = await scan(plain(tagged, proxy=setting), f"{tagged.host}/team/web")
    assert tags == ["1.0.0", "1.1.0", "1.2.0"]
    assert len(guarded_proxy.forwarded_to(tagged.host)) == requests and guarded_proxy.lines("refused") == []


async def test_a_refused_proxy_password_names_the_setting_and_is_not_retried(
    tagged: RegistryServer, guarded_proxy: ProxyProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROXY_PASSWORD", "not-the-password-1")
    setting = ProxySettings(address=guarded_proxy.url, username="proxyuser", password_env="PROXY_PASSWORD")
    async with RegistryClient([plain(tagged, proxy=setting, retries=3)]) as client:
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags(f"{tagged.host}/team/web")
    text = str(caught.value)
    assert text == (
        f"registry test image {tagged.host}/team/web: the proxy {guarded_proxy.url} refused the credentials "
        "(HTTP 407): check registries[test].proxy"
    )
    assert len(guarded_proxy.lines("refused")) == 1


async def test_a_proxy_without_credentials_says_to_add_them(
    tagged: RegistryServer, guarded_proxy: ProxyProcess
) -> None:
    async with RegistryClient([plain(tagged, proxy=ProxySettings(address=guarded_proxy.url))]) as client:
        with pytest.raises(RegistryAuthError, match=r"wants credentials \(HTTP 407\): give registries\[test\]\.proxy"):
            await client.list_tags(f"{tagged.host}/team/web")


def test_the_test_command_scans_through_the_environment_proxy(tagged: RegistryServer, http_proxy: ProxyProcess) -> None:
    env = {k: v for k, v in os.environ.items() if k.upper() not in PROXY_VARIABLES}
    command = [sys.executable, "-m", "image_updater", "test", f"{tagged.host}/team/web", "--insecure", "--semver", "^1"]
    result = subprocess.run(
        command, env={**env, "HTTP_PROXY": http_proxy.url}, capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "chosen:  1.2.0" in result.stdout
    assert http_proxy.forwarded_to(tagged.host) == [f"GET http://{tagged.host}/v2/team/web/tags/list?n=1000"]


# --- the setting -------------------------------------------------------------------------------------------


def test_proxy_setting_loads_and_refuses_inline_credentials(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    head = (
        "git: {url: 'file:///srv/config.git'}\n"
        "registries:\n  - name: corp\n    url: https://r.corp\n    prefix: r.corp\n"
    )
    path.write_text(head + "    proxy: {address: 'http://proxy.corp:3128', username: u, password_env: P}\n")
    proxy = load_settings(path, environ={}).registries[0].proxy
    assert proxy is not None and (proxy.address, proxy.username, proxy.password_env) == (
        "http://proxy.corp:3128",
        "u",
        "P",
    )
    for value, problem in [
        ("{address: 'http://u:p4ss@proxy.corp:3128'}", "must not carry credentials"),
        ("{address: 'proxy.corp:3128'}", "must be http://host:port"),
        ("{address: 'http://proxy.corp:3128', username: u}", "username needs password_file or password_env"),
    ]:
        path.write_text(head + f"    proxy: {value}\n")
        with pytest.raises(ConfigError) as caught:
            load_settings(path, environ={})
        assert "line 6, registries.0.proxy" in str(caught.value) and problem in str(caught.value)
        assert "p4ss" not in str(caught.value)
