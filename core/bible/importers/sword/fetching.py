"""Downloads from remote SWORD repositories: bounded in size and time, checked for length.

Every failure is an ``ImportFailed`` whose text is one sentence naming the repository, so a
caller can print it as it is. ``httpx`` loads on the first download, never for a cached list.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, BinaryIO

from core.bible.importers import ImportFailed

if TYPE_CHECKING:
    import ssl

    import httpx


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait: to connect, between two pieces of an answer, and for a whole file."""

    connect: float = 10.0
    read: float = 30.0
    whole: float = 600.0


TIMEOUTS = Timeouts()


class NotThere(ImportFailed):
    """The repository answered 404 (or 410): the file is not published there."""


def client(timeouts: Timeouts) -> httpx.Client:
    _load_httpx()
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
        follow_redirects=True,
        # Lengths are checked on the bytes as sent: no transfer compression.
        headers={"User-Agent": "Verselight", "Accept-Encoding": "identity"},
        verify=_tls(),
    )


def _load_httpx() -> None:
    """Import ``httpx`` without its command-line client, unless it is loaded already.

    ``import httpx`` also imports ``httpx._main`` (click, rich and pygments, for the ``httpx``
    command): about 50 ms of an install's CPU time. Nothing here runs that command, so the
    submodule is hidden while httpx loads (httpx then defines a stand-in ``main``), as
    ``core.sessions.tokens`` hides ``cryptography`` from pyjwt.
    """
    if "httpx" in sys.modules:
        return
    hidden = "httpx._main" not in sys.modules
    if hidden:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]  # its import raises ImportError
    try:
        import httpx  # noqa: F401
    finally:
        if hidden and sys.modules.get("httpx._main", False) is None:
            del sys.modules["httpx._main"]


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default context, made once: each client would load the CA bundle again (about
    30 ms), and an install opens three (the list, the conf, the files)."""
    import httpx

    return httpx.create_ssl_context()


def download(
    http: httpx.Client,
    url: str,
    where: str,
    out: BinaryIO,
    *,
    limit: int,
    timeouts: Timeouts,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Copy ``url`` into ``out``; the number of bytes. ``where`` names the source in sentences.

    The whole announced length must arrive (a cut connection is not a short file), nothing past
    ``limit`` is read, and a server that trickles bytes is given ``timeouts.whole`` in all.
    """
    import httpx

    started = time.monotonic()
    got = 0
    announced: int | None = None
    try:
        with http.stream("GET", url) as answer:
            if answer.status_code in (404, 410):
                raise NotThere(f"{where} has no file {url}.")
            if answer.status_code >= 400:
                raise ImportFailed(f"{where} answered {answer.status_code} for {url}.")
            announced = _length(answer.headers.get("content-length"))
            if announced is not None and announced > limit:
                raise ImportFailed(
                    f"{where} offers {url} at {announced:,} bytes, too big to be one."
                )
            for piece in answer.iter_raw():
                got += len(piece)
                if got > limit:
                    raise ImportFailed(f"{where} sent more than {limit:,} bytes for {url}.")
                if time.monotonic() - started > timeouts.whole:
                    raise ImportFailed(
                        f"{where} is too slow: {url} did not arrive within {timeouts.whole:g} s."
                    )
                out.write(piece)
                if progress is not None:
                    progress(len(piece))
    except httpx.RemoteProtocolError:
        raise ImportFailed(
            f"The download of {url} from {where} was cut short after {got:,} bytes."
        ) from None
    except httpx.TimeoutException:
        raise ImportFailed(f"{where} did not answer in time ({url}).") from None
    except httpx.HTTPError as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise ImportFailed(f"{where} cannot be reached ({reason}).") from None
    if announced is not None and got != announced:
        raise ImportFailed(
            f"The download of {url} from {where} was cut short ({got:,} of {announced:,} bytes)."
        )
    return got


def _length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
