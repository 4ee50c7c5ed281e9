"""``dockerconfig:PATH`` and ``pullsecret:PATH``: a Docker ``config.json`` or a mounted pull Secret, resolved
the way the Docker CLI does (``credHelpers``, then ``credsStore``, then ``auths``); also the global
``docker_config``.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from image_updater.errors import RegistryAuthError
from image_updater.reference import DOCKER_HUB
from image_updater.registry.credentials.model import Credentials, CredentialSource, parse_helper_output, run_helper
from image_updater.registry.settings import RegistrySettings

_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/"


def _host_key(server: str) -> str:
    """``https://index.docker.io/v1/`` → ``docker.io``; ``127.0.0.1:5000`` → itself."""
    host = urlsplit(server).netloc if "://" in server else server.split("/", 1)[0]
    return DOCKER_HUB if host in _DOCKER_HUB_HOSTS else host


def read_docker_config(path: Path) -> dict[str, Any]:
    """A ``config.json``, a mounted ``.dockerconfigjson`` key, or a whole Secret object (JSON) holding one."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    secret_data = data.get("data")
    if isinstance(secret_data, dict):
        for key, wrap in ((".dockerconfigjson", False), (".dockercfg", True)):
            if key in secret_data:
                inner = json.loads(base64.b64decode(secret_data[key]))
                return {"auths": inner} if wrap else dict(inner)
    return data


def _decode_auth_entry(entry: Any) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    if entry.get("auth"):
        try:
            username, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return Credentials.of(username, password) if sep else None
    if entry.get("username") and entry.get("password"):
        return Credentials.of(str(entry["username"]), str(entry["password"]))
    return None


async def credential_helper(name: str, host: str, timeout: float, registry: str) -> Credentials | None:
    """``docker-credential-NAME get`` with the server URL on stdin; "not found" is no credentials."""
    server = _DOCKER_HUB_SERVER_URL if _host_key(host) == DOCKER_HUB else host
    status, out = await run_helper(
        [f"docker-credential-{name}", "get"],
        server.encode(),
        timeout,
        f"credential helper docker-credential-{name}",
        registry,
    )
    if status != 0:
        return None
    creds = parse_helper_output(out)
    if creds is None:
        raise RegistryAuthError(
            f"credential helper docker-credential-{name} printed no Username/Secret", registry=registry
        )
    return creds


async def docker_config_credentials(path: Path, host: str, timeout: float, registry: str) -> Credentials | None:
    """Resolve ``host`` the way the Docker CLI does: ``credHelpers``, then ``credsStore``, then ``auths``."""
    try:
        config = read_docker_config(path)
    except (OSError, ValueError, binascii.Error) as exc:
        kind = type(exc).__name__
        raise RegistryAuthError(f"docker config {path} is unreadable ({kind})", registry=registry) from None
    key = _host_key(host)
    helpers = config.get("credHelpers") or {}
    helper = next((v for k, v in helpers.items() if _host_key(k) == key), None) or config.get("credsStore")
    if helper:
        found = await credential_helper(str(helper), host, timeout, registry)
        if found is not None:
            return found
    auths = config.get("auths") or {}
    return next((c for k, v in auths.items() if _host_key(k) == key and (c := _decode_auth_entry(v))), None)


def source(target: str, settings: RegistrySettings) -> CredentialSource:
    path = Path(target)

    async def load() -> Credentials | None:
        return await docker_config_credentials(path, settings.host, settings.credentials_timeout, settings.name)

    return CredentialSource(f"docker config {path}", load, settings.credentials_ttl.total_seconds())
