"""Which forge, which API URL, which repository: inferred from the git remote."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from image_updater.errors import ConfigError
from image_updater.forge import (
    ForgeSettings,
    GiteaForge,
    GitHubForge,
    GitLabForge,
    forge_for,
    parse_remote,
)
from image_updater.secrets import redact_url


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://github.com/acme/config.git", "github.com", "acme/config"),
        ("https://github.com/acme/config", "github.com", "acme/config"),
        ("https://x-access-token:ghs_secret@github.com/acme/config.git", "github.com", "acme/config"),
        ("ssh://git@gitlab.example:2222/group/sub/project.git", "gitlab.example", "group/sub/project"),
        ("git@gitlab.com:group/sub/project.git", "gitlab.com", "group/sub/project"),
        ("gitea.local:acme/config", "gitea.local", "acme/config"),
    ],
)
def test_remote_forms(url: str, host: str, path: str) -> None:
    remote = parse_remote(url)
    assert (remote.host, remote.path) == (host, path)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme",
        "/srv/git/config.git",
        "file:///srv/config.git",
        "git@github.com:",
        "https://github.com//config",
    ],
)
def test_remotes_that_name_no_repository(url: str) -> None:
    with pytest.raises(ConfigError, match=r"git\.url"):
        parse_remote(url)


def test_credentials_in_remotes_never_reach_messages() -> None:
    assert redact_url("https://user:ghp_secret@github.com/a/b.git") == "https://***@github.com/a/b.git"
    with pytest.raises(ConfigError) as caught:
        parse_remote("https://user:ghp_secret@github.com/only-owner")
    assert "ghp_secret" not in str(caught.value)


@pytest.fixture
def token(tmp_path: Path) -> str:
    path = tmp_path / "token"
    path.write_text("t0ken\n")
    return str(path)


@pytest.mark.parametrize(
    ("url", "kind", "cls", "api"),
    [
        ("https://github.com/acme/config.git", None, GitHubForge, "https://api.github.com"),
        ("git@gitlab.com:group/sub/project.git", None, GitLabForge, "https://gitlab.com/api/v4"),
        ("https://ghe.corp:8443/acme/config.git", "github", GitHubForge, "https://ghe.corp:8443/api/v3"),
        ("ssh://git@gitlab.corp:2222/g/p.git", "gitlab", GitLabForge, "https://gitlab.corp/api/v4"),
        ("git@codeberg.org:acme/config.git", "gitea", GiteaForge, "https://codeberg.org/api/v1"),
    ],
)
async def test_forge_and_api_url_inference(
    url: str, kind: Literal["github", "gitlab", "gitea"] | None, cls: type, api: str, token: str
) -> None:
    forge = forge_for(url, ForgeSettings(kind=kind, token_file=token))
    try:
        assert isinstance(forge, cls)
        assert forge.api.base_url == api  # type: ignore[attr-defined]
        assert "t0ken" not in repr(forge)
    finally:
        await forge.aclose()


async def test_api_url_setting_wins(token: str) -> None:
    forge = forge_for(
        "https://github.com/acme/config", ForgeSettings(api_url="https://proxy.corp/gh/", token_file=token)
    )
    try:
        assert forge.api.base_url == "https://proxy.corp/gh"  # type: ignore[attr-defined]
    finally:
        await forge.aclose()


def test_unknown_hosts_need_a_kind(token: str) -> None:
    with pytest.raises(ConfigError, match=r"git\.forge\.kind"):
        forge_for("https://git.corp/acme/config.git", ForgeSettings(token_file=token))


def test_github_and_gitea_need_exactly_owner_and_repo(token: str) -> None:
    with pytest.raises(ConfigError, match="owner/repo"):
        forge_for("https://github.com/a/b/c.git", ForgeSettings(token_file=token))


def test_tokens_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="needs a token"):
        forge_for("https://github.com/a/b", ForgeSettings())
    with pytest.raises(ConfigError, match=r"forge token from file .*missing"):
        forge_for("https://github.com/a/b", ForgeSettings(token_file=str(tmp_path / "missing")))
    monkeypatch.delenv("FORGE_TOKEN_UNSET", raising=False)
    with pytest.raises(ConfigError, match="environment variable FORGE_TOKEN_UNSET is not set"):
        forge_for("https://github.com/a/b", ForgeSettings(token_env="FORGE_TOKEN_UNSET"))


def test_gitlab_reviewers_must_be_user_ids(token: str) -> None:
    from image_updater.delivery import PullRequestSettings

    forge = forge_for("git@gitlab.com:g/p.git", ForgeSettings(token_file=token))
    with pytest.raises(ConfigError, match="numeric user IDs, not alice"):
        forge.check_settings(PullRequestSettings(reviewers=["alice", "42"]))
