"""Webhook receivers and the HTTP endpoint that serves them (``service.listen``, ``port``, ``webhooks``).

Secrets are never written inline: a config file lives in Git, so a receiver names a file or an
environment variable and the value is read at start-up (:func:`load_receiver_secret`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from image_updater.errors import ConfigError
from image_updater.secrets import read_secret
from image_updater.validation import parse_duration, unique_names
from image_updater.webhooks.senders import SENDERS

if TYPE_CHECKING:
    ReceiverType = str
else:  # derived from the senders table, so a new sender is never refused by the settings
    ReceiverType = Literal[tuple(SENDERS)]

MIN_SECRET_LENGTH = 16
"""A shorter shared secret is guessable over the network; refuse it rather than run exposed."""

_RECEIVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


class WebhookReceiverSettings(BaseModel):
    """One webhook endpoint, ``POST /webhook/{name}``, of one sender type with one shared secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: ReceiverType
    secret_file: str | None = None
    secret_env: str | None = None
    signature_header: str = "X-Signature"

    @field_validator("name")
    @classmethod
    def _url_safe_name(cls, value: str) -> str:
        if not _RECEIVER_NAME.match(value):
            raise ValueError(
                f"{value!r}: a receiver name is 1-63 letters, digits, '.', '_' or '-' (it becomes a URL path segment)"
            )
        return value

    @field_validator("signature_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER_NAME.match(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        return value

    @model_validator(mode="after")
    def _one_secret_source(self) -> WebhookReceiverSettings:
        if (self.secret_file is None) == (self.secret_env is None):
            raise ValueError(
                f"webhook receiver {self.name!r}: set exactly one of secret_file or secret_env "
                "(secrets are never written in the config file)"
            )
        return self


class EndpointSettings(BaseModel):
    """Where the service listens (webhooks in; ``/metrics``, ``/healthz``, ``/readyz`` out) and whom it trusts."""

    model_config = ConfigDict(extra="forbid")

    listen: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    webhooks: list[WebhookReceiverSettings] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    body_timeout: float = Field(default=10.0, gt=0, description="Seconds a sender may take to send a body.")
    max_unauthenticated_bodies: int = Field(
        default=32, ge=1, description="Bodies read at once before their signature is checked; more get 503."
    )

    @field_validator("body_timeout", mode="before")
    @classmethod
    def _body_timeout_duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("webhooks")
    @classmethod
    def _unique_names(cls, value: list[WebhookReceiverSettings]) -> list[WebhookReceiverSettings]:
        unique_names(value, lambda receiver: receiver.name, "webhook receiver")
        return value


def load_receiver_secret(receiver: WebhookReceiverSettings) -> str:
    """Read a receiver's secret from its file or variable; the error names the source, never the value."""
    field = "secret_file" if receiver.secret_file else "secret_env"
    key = f"service.webhooks[{receiver.name}].{field}"
    where = f"file {receiver.secret_file}" if receiver.secret_file else f"environment variable {receiver.secret_env}"
    try:
        secret = read_secret(file=receiver.secret_file, env=receiver.secret_env, what="webhook secret")
    except ConfigError as exc:
        raise ConfigError(str(exc), key=key) from None
    if not secret:
        raise ConfigError(f"{where} is unset or empty", key=key)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"the secret in {where} is shorter than {MIN_SECRET_LENGTH} characters", key=key)
    return secret
