"""Authenticating webhook requests: an HMAC of the body, or a shared token in a header or the path.

Every comparison goes through :func:`hmac.compare_digest` so the time a refusal takes says nothing
about how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def sign_body(secret: str, body: bytes) -> str:
    """The ``sha256=<hex>`` value GitHub (``X-Hub-Signature-256``) and generic senders put in a header."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header_value: str | None) -> bool:
    if not header_value:
        return False
    algorithm, _, digest = header_value.strip().partition("=")
    if algorithm.lower() != "sha256" or not digest:
        return False
    return _equal(sign_body(secret, body), "sha256=" + digest.lower())


def token_valid(secret: str, *, headers: Mapping[str, str], header: str | None, path_token: str | None) -> bool:
    """A token in the URL path, or in ``header`` (``Bearer`` prefix optional, as senders differ)."""
    if path_token is not None:
        return _equal(secret, path_token)
    if header is None:
        return False
    value = headers.get(header)
    if not value:
        return False
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer" and rest:
        value = rest.strip()
    return _equal(secret, value)
