"""Stand-ins for the image providers: an OpenRouter-like and an OpenAI-style Images API server,
real ``ThreadingHTTPServer``s on 127.0.0.1 that behave as a test says.

Real sockets rather than a mocked transport, so timeouts, refused connections, the body cap,
retries and cancellation are exercised as they are in production. Every request is recorded
(method, path, headers, JSON body) so a test can assert what was sent and how often.

Use the ``openrouter_server`` / ``images_server`` fixtures (``tests/stand_ins.py``): set ``server.behaviour`` (and
``failures`` to make it apply to the first N requests only, ``retry_after``, ``oversize_bytes``,
``reason``) and build the provider from ``server.base_url``; a ``DOWN`` server's URL points at a
port with nothing listening, so read ``base_url`` after setting the behaviour. A ``SLOW`` answer
waits on ``release``, set at teardown, so no test ever waits a fixed time; ``started`` is set when
a request arrives, for tests that cancel a call in flight.

The model list (OpenRouter's ``/models``) holds a realistic Gemini 2.5 Flash Image entry, priced
as OpenRouter lists it: ``prompt`` 0.0000003 and ``completion`` 0.0000025 USD per token,
``image`` 0.001238 (an *input* image), and ``image_output`` 0.00003 per output-image token
(1,290 of them make a 1K image, ~0.0387 USD); a text-output model (must be skipped), a model
with no pricing and one priced "-1" ("varies").
"""

from __future__ import annotations

import base64
import enum
import io
import json
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


class Behaviour(enum.Enum):
    OK = "ok"  # a real small PNG as base64; OpenRouter reports usage.cost 0.0387
    UNAUTHORIZED_401 = "401"  # the key is refused (the body echoes the key, as some servers do)
    PAYMENT_402 = "402"  # no funds
    RATE_429 = "429"  # Retry-After: ``retry_after`` (None: no header)
    REFUSED_403 = "403"  # moderation refusal with ``reason`` and metadata.reasons ["violence"]
    MODERATION_400 = "400-moderation"  # OpenAI's shape for a refusal: 400 content_policy_violation
    BAD_REQUEST_400 = "400"  # an ordinary 400 ("model not found")
    ERROR_BODY_200 = "200-error"  # HTTP 200 with an ``error`` object (code ``error_code``)
    NO_IMAGE = "no-image"  # a text-only answer
    CONTENT_FILTER = "content-filter"  # OpenRouter: finish_reason content_filter, no image
    NOT_AN_IMAGE = "not-an-image"  # valid base64 of bytes that are not an image
    BAD_BASE64 = "bad-base64"  # image data that is not valid base64
    NOT_JSON = "not-json"  # an HTML error page with 200
    OVERSIZED = "oversized"  # a 200 body of ``oversize_bytes`` with Content-Length
    OVERSIZED_STREAM = "oversized-stream"  # the same without Content-Length (read until close)
    SLOW = "slow"  # waits on ``release`` (set at teardown), then OK
    HANG_UP = "hang-up"  # reads the request, then closes the connection without answering
    SERVER_503 = "503"  # Retry-After: ``retry_after`` (None: no header)
    DOWN = "down"  # connection refused: the URL names a port with nothing listening


OK_COST = "0.0387"
IMAGE_SIZE = (64, 36)
GEMINI = "google/gemini-2.5-flash-image"
GEMINI_PRICING = {
    "prompt": "0.0000003",
    "completion": "0.0000025",
    "image": "0.001238",
    "image_output": "0.00003",
    "request": "0",
    "web_search": "0",
    "internal_reasoning": "0",
    "input_cache_read": "0.00000003",
}
GARBAGE = b"these bytes are not an image, only a sentence pretending to be one" * 4
DEFAULT_REASON = "Input was flagged by the moderation model"


