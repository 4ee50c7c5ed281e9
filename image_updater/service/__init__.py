"""Long-running mode: the HTTP server (webhooks in, metrics and health out), the scheduler, metrics, health.

The runner (``commands/run.py``) wires these to the update cycle:

    server = await serve(create_app(settings.service, on_events=..., metrics=metrics, health=health), host, port)
    await scheduler.start()
    await server.shutdown_requested.wait()   # SIGTERM / SIGINT
    await scheduler.stop()                   # finishes the cycle (and push) in flight
    await server.stop()
"""

from image_updater.service.app import create_app
from image_updater.service.health import Health
from image_updater.service.metrics import WEBHOOK_RESULTS, Metrics
from image_updater.service.scheduler import CycleScheduler
from image_updater.service.server import ServiceServer, serve

__all__ = [
    "WEBHOOK_RESULTS",
    "CycleScheduler",
    "Health",
    "Metrics",
    "ServiceServer",
    "create_app",
    "serve",
]
