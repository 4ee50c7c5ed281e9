"""The table of ``credentials:`` kinds, and which source applies to a registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from image_updater.errors import ConfigError, RegistryAuthError
from image_updater.registry.credentials import dockerconfig, env, ext, file
from image_updater.registry.credentials.model import Credentials, CredentialSource
from image_updater.registry.settings import RegistrySettings
from image_updater.secrets import read_secret

SourceFactory = Callable[[str, RegistrySettings], CredentialSource]

#: ``credentials: KIND:TARGET`` → the module that reads it. The settings accept exactly these kinds.
CREDENTIAL_SOURCES: Mapping[str, SourceFactory] = {
    "dockerconfig": dockerconfig.source,
    "pullsecret": dockerconfig.source,  # a mounted kubernetes.io/dockerconfigjson Secret is a docker config
    "ext": ext.source,
    "env": env.source,
    "file": file.source,  # a mounted Secret field holding username:password (argocd's secret:ns/name#field)
}


def _password(settings: RegistrySettings) -> CredentialSource:
    """``username`` with ``password_file`` / ``password_env``, re-read at every expiry for rotation."""
    username, password_file, password_env = settings.username or "", settings.password_file, settings.password_env
    where = f"password_file {password_file}" if password_file else f"password_env {password_env}"

    async def load() -> Credentials:
        try:
            password = read_secret(file=password_file, env=password_env, what="registry password")
        except ConfigError as exc:
            raise RegistryAuthError(str(exc), registry=settings.name) from None
        if password is None:
            raise RegistryAuthError(f"{where} is empty", registry=settings.name)
        return Credentials.of(username, password)

    return CredentialSource(where, load, settings.credentials_ttl.total_seconds())


def credential_source(settings: RegistrySettings, docker_config: Path | None) -> CredentialSource | None:
    """The one source that applies to a registry: its own keys first, then the global Docker config."""
    if settings.username is not None:
        return _password(settings)
    if settings.credentials is not None:
        kind, _, target = settings.credentials.partition(":")
        return CREDENTIAL_SOURCES[kind](target, settings)
    if docker_config is not None:
        return dockerconfig.source(str(docker_config), settings)
    return None
