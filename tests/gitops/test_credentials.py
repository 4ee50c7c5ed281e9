"""The git token reaches git and nothing else: no credential store, no .git/config, no file left behind."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from image_updater.config import load_settings
from image_updater.errors import ConfigError
from image_updater.gitops import ConfigRepo, GitSettings
from tests.gitops.test_repo import message, replace_in
from tests.support.git_http import GitHttpServer
from tests.support.gitrepo import BareRemote, make_remote

TOKEN = "ghp-test-token-5f1e2d3c4b5a"


@pytest.fixture
def http_remote(tmp_path: Path) -> Iterator[tuple[GitHttpServer, BareRemote]]:
    (tmp_path / "srv").mkdir()
    remote = make_remote(tmp_path / "srv", {"app/deploy.yaml": "image: web:1.0.0\n"})
    server = GitHttpServer(tmp_path / "srv", "x-access-token", TOKEN).start()
    yield server, remote
    server.stop()


def test_the_token_is_handed_to_git_byte_for_byte(tmp_path: Path) -> None:
    for token in ("-n", "abc\\cdef", "-e x", "%s%n", "'quoted' \"too\""):
        repo = ConfigRepo(GitSettings(url="https://git.example/a/b.git"), tmp_path / "work", token=token)
        options = [item for setting in repo._config for item in ("-c", setting)]
        out = subprocess.run(
            ["git", *options, "credential", "fill"],
            input="protocol=https\nhost=git.example\n\n",
            env={**os.environ, **repo._env, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out == f"protocol=https\nhost=git.example\nusername=x-access-token\npassword={token}\n"


def test_a_credential_store_configured_on_the_machine_never_keeps_the_token(
    http_remote: tuple[GitHttpServer, BareRemote], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, remote = http_remote
    home = tmp_path / "home"
    home.mkdir()
    # what a developer machine or a base image may carry: store every credential git uses, for any URL
    (home / ".gitconfig").write_text(
        f'[credential]\n\thelper = store\n[credential "http://127.0.0.1:{server.port}"]\n\thelper = store\n'
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    url = server.url(remote.path.name)
    settings = GitSettings.model_validate({"url": url, "author": {"name": "bot", "email": "bot@example.com"}})

    result = ConfigRepo(settings, tmp_path / "work", token=TOKEN).deliver(
        replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message
    )

    assert result.action == "pushed"
    assert remote.read("app/deploy.yaml") == b"image: web:1.1.0\n"
    assert server.expected in server.authorizations  # the remote did ask, and got the token
    assert not (home / ".git-credentials").exists()
    config = (tmp_path / "work" / ".git" / "config").read_text()
    assert TOKEN not in config and "askpass" not in config.lower() and "credential" not in config
    leftovers = [p for p in (tmp_path / "work" / ".git").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leftovers == []
    assert list(scratch.iterdir()) == []  # no askpass folder (or anything else) left in $TMPDIR


@pytest.mark.parametrize(
    "url",
    [
        f"https://x-access-token:{TOKEN}@github.com/acme/config.git",
        f"https://{TOKEN}@github.com/acme/config.git",
        f"ssh://git:{TOKEN}@git.example/acme/config.git",
    ],
)
def test_a_git_url_carrying_credentials_is_refused_at_load_without_echoing_them(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"git\.token_file or git\.token_env") as caught:
        GitSettings(url=url)
    assert TOKEN not in str(caught.value).replace(repr(url), "")  # pydantic's own input echo aside
    config = tmp_path / "config.yaml"
    config.write_text(f"git:\n  url: {url}\n")
    with pytest.raises(ConfigError) as loaded:
        load_settings(config)
    assert "line 2, git.url: " in str(loaded.value) and "carries credentials" in str(loaded.value)
    assert TOKEN not in str(loaded.value)


@pytest.mark.parametrize(
    "url", ["git@github.com:acme/config.git", "ssh://git@github.com/acme/config.git", "https://github.com/a/b.git"]
)
def test_urls_naming_only_an_ssh_user_are_accepted(url: str) -> None:
    assert GitSettings(url=url).url == url
