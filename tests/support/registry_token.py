"""A token server for the registry's ``auth: token`` mode, as Docker Hub or Harbor run one.

It signs RS256 JWTs with a self-signed certificate that the registry trusts through ``rootcertbundle``;
the certificate travels in the JWT header ``x5c``. Basic credentials are checked when configured, and the
scope asked for is granted as is, so tests see exactly which scopes the client requested.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.registry import RegistryServer, start_registry
from tests.support.registry_http import ThreadedApp

SERVICE = "test-registry"
ISSUER = "test-token-issuer"


@dataclass
class TokenServer:
    """Issues tokens valid for ``lifetime`` seconds; ``issued`` records (user or None, scope) per token."""

    workdir: Path
    credentials: tuple[str, str] | None = None
    lifetime: int = 300
    issued: list[tuple[str | None, str]] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = dt.datetime.now(dt.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_path = self.workdir / "token-cert.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self.app = ThreadedApp(self._make_app)

    def _make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/token", self._token)
        return app

    def _user(self, request: web.Request) -> tuple[bool, str | None]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return self.credentials is None, None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == self.credentials, user

    async def _token(self, request: web.Request) -> web.Response:
        allowed, user = self._user(request)
        if not allowed:
            self.refused += 1
            return web.json_response({"errors": [{"code": "UNAUTHORIZED"}]}, status=401)
        scope = request.query.get("scope", "")
        access = []
        if scope.count(":") >= 2:
            kind, rest = scope.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        token = self._sign(user or "", request.query.get("service", SERVICE), access)
        self.issued.append((user, scope))
        return web.json_response(
            {
                "token": token,
                "access_token": token,
                "expires_in": self.lifetime,
                "issued_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )

    def _sign(self, subject: str, audience: str, access: list[dict[str, object]]) -> str:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": audience,
            "exp": now + self.lifetime,
            "nbf": now - 5,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        x5c = base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"x5c": [x5c]})

    def registry_auth(self) -> dict[str, str]:
        return {
            "realm": f"{self.app.url}/token",
            "service": SERVICE,
            "issuer": ISSUER,
            "rootcertbundle": str(self.cert_path),
        }

    def mint(self, repositories: list[str], actions: tuple[str, ...] = ("pull", "push")) -> str:
        """A token for the given repositories, e.g. for seeding the registry with a pusher."""
        access = [{"type": "repository", "name": r, "actions": list(actions)} for r in repositories]
        return self._sign("seeder", SERVICE, access)


def token_registry(
    workdir: Path, *, credentials: tuple[str, str] | None = None, lifetime: int = 300
) -> Iterator[tuple[RegistryServer, TokenServer]]:
    """A registry in ``auth: token`` mode and the token server it trusts; yields both, stops both."""
    tokens = TokenServer(workdir, credentials=credentials, lifetime=lifetime)
    tokens.app.start()
    try:
        server = start_registry(token_auth=tokens.registry_auth())
        try:
            yield server, tokens
        finally:
            server.stop()
    finally:
        tokens.app.stop()
