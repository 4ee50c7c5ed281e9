"""``git.forge.repository``: naming the forge repository when the remote does not (file://, git://, mirrors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from image_updater.errors import ConfigError
from image_updater.forge import ForgeSettings, forge_for


@pytest.fixture
def token_file(tmp_path: Path) -> str:
    path = tmp_path / "token"
    path.write_text("t0ken\n")
    return str(path)


async def test_repository_overrides_the_path_but_the_remote_host_still_picks_the_api(token_file: str) -> None:
    forge = forge_for(
        "https://github.com/mirrors/config.git", ForgeSettings(token_file=token_file, repository="acme/config")
    )
    try:
        assert repr(forge).startswith("GitHubForge(acme/config via ApiClient(GitHub https://api.github.com,")
    finally:
        await forge.aclose()


async def test_a_file_remote_needs_repository_kind_and_api_url(token_file: str) -> None:
    with pytest.raises(ConfigError, match=r"git\.url.*not an http"):
        forge_for(
            "file:///srv/config.git",
            ForgeSettings(kind="gitea", token_file=token_file, api_url="http://127.0.0.1:3000/api/v1"),
        )
    with pytest.raises(
        ConfigError,
        match=r"key git.forge: remote file:///srv/config.git names no forge host.*"
        r"set kind and api_url",
    ):
        forge_for(
            "file:///srv/config.git", ForgeSettings(kind="gitea", token_file=token_file, repository="acme/config")
        )
    forge = forge_for(
        "file:///srv/config.git",
        ForgeSettings(
            kind="gitlab", token_file=token_file, api_url="http://127.0.0.1:8929/api/v4", repository="group/sub/config"
        ),
    )
    try:
        assert "group/sub/config" in repr(forge) and "http://127.0.0.1:8929/api/v4" in repr(forge)
    finally:
        await forge.aclose()


def test_a_nested_repository_is_refused_by_github_and_gitea_naming_the_key(token_file: str) -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "key git.forge.repository: gitea repositories are owner/repo, "
            "but git.forge.repository names group/sub/config"
        ),
    ):
        forge_for(
            "git://127.0.0.1/config",
            ForgeSettings(
                kind="gitea",
                token_file=token_file,
                api_url="http://127.0.0.1:3000/api/v1",
                repository="group/sub/config",
            ),
        )


@pytest.mark.parametrize("value", ["config", "/acme/config", "acme/config/", "acme//config", "acme/con fig"])
def test_repository_must_be_a_path_of_two_or_more_names(value: str) -> None:
    with pytest.raises(ValidationError, match="repository"):
        ForgeSettings(repository=value)
