"""A Git server that refuses our credentials is reported as the settings keys to fix, never as git's stderr."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from image_updater.errors import GitError
from image_updater.gitops import ConfigRepo, GitSettings
from tests.gitops.test_repo import message, replace_in
from tests.support.git_http import GitHttpServer
from tests.support.gitrepo import make_remote

TOKEN = "right-token-4711"
WRONG = "wrong-token-0815"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitHttpServer]:
    (tmp_path / "repos").mkdir()
    make_remote(tmp_path / "repos", {"app/deploy.yaml": "image: web:1.0.0\n"})
    http = GitHttpServer(tmp_path / "repos", "x-access-token", TOKEN).start()
    try:
        yield http
    finally:
        http.stop()


def settings(server: GitHttpServer, tmp_path: Path, **extra: object) -> GitSettings:
    token_file = tmp_path / "token"
    token_file.write_text("unused: ConfigRepo is handed the token\n")
    values = {"url": server.url("config.git"), "insecure": True, "token_file": str(token_file), **extra}
    return GitSettings.model_validate({"author": {"name": "bot", "email": "bot@example.com"}, **values})


def test_the_right_token_clones_and_pushes(server: GitHttpServer, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(server, tmp_path), tmp_path / "work", token=TOKEN)
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert result.action == "pushed"
    assert server.served > 0


def test_a_refused_token_names_token_file_and_username(server: GitHttpServer, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(server, tmp_path), tmp_path / "work", token=WRONG)
    with pytest.raises(GitError) as caught:
        repo.sync()
    text = str(caught.value)
    assert "the server refused the credentials" in text
    assert "git.token_file" in text and "git.username ('x-access-token')" in text
    assert WRONG not in text and "fatal:" not in text
    assert server.refused > 0


def test_no_token_says_which_keys_to_set(server: GitHttpServer, tmp_path: Path) -> None:
    plain = settings(server, tmp_path).model_copy(update={"token_file": None})
    with pytest.raises(GitError) as caught:
        ConfigRepo(plain, tmp_path / "work").sync()
    text = str(caught.value)
    assert "none are configured: set git.token_file or git.token_env" in text
    assert "terminal prompts disabled" not in text


def test_a_token_revoked_after_the_clone_is_named_on_fetch_and_push(server: GitHttpServer, tmp_path: Path) -> None:
    work = tmp_path / "work"
    ConfigRepo(settings(server, tmp_path), work, token=TOKEN).sync()
    server.password = "rotated-token-2024"
    repo = ConfigRepo(settings(server, tmp_path, username="bot"), work, token=TOKEN)
    with pytest.raises(GitError) as caught:
        repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    text = str(caught.value)
    assert text.startswith(f"git ls-remote failed for {server.url('config.git')}: the server refused the credentials")
    assert "git.token_file and git.username ('bot')" in text and TOKEN not in text
