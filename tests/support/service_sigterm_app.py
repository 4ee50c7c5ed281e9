"""A minimal service process for the SIGTERM test: the runner sequence from the service package docstring.

Its one cycle announces itself on stdout and then waits for a release file, standing in for a push in
flight; the test sends SIGTERM while it waits.  Usage: python service_sigterm_app.py RELEASE_FILE.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from image_updater.config import ServiceSettings
from image_updater.logs import configure_logging
from image_updater.service import CycleScheduler, Health, Metrics, create_app, serve


def say(line: str) -> None:
    print(line, flush=True)


async def main(release: Path) -> None:
    configure_logging("json", "info")
    settings = ServiceSettings(listen="127.0.0.1", port=0, interval=3600)
    metrics, health = Metrics(), Health(settings.interval)
    health.mark_config_loaded()

    async def run_cycle(images: frozenset[str] | None) -> None:
        say("cycle-started")
        while not release.exists():
            await asyncio.sleep(0.02)
        say("cycle-finished")

    scheduler = CycleScheduler(run_cycle, interval=settings.interval, metrics=metrics, health=health)
    app = create_app(settings, on_events=lambda events: scheduler.trigger(), metrics=metrics, health=health)
    server = await serve(app, settings.listen, settings.port)
    server.add_shutdown_hook(lambda: say("shutdown-requested"))
    say(f"listening {server.port}")
    await scheduler.start()
    await server.shutdown_requested.wait()
    await scheduler.stop()
    await server.stop()
    say("stopped")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
