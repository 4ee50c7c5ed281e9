"""URL credentials are masked by one function, wherever a URL shows up: git output, forge remotes, logs."""

from __future__ import annotations

import pytest

from image_updater.secrets import Redactor, redact_url


@pytest.mark.parametrize(("text", "expected"), [
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
])
def test_redact_url_masks_any_userinfo(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_redact_url_works_on_free_text_with_several_urls() -> None:
    git_output = ("fatal: unable to access 'https://ghp_AAAA@github.com/acme/config.git/': 403\n"
                  "  remote: see https://docs.github.com/x, mirror http://bot:hunter22@mirror.local/acme.git;"
                  " ssh fallback git@github.com:acme/config.git (https://oauth2:glpat-XYZ@gitlab.com/g/p)")
    assert redact_url(git_output) == (
        "fatal: unable to access 'https://***@github.com/acme/config.git/': 403\n"
        "  remote: see https://docs.github.com/x, mirror http://***@mirror.local/acme.git;"
        " ssh fallback git@github.com:acme/config.git (https://***@gitlab.com/g/p)")


def test_the_log_redactor_masks_userinfo_without_a_colon() -> None:
    assert Redactor().redact("cloning https://ghp_TOKEN1234@github.com/a/b failed") == (
        "cloning https://***@github.com/a/b failed")
