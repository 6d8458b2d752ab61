"""The HTTP rules every networked image provider follows (DESIGN.md section 7, "Client safety").

One place decides how a provider call may fail, so OpenRouter and any OpenAI-style server behave
alike and the generation flow only ever sees a ``ProviderError`` with a kind and one sentence:

- Connect and read timeouts per request, and one overall deadline (``asyncio.timeout``) around
  the whole call including retries, because image models can take minutes and a stuck call must
  still end.
- A response size cap: the body is streamed and refused as soon as its declared length or the
  bytes read pass the cap, so a broken or hostile server cannot fill memory.
- Retries only when the request provably never went out (``ConnectError``/``ConnectTimeout``),
  or when the server explicitly asks us to come back (429/503 with a short ``Retry-After``).
  A request that went out may already have been paid for: sending it again could charge twice.
- Messages never hold an API key, an ``Authorization`` header or base64 image data: a reason
  taken from a provider's error body is trimmed, cleaned of long base64-like runs and of the
  secrets we sent, and nothing here logs a header or a body.
- Cancellation is the caller's: ``CancelledError`` is never caught, so cancelling the task
  abandons the HTTP call at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.generation.providers.base import ProviderError

logger = logging.getLogger("verselight.images")

_ERROR_BODY_CAP = 64 * 1024
"""How much of a non-2xx body is read to find the provider's reason; the rest is ignored."""
_REASON_CHARS = 200
_BASE64_RUN = re.compile(r"data:[^\s,]*,\S*|[A-Za-z0-9+/=_-]{40,}")
"""A data URL, or a run long enough to be base64, a key or a token rather than a word."""


@dataclass(frozen=True)
class HttpLimits:
    """How long and how much one provider call may take. Defaults suit image models on a real
    network; tests shrink them to prove each limit without waiting."""

    connect_timeout: float = 10.0
    """Seconds to open the connection (TCP and TLS)."""
    read_timeout: float = 120.0
    """Seconds between bytes of the answer; image models think for a long time before answering."""
    deadline: float = 180.0
    """Seconds for the whole call, retries and ``Retry-After`` waits included."""
    max_bytes: int = 32 * 1024 * 1024
    """Largest answer body accepted (a base64 PNG at 1K is about 2 MB)."""
    max_retries: int = 2
    """Extra attempts after the first, only for the cases the module docstring names."""
    max_retry_after: float = 30.0
    """A longer ``Retry-After`` is not waited for: the user learns about the limit at once."""
    retry_pause: float = 0.5
    """Seconds between attempts after a failed connect (no ``Retry-After`` to go by)."""

    def __post_init__(self) -> None:
        positive = (self.connect_timeout, self.read_timeout, self.deadline, self.max_bytes)
        if any(value <= 0 for value in positive):
            raise ValueError("timeouts, the deadline and max_bytes must be positive")
        if self.max_retries < 0 or self.max_retry_after < 0 or self.retry_pause < 0:
            raise ValueError("max_retries, max_retry_after and retry_pause must not be negative")

    def timeout(self) -> httpx.Timeout:
        """The per-request httpx timeouts (writing a JSON prompt is quick: connect's budget)."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.connect_timeout,
            pool=self.connect_timeout,
        )


def make_client(limits: HttpLimits) -> httpx.AsyncClient:
    """The client a provider builds for itself when none is given: no redirects (an API that
    redirects a POST is misconfigured, and following would resend the key elsewhere), proxy
    settings from the environment honoured."""
    return httpx.AsyncClient(
        timeout=limits.timeout(),
        headers={"Accept": "application/json", "User-Agent": "verselight"},
        follow_redirects=False,
    )


def clean_reason(text: str, secrets: tuple[str, ...] = ()) -> str:
    """A provider's own words made safe for a message: secrets and base64-like runs replaced,
    whitespace collapsed, at most ~200 characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = _BASE64_RUN.sub("[...]", text)
    text = " ".join(text.split())
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1].rstrip() + "\u2026"
    return text.rstrip(".")


