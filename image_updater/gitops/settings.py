"""Settings of the config repo: where it is, who commits, how changes are delivered."""

from __future__ import annotations

import posixpath
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from image_updater.secrets import redact_url


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


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).*)$")


def repository_identity(url: str) -> str:
    """One spelling per repository, to tell whether two URLs name the same one.

    ``ssh://git@github.com/a/b``, ``git@github.com:a/b`` and ``https://github.com/a/b.git`` are equal: the
    scheme, the user and the port are dropped for https/ssh/scp-like forms, the host is lower-cased, a
    trailing ``/`` and ``.git`` are dropped; the path stays case-sensitive. Other URLs (``file://``, local
    paths) only lose a trailing ``/`` and ``.git``.
    """
    text = url.strip()
    if _URL_SCHEME.match(text):
        parts = urlsplit(text)
        if parts.scheme.lower() in ("http", "https", "ssh", "git", "git+ssh", "ssh+git"):
            host = (parts.hostname or "").lower()
            path = parts.path
        else:
            return text.rstrip("/").removesuffix(".git")
    else:
        scp = _SCP_LIKE.match(text)
        if scp is None:
            return text.rstrip("/").removesuffix(".git")
        host, path = scp.group("host").lower(), scp.group("path")
    path = "/" + path.strip("/")
    return host + path.rstrip("/").removesuffix(".git")


class GitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    #: Other URLs of this same repository (the forge URL Flux GitRepositories and Argo CD Applications
    #: name when ``url`` is a mirror or a local path); compared by ``repository_identity``.
    url_aliases: list[str] = Field(default_factory=list)
    branch: str = "main"
    author: Author = Author()
    paths: list[str] = ["."]
    workdir: str = ".image-updater/checkout"
    token_file: str | None = None
    token_env: str | None = None
    username: str = "x-access-token"
    #: Allow sending the token to a plain ``http://`` remote, where anyone on the path can read it.
    insecure: bool = False
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
    def _no_userinfo(cls, value: str) -> str:
        """A password in the URL would sit in the settings file, in ``.git/config`` and in every error."""
        if not _URL_SCHEME.match(value):
            return value  # scp-like git@host:path or a local path: a user name, never a password
        parts = urlsplit(value)
        userinfo, at, _ = parts.netloc.rpartition("@")
        secret_shaped = ":" in userinfo or parts.scheme in ("http", "https")
        if at and secret_shaped:
            raise ValueError(
                f"{redact_url(value)} carries credentials (user@ or user:password@); remove them and put the token in "
                "git.token_file or git.token_env (and the user in git.username)"
            )
        return value

    def names_this_repository(self, url: str) -> bool:
        """Whether ``url`` is ``url`` or one of ``url_aliases``, however it is spelled (``repository_identity``)."""
        wanted = repository_identity(url)
        return any(repository_identity(known) == wanted for known in (self.url, *self.url_aliases))

    @field_validator("paths")
    @classmethod
    def _inside_repository(cls, value: list[str]) -> list[str]:
        for path in value:
            normal = posixpath.normpath(path) if path else "."
            if posixpath.isabs(path) or normal == ".." or normal.startswith("../"):
                raise ValueError(
                    f"{path!r} is outside the repository; git.paths are relative to its root (e.g. apps/web)"
                )
        return value

    @model_validator(mode="after")
    def _token_needs_tls(self) -> GitSettings:
        key = "token_file" if self.token_file else "token_env" if self.token_env else None
        if key and urlsplit(self.url).scheme.lower() == "http" and not self.insecure:
            raise ValueError(
                f"git.url {redact_url(self.url)} is plain http: the token (git.{key}) would travel in clear text; "
                "use https:// or set git.insecure: true"
            )
        return self
