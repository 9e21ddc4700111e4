"""Loopback servers for the collector tests: a fake BMC serving a Redfish mockup, a server
that answers one fixed status, and a TCP relay in front of the live app that can be down,
up, or hold connections until released. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def url_of(server: ThreadingHTTPServer) -> str:
    scheme = "https" if isinstance(server.socket, ssl.SSLSocket) else "http"
    return f"{scheme}://127.0.0.1:{server.server_address[1]}"


def self_signed_tls(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made with openssl, and a server context that presents it."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


@contextmanager
def fake_bmc(
    mockup: Path, *, user: str, password: str, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[ThreadingHTTPServer, list[str]]]:
    """A BMC that serves a Redfish mockup (DMTF layout: <path>/index.json) behind basic auth;
    yields the server and the list of paths requested."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    requested: list[str] = []

    class Handler(_Quiet):
        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path).rstrip("/")
            requested.append(path)
            if self.headers.get("Authorization") != expected:
                self._send(401, {"error": {"code": "Base.1.0.NoValidSession", "message": "auth required"}})
                return
            relative = path.removeprefix("/redfish/v1").strip("/")
            target = (mockup / relative / "index.json").resolve()
            if not target.is_relative_to(mockup.resolve()) or not target.is_file():
                self._send(404, {"error": {"code": "Base.1.0.ResourceMissingAtURI"}})
                return
            self._send(200, target.read_bytes())

        def _send(self, status: int, body: object) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve(Handler, tls) as server:
        yield server, requested


@contextmanager
def fixed_status(
    status: int, body: dict[str, str] | str, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[ThreadingHTTPServer, list[tuple[str, int]]]]:
    """A server that reads every upload and answers `status` (a 503 of a proxy in maintenance,
    for example); yields the server and the (request target, size) of each upload received."""
    received: list[tuple[str, int]] = []

    class Handler(_Quiet):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.append((self.path, len(self.rfile.read(length))))
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve(Handler, tls) as server:
        yield server, received


class Relay:
    """A TCP relay on a fixed loopback port in front of the live app. Until start() nothing
    listens there (the server is down: connection refused). With hold=True every connection
    waits for release() before it is passed on, so a sync can be caught mid-upload."""

    def __init__(self, upstream_url: str, *, hold: bool = False) -> None:
        split = urlsplit(upstream_url)
        self.upstream = ("127.0.0.1", split.port or 80)
        self.port = free_port()
        # "localhost" as the live server is named: the app checks the Host header (ALLOWED_HOSTS)
        self.url = f"http://localhost:{self.port}"
        self.connections = 0
        self.connected = threading.Event()
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept_loop)

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            self.connected.set()
            self._spawn(self._handle, client)

    def _handle(self, client: socket.socket) -> None:
        self._released.wait(timeout=120)
        with client, socket.create_connection(self.upstream) as upstream:
            pump = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            pump.start()
            _pump(client, upstream)
            pump.join(timeout=120)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)
