"""Settings for the registries image-updater talks to.

Passwords are never written inline: they come from a file, an environment variable, a Docker config or an
external command, so a settings file can be committed and logged without leaking anything.
Plain ``http://`` is refused unless ``insecure: true`` says so explicitly: the same flag that turns TLS
verification off, because both mean "credentials and tags may be read or forged on the wire".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from image_updater.errors import InvalidReferenceError
from image_updater.reference import DOCKER_HUB, ImageReference, split_name
from image_updater.validation import first_repeat, parse_duration


def normalise_prefix(prefix: str) -> str:
    """Canonical form of an image-name prefix: a domain (Docker Hub aliases folded) plus an optional path.

    A prefix whose first component is not a domain (``myorg``) is a Docker Hub path, as in image names.
    """
    text = prefix.strip().rstrip("/")
    try:
        ImageReference.parse(text if "/" in text else f"{text}/x")
    except InvalidReferenceError:
        raise ValueError(f"{prefix!r} is not an image-name prefix (a registry host, optionally a path)") from None
    first, _, rest = text.partition("/")
    domain, probe = split_name(f"{first}/x/y")
    if probe == "x/y":  # ``first`` is a domain
        return f"{domain}/{rest}" if rest else domain
    return f"{DOCKER_HUB}/{text}"


class ProxySettings(BaseModel):
    """``registries[].proxy``: the HTTP proxy this registry is reached through (Flux's ``proxySecretRef``).

    It is used for every request to the registry (its token service too), whatever ``NO_PROXY`` says:
    the setting already names the one registry it is for. Registries without it follow
    ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, as git and the forge client do.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(description="http://host:port of the proxy (https:// for a TLS proxy).")
    username: str | None = None
    password_file: Path | None = None
    password_env: str | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"proxy address {value!r} must be http://host:port (or https://)")
        if "@" in parts.netloc:
            raise ValueError("proxy address must not carry credentials: set username and password_file or password_env")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"proxy address {value!r} must be scheme://host:port only")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _credentials(self) -> ProxySettings:
        if self.password_file is not None and self.password_env is not None:
            raise ValueError("proxy: set password_file or password_env, not both")
        if (self.username is None) != (self.password_file is None and self.password_env is None):
            raise ValueError("proxy: username needs password_file or password_env, and back")
        return self


