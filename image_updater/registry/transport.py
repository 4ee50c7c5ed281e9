"""One polite HTTP connection pool per registry: limits, retries, timeouts, authentication.

aiohttp rather than httpx: on two cores httpx.AsyncClient spent so much CPU per request that it got slower
as concurrency rose (bench/README.md has the figures), while aiohttp kept up with the registry. Everything
aiohttp-specific stays in this module.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import sys
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

from multidict import CIMultiDictProxy

from image_updater.errors import RegistryAuthError, RegistryProtocolError, RegistryUnavailableError
from image_updater.logs import get_logger
from image_updater.registry.auth import Authenticator
from image_updater.registry.credentials import CredentialSource
from image_updater.registry.origins import describe, origin
from image_updater.registry.proxy import ProxyRoute, ProxyRoutes
from image_updater.registry.settings import RegistrySettings
from image_updater.retry import backoff_delay
from image_updater.tls import verification

if TYPE_CHECKING:
    import aiohttp

log = get_logger("image_updater.registry")

RequestObserver = Callable[[str, "int | None", float], None]
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_TRANSIENT_STATUSES = frozenset({408, 500, 502, 504})
_MAX_BACKOFF = 30.0
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_CHUNK = 1 << 16

#: What a request fetches decides how much of its body is read and where a redirect may lead.
Kind = Literal["tags", "manifest", "config", "token"]
_KINDS: dict[str, tuple[str, str]] = {  # kind → (what it is called in errors, the setting that caps its body)
    "tags": ("tag list", "max_tag_list_bytes"),
    "manifest": ("manifest", "max_manifest_bytes"),
    "config": ("config blob", "max_config_bytes"),
    "token": ("token server answer", "max_token_bytes"),
}


@dataclass(frozen=True)
class Reply:
    """A fully read response: registries answer small documents, so bodies are always read in full."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str  # as requested (redirects are followed, but the request's URL is what callers know)
    data: Any = None  # the parsed JSON body when the caller asked for it and the status was 200


