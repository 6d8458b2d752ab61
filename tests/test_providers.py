"""Image providers against real stand-in servers on 127.0.0.1 (``tests/image_servers.py``):
what is sent, every way an answer can fail and the one ``ProviderError`` kind each maps to,
retries only where the request never went out or the server asked us to come back, the body
cap, timeouts, cancellation, price estimates in exact ``Decimal``, no secret or base64 in any
message; and ``check_image``, the Pillow gate in front of the disk.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import re
import struct
import traceback
import warnings
import zlib
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import httpx
import pytest
from PIL import Image

from core.generation.imagecheck import CheckedImage, check_image
from core.generation.providers.base import ImageRequest, ProviderError
from core.generation.providers.http import (
    HttpLimits,
    clean_reason,
    parse_retry_after,
)
from core.generation.providers.openai_images import (
    OPENAI_SIZES,
    OpenAIImagesProvider,
    nearest_size,
)
from core.generation.providers.openrouter import (
    IMAGE_OUTPUT_TOKENS,
    PROMPT_TOKENS,
    OpenRouterProvider,
    estimate_usd_per_image,
)
from tests.image_servers import (
    DEFAULT_REASON,
    GEMINI,
    GEMINI_PRICING,
    OK_COST,
    PNG,
    PNG_B64,
    Behaviour,
    StandIn,
    png_bytes,
)

KEY = "sk-or-v1-" + "0123456789abcdef" * 4
IMAGES_KEY = "sk-images-test-key-5d2c9a"
# Generous times (nothing here should come near them) except where a test shrinks one.
FAST = HttpLimits(connect_timeout=2.0, read_timeout=10.0, deadline=20.0, retry_pause=0.0)
REQUEST = ImageRequest(
    model=GEMINI,
    prompt="One scene, no text: a man kneeling at night before a lamp-lit tent.",
    aspect_ratio="16:9",
    width=1024,
    height=576,
    verse_text="For God so loved the world...",
    reference="John 3:16",
    theme=None,
)
LONG_BASE64 = re.compile(r"[A-Za-z0-9+/=]{40,}")


def openrouter(
    server: StandIn,
    limits: HttpLimits = FAST,
    key: str | None = KEY,
    client: httpx.AsyncClient | None = None,
) -> OpenRouterProvider:
    """Read ``server.base_url`` only now: a DOWN server's URL depends on its behaviour."""
    return OpenRouterProvider(server.base_url, key, limits, client=client)