def secrets_in(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The values of credential headers, so a server echoing them back cannot leak them."""
    found: list[str] = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization") or "key" in lowered:
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                found.append(token.strip())
    return tuple(sorted(found, key=len, reverse=True))


def error_reason(doc: object, secrets: tuple[str, ...] = ()) -> str | None:
    """The short reason in an error body: ``error.message`` (OpenRouter and OpenAI shapes), with
    OpenRouter's moderation ``metadata.reasons`` appended; None when there is none."""
    if not isinstance(doc, dict):
        return None
    error = doc.get("error")
    message: object = error.get("message") if isinstance(error, dict) else error
    if not isinstance(message, str):
        message = doc.get("message")
    parts: list[str] = []
    if isinstance(message, str) and message.strip():
        parts.append(message)
    metadata = error.get("metadata") if isinstance(error, dict) else None
    reasons = metadata.get("reasons") if isinstance(metadata, dict) else None
    if isinstance(reasons, list):
        words = [r for r in reasons if isinstance(r, str) and r.strip()]
        if words:
            parts.append("(" + ", ".join(words) + ")")
    if not parts:
        return None
    return clean_reason(" ".join(parts), secrets) or None


def looks_like_refusal(doc: object) -> bool:
    """Whether an error body is a moderation or safety refusal (OpenAI sends those as 400 with
    ``code: content_policy_violation`` or ``moderation_blocked``)."""
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        return False
    labels = " ".join(str(error.get(key, "")) for key in ("code", "type")).lower()
    return any(word in labels for word in ("content_policy", "moderation", "safety", "flagged"))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when
    absent or unreadable. A date in the past means "now" (0)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
        return max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


class _Retry(Exception):
    """An attempt failed in a way that may be retried after ``delay`` seconds; ``error`` is what
    the caller gets when no retry is left."""

    def __init__(self, error: ProviderError, delay: float) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


async def _read_capped(response: httpx.Response, cap: int) -> bytes | None:
    """The body, or None as soon as its declared length or the bytes streamed pass ``cap``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > cap:
            return None
    return bytes(body)


def _size(count: int) -> str:
    """Bytes for a message: "32 MiB", "64 KiB", "900 bytes"."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def _load_json(body: bytes) -> object:
    """Standard JSON, but NaN and Infinity refused (they are not JSON and not prices)."""

    def refuse(name: str) -> object:
        raise ValueError(name)

    return json.loads(body, parse_constant=refuse)


def out_of_funds(what: str, how: str) -> ProviderError:
    """The provider's own wording ("Insufficient credits...") would read as if the user's
    Verselight credits ran out; it is the operator's account with the provider."""
    return ProviderError(
        "payment",
        f"{what} has no funds left on the account this app uses ({how}); the operator needs "
        "to top it up.",
    )


def _status_error(
    status: int,
    doc: object,
    retry_after: float | None,
    *,
    what: str,
    key_env: str | None,
    secrets: tuple[str, ...],
) -> ProviderError:
    """The ``ProviderError`` for a non-2xx status, with the provider's reason where it helps."""
    reason = error_reason(doc, secrets)
    said = f": {reason}" if reason else ""
    if status == 401:
        hint = f"; check {key_env}" if key_env else ""
        return ProviderError("auth", f"The {what} key was refused{hint}.")
    if status == 402:
        return out_of_funds(what, "HTTP 402")
    if status == 403 or (status == 400 and looks_like_refusal(doc)):
        return ProviderError("refused", f"{what} refused the request{said}.")
    if status == 429:
        wait = f"; try again in {math.ceil(retry_after)} s" if retry_after is not None else ""
        return ProviderError(
            "rate_limited",
            f"{what} is limiting requests (HTTP 429){wait}.",
            retry_after=retry_after,
        )
    if status >= 500:
        return ProviderError(
            "unavailable", f"{what} is unavailable (HTTP {status}){said}.", retry_after=retry_after
        )
    if 300 <= status < 400:
        return ProviderError("bad_answer", f"{what} answered with a redirect (HTTP {status}).")
    return ProviderError("bad_answer", f"{what} rejected the request (HTTP {status}){said}.")


async def _attempt(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    payload: object | None,
    limits: HttpLimits,
    what: str,
    key_env: str | None,
) -> dict[str, Any]:
    """One request and its answer, parsed; raises ``_Retry`` when another attempt is allowed."""
    secrets = secrets_in(headers)
    try:
        async with client.stream(
            method,
            url,
            headers=dict(headers),
            json=payload,
            timeout=limits.timeout(),
        ) as response:
            status = response.status_code
            ok = 200 <= status < 300
            body = await _read_capped(response, limits.max_bytes if ok else _ERROR_BODY_CAP)
            retry_header = response.headers.get("retry-after")
    except httpx.ConnectTimeout as exc:
        raise _Retry(
            ProviderError(
                "unreachable",
                f"Could not connect to {what} within {limits.connect_timeout:g} s.",
            ),
            limits.retry_pause,
        ) from exc
    except httpx.ConnectError as exc:
        raise _Retry(
            ProviderError(
                "unreachable", f"Could not connect to {what} (refused, unreachable or TLS failure)."
            ),
            limits.retry_pause,
        ) from exc
    except httpx.TimeoutException as exc:  # read, write or pool: the request may have gone out
        raise ProviderError(
            "timeout", f"{what} stopped answering for {limits.read_timeout:g} s."
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ProviderError(
            "not_configured", f"The {what} address is not a usable http(s) URL."
        ) from exc
    except httpx.TransportError as exc:  # e.g. RemoteProtocolError: sent, then the line broke
        raise ProviderError(
            "unavailable", f"{what} broke the connection before answering ({type(exc).__name__})."
        ) from exc
    except httpx.HTTPError as exc:  # e.g. DecodingError: a body that does not decompress
        raise ProviderError(
            "bad_answer",
            f"{what} answered with a body that could not be read ({type(exc).__name__}).",
        ) from exc

    logger.debug("%s answered HTTP %d", what, status)
    if not ok:
        doc: object = None
        if body is not None:
            try:
                doc = _load_json(body)
            except (ValueError, RecursionError):
                doc = None
        retry_after = parse_retry_after(retry_header)
        error = _status_error(status, doc, retry_after, what=what, key_env=key_env, secrets=secrets)
        if (
            status in (429, 503)
            and retry_after is not None
            and retry_after <= limits.max_retry_after
        ):
            raise _Retry(error, retry_after)
        raise error
    if body is None:
        raise ProviderError(
            "too_large", f"{what}'s answer is larger than {_size(limits.max_bytes)}, the limit."
        )
    try:
        doc = _load_json(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, NaN
        raise ProviderError(
            "bad_answer", f"{what} answered with something that is not JSON."
        ) from exc
    if not isinstance(doc, dict):
        raise ProviderError("bad_answer", f"{what} answered with JSON that is not an object.")
    return doc


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    payload: object | None = None,
    limits: HttpLimits,
    what: str,
    key_env: str | None = None,
) -> dict[str, Any]:
    """``method`` ``url`` with the module's rules; the parsed JSON object of a 2xx answer, or a
    ``ProviderError``. ``what`` names the provider in messages ("OpenRouter"); ``key_env`` is
    the setting a 401 message points at ("OPENROUTER_API_KEY")."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + limits.deadline
    try:
        async with asyncio.timeout_at(ends_at):
            retries = 0
            while True:
                try:
                    return await _attempt(
                        client,
                        method,
                        url,
                        headers=headers,
                        payload=payload,
                        limits=limits,
                        what=what,
                        key_env=key_env,
                    )
                except _Retry as retry:
                    # Waiting past the deadline would only turn a clear answer into a timeout.
                    late = loop.time() + retry.delay >= ends_at
                    if retries >= limits.max_retries or late:
                        raise retry.error from retry.__cause__
                    retries += 1
                    logger.info(
                        "%s: %s; attempt %d of %d in %.1f s",
                        what,
                        retry.error.kind,
                        retries + 1,
                        limits.max_retries + 1,
                        retry.delay,
                    )
                    await asyncio.sleep(retry.delay)
    except TimeoutError:
        # Only the deadline raises TimeoutError here: httpx's own timeouts became ProviderErrors.
        raise ProviderError(
            "timeout", f"{what} did not answer within {limits.deadline:g} s."
        ) from None


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    payload: object,
    limits: HttpLimits,
    what: str,
    key_env: str | None = None,
) -> dict[str, Any]:
    """POST ``payload`` as JSON; see ``request_json``."""
    return await request_json(
        client,
        "POST",
        url,
        headers=headers,
        payload=payload,
        limits=limits,
        what=what,
        key_env=key_env,
    )


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    limits: HttpLimits,
    what: str,
    key_env: str | None = None,
) -> dict[str, Any]:
    """GET ``url`` (a model list); see ``request_json``."""
    return await request_json(
        client, "GET", url, headers=headers, limits=limits, what=what, key_env=key_env
    )
