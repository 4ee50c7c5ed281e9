"""An HTTP server on another origin that records who contacts it, and with which Authorization header.

Tests point a registry's ``Link`` header at it to prove a client never follows a registry elsewhere:
whatever it answers (a plausible tag page), only an empty ``requests`` list passes such a test.
"""

from __future__ import annotations

from aiohttp import web

from tests.support.registry_http import ThreadedApp


class RecordingServer(ThreadedApp):
    """Answers every request with a plausible tag page and remembers it with its Authorization header."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path?query, Authorization) as received
        super().__init__(self._make_app)

    def _make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.path_qs, request.headers.get("Authorization")))
        return web.json_response({"name": "stolen", "tags": ["injected-from-elsewhere"]})