def png_bytes(size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """A real PNG made with Pillow: a dawn gradient, so it is not a single flat colour."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [
            (40 + 200 * x // width, 60 + 150 * y // height, 140)
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PNG = png_bytes()
PNG_B64 = base64.b64encode(PNG).decode("ascii")


def _models_document() -> dict[str, Any]:
    """OpenRouter's ``/models?output_modalities=image`` shape (abridged to the fields we read)."""
    return {
        "data": [
            {
                "id": GEMINI,
                "canonical_slug": "google/gemini-2.5-flash-image",
                "name": "Google: Gemini 2.5 Flash Image (Nano Banana)",
                "context_length": 32768,
                "architecture": {
                    "modality": "text+image->text+image",
                    "input_modalities": ["image", "text"],
                    "output_modalities": ["image", "text"],
                    "tokenizer": "Gemini",
                },
                "pricing": GEMINI_PRICING,
            },
            {
                "id": "example/text-only",
                "name": "A text model listed by mistake",
                "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
                "pricing": {"prompt": "0.000001", "completion": "0.000002"},
            },
            {
                "id": "example/unpriced-image",
                "name": "Unpriced image model",
                "architecture": {"output_modalities": ["image"]},
            },
            {
                "id": "example/varies",
                "name": "Price varies",
                "pricing": {"prompt": "-1", "completion": "-1"},
            },
        ]
    }


@dataclass
class Recorded:
    """One request as the server saw it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    """One server's state; tests change the behaviour fields freely between calls."""

    flavour: str  # "openrouter" or "images"
    port: int
    release: threading.Event
    dead_port: int
    behaviour: Behaviour = Behaviour.OK
    failures: int | None = None
    """Apply ``behaviour`` to the first N requests only, then answer OK; None: always."""
    retry_after: str | None = None
    oversize_bytes: int = 256 * 1024
    reason: str = DEFAULT_REASON
    error_code: int = 402
    echo: str = ""
    """Text a 401 answer echoes back (a test puts the key here to prove it is not shown)."""
    requests: list[Recorded] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def prefix(self) -> str:
        return "/api/v1" if self.flavour == "openrouter" else "/v1"

    @property
    def base_url(self) -> str:
        port = self.dead_port if self.behaviour is Behaviour.DOWN else self.port
        return f"http://127.0.0.1:{port}{self.prefix}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def record(self, request: Recorded) -> int:
        """Keep the request and return how many came before it."""
        with self._lock:
            self.requests.append(request)
            seen = len(self.requests) - 1
        self.started.set()
        return seen

    def behaviour_for(self, seen: int) -> Behaviour:
        if self.failures is not None and seen >= self.failures:
            return Behaviour.OK
        return self.behaviour

    # --- answers -----------------------------------------------------------------------------

    def success(self) -> dict[str, Any]:
        return self.image_answer(PNG_B64)

    def image_answer(self, b64: str) -> dict[str, Any]:
        if self.flavour == "images":
            return {
                "created": 1790000000,
                "data": [{"b64_json": b64, "revised_prompt": "A quiet dawn over a field."}],
                "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
            }
        return self.chat(
            {
                "role": "assistant",
                "content": "",
                "refusal": None,
                "images": [
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{b64}"},
                        "index": 0,
                    }
                ],
            },
            finish="stop",
            native="STOP",
        )

    def chat(self, message: dict[str, Any], *, finish: str, native: str) -> dict[str, Any]:
        """An OpenRouter chat completion around ``message``; usage.cost is a JSON number."""
        return {
            "id": "gen-1790000000-abcdef",
            "provider": "Google AI Studio",
            "model": GEMINI,
            "object": "chat.completion",
            "created": 1790000000,
            "choices": [
                {
                    "logprobs": None,
                    "finish_reason": finish,
                    "native_finish_reason": native,
                    "index": 0,
                    "message": message,
                }
            ],
            "usage": {
                "prompt_tokens": 380,
                "completion_tokens": 1290,
                "total_tokens": 1670,
                "cost": float(OK_COST),
                "is_byok": False,
            },
        }

    def error(self, status: int, message: str, **extra: Any) -> dict[str, Any]:
        """The flavour's error body: OpenRouter puts the status in ``code``, OpenAI a word."""
        if self.flavour == "images":
            return {"error": {"message": message, "type": "invalid_request_error", **extra}}
        return {"error": {"code": status, "message": message, **extra}}

    def answer(self, behaviour: Behaviour) -> tuple[int, dict[str, str], bytes, bool]:
        """(status, headers, body, whether to send Content-Length)."""
        json_headers = {"Content-Type": "application/json"}

        def doc(
            status: int, document: object, **headers: str
        ) -> tuple[int, dict[str, str], bytes, bool]:
            return status, {**json_headers, **headers}, json.dumps(document).encode(), True

        if behaviour is Behaviour.SLOW:
            self.release.wait(60)
            behaviour = Behaviour.OK
        if behaviour is Behaviour.OK:
            return doc(200, self.success())
        if behaviour is Behaviour.UNAUTHORIZED_401:
            return doc(401, self.error(401, f"Invalid credentials {self.echo}".strip()))
        if behaviour is Behaviour.PAYMENT_402:
            return doc(
                402,
                self.error(
                    402, "Insufficient credits. Add more using https://openrouter.ai/credits"
                ),
            )
        if behaviour in (Behaviour.RATE_429, Behaviour.SERVER_503):
            status = 429 if behaviour is Behaviour.RATE_429 else 503
            headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
            return doc(
                status,
                self.error(status, "Slow down" if status == 429 else "Overloaded"),
                **headers,
            )
        if behaviour is Behaviour.REFUSED_403:
            if self.flavour == "images":
                return doc(403, self.error(403, self.reason, code="moderation_blocked"))
            return doc(
                403,
                self.error(
                    403,
                    self.reason,
                    metadata={
                        "reasons": ["violence"],
                        "flagged_input": "the prompt as sent…",
                        "provider_name": "Google",
                        "model_slug": GEMINI,
                    },
                ),
            )
        if behaviour is Behaviour.MODERATION_400:
            return doc(
                400,
                {
                    "error": {
                        "message": "Your request was rejected by the safety system.",
                        "type": "image_generation_user_error",
                        "param": None,
                        "code": "content_policy_violation",
                    }
                },
            )
        if behaviour is Behaviour.BAD_REQUEST_400:
            return doc(400, self.error(400, "example/nope is not a valid model ID"))
        if behaviour is Behaviour.ERROR_BODY_200:
            return doc(200, {"error": {"code": self.error_code, "message": self.reason}})
        if behaviour is Behaviour.NO_IMAGE:
            if self.flavour == "images":
                return doc(200, {"created": 1790000000, "data": []})
            text_only: dict[str, Any] = {
                "role": "assistant",
                "content": "Here is a description of the scene instead.",
            }
            return doc(200, self.chat(text_only, finish="stop", native="STOP"))
        if behaviour is Behaviour.CONTENT_FILTER:
            filtered: dict[str, Any] = {"role": "assistant", "content": None}
            return doc(200, self.chat(filtered, finish="content_filter", native="IMAGE_SAFETY"))
        if behaviour is Behaviour.NOT_AN_IMAGE:
            return doc(200, self.image_answer(base64.b64encode(GARBAGE).decode("ascii")))
        if behaviour is Behaviour.BAD_BASE64:
            return doc(200, self.image_answer("iVBORw0KGgo***not base64***"))
        if behaviour is Behaviour.NOT_JSON:
            page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
            return 200, {"Content-Type": "text/html"}, page, True
        if behaviour in (Behaviour.OVERSIZED, Behaviour.OVERSIZED_STREAM):
            document = self.success()
            document["padding"] = "x" * self.oversize_bytes
            body = json.dumps(document).encode()
            return 200, json_headers, body, behaviour is Behaviour.OVERSIZED
        raise AssertionError(f"{self.flavour} is {behaviour}: no server should be asked")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _record(self) -> tuple[StandIn, int]:
        stand_in = self.server.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = stand_in.record(Recorded(self.command, self.path, headers, body))
        return stand_in, seen

    def _send(self, status: int, headers: dict[str, str], body: bytes, with_length: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if with_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        stand_in, seen = self._record()
        wanted = "/chat/completions" if stand_in.flavour == "openrouter" else "/images/generations"
        if self.path != stand_in.prefix + wanted:
            self.send_error(404, f"no {self.path} here")
            return
        behaviour = stand_in.behaviour_for(seen)
        if behaviour is Behaviour.HANG_UP:
            self.close_connection = True
            return
        self._send(*stand_in.answer(behaviour))

    def do_GET(self) -> None:
        stand_in, seen = self._record()
        if stand_in.flavour != "openrouter" or not self.path.startswith(
            stand_in.prefix + "/models"
        ):
            self.send_error(404, f"no {self.path} here")
            return
        behaviour = stand_in.behaviour_for(seen)
        if behaviour is Behaviour.OK:
            self._send(
                200,
                {"Content-Type": "application/json"},
                json.dumps(_models_document()).encode(),
                True,
            )
            return
        self._send(*stand_in.answer(behaviour))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the tests."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stand_in: StandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stand_in = stand_in

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, body cap, cancel) breaks the pipe: expected. Anything
        else is a bug in the stand-in and is printed (pytest shows it with the failure)."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Running:
    """A running stand-in of one flavour; attribute access reaches its ``StandIn``."""

    def __init__(self, flavour: str) -> None:
        self.release = threading.Event()
        # Bound but never listening: connecting here is refused, and no one else can take the port.
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind(("127.0.0.1", 0))
        self.stand_in = StandIn(flavour, 0, self.release, self._dead.getsockname()[1])
        self._server = _Server(self.stand_in)
        self.stand_in.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"image-{flavour}",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Wake slow handlers first, so shutting down never waits out a delay."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._dead.close()
