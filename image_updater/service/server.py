"""Running uvicorn inside the service's own event loop, with SIGTERM left to the service.

uvicorn's own signal handling stops the HTTP server and then re-raises the signal, which would kill
the process before the scheduler finishes the push in flight.  Here a signal only *requests*
shutdown; the runner decides the order (stop the scheduler, then the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Generator, Iterable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from image_updater.logs import get_logger

log = get_logger("image_updater.service.server")

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ServiceServer(uvicorn.Server):
    """A uvicorn server that reports signals through :attr:`shutdown_requested` instead of exiting."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.shutdown_requested = asyncio.Event()
        self._hooks: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._signals: list[int] = []

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals are handled by serve(); see the module docstring

    def add_shutdown_hook(self, hook: Callable[[], None]) -> None:
        """Called (in the loop) when a shutdown signal arrives, e.g. to stop taking new cycle requests."""
        self._hooks.append(hook)

    def request_shutdown(self) -> None:
        if self.shutdown_requested.is_set():
            log.warning("second shutdown signal: stopping the HTTP server now")
            self.should_exit = True
            return
        log.info("shutdown requested")
        self.shutdown_requested.set()
        for hook in self._hooks:
            try:
                hook()
            except Exception:
                log.exception("shutdown hook failed")

    @property
    def port(self) -> int:
        """The bound port (useful when asked for port 0)."""
        for server in getattr(self, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self.config.port)

    def install_signal_handlers(self, signals: Iterable[int] = SHUTDOWN_SIGNALS) -> None:
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self.request_shutdown)
            self._signals.append(sig)

    async def stop(self) -> None:
        """Stop accepting requests, finish the ones in flight, and remove the signal handlers."""
        self.should_exit = True
        if self._task is not None:
            await self._task
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()


async def _serve_guarded(server: ServiceServer) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits on bind failures; a task must not raise SystemExit
        where = f"{server.config.host}:{server.config.port}"
        raise OSError(f"the HTTP server could not start on {where}") from exc


async def serve(
    app: ASGIApp, host: str, port: int, *, handle_signals: bool = True, **uvicorn_options: Any
) -> ServiceServer:
    """Start serving ``app`` in the running loop and return once the socket listens.

    With ``handle_signals`` SIGTERM and SIGINT set ``server.shutdown_requested``; the runner awaits it,
    stops the scheduler (which finishes the cycle in flight), then awaits ``server.stop()``.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
        **uvicorn_options,
    )
    server = ServiceServer(config)
    task = asyncio.create_task(_serve_guarded(server), name="image-updater http")
    server._task = task
    while not server.started:
        if task.done():
            task.result()  # raises the start-up failure
            raise OSError(f"the HTTP server on {host}:{port} stopped during start-up")
        await asyncio.sleep(0.01)
    if handle_signals:
        server.install_signal_handlers()
    log.info("listening", host=host, port=server.port)
    return server
