"""Webhook receivers: who may call, how they prove it, and which repositories their payloads name.

Pure (no HTTP server here): ``service.app`` hands each request's headers and body to a
:class:`Receiver`; the senders table (``senders/``) is the one place a sender type is defined.
"""

from image_updater.webhooks.auth import sign_body
from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import WebhookPayloadError
from image_updater.webhooks.receiver import Receiver
from image_updater.webhooks.senders import SENDERS, SenderSpec
from image_updater.webhooks.settings import (
    MIN_SECRET_LENGTH,
    EndpointSettings,
    ReceiverType,
    WebhookReceiverSettings,
    load_receiver_secret,
)

__all__ = [
    "MIN_SECRET_LENGTH",
    "SENDERS",
    "EndpointSettings",
    "Receiver",
    "ReceiverType",
    "RepositoryEvent",
    "SenderSpec",
    "WebhookPayloadError",
    "WebhookReceiverSettings",
    "load_receiver_secret",
    "sign_body",
]
