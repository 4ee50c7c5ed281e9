"""What every credential source shares: the credentials record, its cached source, and running a helper.

Nothing here ever puts a secret, or a helper's output, into a message, and every password obtained,
whatever its source, is registered with the log redactor before it is used.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr

from image_updater.errors import RegistryAuthError
from image_updater.secrets import register_secret


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


async def run_helper(argv: list[str], stdin: bytes, timeout: float, what: str, registry: str) -> tuple[int, bytes]:
    """Run a helper without a shell; kill it on timeout. Output is returned, never logged."""
    try:
        # a session of its own, so a timeout kills the whole group: a shell's children hold our pipes open
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
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


def parse_helper_output(out: bytes) -> Credentials | None:
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
