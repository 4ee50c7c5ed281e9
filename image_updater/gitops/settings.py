"""Settings of the config repo: where it is, who commits, how changes are delivered."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "image-updater"
    email: str = "image-updater@localhost"


class SigningSettings(BaseModel):
    """Commit signing through git itself, so gpg and ssh keys work as they do for people."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["gpg", "ssh"] = "ssh"
    key: str = Field(description="ssh: path to the private key; gpg: key id")


DEFAULT_COMMIT_MESSAGE = "chore(images): update {count} image{plural}\n\n{changes}\n"


class CommitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(
        default=DEFAULT_COMMIT_MESSAGE,
        description="Template; fields: {count}, {plural}, {changes} (one '- image: old → new' line each), {images}",
    )
    signing: SigningSettings | None = None


class GitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    branch: str = "main"
    author: Author = Author()
    paths: list[str] = ["."]
    workdir: str = ".image-updater/checkout"
    token_file: str | None = None
    token_env: str | None = None
    username: str = "x-access-token"
    ssh_key_file: str | None = None
    known_hosts_file: str | None = None
    commit: CommitSettings = CommitSettings()
    #: Enough for 20 writers racing on one branch (tests/gitops/test_concurrent_writers.py) to all land.
    push_attempts: int = Field(default=12, ge=1, le=50)
    push_backoff: float = Field(
        default=0.25, ge=0, le=60, description="Seconds before the first re-push; doubles (at most 10 s), with jitter"
    )

    @field_validator("url")
    @classmethod
    def _no_inline_credentials(cls, value: str) -> str:
        """A token in the URL would be written to ``.git/config`` and shown by every git error."""
        if "://" not in value:
            return value  # scp-like ``git@host:path`` names a user, never a secret
        try:
            parts = urlsplit(value)
            password, username = parts.password, parts.username
        except ValueError:
            raise ValueError("git.url is not a valid URL") from None
        if password is not None or (username is not None and parts.scheme.lower() in ("http", "https")):
            raise ValueError(
                "git.url carries credentials (user:token@host): remove them and give the token with "
                "token_file or token_env (and username), so it is never written to .git/config"
            )
        return value
