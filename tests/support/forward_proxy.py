"""An HTTP forward proxy as its own process: absolute-URI requests and CONNECT tunnels, optional Basic auth.

What corporate proxies (squid, tinyproxy) do, small enough to read: every request is written to a log
file, one line, *before* it is answered, so once a client has its answer the line is there to count.

    python -m tests.support.forward_proxy --log FILE [--credentials USER:PASSWORD]

prints ``PORT`` (a free loopback port it listens on) once it accepts connections.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding"}
)


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, log: Path, credentials: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log = log.open("a", encoding="utf-8")
        self.lock = threading.Lock()
        self.expected = f"Basic {base64.b64encode(credentials.encode()).decode()}" if credentials else None

    def record(self, line: str) -> None:
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Proxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _admitted(self) -> bool:
        """Answer 407 (and log ``refused``) unless the proxy needs no credentials or got the right ones."""
        expected = self.server.expected
        if expected is None or self.headers.get("Proxy-Authorization") == expected:
            return True
        self.server.record(f"refused {self.command} {self.path}")
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:
        if not self._admitted():
            return
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=30)
        self.server.record(f"tunnel CONNECT {self.path}")
        self.send_response(200, "Connection established")
        self.end_headers()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    break
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True

    def _forward(self) -> None:
        if not self._admitted():
            return
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            self.send_error(400, "a forward proxy needs an absolute http:// URL")
            return
        self.server.record(f"forward {self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path or "/", body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_HEADERS and name.lower() != "content-length":
                self.send_header(name, value)
        # HEAD answers carry the length of the body they describe, not of an empty one
        self.send_header(
            "Content-Length", response.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--credentials", default=None, help="USER:PASSWORD the proxy demands (Basic)")
    args = parser.parse_args()
    proxy = _Proxy(args.log, args.credentials)
    print(proxy.server_address[1], flush=True)
    proxy.serve_forever()


# --- the fixture side ---------------------------------------------------------------------------------


@dataclass
class ProxyProcess:
    port: int
    log: Path
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self, kind: str | None = None) -> list[str]:
        text = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
        return [line for line in text.splitlines() if kind is None or line.startswith(f"{kind} ")]

    def forwarded_to(self, host: str) -> list[str]:
        """``METHOD URL`` of every request forwarded to ``host`` (host:port)."""
        return [line.removeprefix("forward ") for line in self.lines("forward") if f"://{host}/" in line]


@contextmanager
def forward_proxy(workdir: Path, credentials: str | None = None) -> Iterator[ProxyProcess]:
    log = workdir / f"proxy-{len(list(workdir.glob('proxy-*.log')))}.log"
    command = [sys.executable, "-m", "tests.support.forward_proxy", "--log", str(log)]
    if credentials:
        command += ["--credentials", credentials]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()  # printed once the socket listens
        if not port.isdigit():
            raise RuntimeError(f"the proxy did not start (exit {process.wait()})")
        yield ProxyProcess(int(port), log, process)
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
