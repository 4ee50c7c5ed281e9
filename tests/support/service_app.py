"""The service's HTTP app served by real uvicorn on a free loopback port, recording what it triggers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.config import ServiceSettings
from image_updater.service import Health, Metrics, ServiceServer, create_app, serve
from image_updater.webhooks import SENDERS, RepositoryEvent, WebhookReceiverSettings, sign_body


def secret_for(receiver: str) -> str:
    return f"test-secret-for-{receiver}-0123456789"


def auth_for(
    receiver_type: str, receiver: str, body: bytes, *, signature_header: str = "X-Signature"
) -> tuple[str, dict[str, str]]:
    """(path, headers) a genuine sender of this type would use."""
    secret = secret_for(receiver)
    spec = SENDERS[receiver_type]
    if spec.auth == "signature":
        return f"/webhook/{receiver}", {spec.header or signature_header: sign_body(secret, body)}
    if spec.header is None:
        return f"/webhook/{receiver}/{secret}", {}
    if receiver_type == "harbor":
        return f"/webhook/{receiver}", {"Authorization": secret}  # Harbor sends its auth header verbatim
    if spec.header == "Authorization":
        return f"/webhook/{receiver}", {"Authorization": f"Bearer {secret}"}
    return f"/webhook/{receiver}", {spec.header: secret}


@dataclass
class RunningApp:
    server: ServiceServer
    metrics: Metrics
    health: Health
    settings: ServiceSettings
    events: list[list[RepositoryEvent]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@contextlib.asynccontextmanager
async def running_app(
    secret_dir: Path,
    *,
    receivers: dict[str, str] | None = None,
    max_body_bytes: int = 4096,
    interval: float = 60.0,
    **endpoint: float,
) -> AsyncIterator[RunningApp]:
    """Serve the app with ``receivers`` (name -> type; default: one per type, named after it).

    Secrets are read from files, as in production; ``on_events`` appends to ``RunningApp.events``.
    """
    chosen = receivers if receivers is not None else {t: t for t in SENDERS}
    webhooks = []
    for name, kind in chosen.items():
        path = secret_dir / f"{name}.secret"
        path.write_text(secret_for(name) + "\n")
        webhooks.append(WebhookReceiverSettings(name=name, type=kind, secret_file=str(path)))
    settings = ServiceSettings(
        listen="127.0.0.1", port=0, interval=interval, webhooks=webhooks, max_body_bytes=max_body_bytes, **endpoint
    )
    metrics = Metrics()
    health = Health(settings.interval)
    recorded: list[list[RepositoryEvent]] = []
    app = create_app(settings, on_events=recorded.append, metrics=metrics, health=health)
    server = await serve(app, "127.0.0.1", 0, handle_signals=False)
    try:
        yield RunningApp(server, metrics, health, settings, recorded)
    finally:
        await server.stop()
