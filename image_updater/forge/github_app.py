"""GitHub App authentication: a 9-minute RS256 JWT buys an installation token, cached until near expiry.

One token serves many cycles (it lives an hour); the JWT is never sent anywhere but the token
endpoint, and neither value appears in a repr or an error.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import httpx

from image_updater.errors import ConfigError, ForgeError
from image_updater.forge.api import forge_message
from image_updater.forge.settings import GitHubAppSettings
from image_updater.secrets import REDACTOR, register_secret

REFRESH_MARGIN_SECONDS = 300
JWT_LIFETIME_SECONDS = 540  # GitHub allows at most 10 minutes; leave room for clock skew
CLOCK_SKEW_SECONDS = 60


class GitHubAppToken:
    def __init__(self, app: GitHubAppSettings, api_url: str, forge: str = "GitHub") -> None:
        self._app = app
        self._api_url = api_url.rstrip("/")
        self._forge = forge
        self._token: str | None = None
        self._expires_at = 0.0
        self._jwt: str | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"GitHubAppToken(app {self._app.app_id}, installation {self._app.installation_id})"

    def _private_key(self) -> str:
        try:
            return Path(self._app.private_key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read GitHub App private key {self._app.private_key_file}: {exc.strerror}",
                key="git.forge.github_app.private_key_file",
            ) from None

    def app_jwt(self, now: float | None = None) -> str:
        import jwt  # a hard dependency, imported at first use: most setups use a token, so start-up skips it

        issued = int(now if now is not None else time.time()) - CLOCK_SKEW_SECONDS
        claims = {
            "iat": issued,
            "exp": issued + CLOCK_SKEW_SECONDS + JWT_LIFETIME_SECONDS,
            "iss": str(self._app.app_id),
        }
        try:
            self._jwt = jwt.encode(claims, self._private_key(), algorithm="RS256")
            register_secret(self._jwt)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise ConfigError(
                f"GitHub App private key {self._app.private_key_file} is not a usable RSA key: {type(exc).__name__}",
                key="git.forge.github_app.private_key_file",
            ) from None
        return self._jwt

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        doing = f"getting a token for GitHub App {self._app.app_id} installation {self._app.installation_id}"
        url = f"{self._api_url}/app/installations/{self._app.installation_id}/access_tokens"
        headers = {"Authorization": f"Bearer {self.app_jwt()}"}
        try:
            response = await client.post(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ForgeError(f"{doing}: {type(exc).__name__}: {exc}", forge=self._forge) from None
        if response.status_code != 201:
            raise ForgeError(
                REDACTOR.redact(f"{doing}: {forge_message(response)}"),
                forge=self._forge,
                status=response.status_code,
            )
        data = response.json()
        try:
            token, expires = str(data["token"]), str(data["expires_at"])
            self._expires_at = datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
        except (KeyError, TypeError, ValueError):
            raise ForgeError(f"{doing}: answer lacks token/expires_at", forge=self._forge) from None
        register_secret(token)
        self._token = token

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        async with self._lock:
            if self._token is None or time.time() > self._expires_at - REFRESH_MARGIN_SECONDS:
                await self._fetch(client)
        return {"Authorization": f"Bearer {self._token}"}
