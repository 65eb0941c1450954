"""The HTTP plumbing shared by every connector's emulator.

An emulator is a stateful fake of one service, reached over real HTTP on 127.0.0.1 by
the real client library. This module gives it a threaded server, a request log for
assertions, and fault knobs (latency, throttling, server errors, connection resets, and
answers lost after the request was applied).
The service itself lives in ``connectors/<name>/emulator.py`` as a subclass.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body as a form (Slack's clients post forms), merged over the query string."""
        merged = {k: v[-1] for k, v in self.query.items()}
        ctype = self.headers.get("content-type", "")
        if self.body and "json" in ctype:
            merged.update({k: v for k, v in self.json().items()})
        elif self.body:
            merged.update({k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()})
        return merged

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int  # 0 for a reset connection; for a dropped answer, the status that was never sent
    at: float
    headers: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    dropped: bool = False  # applied, then the connection closed without an answer


    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH", "DELETE"}


RESET = "reset"  # the connection is reset (RST) before the request is handled
DROP = "drop"  # the request is handled, then the connection closes (FIN) without an answer


@dataclass
class Faults:
    """Fault knobs. Rates are probabilities per request; ``script`` forces the next answers.

    ``script`` entries are ``"429"``, ``"503"`` (any status), ``"reset"`` (the connection is
    reset before the request is handled) or ``"drop"`` (the request is handled, its change
    made, then the connection is closed without an answer: a lost answer); each is used once
    by the next request whose path contains ``script_match`` (all when empty) and whose
    method is ``script_method`` (any when empty). ``rate_drop`` loses the answer of that
    share of the requests that are not GET: the change is made, the client cannot know it.
    """

    latency: float = 0.0  # seconds added to every request
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_reset: float = 0.0
    rate_drop: float = 0.0  # of requests other than GET and HEAD: handled, then no answer
    retry_after: float = 1.0  # seconds, sent in Retry-After with a 429
    seed: int = 0
    script: deque[str] = field(default_factory=deque)
    script_match: str = ""
    script_method: str = ""

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, path: str, method: str = "") -> str | None:
        """The fault for this request, if any: "429", "5xx" status text, "reset" or "drop"."""
        with self._lock:
            if self.script and self.script_match in path and self.script_method in ("", method):
                return self.script.popleft()
            roll = self._random.random()
            if roll < self.rate_reset:
                return "reset"
            if roll < self.rate_reset + self.rate_429:
                return "429"
            if roll < self.rate_reset + self.rate_429 + self.rate_5xx:
                return "503"
            if roll < self.rate_reset + self.rate_429 + self.rate_5xx + self.rate_drop and method not in ("GET", "HEAD"):
                return "drop"
            return None


class Emulator:
    """A stateful fake service. Subclasses implement ``handle`` and the error bodies."""

    name = "emulator"

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.log: list[LoggedRequest] = []
        self.lock = threading.RLock()  # guards the service state and the log
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- to implement

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def throttled(self, request: Request, retry_after: float) -> Response:
        return Response(429, {"error": "rate limited"}, {"Retry-After": _seconds(retry_after)})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"error": "backend error"})

    # -- lifecycle

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Emulator:
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- assertions

    def requests(self, method: str | None = None, path_contains: str = "") -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.log if (method is None or r.method == method) and path_contains in r.path]

    def writes(self) -> list[LoggedRequest]:
        """Requests that change state. Subclasses whose API writes with GET/POST alike override."""
        with self.lock:
            return [r for r in self.log if r.is_write]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # -- dispatch (called on server threads)

    def _dispatch(self, request: Request) -> Response | str:
        """The answer, or how the connection ends without one: ``RESET`` or ``DROP``."""
        if self.faults.latency:
            time.sleep(self.faults.latency)
        fault = self.faults.draw(request.path, request.method)
        if fault == RESET:
            self._record(request, 0)
            return RESET
        if fault == "429":
            response = self.throttled(request, self.faults.retry_after)
        elif fault is not None and fault != DROP:
            response = self.server_error(request, int(fault))
        else:
            try:
                response = self.handle(request)
            except Exception as exc:  # an emulator bug must show, not hang the client
                response = Response(500, {"error": f"emulator error: {type(exc).__name__}: {exc}"})
        self._record(request, response.status, dropped=fault == DROP)
        return DROP if fault == DROP else response

    def _record(self, request: Request, status: int, dropped: bool = False) -> None:
        with self.lock:
            self.log.append(
                LoggedRequest(request.method, request.path, request.query, request.body, status, time.time(),
                              request.headers, dropped)
            )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def _seconds(value: float) -> str:
    return str(max(0, int(value + 0.999)))


def _make_handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            """Headers and body go out in two sends: without TCP_NODELAY the body waits ~40 ms for an ACK."""
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            response = emulator._dispatch(request)
            if response == RESET:  # a connection reset: RST, no answer
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            if not isinstance(response, Response):  # DROP: the change is made, the answer lost (an orderly close)
                self.close_connection = True
                return
            payload = response.encode()
            self.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the log is emulator.log
            pass

    return Handler


@dataclass
class Sandbox:
    """A started emulator seeded with a sample org, and the config that points a connector at it.

    Each emulator module offers ``start_sandbox(domain, members, workdir) -> Sandbox``;
    ``offboard demo`` and the end-to-end tests use it. Files the config names (a service
    account key...) are written under ``workdir`` and named relative to it.
    """

    emulator: Emulator
    config: dict[str, Any]  # the [connectors.NAME] table, endpoints pointing at the emulator
    environ: dict[str, str] = field(default_factory=dict)  # secret variables the config names

    def stop(self) -> None:
        self.emulator.stop()
