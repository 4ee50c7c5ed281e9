"""Secrets are masked by one redactor: URL userinfo wherever a URL shows up, and every value the program obtains."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_updater.forge import ForgeSettings, forge_for
from image_updater.logs import configure_logging, get_logger
from image_updater.registry import RegistryClient, RegistrySettings
from image_updater.secrets import REDACTOR, Redactor, redact_url
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import RegistryProxy
from tests.support.registry_token import token_registry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:ghp_secret@github.com/a/b.git", "https://***@github.com/a/b.git"),
        ("https://ghp_TOKEN@github.com/a/b.git", "https://***@github.com/a/b.git"),  # userinfo without a colon
        ("https://x-access-token:p@ss:w@rd@git.corp:8443/a.git", "https://***@git.corp:8443/a.git"),
        ("ssh://git@git.corp:2222/acme/config.git", "ssh://***@git.corp:2222/acme/config.git"),
        ("http://u:p@[::1]:5000/v2/", "http://***@[::1]:5000/v2/"),
        ("http://u:p@[::1/v2/", "http://***@[::1/v2/"),  # not a valid URL, still masked
        ("https://github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://github.com/a/b@v1/x?who=me@host", "https://github.com/a/b@v1/x?who=me@host"),  # '@' not in host
        ("git@github.com:owner/repo.git", "git@github.com:owner/repo.git"),  # scp-like: a user name, no secret
        ("", ""),
    ],
)
def test_redact_url_masks_any_userinfo(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_redact_url_works_on_free_text_with_several_urls() -> None:
    git_output = (
        "fatal: unable to access 'https://ghp_AAAA@github.com/acme/config.git/': 403\n"
        "  remote: see https://docs.github.com/x, mirror http://bot:hunter22@mirror.local/acme.git;"
        " ssh fallback git@github.com:acme/config.git (https://oauth2:glpat-XYZ@gitlab.com/g/p)"
    )
    assert redact_url(git_output) == (
        "fatal: unable to access 'https://***@github.com/acme/config.git/': 403\n"
        "  remote: see https://docs.github.com/x, mirror http://***@mirror.local/acme.git;"
        " ssh fallback git@github.com:acme/config.git (https://***@gitlab.com/g/p)"
    )


def test_the_log_redactor_masks_userinfo_without_a_colon() -> None:
    assert Redactor().redact("cloning https://ghp_TOKEN1234@github.com/a/b failed") == (
        "cloning https://***@github.com/a/b failed"
    )


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """JSON logs into a buffer, starting with no registered secret; handlers and secrets reset afterwards."""
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level
    REDACTOR.clear()
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in before_handlers:
            root.removeHandler(handler)
    root.setLevel(before_level)
    REDACTOR.clear()


def _helper(bin_dir: Path, name: str, secret: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    helper = bin_dir / f"docker-credential-{name}"
    helper.write_text(f'#!/bin/sh\nread server\nprintf \'{{"Username": "ci", "Secret": "{secret}"}}\'\n')
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)


async def test_secrets_the_program_obtains_never_reach_the_logs(
    basic_auth_registry: RegistryServer, tmp_path: Path, log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_password, helper_secret, forge_token = "s3cret-pass", "helper-tok-9d1f", "ghp_forgeTOKEN123"
    for secret in (file_password, helper_secret, forge_token):
        assert REDACTOR.redact(secret) == secret  # nothing known yet: only the flows below can register them
    with basic_auth_registry.pusher() as pusher:
        pusher.push_tags("svc", ["1.0"])
    (tmp_path / "password").write_text(file_password + "\n")
    _helper(tmp_path / "bin", "testhelper", helper_secret)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    docker_config = tmp_path / "config.json"
    with contextlib.closing(token_registry(tmp_path, credentials=("ci", helper_secret))) as started:
        server, tokens = next(started)
        with server.pusher(headers={"Authorization": f"Bearer {tokens.mint(['app'])}"}) as pusher:
            pusher.push_tags("app", ["2.0"])
        proxy = RegistryProxy(server.url).start()  # records the bearer token the client obtains
        try:
            docker_config.write_text(json.dumps({"credHelpers": {proxy.host: "testhelper"}}))
            registries = [
                RegistrySettings.model_validate(
                    {
                        "name": "basic",
                        "url": basic_auth_registry.url,
                        "prefix": basic_auth_registry.host,
                        "insecure": True,
                        "username": "ci",
                        "password_file": str(tmp_path / "password"),
                    }
                ),
                RegistrySettings.model_validate(
                    {"name": "bearer", "url": proxy.url, "prefix": proxy.host, "insecure": True}
                ),
            ]
            async with RegistryClient(registries, docker_config=docker_config) as client:
                assert await client.list_tags(f"{basic_auth_registry.host}/svc") == ["1.0"]
                assert await client.list_tags(f"{proxy.host}/app") == ["2.0"]
            bearer = next(a for a in proxy.authorizations if a and a.startswith("Bearer "))
        finally:
            proxy.stop()
    token_file = tmp_path / "forge-token"
    token_file.write_text(forge_token)
    forge = forge_for("https://github.com/acme/config", ForgeSettings(token_file=str(token_file)))
    await forge.aclose()

    basic = base64.b64encode(f"ci:{file_password}".encode()).decode()
    bearer_token = bearer.removeprefix("Bearer ")
    secrets = [file_password, basic, helper_secret, bearer_token, forge_token]
    log = get_logger("image_updater.test")
    for secret in secrets:  # deliberately, in shapes no credential pattern recognises
        log.error(f"the registry refused {secret} again", detail=f"value {secret}")
    try:
        raise RuntimeError(f"helper printed {helper_secret} and the forge said {forge_token}")
    except RuntimeError:
        logging.getLogger("httpx").exception("request failed for %s", bearer_token)
    logging.getLogger("image_updater.test").warning("but this stays readable: plain-value-1234")

    output = log_stream.getvalue()
    for secret in secrets:
        assert secret not in output, secret
    ours = [json.loads(line) for line in output.splitlines()]
    ours = [line for line in ours if line["logger"] in ("image_updater.test", "httpx")]
    assert [line["event"] for line in ours[: len(secrets)]] == ["the registry refused *** again"] * len(secrets)
    assert all(line["detail"] == "value ***" for line in ours[: len(secrets)])
    assert ours[-2]["event"] == "request failed for ***"
    assert "RuntimeError: helper printed *** and the forge said ***" in ours[-2]["error"]
    assert ours[-1]["event"] == "but this stays readable: plain-value-1234"  # only registered values go