class RegistrySettings(BaseModel):
    """One registry: where its API is, which image names it serves, how to authenticate and how politely."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Label used in logs, errors and metrics.")
    url: str = Field(description="API endpoint, e.g. https://ghcr.io or http://127.0.0.1:5000.")
    prefix: str = Field(min_length=1, description="Image names starting with this use this registry.")
    insecure: bool = Field(False, description="Allow plain http and skip TLS verification.")
    ca_file: Path | None = Field(None, description="Extra CA bundle (PEM) trusted for this registry.")
    username: str | None = None
    password_file: Path | None = None
    password_env: str | None = None
    credentials: str | None = Field(
        None, description="dockerconfig:/path | pullsecret:/path | ext:/path/to/script [args] | env:VAR | file:/path"
    )
    credentials_ttl: timedelta = Field(
        timedelta(seconds=300), description="How long credentials (ext: output too) are reused."
    )
    credentials_timeout: float = Field(10.0, gt=0, description="Seconds an ext: command or helper may run.")
    rate_limit: float = Field(0.0, ge=0, description="Requests per second, 0 = unlimited.")
    max_concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    timeout: float = Field(10.0, gt=0, description="Seconds for each HTTP request, connect to last byte.")
    retries: int = Field(4, ge=0, description="Retries of a transient failure (429, 5xx, timeout, reset).")
    backoff: float = Field(0.5, ge=0, description="First retry delay in seconds; doubles, with jitter.")
    max_retry_wait: float = Field(60.0, ge=0, description="Longest Retry-After honoured before giving up.")
    page_size: int = Field(1000, ge=0, description="Tags asked per page (n=); 0 sends no n.")
    proxy: ProxySettings | None = Field(None, description="Proxy for this registry, instead of HTTPS_PROXY & co.")
    # Limits on what a registry can make us do or hold: reaching one is an error naming the registry.
    max_pages: int = Field(1000, ge=1, description="Pages one tag listing may take (Link: rel=next).")
    max_tags: int = Field(100_000, ge=1, description="Tags one listing may hold.")
    max_tag_list_bytes: int = Field(16 << 20, ge=1024, description="Bytes of one tag-list page, decompressed.")
    max_manifest_bytes: int = Field(4 << 20, ge=1024, description="Bytes of one manifest or index, decompressed.")
    max_config_bytes: int = Field(8 << 20, ge=1024, description="Bytes of one image config blob, decompressed.")
    max_token_bytes: int = Field(1 << 20, ge=1024, description="Bytes of one token-server answer, decompressed.")
    mirrors: list[str] = Field(
        default_factory=list,
        description="Other origins (https://host[:port]) tag-list and manifest redirects may lead to, e.g. a "
        "pull-through mirror; followed without this registry's credentials.",
    )

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r} must not carry a query or fragment")
        return value.rstrip("/")

    @field_validator("mirrors")
    @classmethod
    def _mirrors_are_origins(cls, value: list[str]) -> list[str]:
        for mirror in value:
            parts = urlsplit(mirror)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
                raise ValueError(f"mirror {mirror!r} must be an origin: http(s)://host[:port], no path")
        return [mirror.rstrip("/") for mirror in value]

    @field_validator("credentials_ttl", mode="before")
    @classmethod
    def _duration_with_unit(cls, value: Any) -> Any:
        """Accept ``300s``, ``5m``, ``1h`` besides seconds and ISO 8601, as the issue's example writes it."""
        if isinstance(value, str):
            try:
                return timedelta(seconds=parse_duration(value))
            except ValueError:
                return value  # ISO 8601 (PT5M) and the like: pydantic's own reading
        return value

    @field_validator("prefix")
    @classmethod
    def _canonical_prefix(cls, value: str) -> str:
        return normalise_prefix(value)

    @field_validator("credentials")
    @classmethod
    def _known_credential_kind(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from image_updater.registry.credentials import CREDENTIAL_SOURCES  # the sources import these settings

        kind, sep, target = value.partition(":")
        if not sep or kind not in CREDENTIAL_SOURCES or not target.strip():
            raise ValueError(f"credentials must be one of {', '.join(k + ':…' for k in CREDENTIAL_SOURCES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RegistrySettings:
        if urlsplit(self.url).scheme == "http" and not self.insecure:
            raise ValueError(f"registry {self.name}: {self.url} is plain http; set insecure: true to allow")
        for mirror in self.mirrors:
            if urlsplit(mirror).scheme == "http" and not self.insecure:
                raise ValueError(f"registry {self.name}: mirror {mirror} is plain http; set insecure: true to allow")
        if self.password_file is not None and self.password_env is not None:
            raise ValueError(f"registry {self.name}: set password_file or password_env, not both")
        has_password = self.password_file is not None or self.password_env is not None
        if has_password != (self.username is not None):
            raise ValueError(f"registry {self.name}: username needs password_file or password_env, and back")
        if self.username is not None and self.credentials is not None:
            raise ValueError(f"registry {self.name}: set username/password or credentials, not both")
        return self

    @property
    def host(self) -> str:
        """``host[:port]`` of the API endpoint, the key Docker config files use."""
        return urlsplit(self.url).netloc


class RegistriesSettings(BaseModel):
    """The ``registries:`` list and the global ``docker_config`` as one block the config package can embed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registries: list[RegistrySettings] = Field(default_factory=list)
    docker_config: Path | None = Field(
        None, description="A Docker config.json or mounted kubernetes.io/dockerconfigjson file, any host."
    )

    @field_validator("registries")
    @classmethod
    def _unique(cls, value: list[RegistrySettings]) -> list[RegistrySettings]:
        for attr in ("name", "prefix"):
            repeated = first_repeat(getattr(registry, attr) for registry in value)
            if repeated is not None:
                raise ValueError(f"two registries share the {attr} {repeated!r}")
        return value
