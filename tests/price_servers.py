"""Stand-ins for the four BTC/USD price sources: real HTTP servers on 127.0.0.1, one per source,
each answering its source's path with that source's JSON shape, and behaving as a test says.

Real sockets rather than a mocked transport, so timeouts, refused connections, body caps and
concurrency are exercised as they are in production. Each server counts the requests it gets, so
a test can prove that the cache made none.

Use the ``price_servers`` fixture (``tests/stand_ins.py``): set ``servers[name].behaviour`` (and ``price``, ``delay``), then
build sources from ``servers.urls()``; a ``DOWN`` source's URL points at a port with nothing
listening, so it must be read after the behaviour is set.
"""

from __future__ import annotations

import enum
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payments.price import default_sources


class Behaviour(enum.Enum):
    OK = "ok"  # the source's JSON with ``price``
    SLOW = "slow"  # OK, after ``delay`` seconds (an Event wait in the server thread)
    GARBAGE = "garbage"  # valid JSON with the right shape, but the price is not a number
    HTML = "html"  # an HTML error page with text/html, as a CDN in front of an API sends
    HTML_AS_JSON = "html-as-json"  # an HTML page labelled application/json
    INVALID_JSON = "invalid-json"  # a truncated JSON document
    ERROR_500 = "500"  # HTTP 500
    OVERSIZED = "oversized"  # valid JSON, 100 KiB, with Content-Length
    OVERSIZED_STREAM = "oversized-stream"  # the same without Content-Length (read until close)
    DOWN = "down"  # connection refused: the URL names a port with nothing listening


AGREED_PRICE = "97123.45"
OVERSIZE_BYTES = 100 * 1024

_PATHS = {source.name: source.path for source in default_sources()}


def _document(name: str, price: str) -> str:
    """The source's own JSON shape around ``price`` (CoinGecko's is a JSON number, not a string)."""
    if name == "coinbase":
        return f'{{"data": {{"amount": "{price}", "base": "BTC", "currency": "USD"}}}}'
    if name == "kraken":
        return (
            '{"error": [], "result": {"XXBTZUSD": {"a": ["1", "1", "1.0"], "b": ["1", "1", "1.0"], '
            f'"c": ["{price}", "0.00100000"], "v": ["1", "1"]}}}}}}'
        )
    if name == "bitstamp":
        return f'{{"timestamp": "1790000000", "open": "1", "last": "{price}", "volume": "1"}}'
    if name == "coingecko":
        return f'{{"bitcoin": {{"usd": {price}}}}}'
    raise ValueError(name)


@dataclass
class StandIn:
    """One source's server state; tests change ``behaviour``, ``price`` and ``delay`` freely."""

    name: str
    port: int
    release: threading.Event
    behaviour: Behaviour = Behaviour.OK
    price: str = AGREED_PRICE
    delay: float = 0.0
    requests: int = 0
    dead_port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        port = self.dead_port if self.behaviour is Behaviour.DOWN else self.port
        return f"http://127.0.0.1:{port}"

    def count(self) -> None:
        with self._lock:
            self.requests += 1

    def answer(self) -> tuple[int, str, bytes, bool]:
        """(status, content type, body, whether to send Content-Length) for the behaviour."""
        json_type = "application/json"
        behaviour = self.behaviour
        if behaviour is Behaviour.SLOW:
            self.release.wait(self.delay)
        if behaviour in (Behaviour.OK, Behaviour.SLOW):
            return 200, json_type, _document(self.name, self.price).encode(), True
        if behaviour is Behaviour.GARBAGE:
            price = '"lots"' if self.name == "coingecko" else "lots"
            return 200, json_type, _document(self.name, price).encode(), True
        if behaviour in (Behaviour.HTML, Behaviour.HTML_AS_JSON):
            page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
            kind = "text/html; charset=utf-8" if behaviour is Behaviour.HTML else json_type
            return 200, kind, page, True
        if behaviour is Behaviour.INVALID_JSON:
            return 200, json_type, _document(self.name, self.price).encode()[:-7], True
        if behaviour is Behaviour.ERROR_500:
            return 500, json_type, b'{"error": "internal"}', True
        if behaviour in (Behaviour.OVERSIZED, Behaviour.OVERSIZED_STREAM):
            padding = " " * OVERSIZE_BYTES
            body = _document(self.name, self.price)[:-1] + f', "pad": "{padding}"}}'
            return 200, json_type, body.encode(), behaviour is Behaviour.OVERSIZED
        raise AssertionError(f"{self.name} is {behaviour}: no server should be asked")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        stand_in = self.server.stand_in
        stand_in.count()
        if self.path != _PATHS[stand_in.name]:
            self.send_error(404, f"{stand_in.name} does not serve {self.path}")
            return
        status, content_type, body, with_length = stand_in.answer()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if with_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the tests."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stand_in: StandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stand_in = stand_in

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout, body cap) breaks the pipe: expected, not an error."""


class PriceServers:
    """The four running stand-ins, by source name."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        # Bound but never listening: connecting here is refused, and no one else can take the port.
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind(("127.0.0.1", 0))

    def start(self) -> None:
        dead_port = self._dead.getsockname()[1]
        for name in _PATHS:
            stand_in = StandIn(name, 0, self.release, dead_port=dead_port)
            server = _Server(stand_in)
            stand_in.port = server.server_address[1]
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.01},  # shutdown() waits up to one poll per server
                name=f"price-{name}",
                daemon=True,
            )
            thread.start()
            self._servers[name] = server
            self._threads.append(thread)

    def stop(self) -> None:
        """Wake every slow handler first, so shutting down never waits out a delay."""
        self.release.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._dead.close()

    def __getitem__(self, name: str) -> StandIn:
        return self._servers[name].stand_in

    def urls(self, *names: str) -> Mapping[str, str]:
        """Base URLs by source name (all four unless ``names`` picks some), for ``default_sources``."""
        return {name: self[name].url for name in names or _PATHS}

    def requests(self) -> dict[str, int]:
        return {name: self[name].requests for name in _PATHS}

    def total_requests(self) -> int:
        return sum(self.requests().values())
