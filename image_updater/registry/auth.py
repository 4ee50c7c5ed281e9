"""Authentication driven by the registry's ``WWW-Authenticate`` challenge.

The first 401 teaches us the scheme; from then on requests carry credentials up front (Basic) or a token
cached per scope until shortly before it expires (Bearer), so a steady-state scan costs one request per page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from image_updater.errors import RegistryAuthError
from image_updater.registry.credentials import Credentials, CredentialSource
from image_updater.registry.origins import origin
from image_updater.secrets import redact_url, register_secret

_ITEM_RE = re.compile(r"([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(=)?\s*")
_VALUE_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s,]*)')
_EXPIRY_MARGIN = 10.0
_DEFAULT_TOKEN_LIFETIME = 60.0  # the token spec's default when expires_in is absent

# (url, headers) -> (status, parsed JSON body or None); provided by the transport so token fetches are
# rate-limited, retried and timed like every other request.
TokenFetcher = Callable[[str, dict[str, str]], Awaitable[tuple[int, Any]]]


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "basic" or "bearer"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(header: str) -> list[Challenge]:
    """Split ``Bearer realm="…",service="…", Basic realm="…"`` into challenges with their parameters.

    A word not followed by ``=`` starts a challenge; ``name=value`` pairs belong to the last one started.
    """
    challenges: list[Challenge] = []
    pos = 0
    while True:
        while pos < len(header) and header[pos] in " \t,":
            pos += 1
        item = _ITEM_RE.match(header, pos)
        if not item:
            return challenges
        pos = item.end()
        if item[2] is None:
            challenges.append(Challenge(item[1].lower(), {}))
            continue
        value = _VALUE_RE.match(header, pos)
        assert value is not None  # the pattern also matches an empty bare value
        pos = value.end()
        text = re.sub(r"\\(.)", r"\1", value[1]) if value[1] is not None else value[2]
        if challenges:
            challenges[-1].params[item[1].lower()] = text


class Authenticator:
    """Per-registry auth state: the scheme learnt from challenges and the bearer tokens per scope."""

    def __init__(
        self, registry: str, credentials: CredentialSource | None, fetch_token: TokenFetcher, registry_url: str
    ) -> None:
        self._registry = registry
        self._registry_url = registry_url
        self._credentials = credentials
        self._fetch_token = fetch_token
        self._basic: str | None = None  # the Authorization value once the registry asked for Basic
        self._bearer: Challenge | None = None
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        scheme = "bearer" if self._bearer else "basic" if self._basic else "unknown"
        return f"Authenticator({self._registry}, scheme={scheme}, tokens={len(self._tokens)})"

    def header(self, scope: str) -> str | None:
        """The Authorization value to send up front, if the scheme is known and a token is cached."""
        if self._basic is not None:
            return self._basic
        if self._bearer is not None:
            cached = self._tokens.get(scope)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        return None

    async def answer(self, challenge_header: str | None, scope: str, sent: str | None, image: str | None) -> str:
        """Handle a 401: drop what was refused, fetch fresh credentials or a token, return the new header."""
        challenges = parse_challenges(challenge_header or "")
        chosen = next((c for c in challenges if c.scheme == "bearer"), None) or next(
            (c for c in challenges if c.scheme == "basic"), None
        )
        if chosen is None:
            raise RegistryAuthError(
                f"401 without a Basic or Bearer challenge ({challenge_header!r})", registry=self._registry, image=image
            )
        if chosen.scheme == "basic":
            self._bearer = None
            if sent is not None and self._basic is not None and self._basic != sent:
                return self._basic  # another request already replaced the refused credentials
            self._refused(sent)
            creds = await self._get_credentials(image)
            if creds is None:
                raise RegistryAuthError(
                    "the registry requires credentials and none are configured", registry=self._registry, image=image
                )
            self._basic = creds.basic_header()
            return self._basic
        self._basic = None
        self._bearer = chosen
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(scope)
            if cached is not None and cached[0] != sent and cached[1] > time.monotonic():
                return cached[0]  # another request refreshed it while we waited
            self._tokens.pop(scope, None)
            self._refused(sent)
            token, lifetime = await self._token(chosen, scope, image)
            self._tokens[scope] = (token, time.monotonic() + max(lifetime - _EXPIRY_MARGIN, 1.0))
            return token

    def _refused(self, sent: str | None) -> None:
        """What we sent was refused: a rotated secret or an expired ``ext:`` output is read again, once."""
        if sent is not None and self._credentials is not None:
            self._credentials.invalidate()

    async def _get_credentials(self, image: str | None) -> Credentials | None:
        return await self._credentials.get() if self._credentials is not None else None

    async def _token(self, challenge: Challenge, scope: str, image: str | None) -> tuple[str, float]:
        realm = challenge.params.get("realm")
        if not realm or not realm.startswith(("http://", "https://")):
            raise RegistryAuthError(
                f"bearer challenge without an http(s) realm ({realm!r})", registry=self._registry, image=image
            )
        home = origin(self._registry_url)
        if origin(realm)[0] != "https" and origin(realm) != home and home[0] == "https":
            # The credentials (and the token) would cross the network in clear text to whoever the
            # challenge names: an https registry's token server is https too, or it is not trusted.
            raise RegistryAuthError(
                f"bearer realm {redact_url(realm)} is plain http under an https registry; "
                "refusing the downgrade (no credentials or token requests are sent there)",
                registry=self._registry,
                image=image,
            )
        query = {
            k: v
            for k, v in (
                ("service", challenge.params.get("service")),
                ("scope", challenge.params.get("scope") or scope or None),
            )
            if v
        }
        url = f"{realm}{'&' if '?' in realm else '?'}{urlencode(query)}" if query else realm
        headers: dict[str, str] = {}
        creds = await self._get_credentials(image)
        if creds is not None:
            headers["Authorization"] = creds.basic_header()
        status, body = await self._fetch_token(url, headers)
        if status in (401, 403):
            raise RegistryAuthError(
                f"token server {realm} refused the credentials (HTTP {status})", registry=self._registry, image=image
            )
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str):
            raise RegistryAuthError(
                f"token server {realm} answered HTTP {status} without a token", registry=self._registry, image=image
            )
        try:
            lifetime = float(body.get("expires_in") or _DEFAULT_TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = _DEFAULT_TOKEN_LIFETIME
        register_secret(token)
        return f"Bearer {token}", lifetime
