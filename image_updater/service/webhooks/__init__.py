"""Webhook receivers: who may call, how they prove it, and what their payloads name.

The table :data:`SENDERS` is the one place a sender type is defined: how it authenticates (an HMAC
over the body, or a shared token in a header or in a secret URL path for senders that cannot add
headers) and which parser reads its payload.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from image_updater.service.events import RepositoryEvent
from image_updater.service.settings import WebhookReceiverSettings, load_receiver_secret
from image_updater.service.webhooks.auth import sign_body, signature_valid, token_valid
from image_updater.service.webhooks.senders import PARSERS, Parser, WebhookPayloadError

__all__ = ["SENDERS", "Receiver", "SenderSpec", "WebhookPayloadError", "sign_body"]


@dataclass(frozen=True)
class SenderSpec:
    """How one sender type authenticates and which parser reads it.

    ``auth="signature"``: ``header`` carries ``sha256=HMAC(body)`` (``None``: the receiver's configured
    ``signature_header``).  ``auth="token"``: the secret comes in ``header`` (if the sender can set one)
    or as the last URL path segment, ``/webhook/{receiver}/{secret}``.
    """

    auth: Literal["signature", "token"]
    header: str | None
    parser: Parser


SENDERS: Mapping[str, SenderSpec] = {
    # The registry's `notifications.endpoints[].headers` can carry `Authorization: Bearer SECRET`.
    "distribution": SenderSpec("token", "Authorization", PARSERS["distribution"]),
    # Docker Hub and Quay cannot add headers or sign: the secret is in the URL path.
    "dockerhub": SenderSpec("token", None, PARSERS["dockerhub"]),
    "quay": SenderSpec("token", None, PARSERS["quay"]),
    # Harbor sends the policy's "auth header" value verbatim as `Authorization`.
    "harbor": SenderSpec("token", "Authorization", PARSERS["harbor"]),
    # ACR webhooks take custom headers: `Authorization: Bearer SECRET`.
    "acr": SenderSpec("token", "Authorization", PARSERS["acr"]),
    "gitlab": SenderSpec("token", "X-Gitlab-Token", PARSERS["gitlab"]),
    "ghcr": SenderSpec("signature", "X-Hub-Signature-256", PARSERS["ghcr"]),
    "generic": SenderSpec("signature", None, PARSERS["generic"]),
}


class Receiver:
    """A configured receiver with its secret loaded; the secret never leaves this object."""

    def __init__(self, settings: WebhookReceiverSettings, secret: str | None = None) -> None:
        self.settings = settings
        self.name = settings.name
        self.spec = SENDERS[settings.type]
        self._secret = secret if secret is not None else load_receiver_secret(settings)

    @property
    def secret(self) -> str:
        return self._secret

    @property
    def signs_body(self) -> bool:
        return self.spec.auth == "signature"

    def token_valid(self, headers: Mapping[str, str], path_token: str | None) -> bool:
        """Checked before the body is read, so unauthenticated senders cannot make us buffer anything."""
        return self.spec.auth == "token" and token_valid(self._secret, headers=headers,
                                                         header=self.spec.header, path_token=path_token)

    def signature_valid(self, headers: Mapping[str, str], body: bytes) -> bool:
        header = self.spec.header or self.settings.signature_header
        return self.spec.auth == "signature" and signature_valid(self._secret, body, headers.get(header))

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[RepositoryEvent]:
        """Events named by an authenticated body; raises :class:`WebhookPayloadError` when malformed."""
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise WebhookPayloadError(f"webhook receiver {self.name}: body is not JSON ({exc})") from None
        try:
            events = self.spec.parser(payload, headers, self.name)
        except WebhookPayloadError as exc:
            raise WebhookPayloadError(f"webhook receiver {self.name}: {exc}") from None
        return list(dict.fromkeys(events))  # one sender request may repeat a repository
