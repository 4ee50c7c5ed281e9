"""A configured receiver with its secret loaded: authenticates a request and reads what it names."""

from __future__ import annotations

import json
from collections.abc import Mapping

from image_updater.webhooks.auth import signature_valid, token_valid
from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import WebhookPayloadError
from image_updater.webhooks.senders import SENDERS
from image_updater.webhooks.settings import WebhookReceiverSettings, load_receiver_secret


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
        return self.spec.auth == "token" and token_valid(
            self._secret, headers=headers, header=self.spec.header, path_token=path_token
        )

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
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
            # A shape the parser did not foresee is still the sender's malformed payload (400), not our 500.
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            raise WebhookPayloadError(f"webhook receiver {self.name}: payload not understood ({reason})") from None
        return list(dict.fromkeys(events))  # one sender request may repeat a repository
