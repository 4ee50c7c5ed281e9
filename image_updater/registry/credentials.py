"""Where a registry's username and password come from.

Every source is read lazily and re-read after ``credentials_ttl`` or after the registry refused what it gave,
so rotated secrets (mounted files, ECR/GAR/ACR tokens printed by an ``ext:`` script, credential helpers) are
picked up without a restart. Nothing here ever puts a secret, or a helper's output, into a message, and
every password obtained, whatever its source, is registered with the log redactor before it is used.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import shlex
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from image_updater.errors import ConfigError, RegistryAuthError
from image_updater.reference import DOCKER_HUB
from image_updater.registry.settings import RegistrySettings
from image_updater.secrets import read_secret, register_secret

_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io",
                               "registry.hub.docker.com"})
_DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/"


@dataclass(frozen=True)
class Credentials:
    """A username and a password that prints as ``**********``."""

    username: str
    password: SecretStr

    @classmethod
    def of(cls, username: str, password: str) -> Credentials:
        return cls(username, SecretStr(password))

    def basic_header(self) -> str:
        return f"Basic {self._encoded()}"

    def register(self) -> None:
        """Mask the password, and the base64 form headers and Docker config ``auth`` fields carry, in logs."""
        register_secret(self.password.get_secret_value(), self._encoded())

    def _encoded(self) -> str:
        return base64.b64encode(f"{self.username}:{self.password.get_secret_value()}".encode()).decode()


Loader = Callable[[], Awaitable[Credentials | None]]


class CredentialSource:
    """A loader plus a lifetime: ``get`` reuses the last answer until it expires or is invalidated."""

    def __init__(self, description: str, loader: Loader, ttl: float) -> None:
        self.description = description
        self._loader = loader
        self._ttl = ttl
        self._value: Credentials | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"CredentialSource({self.description})"

    async def get(self) -> Credentials | None:
        async with self._lock:
            if time.monotonic() >= self._expires:
                self._value = await self._loader()
                if self._value is not None:
                    self._value.register()  # helper, ext: and docker config output included
                self._expires = time.monotonic() + self._ttl
            return self._value

    def invalidate(self) -> None:
        self._expires = 0.0


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


async def _run(argv: list[str], stdin: bytes, timeout: float, what: str, registry: str) -> tuple[int, bytes]:
    """Run a helper without a shell; kill it on timeout. Output is returned, never logged."""
    try:
        # a session of its own, so a timeout kills the whole group: a shell's children hold our pipes open
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise RegistryAuthError(f"{what} could not be started ({exc.strerror})", registry=registry) from None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise RegistryAuthError(f"{what} did not finish within {timeout:g}s", registry=registry) from None
    return proc.returncode or 0, out


def _parse_helper_output(out: bytes) -> Credentials | None:
    """``{"Username", "Secret"}`` (Docker helper protocol) or a ``username:password`` line (argocd)."""
    text = out.decode(errors="replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("Username") and data.get("Secret"):
            return Credentials.of(str(data["Username"]), str(data["Secret"]))
        return None
    username, sep, password = text.splitlines()[0].partition(":") if text else ("", "", "")
    return Credentials.of(username, password) if sep and username else None


async def credential_helper(name: str, host: str, timeout: float, registry: str) -> Credentials | None:
    """``docker-credential-NAME get`` with the server URL on stdin; "not found" is no credentials."""
    server = _DOCKER_HUB_SERVER_URL if _host_key(host) == DOCKER_HUB else host
    status, out = await _run([f"docker-credential-{name}", "get"], server.encode(), timeout,
                             f"credential helper docker-credential-{name}", registry)
    if status != 0:
        return None
    creds = _parse_helper_output(out)
    if creds is None:
        raise RegistryAuthError(f"credential helper docker-credential-{name} printed no Username/Secret",
                                registry=registry)
    return creds


async def docker_config_credentials(path: Path, host: str, timeout: float,
                                    registry: str) -> Credentials | None:
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


def credential_source(settings: RegistrySettings, docker_config: Path | None) -> CredentialSource | None:
    """The one source that applies to a registry: its own keys first, then the global Docker config."""
    ttl = settings.credentials_ttl.total_seconds()
    name, timeout, host = settings.name, settings.credentials_timeout, settings.host

    if settings.username is not None:
        username = settings.username
        password_file, password_env = settings.password_file, settings.password_env
        where = f"password_file {password_file}" if password_file else f"password_env {password_env}"

        async def from_secret() -> Credentials:
            try:
                password = read_secret(file=password_file, env=password_env, what="registry password")
            except ConfigError as exc:
                raise RegistryAuthError(str(exc), registry=name) from None
            if password is None:
                raise RegistryAuthError(f"{where} is empty", registry=name)
            return Credentials.of(username, password)
        return CredentialSource(where, from_secret, ttl)

    if settings.credentials is not None:
        kind, _, target = settings.credentials.partition(":")
        if kind in ("dockerconfig", "pullsecret"):
            path = Path(target)

            async def from_docker_config() -> Credentials | None:
                return await docker_config_credentials(path, host, timeout, name)
            return CredentialSource(f"{kind} {path}", from_docker_config, ttl)
        if kind == "env":
            async def from_env_pair() -> Credentials:
                creds = _parse_helper_output(os.environ.get(target, "").encode())
                if creds is None:
                    raise RegistryAuthError(f"env {target} does not hold username:password", registry=name)
                return creds
            return CredentialSource(f"env {target}", from_env_pair, ttl)
        argv = shlex.split(target)

        async def from_command() -> Credentials:
            status, out = await _run(argv, b"", timeout, f"ext command {argv[0]}", name)
            creds = _parse_helper_output(out) if status == 0 else None
            if creds is None:
                raise RegistryAuthError(f"ext command {argv[0]} exited {status} without username:password",
                                        registry=name)
            return creds
        return CredentialSource(f"ext {argv[0]}", from_command, ttl)

    if docker_config is not None:
        global_config = docker_config

        async def from_global() -> Credentials | None:
            return await docker_config_credentials(global_config, host, timeout, name)
        return CredentialSource(f"docker_config {global_config}", from_global, ttl)
    return None
