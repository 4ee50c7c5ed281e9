"""A stateful fake forge on a real loopback port that checks every exchange against an API description.

Each request is validated by :class:`SpecChecker` before it is served; a request the description does
not allow is answered 400 (so the client sees it at once) and recorded in ``violations`` (so the
fixture fails the test even if the client swallowed the error). Responses are validated too, where
the description declares the status.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import uvicorn

from tests.support.forge_openapi import SpecChecker

Handler = Callable[..., tuple[int, Any]]


@dataclass
class StoredPR:
    """What the fake remembers about one pull/merge request, independent of the forge's JSON shape."""

    number: int
    head: str
    base: str
    title: str
    body: str
    state: str = "open"
    draft: bool = False
    labels: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    team_reviewers: list[str] = field(default_factory=list)
    auto_merge: bool = False
    merged: bool = False


@dataclass
class Exchange:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    status: int


@dataclass
class FakeRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any

    def arg(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.query if k == name), default)


class FakeForge:
    """ASGI app; subclasses register routes and say how a PR looks in their forge's JSON."""

    name = "fake"

    def __init__(self, checker: SpecChecker, *, prefix: str, token: str) -> None:
        self.checker = checker
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.prs: dict[int, StoredPR] = {}
        self.log: list[Exchange] = []
        self.violations: list[str] = []
        self.failures: dict[str, tuple[int, str]] = {}
        self.lagging_lists = 0  # answer this many list calls with [] (a stale search index)
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()

    # -- routing -------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile("^" + pattern + "$"), handler))

    def calls(self, method: str, pattern: str) -> list[Exchange]:
        rx = re.compile("^" + pattern + "$")
        return [e for e in self.log if e.method == method and rx.match(e.path)]

    def open_prs(self) -> list[StoredPR]:
        return [pr for pr in self.prs.values() if pr.state == "open"]

    def close_as_person(self, number: int) -> StoredPR:
        """A person closes the pull request in the web UI without merging it (no API call is logged)."""
        with self._lock:
            pr = self.prs[number]
            pr.state = "closed"
            return pr

    def merge_as_person(self, number: int) -> StoredPR:
        """A person merges the pull request in the web UI: closed, and marked merged."""
        with self._lock:
            pr = self.prs[number]
            pr.state, pr.merged = "closed", True
            return pr

    def new_pr(self, head: str, base: str, title: str, body: str, draft: bool) -> StoredPR:
        pr = StoredPR(number=len(self.prs) + 1, head=head, base=base, title=title, body=body, draft=draft)
        self.prs[pr.number] = pr
        return pr

    # -- forge specifics (overridden) ----------------------------------------------------------
    def authorized(self, request: FakeRequest) -> bool:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        return {"message": message}

    # -- ASGI ----------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = self.serve(scope, raw)
        data = b"" if payload is None else json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json")] if payload is not None else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    def serve(self, scope: dict[str, Any], raw: bytes) -> tuple[int, Any]:
        path = scope.get("raw_path", scope["path"].encode()).decode().split("?", 1)[0]
        query = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if not path.startswith(self.prefix + "/"):
            return 404, self.error_body(404, f"not under {self.prefix}")
        path = path[len(self.prefix) :]
        body = json.loads(raw) if raw else None
        request = FakeRequest(scope["method"], path, query, headers, body)
        mock = self.checker.mock_request(request.method, path, query, headers, raw)
        with self._lock:
            problems = self.checker.check_request(mock, query, raw)
            if problems:
                status, payload = (
                    400,
                    self.error_body(400, f"{self.name} spec violation: {'; '.join(problems)}"),
                )
                self.violations += [f"{request.method} {path}: {p}" for p in problems]
            else:
                status, payload = self.dispatch(request)
            out = b"" if payload is None else json.dumps(payload).encode()
            self.violations += [f"{request.method} {path}: {p}" for p in self.checker.check_response(mock, status, out)]
            self.log.append(Exchange(request.method, path, query, body, status))
        return status, payload

    def dispatch(self, request: FakeRequest) -> tuple[int, Any]:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                if not self.authorized(request):
                    return 401, self.error_body(401, "Bad credentials")
                failure = self.failures.pop(handler.__name__, None)
                if failure:
                    return failure[0], self.error_body(*failure)
                if handler.__name__.startswith("list_") and self.lagging_lists > 0:
                    self.lagging_lists -= 1
                    return 200, []
                return handler(request, **{k: unquote(v) for k, v in match.groupdict().items()})
        return 404, self.error_body(404, "Not Found")


class ForgeServer:
    """Runs an ASGI app with uvicorn in a daemon thread on a socket bound to a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForgeServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake forge did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