def images(
    server: StandIn,
    limits: HttpLimits = FAST,
    key: str | None = IMAGES_KEY,
    sizes: tuple[str, ...] | None = None,
) -> OpenAIImagesProvider:
    return OpenAIImagesProvider(server.base_url, key, ("gpt-image-1",), limits, sizes=sizes)


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """No key and no base64 in the message or repr of the error or anything it chains to, nor
    anywhere in the whole printed traceback."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    printed = "".join(traceback.format_exception(exc))
    for text in [printed, *(str(e) for e in chain), *(repr(e) for e in chain)]:
        for secret in (KEY, IMAGES_KEY, *secrets):
            assert secret not in text
        assert PNG_B64[:24] not in text
    for error in chain:
        assert not LONG_BASE64.search(str(error)), str(error)


async def fails(provider: OpenRouterProvider | OpenAIImagesProvider) -> ProviderError:
    """The ProviderError ``generate`` raises (checked clean), closing the provider afterwards."""
    async with aclosing(provider):
        with pytest.raises(ProviderError) as caught:
            await provider.generate(REQUEST)
    assert_clean(caught.value)
    return caught.value


# --- OpenRouter: success and what is sent ---------------------------------------------------------


async def test_openrouter_returns_the_image_and_its_cost(openrouter_server: StandIn) -> None:
    async with aclosing(openrouter(openrouter_server)) as provider:
        image = await provider.generate(REQUEST)

    assert image.data == PNG
    assert image.provider_cost == Decimal(OK_COST)
    assert image.model == GEMINI
    checked = check_image(image.data)
    assert (checked.width, checked.height, checked.mime) == (64, 36, "image/png")

    (sent,) = openrouter_server.requests
    assert (sent.method, sent.path) == ("POST", "/api/v1/chat/completions")
    assert sent.body == {
        "model": GEMINI,
        "messages": [{"role": "user", "content": REQUEST.prompt}],
        "modalities": ["image", "text"],
        "image_config": {"aspect_ratio": "16:9", "image_size": "1K"},
    }
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-title"] == "Verselight"
    assert sent.headers["http-referer"].startswith("https://")
    assert sent.headers["content-type"] == "application/json"


async def test_a_missing_key_fails_without_any_request(openrouter_server: StandIn) -> None:
    error = await fails(openrouter(openrouter_server, key=None))
    assert error.kind == "not_configured"
    assert str(error) == "OpenRouter needs an API key: set OPENROUTER_API_KEY."
    assert openrouter_server.count == 0


async def test_an_address_that_is_not_http_is_not_configured() -> None:
    error = await fails(OpenRouterProvider("ftp://127.0.0.1/api/v1", KEY, FAST))
    assert error.kind == "not_configured"


async def test_images_api_without_a_server_fails_without_any_request() -> None:
    error = await fails(OpenAIImagesProvider("", IMAGES_KEY, ("gpt-image-1",), FAST))
    assert error.kind == "not_configured"
    assert "VERSELIGHT_IMAGES_URL" in str(error)


async def test_a_caller_client_is_used_and_left_open(openrouter_server: StandIn) -> None:
    async with httpx.AsyncClient() as client:
        provider = openrouter(openrouter_server, client=client)
        assert (await provider.generate(REQUEST)).data == PNG
        await provider.aclose()
        assert not client.is_closed


# --- OpenRouter: status codes ----------------------------------------------------------------------


async def test_a_refused_key_says_which_setting_to_check(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.UNAUTHORIZED_401
    openrouter_server.echo = KEY  # a server repeating the key must not get it shown
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "auth"
    assert str(error) == "The OpenRouter key was refused; check OPENROUTER_API_KEY."


async def test_402_is_payment_and_not_retried(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.PAYMENT_402
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "payment"
    assert str(error) == (
        "OpenRouter has no funds left on the account this app uses (HTTP 402); the operator "
        "needs to top it up."
    )  # not the provider's "Insufficient credits", which reads as the user's own credits
    assert openrouter_server.count == 1


async def test_a_moderation_refusal_carries_the_reason(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.REFUSED_403
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "refused"
    assert str(error) == f"OpenRouter refused the request: {DEFAULT_REASON} (violence)."
    assert openrouter_server.count == 1


async def test_a_refusal_reason_is_trimmed_and_cleaned(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.REFUSED_403
    openrouter_server.reason = (
        f"flagged for key {KEY} and image data:image/png;base64,{PNG_B64} "
        f"raw {PNG_B64} " + "and so on " * 50
    )
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "refused"
    assert "flagged" in str(error)
    assert len(str(error)) < 260


@pytest.mark.parametrize(
    "behaviour, kind",
    [
        (Behaviour.BAD_REQUEST_400, "bad_answer"),
        (Behaviour.SERVER_503, "unavailable"),
        (Behaviour.NOT_JSON, "bad_answer"),
        (Behaviour.BAD_BASE64, "bad_answer"),
    ],
)
async def test_other_failures_map_to_one_kind_without_retry(
    openrouter_server: StandIn, behaviour: Behaviour, kind: str
) -> None:
    openrouter_server.behaviour = behaviour
    error = await fails(openrouter(openrouter_server))
    assert error.kind == kind
    assert "OpenRouter" in str(error)
    assert openrouter_server.count == 1  # a 503 without Retry-After is not retried either


# --- OpenRouter: 200 answers that are still failures -------------------------------------------------


@pytest.mark.parametrize(
    "code, kind",
    [(402, "payment"), (403, "refused"), (429, "rate_limited"), (500, "bad_answer")],
)
async def test_a_200_with_an_error_object_fails(
    openrouter_server: StandIn, code: int, kind: str
) -> None:
    openrouter_server.behaviour = Behaviour.ERROR_BODY_200
    openrouter_server.error_code = code
    openrouter_server.reason = "Provider returned error"
    error = await fails(openrouter(openrouter_server))
    assert error.kind == kind
    if kind == "payment":  # said in our words: the provider's would blame the user's credits
        assert "no funds left on the account this app uses (error 402)" in str(error)
    else:
        assert "Provider returned error" in str(error)


async def test_a_text_only_answer_is_no_image(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.NO_IMAGE
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "no_image"
    assert str(error) == "OpenRouter's model answered without an image."


async def test_a_content_filter_finish_is_a_refusal(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.CONTENT_FILTER
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "refused"


async def test_bytes_that_are_not_an_image_pass_the_provider_but_not_check_image(
    openrouter_server: StandIn,
) -> None:
    openrouter_server.behaviour = Behaviour.NOT_AN_IMAGE
    async with aclosing(openrouter(openrouter_server)) as provider:
        image = await provider.generate(REQUEST)
    with pytest.raises(ProviderError) as caught:
        check_image(image.data)
    assert caught.value.kind == "bad_image"
    assert str(caught.value).startswith("The image received could not be read (")


# --- OpenRouter: retries ---------------------------------------------------------------------------


def http_date(delta: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + delta, usegmt=True)


# Fixed ids: an id holding the date would differ between xdist workers, which then refuse to run.
@pytest.mark.parametrize(
    "retry_after", ["0", http_date(timedelta(minutes=-1))], ids=["seconds", "http-date"]
)
async def test_429_with_retry_after_is_retried_then_succeeds(
    openrouter_server: StandIn, retry_after: str
) -> None:
    openrouter_server.behaviour = Behaviour.RATE_429
    openrouter_server.retry_after = retry_after
    openrouter_server.failures = 1
    async with aclosing(openrouter(openrouter_server)) as provider:
        image = await provider.generate(REQUEST)
    assert image.data == PNG
    assert openrouter_server.count == 2
    first, second = openrouter_server.requests
    assert first.body == second.body


async def test_503_with_retry_after_is_retried(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.SERVER_503
    openrouter_server.retry_after = "0"
    openrouter_server.failures = 2
    async with aclosing(openrouter(openrouter_server)) as provider:
        assert (await provider.generate(REQUEST)).data == PNG
    assert openrouter_server.count == 3


async def test_429_beyond_the_retries_is_rate_limited(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.RATE_429
    openrouter_server.retry_after = "0"
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "rate_limited"
    assert error.retry_after == 0
    assert openrouter_server.count == 1 + FAST.max_retries


@pytest.mark.parametrize("retry_after", [None, "3600", "soon"])
async def test_429_without_a_short_retry_after_is_not_retried(
    openrouter_server: StandIn, retry_after: str | None
) -> None:
    openrouter_server.behaviour = Behaviour.RATE_429
    openrouter_server.retry_after = retry_after
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "rate_limited"
    assert error.retry_after == (3600 if retry_after == "3600" else None)
    assert openrouter_server.count == 1


async def test_a_wait_past_the_deadline_is_not_attempted(openrouter_server: StandIn) -> None:
    """Retry-After 20 s is allowed (max 30) but the deadline is 0.5 s: answer at once."""
    openrouter_server.behaviour = Behaviour.RATE_429
    openrouter_server.retry_after = "20"
    error = await fails(openrouter(openrouter_server, HttpLimits(deadline=0.5)))
    assert error.kind == "rate_limited"
    assert error.retry_after == 20
    assert openrouter_server.count == 1


@pytest.mark.parametrize("max_retries", [0, 2])
async def test_a_refused_connection_is_retried_exactly_as_allowed(
    openrouter_server: StandIn, max_retries: int
) -> None:
    openrouter_server.behaviour = Behaviour.DOWN
    attempts: list[str] = []

    async def count(request: httpx.Request) -> None:
        attempts.append(request.url.path)

    limits = HttpLimits(max_retries=max_retries, retry_pause=0.0)
    async with httpx.AsyncClient(event_hooks={"request": [count]}) as client:
        error = await fails(openrouter(openrouter_server, limits, client=client))
    assert error.kind == "unreachable"
    assert "OpenRouter" in str(error)
    assert attempts == ["/api/v1/chat/completions"] * (1 + max_retries)
    assert openrouter_server.count == 0


async def test_a_connection_broken_after_sending_is_not_retried(
    openrouter_server: StandIn,
) -> None:
    openrouter_server.behaviour = Behaviour.HANG_UP
    error = await fails(openrouter(openrouter_server))
    assert error.kind == "unavailable"
    assert openrouter_server.count == 1


# --- OpenRouter: size cap, timeouts, cancellation ------------------------------------------------------


@pytest.mark.parametrize("behaviour", [Behaviour.OVERSIZED, Behaviour.OVERSIZED_STREAM])
async def test_an_answer_over_the_cap_is_too_large(
    openrouter_server: StandIn, behaviour: Behaviour
) -> None:
    openrouter_server.behaviour = behaviour
    openrouter_server.oversize_bytes = 1024 * 1024
    limits = HttpLimits(max_bytes=64 * 1024, retry_pause=0.0)
    error = await fails(openrouter(openrouter_server, limits))
    assert error.kind == "too_large"
    assert str(error) == "OpenRouter's answer is larger than 64 KiB, the limit."
    assert openrouter_server.count == 1


async def test_the_overall_deadline_ends_a_slow_answer(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.SLOW
    error = await fails(openrouter(openrouter_server, HttpLimits(deadline=0.5)))
    assert error.kind == "timeout"
    assert str(error) == "OpenRouter did not answer within 0.5 s."
    assert openrouter_server.count == 1


async def test_the_read_timeout_ends_a_silent_answer(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.SLOW
    error = await fails(openrouter(openrouter_server, HttpLimits(read_timeout=0.3)))
    assert error.kind == "timeout"
    assert openrouter_server.count == 1  # the request went out: never resent


async def test_cancelling_abandons_the_call_in_flight(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.SLOW
    async with aclosing(openrouter(openrouter_server)) as provider:
        task = asyncio.create_task(provider.generate(REQUEST))
        assert await asyncio.to_thread(openrouter_server.started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert task.cancelled()
    assert openrouter_server.count == 1


# --- OpenRouter: the model list and its prices -------------------------------------------------------


async def test_the_model_list_is_parsed_with_exact_prices(openrouter_server: StandIn) -> None:
    async with aclosing(openrouter(openrouter_server)) as provider:
        listings = await provider.models()

    by_model = {listing.model: listing for listing in listings}
    assert set(by_model) == {GEMINI, "example/unpriced-image", "example/varies"}
    gemini = by_model[GEMINI]
    assert gemini.provider == "openrouter"
    assert gemini.name.startswith("Google: Gemini 2.5 Flash Image")
    expected = (
        Decimal(GEMINI_PRICING["image_output"]) * 1290 + Decimal(GEMINI_PRICING["prompt"]) * 400
    )
    assert gemini.usd_per_image == expected == Decimal("0.03882")
    assert by_model["example/unpriced-image"].usd_per_image is None
    assert by_model["example/varies"].usd_per_image is None

    (sent,) = openrouter_server.requests
    assert (sent.method, sent.path) == ("GET", "/api/v1/models?output_modalities=image")
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_the_model_list_needs_no_key(openrouter_server: StandIn) -> None:
    async with aclosing(openrouter(openrouter_server, key=None)) as provider:
        assert await provider.models()
    assert "authorization" not in openrouter_server.requests[0].headers


async def test_a_failing_model_list_is_a_provider_error(openrouter_server: StandIn) -> None:
    openrouter_server.behaviour = Behaviour.SERVER_503
    async with aclosing(openrouter(openrouter_server)) as provider:
        with pytest.raises(ProviderError) as caught:
            await provider.models()
    assert caught.value.kind == "unavailable"


def test_the_estimate_falls_back_to_the_completion_price() -> None:
    pricing = {"prompt": "0.000001", "completion": "0.00004", "image": "0.5"}
    assert estimate_usd_per_image(pricing) == (
        Decimal("0.00004") * IMAGE_OUTPUT_TOKENS + Decimal("0.000001") * PROMPT_TOKENS
    )


@pytest.mark.parametrize(
    "pricing",
    [
        None,
        {},
        {"prompt": "0.000001"},
        {"completion": "0.00004"},
        {"prompt": "-1", "completion": "-1"},
        {"prompt": "0.000001", "completion": "lots"},
        {"prompt": "0.000001", "completion": "NaN"},
        {"prompt": "0.000001", "completion": "Infinity"},
        {"prompt": "0.000001", "completion": True},
        {"prompt": "0.000001", "completion": "0.00001", "image_output": "-0.5"},
    ],
)
def test_missing_or_bad_prices_leave_the_model_unpriced(pricing: object) -> None:
    assert estimate_usd_per_image(pricing) is None


# --- The Images API ------------------------------------------------------------------------------


async def test_images_api_returns_the_image_and_sends_its_dialect(images_server: StandIn) -> None:
    async with aclosing(images(images_server)) as provider:
        image = await provider.generate(REQUEST)
    assert image.data == PNG
    assert image.provider_cost is None
    assert image.model == REQUEST.model
    (sent,) = images_server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/images/generations")
    assert sent.body == {
        "model": GEMINI,
        "prompt": REQUEST.prompt,
        "n": 1,
        "size": "1024x576",
        "response_format": "b64_json",
    }
    assert sent.headers["authorization"] == f"Bearer {IMAGES_KEY}"


@pytest.mark.parametrize(
    ("model", "size", "response_format"),
    [
        ("gpt-image-1", "1536x1024", None),  # refuses response_format; three sizes only
        ("gpt-image-1-mini", "1536x1024", None),
        ("dall-e-3", "1792x1024", "b64_json"),
        ("dall-e-2", "1024x1024", "b64_json"),
        ("flux-schnell", "1024x576", "b64_json"),  # another server's model: asked as wanted
    ],
)
async def test_openai_models_are_asked_in_their_own_dialect(
    images_server: StandIn, model: str, size: str, response_format: str | None
) -> None:
    request = dataclasses.replace(REQUEST, model=model)
    async with aclosing(images(images_server)) as provider:
        await provider.generate(request)
    (sent,) = images_server.requests
    assert sent.body["size"] == size
    assert sent.body.get("response_format") == response_format
    assert ("response_format" in sent.body) == (response_format is not None)


async def test_images_api_picks_the_nearest_allowed_size(images_server: StandIn) -> None:
    async with aclosing(images(images_server, sizes=OPENAI_SIZES)) as provider:
        await provider.generate(REQUEST)
    assert images_server.requests[0].body["size"] == "1536x1024"


def test_nearest_size() -> None:
    assert nearest_size(1024, 576, None) == "1024x576"
    assert nearest_size(576, 1024, OPENAI_SIZES) == "1024x1536"
    assert nearest_size(1024, 1024, OPENAI_SIZES) == "1024x1024"
    assert nearest_size(1024, 768, ("1024x1024", "1792x1024", "512x384")) == "512x384"


async def test_images_api_without_a_key_sends_no_authorization(images_server: StandIn) -> None:
    async with aclosing(images(images_server, key=None)) as provider:
        assert (await provider.generate(REQUEST)).data == PNG
    assert "authorization" not in images_server.requests[0].headers


async def test_images_api_models_are_the_configured_names(images_server: StandIn) -> None:
    async with aclosing(images(images_server)) as provider:
        (listing,) = await provider.models()
    assert (listing.provider, listing.model, listing.usd_per_image) == (
        "openai",
        "gpt-image-1",
        None,
    )
    assert images_server.count == 0


@pytest.mark.parametrize(
    "behaviour, kind",
    [
        (Behaviour.UNAUTHORIZED_401, "auth"),
        (Behaviour.PAYMENT_402, "payment"),
        (Behaviour.REFUSED_403, "refused"),
        (Behaviour.MODERATION_400, "refused"),
        (Behaviour.BAD_REQUEST_400, "bad_answer"),
        (Behaviour.ERROR_BODY_200, "payment"),
        (Behaviour.NO_IMAGE, "no_image"),
        (Behaviour.BAD_BASE64, "bad_answer"),
        (Behaviour.NOT_JSON, "bad_answer"),
        (Behaviour.OVERSIZED_STREAM, "too_large"),
        (Behaviour.SERVER_503, "unavailable"),
    ],
)
async def test_images_api_failures(images_server: StandIn, behaviour: Behaviour, kind: str) -> None:
    images_server.behaviour = behaviour
    images_server.echo = IMAGES_KEY
    error = await fails(images(images_server, HttpLimits(max_bytes=64 * 1024, retry_pause=0.0)))
    assert error.kind == kind
    assert "Images API" in str(error)
    assert images_server.count == 1


async def test_images_api_401_names_its_setting(images_server: StandIn) -> None:
    images_server.behaviour = Behaviour.UNAUTHORIZED_401
    error = await fails(images(images_server))
    assert str(error) == "The Images API key was refused; check VERSELIGHT_IMAGES_KEY."


# --- Shared HTTP rules -----------------------------------------------------------------------------


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(None) is None
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:09 GMT", now=now) == 9.0
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now=now) == 0.0
    for bad in ("", "soon", "-3", "nan", "inf"):
        assert parse_retry_after(bad, now=now) is None


def test_clean_reason_removes_secrets_and_base64_and_trims() -> None:
    text = f"bad key {KEY} image data:image/png;base64,{PNG_B64} tail {PNG_B64}"
    cleaned = clean_reason(text, (KEY,))
    assert KEY not in cleaned
    assert not LONG_BASE64.search(cleaned)
    assert cleaned.startswith("bad key [redacted] image [...]")
    assert len(clean_reason("word " * 100)) <= 200


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        HttpLimits(deadline=0)
    with pytest.raises(ValueError):
        HttpLimits(max_retries=-1)


# --- check_image ---------------------------------------------------------------------------------


def encoded(format: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 120, 40) if mode == "RGB" else 3).save(out, format=format)
    return out.getvalue()


@pytest.mark.parametrize(
    "format, mime, extension",
    [("PNG", "image/png", ".png"), ("JPEG", "image/jpeg", ".jpg"), ("WEBP", "image/webp", ".webp")],
)
def test_check_image_accepts_png_jpeg_webp(format: str, mime: str, extension: str) -> None:
    data = encoded(format)
    assert check_image(data) == CheckedImage(
        data=data,
        mime=mime,
        extension=extension,
        width=40,
        height=30,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def assert_bad_image(data: bytes, **kwargs: int) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        check_image(data, **kwargs)
    assert caught.value.kind == "bad_image"
    assert str(caught.value).startswith("The image received could not be read (")
    assert str(caught.value).endswith(").")
    return caught.value


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_check_image_refuses_a_truncated_png(cut: float) -> None:
    data = png_bytes((200, 150))
    assert_bad_image(data[: int(len(data) * cut)])


def test_check_image_refuses_a_truncated_jpeg() -> None:
    data = encoded("JPEG", (300, 200))
    assert_bad_image(data[: len(data) // 2])


def test_check_image_refuses_gif_and_garbage() -> None:
    assert "GIF" in str(assert_bad_image(encoded("GIF", mode="P")))
    assert_bad_image(b"")
    assert_bad_image(b"not an image at all" * 10)


def test_check_image_refuses_tiny_images() -> None:
    assert_bad_image(encoded("PNG", (1, 1)))
    assert_bad_image(encoded("PNG", (15, 100)))
    assert check_image(encoded("PNG", (16, 16))).width == 16


def bomb_png(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG declaring a ``width`` x ``height`` canvas (one compressed row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\0" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_check_image_refuses_decompression_bombs() -> None:
    # Far over Pillow's own limit: Pillow raises while reading the header.
    assert "too many pixels" in str(assert_bad_image(bomb_png(100_000, 100_000)))
    # Under Pillow's limit but over ours: refused before any pixel is decoded.
    assert "pixels" in str(assert_bad_image(bomb_png(8_000, 6_000)))
    assert "pixels" in str(assert_bad_image(encoded("PNG", (100, 100)), max_pixels=5_000))


def test_check_image_catches_pillows_bomb_warning_as_an_error() -> None:
    """Where warnings are errors (as some deployments run), Pillow's warning is caught too."""
    over_warning = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 100
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        error = assert_bad_image(bomb_png(over_warning, over_warning), max_pixels=10**10)
    assert "too many pixels" in str(error)


def test_check_image_sha256_is_of_the_bytes() -> None:
    checked = check_image(base64.b64decode(PNG_B64))
    assert checked.sha256 == hashlib.sha256(PNG).hexdigest()
    assert checked.size == len(PNG)
