"""The HTTP face of the service: webhooks in, metrics and health out.

A webhook request is answered as soon as it is authenticated and parsed: the scan it asks for runs
later, in the scheduler, so a slow registry never makes a sender time out and retry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from image_updater.logs import get_logger
from image_updater.secrets import register_secret
from image_updater.service.health import Health
from image_updater.service.metrics import Metrics
from image_updater.webhooks import EndpointSettings, Receiver, RepositoryEvent, WebhookPayloadError

log = get_logger("image_updater.service.webhooks")

EventSink = Callable[[list[RepositoryEvent]], None]


class _BodyTooLarge(Exception):
    pass


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes whether or not Content-Length was declared."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"status": message, **extra}, status_code=status)


def create_app(
    settings: EndpointSettings,
    *,
    on_events: EventSink,
    metrics: Metrics,
    health: Health,
    receivers: list[Receiver] | None = None,
) -> Starlette:
    """Build the app; receivers' secrets are read now (a missing secret fails start-up, not a request).

    ``on_events`` is called in the event loop with the repositories of each accepted request; it must
    return quickly (the scheduler's ``trigger`` does).  ``receivers`` overrides loading them from
    ``settings`` (tests pass secrets directly).
    """
    table = {r.name: r for r in (receivers if receivers is not None else [Receiver(s) for s in settings.webhooks])}
    register_secret(*(r.secret for r in table.values()))
    limit = settings.max_body_bytes
    # Bodies a signature receiver must read before it knows who sent them: at most this many at once, each
    # for at most body_timeout, so slow or idle senders cannot hold the memory of max_body_bytes each.
    reading_unauthenticated = 0

    async def webhook(request: Request) -> Response:
        nonlocal reading_unauthenticated
        started = time.monotonic()
        name = request.path_params["receiver"]
        path_token = request.path_params.get("token")
        receiver = table.get(name)
        if receiver is None:
            # Attacker-chosen names must not become metric labels: one bucket for all of them.
            metrics.webhook_event("", "unknown_receiver")
            return _answer(404, "unknown receiver")

        def refuse(status: int, result: str, message: str) -> Response:
            metrics.webhook_event(name, result)
            log.warning(
                "webhook refused",
                receiver=name,
                result=result,
                status=status,
                client=request.client.host if request.client else None,
            )
            return _answer(status, message)

        if not receiver.signs_body and not receiver.token_valid(request.headers, path_token):
            return refuse(401, "unauthorized", "unauthorized")
        if receiver.signs_body and path_token is not None:
            return refuse(401, "unauthorized", "this receiver authenticates by signature, not by URL")
        unauthenticated = receiver.signs_body
        if unauthenticated:
            if reading_unauthenticated >= settings.max_unauthenticated_bodies:
                return refuse(503, "busy", "too many unauthenticated requests at once; retry later")
            reading_unauthenticated += 1
        try:
            async with asyncio.timeout(settings.body_timeout):
                body = await _read_limited(request, limit)
        except _BodyTooLarge:
            return refuse(413, "too_large", f"body larger than {limit} bytes")
        except TimeoutError:
            return refuse(408, "timeout", f"body not received within {settings.body_timeout:g}s")
        except ClientDisconnect:
            return refuse(400, "malformed", "client disconnected")
        finally:
            if unauthenticated:
                reading_unauthenticated -= 1
        if receiver.signs_body and not receiver.signature_valid(request.headers, body):
            return refuse(401, "unauthorized", "unauthorized")
        try:
            events = receiver.parse(body, request.headers)
        except WebhookPayloadError as exc:
            metrics.webhook_event(name, "malformed")
            log.warning("webhook payload rejected", receiver=name, error=str(exc))
            return _answer(400, "malformed payload", reason=str(exc))  # the sender is authenticated
        if not events:
            metrics.webhook_event(name, "ignored")
            log.debug("webhook ignored", receiver=name)
            return _answer(202, "ignored", repositories=[])
        try:
            on_events(events)
        except Exception:
            metrics.webhook_event(name, "error")
            log.exception("webhook handler failed", receiver=name)
            return _answer(500, "internal error")
        metrics.webhook_event(name, "accepted", repositories=len(events))
        log.info(
            "webhook accepted",
            receiver=name,
            repositories=[e.name for e in events],
            tags=[e.tag for e in events],
            duration=round(time.monotonic() - started, 4),
        )
        return _answer(202, "accepted", repositories=sorted({e.name for e in events}))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        ready, reason = health.is_ready()
        return JSONResponse({"ready": ready, "reason": reason}, status_code=200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        payload, content_type = metrics.render()
        return Response(payload, media_type=content_type)

    routes = [
        Route("/webhook/{receiver}", webhook, methods=["POST"]),
        Route("/webhook/{receiver}/{token}", webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    return Starlette(routes=routes)
