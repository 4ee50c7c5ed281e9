"""Authentication end to end: bearer tokens, Docker config files, credential helpers and ext: commands."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from image_updater.errors import RegistryAuthError
from image_updater.registry import Credentials, RegistryClient, RegistrySettings
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_token import TokenServer

PASSWORD = "s3cret-pass"  # what basic_auth_registry accepts for user ci


def settings_for(host: str, url: str, **extra: object) -> RegistrySettings:
    fields = {"name": "reg", "url": url, "prefix": host, "insecure": True, **extra}
    return RegistrySettings.model_validate(fields)


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def seed_bearer(server: RegistryServer, tokens: TokenServer, repos: list[str]) -> None:
    with server.pusher(headers={"Authorization": f"Bearer {tokens.mint(repos)}"}) as pusher:
        for repo in repos:
            pusher.push_tags(repo, ["1.0", "1.1"])


async def test_bearer_tokens_are_fetched_once_per_scope(
    bearer_registry: tuple[RegistryServer, TokenServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tokens = bearer_registry
    seed_bearer(server, tokens, ["team/a", "team/b"])
    monkeypatch.setenv("REG_PASSWORD", "tok-pass")
    settings = settings_for(server.host, server.url, username="ci", password_env="REG_PASSWORD")
    async with RegistryClient([settings]) as client:
        for _ in range(2):
            assert sorted(await client.list_tags(f"{server.host}/team/a")) == ["1.0", "1.1"]
            assert sorted(await client.list_tags(f"{server.host}/team/b")) == ["1.0", "1.1"]
        meta = await client.tag_metadata(f"{server.host}/team/a", "1.1")
        assert meta.platforms == frozenset({"linux/amd64"})
    assert tokens.issued == [("ci", "repository:team/a:pull"), ("ci", "repository:team/b:pull")]
    # 2 challenges, 2 token fetches, 2 authorised lists, 2 cached-token lists, HEAD + manifest + config
    assert client.requests_made == 2 + 2 + 2 + 2 + 3


async def test_bearer_refused_credentials_name_the_token_server_not_the_secret(
    bearer_registry: tuple[RegistryServer, TokenServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tokens = bearer_registry
    monkeypatch.setenv("REG_PASSWORD", "wrong-password")
    settings = settings_for(server.host, server.url, username="ci", password_env="REG_PASSWORD")
    async with RegistryClient([settings]) as client:
        with pytest.raises(RegistryAuthError, match=r"token server .*/token refused") as caught:
            await client.list_tags(f"{server.host}/team/a")
    assert "wrong-password" not in str(caught.value)
    assert tokens.refused == 1


async def test_a_401_on_a_cached_token_refreshes_it_once(
    bearer_registry: tuple[RegistryServer, TokenServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tokens = bearer_registry
    seed_bearer(server, tokens, ["app"])
    monkeypatch.setenv("REG_PASSWORD", "tok-pass")
    proxy = RegistryProxy(server.url).start()
    try:
        settings = settings_for(proxy.host, proxy.url, username="ci", password_env="REG_PASSWORD")
        image = f"{proxy.host}/app"
        async with RegistryClient([settings]) as client:
            assert sorted(await client.list_tags(image)) == ["1.0", "1.1"]
            first_token = proxy.authorizations[-1]
            assert first_token is not None and first_token.startswith("Bearer ")
            proxy.behaviour.revoked.add(first_token)  # the registry stops accepting the cached token
            assert sorted(await client.list_tags(image)) == ["1.0", "1.1"]
            assert len(tokens.issued) == 2 and proxy.authorizations[-1] != first_token
            proxy.behaviour.revoke_bearer = True  # now even a fresh token is refused: one refresh, then fail
            with pytest.raises(RegistryAuthError, match="refused the credentials"):
                await client.list_tags(image)
            assert len(tokens.issued) == 3
    finally:
        proxy.stop()


async def test_docker_config_credential_helper_on_path(
    basic_auth_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("svc", ["3.1"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "asked"
    script(
        bin_dir / "docker-credential-testhelper",
        f'[ "$1" = get ] || exit 2\nread server\necho "$server" >> {asked}\n'
        f'printf \'{{"ServerURL": "%s", "Username": "ci", "Secret": "{PASSWORD}"}}\' "$server"\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"auths": {"other.example": {"auth": "eDp5"}}, "credHelpers": {basic_auth_registry.host: "testhelper"}}
        )
    )
    settings = settings_for(basic_auth_registry.host, basic_auth_registry.url)
    async with RegistryClient([settings], docker_config=str(config)) as client:
        assert await client.list_tags(f"{basic_auth_registry.host}/svc") == ["3.1"]
        assert await client.list_tags(f"{basic_auth_registry.host}/svc") == ["3.1"]
    assert asked.read_text().split() == [basic_auth_registry.host]  # asked once, for the registry's host


@pytest.mark.parametrize("as_secret", [False, True], ids=["config.json", "kubernetes-secret"])
async def test_dockerconfig_auths_and_mounted_pull_secret(
    basic_auth_registry: RegistryServer, tmp_path: Path, as_secret: bool
) -> None:
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("svc", ["3.2"])
    auth = base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
    config = {"auths": {f"http://{basic_auth_registry.host}/v2/": {"auth": auth}}}
    document = config
    if as_secret:
        encoded = base64.b64encode(json.dumps(config).encode()).decode()
        document = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": encoded},
        }
    path = tmp_path / "pull-secret.json"
    path.write_text(json.dumps(document))
    kind = "pullsecret" if as_secret else "dockerconfig"
    settings = settings_for(basic_auth_registry.host, basic_auth_registry.url, credentials=f"{kind}:{path}")
    async with RegistryClient([settings]) as client:
        assert await client.list_tags(f"{basic_auth_registry.host}/svc") == ["3.2"]


async def test_ext_command_output_is_cached_and_reread_after_a_refusal(
    basic_auth_registry: RegistryServer, tmp_path: Path
) -> None:
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("svc", ["4.0"])
    runs = tmp_path / "runs"
    # the first run prints a stale password (an expired cloud token); later runs print the right one
    command = script(
        tmp_path / "creds.sh",
        f"echo run >> {runs}\nif [ $(wc -l < {runs}) -eq 1 ]; then echo ci:stale; else echo ci:{PASSWORD}; fi\n",
    )
    settings = settings_for(
        basic_auth_registry.host, basic_auth_registry.url, credentials=f"ext:{command}", credentials_ttl="300s"
    )
    image = f"{basic_auth_registry.host}/svc"
    async with RegistryClient([settings]) as client:
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags(image)
        assert "stale" not in str(caught.value)
        assert await client.list_tags(image) == ["4.0"]
        assert await client.list_tags(image) == ["4.0"]
    assert runs.read_text().count("run") == 2


async def test_ext_command_timeout_is_an_auth_error(basic_auth_registry: RegistryServer, tmp_path: Path) -> None:
    command = script(tmp_path / "hang.sh", "sleep 5\necho ci:x\n")
    settings = settings_for(
        basic_auth_registry.host, basic_auth_registry.url, credentials=f"ext:{command}", credentials_timeout=0.3
    )
    async with RegistryClient([settings]) as client:
        with pytest.raises(RegistryAuthError, match=r"ext command .*hang.sh did not finish within 0.3s"):
            await client.list_tags(f"{basic_auth_registry.host}/svc")


def test_secrets_never_show_in_reprs() -> None:
    creds = Credentials.of("ci", "hunter2")
    assert "hunter2" not in repr(creds) and "hunter2" not in str(creds)
    assert creds.basic_header() == "Basic " + base64.b64encode(b"ci:hunter2").decode()


async def test_file_credentials_are_a_mounted_username_password_read_again_after_a_refusal(
    basic_auth_registry: RegistryServer, tmp_path: Path
) -> None:
    """``file:`` (argocd's ``secret:ns/name#field`` mounted): rotating the file's content takes effect."""
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("svc", ["4.0"])
    secret = tmp_path / "creds"
    secret.write_text("ci:stale\n")
    settings = settings_for(basic_auth_registry.host, basic_auth_registry.url, credentials=f"file:{secret}")
    image = f"{basic_auth_registry.host}/svc"
    async with RegistryClient([settings]) as client:
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags(image)
        assert "stale" not in str(caught.value)
        secret.write_text(f"ci:{PASSWORD}\n")
        assert await client.list_tags(image) == ["4.0"]
    secret.write_text("no colon here")
    async with RegistryClient([settings]) as client:
        with pytest.raises(RegistryAuthError, match="does not hold username:password"):
            await client.list_tags(image)
