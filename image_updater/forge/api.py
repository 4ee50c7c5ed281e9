"""The HTTP plumbing every forge client shares: TLS, credentials, and errors in the forge's words.

Credentials are objects whose repr hides the value; every token is registered with the one redactor
(``secrets.REDACTOR``) as it is read, and every error message passes through it, so a token can reach
the forge and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from image_updater.errors import ConfigError, ForgeError
from image_updater.forge.settings import ForgeSettings
from image_updater.logs import get_logger
from image_updater.secrets import REDACTOR, read_secret
from image_updater.tls import verification

log = get_logger(__name__)


#: Called after every forge request with (forge, HTTP status or None when there was no answer, seconds).
RequestObserver = Callable[[str, int | None, float], None]


class Credentials(Protocol):
    """Supplies auth headers per request (tokens may rotate or expire)."""

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]: ...


class StaticToken:
    """A personal/project token read from a file or an env var at every use, so rotation needs no restart."""

    def __init__(self, settings: ForgeSettings, header: str, scheme: str | None) -> None:
        self._file = settings.token_file
        self._env = settings.token_env
        self._header = header
        self._scheme = scheme

    def __repr__(self) -> str:
        where = f"file {self._file}" if self._file else f"env {self._env}"
        return f"StaticToken({where})"

    def read(self) -> str:
        value = read_secret(file=self._file, env=self._env, what="forge token")
        if value is None:
            origin, key = (
                (f"token file {self._file}", "git.forge.token_file")
                if self._file
                else (f"environment variable {self._env}", "git.forge.token_env")
            )
            raise ConfigError(f"{origin} is empty", key=key)
        return value

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        token = self.read()
        return {self._header: f"{self._scheme} {token}" if self._scheme else token}


def forge_message(response: httpx.Response) -> str:
    """The forge's own explanation: ``message`` plus GitHub's ``errors`` list or GitLab's field map."""
    try:
        data: Any = response.json()
    except ValueError:
        text = " ".join(response.text.split())[:300]
        return text or response.reason_phrase
    if not isinstance(data, dict):
        return str(data)[:300]
    parts: list[str] = []
    message = data.get("message", data.get("error"))
    if isinstance(message, dict):
        parts.extend(f"{field}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in message.items())
    elif message is not None:
        parts.append(str(message))
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            detail = item.get("message") or " ".join(str(item[k]) for k in ("resource", "field", "code") if k in item)
            parts.append(str(detail))
        else:
            parts.append(str(item))
    if data.get("error_description"):
        parts.append(str(data["error_description"]))
    return "; ".join(parts) or response.reason_phrase


class ApiClient:
    """One forge API endpoint: base URL, credentials, and uniform error reporting."""

    def __init__(
        self,
        forge: str,
        base_url: str,
        credentials: Credentials,
        settings: ForgeSettings,
        *,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: RequestObserver | None = None,
    ) -> None:
        self.forge = forge
        self._on_request = on_request
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self.http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers={"User-Agent": "image-updater", **(headers or {})},
            timeout=settings.timeout_seconds,
            verify=verification(insecure=settings.insecure, ca_file=settings.ca_file, key="git.forge.ca_file"),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ApiClient({self.forge} {self.base_url}, {self._credentials!r})"

    def error(self, message: str, status: int | None = None) -> ForgeError:
        return ForgeError(REDACTOR.redact(message), forge=self.forge, status=status)

    async def call(
        self, method: str, path: str, *, doing: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> Any:
        """Send one request; return the decoded JSON (None for empty bodies) or raise ForgeError.

        ``doing`` names the operation and its subject, so the error says what failed on what.
        """
        started, status = time.monotonic(), None
        try:
            auth = await self._credentials.headers(self.http)
            response = await self.http.request(method, path.lstrip("/"), params=params, json=json, headers=auth)
            status = response.status_code
        except httpx.HTTPError as exc:
            raise self.error(f"{doing}: {type(exc).__name__} talking to {self.base_url}: {exc}") from None
        finally:
            if self._on_request is not None:
                self._on_request(self.forge, status, time.monotonic() - started)
        if response.status_code >= 400:
            raise self.error(f"{doing}: {forge_message(response)}", response.status_code)
        if response.status_code >= 300:
            where = response.headers.get("location", "?")
            raise self.error(f"{doing}: unexpected redirect to {where}", response.status_code)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self.error(f"{doing}: the answer is not JSON", response.status_code) from None

    async def aclose(self) -> None:
        await self.http.aclose()


async def best_effort(call: Awaitable[object]) -> bool:
    """Await an optional step (labels, reviewers, auto-merge) after a pull request exists.

    Its refusal is logged in the forge's words but does not undo or fail the opened pull request.
    """
    try:
        await call
    except ForgeError as exc:
        log.warning("an optional pull-request step was refused", forge=exc.forge, error=str(exc))
        return False
    return True
