"""A programmable proxy in front of a real registry: paging, ETags, faults and latency.

Distribution 2.8 ignores ``n``/``last`` and sends no ETag on tag lists, and it never fails on purpose; this
proxy adds what real registries do (Docker Hub and GHCR page, some send ETags, all of them throttle and
stumble) while every answer still comes from the real registry behind it.

Run standalone for benchmarks (a separate process, so its CPU is not charged to the client measured):
``python -m tests.support.registry_proxy --upstream http://127.0.0.1:5000 --port 5001 --delay 0.05``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import re
import ssl
import struct
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.support.registry_http import ThreadedApp

FAULTS = ("429", "503", "500", "reset", "slow", "truncated", "badjson")
_REPO_RE = re.compile(r"^/v2/(.+?)/(?:tags/list|manifests/|blobs/)")
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
)


@dataclass
class ProxyBehaviour:
    """What the proxy does; tests may change it while the proxy runs."""

    page_size: int | None = None  # serve tags/list in sorted pages of at most this many tags
    etag: bool = False  # tags/list pages get an ETag and If-None-Match gets 304
    delay: float = 0.0  # seconds added to every request
    faults: dict[str, list[str]] = field(default_factory=dict)  # repository → faults, one per request
    broken: set[str] = field(default_factory=set)  # repositories that always answer 503
    retry_after: str = "1"
    slow_seconds: float = 3.0
    loop_links: bool = False  # every page links back to the first one
    revoked: set[str] = field(default_factory=set)  # Authorization values answered with the registry's 401
    revoke_bearer: bool = False  # every bearer token is answered with the registry's 401
    strip_digest: bool = False  # drop Docker-Content-Digest, as some registries and mirrors do
    reject_page_size: bool = False  # tags/list with ``n`` answers 400, as some registries do above a maximum
    link_origin: str | None = None  # every next link is an absolute URL on this origin (a hostile registry)
    # A hostile registry, per repository's tag list:
    endless_pages: set[str] = field(default_factory=set)  # one tag per page, each page links to a new URL
    gzip_bomb: set[str] = field(default_factory=set)  # 1 MB of gzip that inflates to 1 GiB
    endless_body: set[str] = field(default_factory=set)  # a body that does not end (bounded: ENDLESS_*)
    redirect_to: dict[str, str] = field(default_factory=dict)  # repository → origin the tag list redirects to
    challenge: str | None = None  # answer 401 with this WWW-Authenticate to every request without credentials


ENDLESS_BYTES = 8 << 30  # what an "endless" body sends at most, and for how long: every loop is bounded
ENDLESS_SECONDS = 120.0


@functools.cache
def gzip_bomb() -> bytes:
    """``{"tags": ["1.0.0"   …1 GiB of spaces…]}`` as 1 MB of gzip (each MiB flushed alike, so it is built fast)."""
    head, tail, chunk = b'{"tags": ["1.0.0"', b"]}", b" " * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.compress(tail) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + 1024 * len(chunk) + len(tail)
    trailer = struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + first + block * 1024 + last + trailer


class RegistryProxy:
    def __init__(
        self,
        upstream: str,
        behaviour: ProxyBehaviour | None = None,
        port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.behaviour = behaviour or ProxyBehaviour()
        self.requests: list[tuple[str, str]] = []  # (method, path?query) as received
        self.per_repository: dict[str, int] = defaultdict(int)
        self.authorizations: list[str | None] = []
        self.statuses: list[int] = []  # in the order responses were made
        self._session: aiohttp.ClientSession | None = None
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the proxy was serving at once
        self.endless_sent = 0  # bytes of the last endless body written before the client hung up
        self.app = ThreadedApp(self._make_app, port, ssl_context)

    @property
    def url(self) -> str:
        return self.app.url

    @property
    def host(self) -> str:
        return self.app.host

    def start(self) -> RegistryProxy:
        self.app.start()
        return self

    def stop(self) -> None:
        self.app.stop()

    def _make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        app.on_cleanup.append(self._close_session)
        return app

    async def _close_session(self, _: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def _forward(
        self, request: web.Request, path_qs: str, drop_auth: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64), auto_decompress=False)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in _HOP_HEADERS and not (drop_auth and k.lower() == "authorization")
        }
        body = await request.read()
        async with self._session.request(
            request.method, self.upstream + path_qs, headers=headers, data=body or None, allow_redirects=False
        ) as response:
            data = await response.read()
            out = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
            return response.status, out, data

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs))
        self.authorizations.append(request.headers.get("Authorization"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            response = await self._respond(request)
        finally:
            self.in_flight -= 1
        self.statuses.append(response.status)
        return response

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        behaviour = self.behaviour
        match = _REPO_RE.match(request.path)
        repository = match[1] if match else ""
        self.per_repository[repository] += 1
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if repository in behaviour.broken:
            return web.Response(status=503, text="broken on purpose")
        queue = behaviour.faults.get(repository)
        fault = queue.pop(0) if queue else None
        if fault == "429":
            return web.Response(status=429, headers={"Retry-After": behaviour.retry_after})
        if fault in ("503", "500"):
            return web.Response(status=int(fault))
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        if fault == "slow":
            await asyncio.sleep(behaviour.slow_seconds)
        if behaviour.challenge and not request.headers.get("Authorization"):
            return web.Response(status=401, headers={"WWW-Authenticate": behaviour.challenge})
        if request.method == "GET" and request.path.endswith("/tags/list"):
            hostile = await self._hostile_tags(request, repository)
            if hostile is not None:
                return hostile
        authorization = request.headers.get("Authorization") or ""
        bearer = authorization.startswith("Bearer ")
        if authorization in behaviour.revoked or (behaviour.revoke_bearer and bearer):
            status, headers, _ = await self._forward(request, request.path_qs, drop_auth=True)
            return web.Response(status=status, headers=headers)
        if behaviour.reject_page_size and request.path.endswith("/tags/list") and "n" in request.query:
            return web.json_response({"errors": [{"code": "PAGINATION_NUMBER_INVALID"}]}, status=400)
        if request.method == "GET" and request.path.endswith("/tags/list") and behaviour.page_size:
            status, headers, body = await self._page(request, repository)
        else:
            status, headers, body = await self._forward(request, request.path_qs)
        if behaviour.etag and request.path.endswith("/tags/list") and status == 200:
            tag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            headers["ETag"] = tag
            if request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers=headers)
        if behaviour.strip_digest:
            headers.pop("Docker-Content-Digest", None)
        if fault in ("truncated", "badjson"):
            return await self._broken_body(request, status, headers, body, fault)
        return web.Response(status=status, headers=headers, body=body)

    async def _hostile_tags(self, request: web.Request, repository: str) -> web.StreamResponse | None:
        behaviour = self.behaviour
        if repository in behaviour.endless_pages:
            number = int(request.query.get("page", "1"))
            link = f'</v2/{repository}/tags/list?n=1&last=0.0.{number}&page={number + 1}>; rel="next"'
            return web.json_response({"name": repository, "tags": [f"0.0.{number}"]}, headers={"Link": link})
        if repository in behaviour.gzip_bomb:
            headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
            return web.Response(body=gzip_bomb(), headers=headers)
        if repository in behaviour.endless_body:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            await response.write(b'{"tags": ["1.0.0"')
            chunk, sent, until = b" " * (1 << 16), 0, time.monotonic() + ENDLESS_SECONDS
            try:
                while sent < ENDLESS_BYTES and time.monotonic() < until:
                    await response.write(chunk)
                    sent += len(chunk)
            except (ConnectionError, RuntimeError):
                pass  # the client stopped reading: what it should do
            self.endless_sent = sent
            return response
        if repository in behaviour.redirect_to:
            return web.Response(status=307, headers={"Location": behaviour.redirect_to[repository] + request.path_qs})
        return None

    async def _broken_body(
        self, request: web.Request, status: int, headers: dict[str, str], body: bytes, fault: str
    ) -> web.StreamResponse:
        half = body[: len(body) // 2]
        if fault == "badjson":  # a complete HTTP message whose JSON is cut short
            return web.Response(status=status, headers=headers, body=half)
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(half)
        assert request.transport is not None
        request.transport.abort()  # the promised rest never comes
        return response

    async def _page(self, request: web.Request, repository: str) -> tuple[int, dict[str, str], bytes]:
        """Page a full upstream listing as the distribution spec describes (``n``, ``last``, ``Link``)."""
        status, headers, body = await self._forward(request, f"/v2/{repository}/tags/list")
        if status != 200:
            return status, headers, body
        size = self.behaviour.page_size or 1
        asked = request.query.get("n")
        size = min(size, int(asked)) if asked and asked.isdigit() and int(asked) > 0 else size
        tags = sorted(json.loads(body).get("tags") or [])
        last = request.query.get("last")
        if last:
            tags = [t for t in tags if t > last]
        page, rest = tags[:size], tags[size:]
        if rest or self.behaviour.loop_links:
            query = f"n={size}&last={page[-1]}" if not self.behaviour.loop_links else f"n={size}"
            number = int(request.query.get("page", "1"))
            # rotate the three link forms real registries use: absolute path, absolute URL, query only
            forms = (
                f"/v2/{repository}/tags/list?{query}&page={number + 1}",
                f"{self.url}/v2/{repository}/tags/list?{query}&page={number + 1}",
                f"?{query}&page={number + 1}",
            )
            target = forms[number % 3] if not self.behaviour.loop_links else forms[0].split("&page")[0]
            if self.behaviour.link_origin:
                target = self.behaviour.link_origin + forms[0]
            headers["Link"] = f'<{target}>; rel="next"'
        return 200, headers, json.dumps({"name": repository, "tags": page}).encode()


class Bystander:
    """Another origin a hostile registry points at: forged tags for any tag list, a token for any request;
    it records every request and its Authorization header, so a test can show none reached it."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.requests: list[tuple[str, str | None]] = []  # (path?query, Authorization)
        self.app = ThreadedApp(self._make_app)

    @property
    def url(self) -> str:
        return self.app.url

    def start(self) -> Bystander:
        self.app.start()
        return self

    def stop(self) -> None:
        self.app.stop()

    def _make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path_qs, request.headers.get("Authorization")))
        if request.path.endswith("/tags/list"):
            return web.json_response({"name": "forged", "tags": self.tags})
        return web.json_response({"token": "forged-token-0123456789", "expires_in": 300})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    proxy = RegistryProxy(args.upstream, ProxyBehaviour(delay=args.delay), args.port)

    async def serve() -> None:
        runner = web.AppRunner(proxy._make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024).start()
        await asyncio.Event().wait()

    try:
        import uvloop  # the proxy's own CPU should disturb a benchmark as little as possible
    except ImportError:
        asyncio.run(serve())
    else:
        uvloop.run(serve())


if __name__ == "__main__":
    main()