class RateLimiter:
    """Spaces request starts ``1/rate`` apart; shared by every request to one registry."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def import_in_background() -> None:
    """Start importing aiohttp in a thread of its own, unless it is imported already.

    aiohttp is imported where a request is first made, not with this module: it is 0.1 s of ``plan``'s
    start-up (its two default SSL contexts alone are 50 ms, ``bench/startup.py``), and a cycle needs it only
    after git has cloned or fetched. Started when a cycle starts, the import runs while that git process
    works; a request made before it finishes waits for it (Python's import lock), and nothing is imported
    twice.
    """
    if "aiohttp" not in sys.modules:
        threading.Thread(target=_import_aiohttp, name="import-aiohttp", daemon=True).start()


def _import_aiohttp() -> None:
    import aiohttp  # noqa: F401 - imported for its side effect: sys.modules holds it from now on


def _login(route: ProxyRoute | None) -> aiohttp.BasicAuth | None:
    """The proxy login as aiohttp 3 takes it. (Its suggested replacement, ``proxy_headers``, reaches only
    CONNECT tunnels, not plain-http requests sent to the proxy, so the deprecated ``proxy_auth`` it is.)"""
    import aiohttp

    if route is None or route.username is None:
        return None
    return aiohttp.BasicAuth(route.username, route.password or "")


class _Transient(Exception):
    """One failed attempt worth retrying; ``wait`` is the server's Retry-After when it gave one."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class RegistryConnection:
    """Everything that talks to one registry goes through ``send``, so its limits hold process-wide."""

    def __init__(
        self, settings: RegistrySettings, credentials: CredentialSource | None, observer: RequestObserver | None = None
    ) -> None:
        self.settings = settings
        self._observer = observer
        self._limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._session: aiohttp.ClientSession | None = None
        self.auth = Authenticator(settings.name, credentials, self._fetch_token, settings.url)
        self._proxies = ProxyRoutes(settings)
        self.requests = 0  # HTTP attempts made, for benchmarks and tests

    def __repr__(self) -> str:
        return f"RegistryConnection({self.settings.name}, {self.settings.url})"

    def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            tls = verification(
                insecure=self.settings.insecure,
                ca_file=self.settings.ca_file,
                key=f"registries[{self.settings.name}].ca_file",
            )
            connector = aiohttp.TCPConnector(limit=self.settings.max_concurrency, ssl=tls, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,  # proxies come from ProxyRoutes (proxy.py), and ~/.netrc is never read
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                # Bodies are decompressed here, as they are read, so a size cap holds for compressed ones too.
                headers={"User-Agent": "image-updater", "Accept-Encoding": "gzip, deflate"},
                auto_decompress=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        image: str | None,
        headers: Mapping[str, str] | None = None,
        parse_json: bool = False,
        kind: Kind,
    ) -> Reply:
        """Send with retries; on 401 answer the challenge and send once more; a second 401 is fatal."""
        sent = self.auth.header(scope)
        for attempt in range(2):
            request_headers = dict(headers) if headers else None
            if sent is not None:
                request_headers = request_headers or {}
                request_headers["Authorization"] = sent
            reply = await self._send_with_retries(method, url, request_headers, image, parse_json, kind)
            if reply.status != 401:
                return reply
            if attempt == 1:
                break
            sent = await self.auth.answer(reply.headers.get("WWW-Authenticate"), scope, sent, image)
        raise RegistryAuthError(
            "the registry refused the credentials (HTTP 401)", registry=self.settings.name, image=image
        )

    async def _fetch_token(self, url: str, headers: dict[str, str]) -> tuple[int, Any]:
        reply = await self._send_with_retries("GET", url, headers, None, True, "token")
        return reply.status, reply.data

    async def _send_with_retries(
        self, method: str, url: str, headers: dict[str, str] | None, image: str | None, parse_json: bool, kind: Kind
    ) -> Reply:
        settings = self.settings
        for attempt in range(settings.retries + 1):
            try:
                return await self._attempt(method, url, headers, parse_json, image, kind)
            except _Transient as failure:
                reason, server_wait = str(failure), failure.wait
            if server_wait is not None and server_wait > settings.max_retry_wait:
                raise RegistryUnavailableError(
                    f"{reason}; Retry-After {server_wait:g}s exceeds max_retry_wait",
                    registry=settings.name,
                    image=image,
                )
            if attempt == settings.retries:
                break
            backoff = backoff_delay(attempt, settings.backoff, _MAX_BACKOFF)
            wait = server_wait if server_wait is not None else backoff
            log.info(
                "registry request retried",
                registry=settings.name,
                method=method,
                url=url,
                reason=reason,
                retry=attempt + 1,
                retries=settings.retries,
                wait=round(wait, 2),
            )
            await asyncio.sleep(wait)
        raise RegistryUnavailableError(
            f"{reason} (gave up after {settings.retries + 1} attempts)", registry=settings.name, image=image
        )

    async def _attempt(
        self, method: str, url: str, headers: dict[str, str] | None, parse_json: bool, image: str | None, kind: Kind
    ) -> Reply:
        import aiohttp

        async with self._slots:
            if self._limiter is not None:
                await self._limiter.wait()
            started = time.perf_counter()
            status: int | None = None
            route = self._proxies.for_url(url)
            try:
                target, hop_headers = url, headers
                for _ in range(_MAX_REDIRECTS + 1):
                    self.requests += 1
                    async with self._client().request(
                        method,
                        target,
                        headers=hop_headers,
                        allow_redirects=False,
                        proxy=route.address if route else None,
                        proxy_auth=_login(route),
                    ) as response:
                        location = response.headers.get("Location")
                        if response.status in _REDIRECT_STATUSES and location:
                            target = self._redirect(url, target, location, kind, image)
                            if hop_headers and origin(target) != origin(url):
                                # the credentials are for the registry (or realm) asked, no one else
                                hop_headers = {k: v for k, v in hop_headers.items() if k.lower() != "authorization"}
                            route = self._proxies.for_url(target)
                            continue
                        body = await self._read_body(response, kind, image)
                        status, response_headers = response.status, response.headers  # a complete answer
                        break
                else:
                    raise RegistryProtocolError(
                        f"{_KINDS[kind][0]}: more than {_MAX_REDIRECTS} redirects",
                        registry=self.settings.name,
                        image=image,
                    )
            except aiohttp.ClientHttpProxyError as exc:  # the proxy refused the CONNECT tunnel
                if exc.status == 407 and route is not None:
                    self._proxies.forget()
                    raise RegistryAuthError(route.refused(), registry=self.settings.name, image=image) from None
                raise _Transient(f"proxy {route.address if route else ''} answered HTTP {exc.status}") from None
            except TimeoutError:
                raise _Transient(f"no answer within {self.settings.timeout:g}s") from None
            except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
                # not transient: retrying cannot make a certificate trusted
                reason = f"TLS failed ({type(exc).__name__}); set ca_file for a private CA"
                raise RegistryUnavailableError(reason, registry=self.settings.name, image=image) from None
            except aiohttp.ClientPayloadError as exc:
                raise _Transient(f"truncated response ({type(exc).__name__})") from None
            except aiohttp.ClientError as exc:
                via = f" via proxy {route.address}" if route is not None else ""
                raise _Transient(f"connection failed{via} ({type(exc).__name__}: {exc})") from None
            finally:
                if self._observer is not None:
                    self._observer(self.settings.name, status, time.perf_counter() - started)
        if status == 407 and route is not None:  # a forward proxy's refusal of a plain-http request
            self._proxies.forget()
            raise RegistryAuthError(route.refused(), registry=self.settings.name, image=image)
        if status in _RETRY_AFTER_STATUSES:
            raise _Transient(f"HTTP {status}", retry_after_seconds(response_headers.get("Retry-After")))
        if status in _TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {status}")
        data = None
        if parse_json and status == 200:
            try:
                data = json.loads(body)
            except ValueError:
                raise _Transient("truncated or invalid JSON body") from None
        return Reply(status, response_headers, body, url, data)

    def _redirect(self, asked: str, current: str, location: str, kind: Kind, image: str | None) -> str:
        """Where a redirect may lead: tag lists and manifests stay on the registry's origin (or a configured
        mirror), as the tags and digests they name are trusted; config blobs are checked against their digest,
        so any origin serves, but never a downgrade to plain http; a token server stays on its own origin."""
        settings = self.settings
        target = urljoin(current, location)
        where = origin(target)
        if kind == "token":
            allowed = where == origin(asked)
        elif kind == "config":
            allowed = where[0] == "https" or settings.insecure
        else:
            allowed = where in {origin(settings.url), *(origin(m) for m in settings.mirrors)}
        if not allowed:
            raise RegistryProtocolError(
                f"{_KINDS[kind][0]} redirected to another origin ({describe(where)}); not followed"
                + (" (add it to mirrors to allow it)" if kind in ("tags", "manifest") else ""),
                registry=settings.name,
                image=image,
            )
        return target

    async def _read_body(self, response: aiohttp.ClientResponse, kind: Kind, image: str | None) -> bytes:
        """The body, decompressed as it arrives, refused as soon as it passes the kind's cap (an endless or
        inflating body costs at most the cap in memory)."""
        label, setting = _KINDS[kind]
        cap: int = getattr(self.settings, setting)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            decoder: Any = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip or zlib header, detected
        elif encoding in ("", "identity"):
            decoder = None
        else:
            raise RegistryProtocolError(
                f"{label} came with Content-Encoding {encoding[:40]!r}, which was not asked for",
                registry=self.settings.name,
                image=image,
            )
        chunks: list[bytes] = []
        size = raw_size = 0

        def too_large() -> RegistryProtocolError:
            response.close()  # never drain the rest: it may not end
            return RegistryProtocolError(
                f"{label} is larger than {cap} bytes ({setting}); not read further",
                registry=self.settings.name,
                image=image,
            )

        try:
            async for raw in response.content.iter_chunked(_CHUNK):
                if decoder is None:
                    size += len(raw)
                    if size > cap:
                        raise too_large()
                    chunks.append(raw)
                    continue
                raw_size += len(raw)
                if raw_size > cap:
                    raise too_large()
                pending = raw
                while pending:
                    data = decoder.decompress(pending, cap + 1 - size)  # never more than one byte past the cap
                    size += len(data)
                    if size > cap:
                        raise too_large()
                    chunks.append(data)
                    pending = decoder.unconsumed_tail
            if decoder is not None:
                rest = decoder.flush()
                size += len(rest)
                if size > cap:
                    raise too_large()
                chunks.append(rest)
        except zlib.error as exc:
            raise _Transient(f"corrupt {encoding} body ({exc})") from None
        return b"".join(chunks)
