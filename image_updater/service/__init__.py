"""Long-running mode: scheduler, webhook receivers, metrics, health.

The runner (``service/runner.py``) wires these to the update cycle:

    server = await serve(create_app(settings, on_events=..., metrics=metrics, health=health), host, port)
    await scheduler.start()
    await server.shutdown_requested.wait()   # SIGTERM / SIGINT
    await scheduler.stop()                   # finishes the cycle (and push) in flight
    await server.stop()
"""

from image_updater.service.app import create_app
from image_updater.service.events import RepositoryEvent
from image_updater.service.health import Health
from image_updater.service.metrics import WEBHOOK_RESULTS, Metrics
from image_updater.service.scheduler import CycleScheduler
from image_updater.service.server import ServiceServer, serve
from image_updater.service.settings import (
    ReceiverType,
    ServiceSettings,
    WebhookReceiverSettings,
    load_receiver_secret,
)
from image_updater.service.webhooks import SENDERS, Receiver, SenderSpec, WebhookPayloadError, sign_body

__all__ = [
    "SENDERS",
    "WEBHOOK_RESULTS",
    "CycleScheduler",
    "Health",
    "Metrics",
    "Receiver",
    "ReceiverType",
    "RepositoryEvent",
    "SenderSpec",
    "ServiceServer",
    "ServiceSettings",
    "WebhookPayloadError",
    "WebhookReceiverSettings",
    "create_app",
    "load_receiver_secret",
    "serve",
    "sign_body",
]
