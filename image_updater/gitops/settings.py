"""Settings of the config repo: where it is, who commits, how changes are delivered."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
    push_attempts: int = Field(default=5, ge=1, le=50)
