"""The LNbits adapter of ``payments.backend.PaymentBackend``: a wallet's invoice key, its HTTP API
and its payment websocket (checked against LNbits 1.6.2; NOTES.md "Node-less payments").

- Create: ``POST /api/v1/payments`` with ``{"out": false, "amount", "memo", "expiry"}``.
- Look up: ``GET /api/v1/payments/{hash}``. LNbits answers this call with or without a key; only
  the wallet's own key gets the ``details`` (amount, status). An answer without them is not the
  wallet's word (a wrong key, another wallet's invoice) and never credits.
- Notifications: ``ws(s)://…/api/v1/ws/{hash}`` for one invoice and ``…/ws/{invoice key}`` for the
  wallet. Anyone who knows the hash may post to the first, so a message is only a ``Prompt``.
- A key that can spend is refused: Verselight never pays, so it must not hold a key that can.
  ``GET /api/v1/wallet`` tells them apart: LNbits adds the wallet's ``id`` to the answer only for
  the admin key (``api_wallet`` in ``lnbits/core/views/wallet_api.py``), so an answer with an
  ``id`` means the key can spend. The check runs before the first invoice and in ``check()``.

The client is synchronous (httpx, and ``websockets``' threaded client): the payment code runs in
worker threads. Every call has a deadline; failures become ``LnbitsError`` with a sentence that
names neither the key nor the server's words (those go to the ``verselight.lnbits`` logger, the
key never).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from payments.backend import (
    AddedInvoice,
    CancelsOnExit,
    ClosesOnExit,
    ErrorKind,
    InvoiceState,
    InvoiceStatus,
    PaymentError,
    Prompt,
)
from payments.lnbits_config import LnbitsConfig

if TYPE_CHECKING:
    import httpx
    from websockets.sync.client import ClientConnection

__all__ = ["SPENDING_KEY", "LnbitsClient", "LnbitsError"]

log = logging.getLogger("verselight.lnbits")

SPENDING_KEY = (
    "The LNbits key Verselight was given can spend the wallet's money: give it the wallet's "
    "invoice/read key instead (Verselight only receives)."
)

_USER_MESSAGES: dict[ErrorKind, str] = {
    ErrorKind.UNAVAILABLE: "The LNbits wallet cannot be reached right now.",
    ErrorKind.DEADLINE: "The LNbits wallet did not answer in time.",
    ErrorKind.AUTH: "LNbits did not accept Verselight's invoice key.",
    ErrorKind.PERMISSION: "LNbits does not let Verselight's key handle invoices.",
    ErrorKind.CAN_SPEND: SPENDING_KEY,
    ErrorKind.LOCKED: "The LNbits wallet is locked.",
    ErrorKind.NOT_FOUND: (
        "The LNbits wallet no longer knows this invoice (it may have been restarted); "
        "nothing was credited for it. Do not pay it: ask for a new one."
    ),
    ErrorKind.EXISTS: "The LNbits wallet already has this invoice.",
    ErrorKind.CANCELLED: "The request to the LNbits wallet was cancelled.",
    ErrorKind.OTHER: "The LNbits wallet refused the request.",
}

_STATES = {"success": InvoiceState.SETTLED, "pending": InvoiceState.OPEN}
"""LNbits' payment status -> ours; "failed" (expired or cancelled) is CANCELED, anything else
UNKNOWN (never paid)."""


class LnbitsError(PaymentError):
    """A failed LNbits call: ``kind`` for code, ``user_message`` (no key, no details) for people."""

    def __init__(self, kind: ErrorKind, user_message: str | None = None) -> None:
        super().__init__(kind, user_message or _USER_MESSAGES[kind])


class LnbitsClient(ClosesOnExit):
    """One LNbits wallet seen through its invoice key. Thread-safe (httpx's client is)."""

    name = "LNbits"
    own_preimage = False
    replays_settlements = False

    def __init__(self, config: LnbitsConfig) -> None:
        import httpx

        self._config = config
        self._http = httpx.Client(
            base_url=config.url,
            headers={"X-Api-Key": config.invoice_key, "Accept": "application/json"},
            timeout=httpx.Timeout(config.timeout_s),
            follow_redirects=False,
        )
        self._receive_only = False
        self._lock = threading.Lock()

    @property
    def config(self) -> LnbitsConfig:
        return self._config

    def close(self) -> None:
        self._http.close()

    # PaymentBackend -----------------------------------------------------------------------

    def check(self) -> str:
        """The wallet answers, and the key is its invoice key (not one that can spend)."""
        self._require_receive_only(fresh=True)
        return f"wallet at {self._config.host} answers; the key can only receive"

    def create_invoice(
        self, sats: int, memo: str, expiry_s: int, preimage: bytes | None = None
    ) -> AddedInvoice:
        if sats <= 0:
            raise ValueError("an invoice needs a positive amount")
        if preimage is not None:
            raise ValueError("LNbits picks the preimage itself")
        self._require_receive_only()
        body = {"out": False, "amount": sats, "memo": memo, "expiry": expiry_s}
        answer = self._call("POST", "/api/v1/payments", "create invoice", json=body)
        try:
            payment_hash = bytes.fromhex(str(answer["payment_hash"]))
            request = str(answer.get("bolt11") or answer["payment_request"])
            amount_msat = int(answer.get("amount", sats * 1000))
        except (KeyError, TypeError, ValueError):
            raise self._odd("create invoice", answer) from None
        if len(payment_hash) != 32 or not request.lower().startswith("ln") or amount_msat < 0:
            raise self._odd("create invoice", answer)
        if amount_msat and amount_msat != sats * 1000:
            log.warning("LNbits made an invoice for %s msat instead of %s", amount_msat, sats)
            raise LnbitsError(ErrorKind.OTHER)
        return AddedInvoice(payment_hash=payment_hash, payment_request=request)

    def lookup(self, payment_hash: bytes) -> InvoiceStatus:
        answer = self._call("GET", f"/api/v1/payments/{payment_hash.hex()}", "look up invoice")
        details = answer.get("details") if isinstance(answer, dict) else None
        if not isinstance(details, dict):
            # Only the wallet's own key gets the details: without them this is not its word.
            log.warning("LNbits answered a lookup without details: the key is not accepted")
            raise LnbitsError(ErrorKind.AUTH)
        try:
            if bytes.fromhex(str(details["payment_hash"])) != payment_hash:
                raise ValueError("another invoice")
            amount_msat = int(details["amount"])
            status = str(details.get("status") or answer.get("status") or "")
            paid = answer.get("paid") is True
        except (KeyError, TypeError, ValueError):
            raise self._odd("look up invoice", answer) from None
        if amount_msat <= 0:
            # An outgoing payment has a negative amount: never one of our invoices.
            raise LnbitsError(ErrorKind.NOT_FOUND)
        if paid and status == "success":
            state = InvoiceState.SETTLED
        elif status == "failed":
            state = InvoiceState.CANCELED
        else:
            state = _STATES.get(status, InvoiceState.UNKNOWN)
            if state is InvoiceState.SETTLED:  # "success" without paid: not trusted as paid
                state = InvoiceState.UNKNOWN
        return InvoiceStatus(
            payment_hash=payment_hash,
            state=state,
            value_msat=amount_msat,
            amt_paid_msat=amount_msat if state is InvoiceState.SETTLED else 0,
            payment_request=str(details.get("bolt11") or ""),
            memo=str(details.get("memo") or ""),
            settle_date=_epoch(details.get("updated_at")) if state is InvoiceState.SETTLED else 0,
        )

    def watch_one(self, payment_hash: bytes, deadline_s: float) -> WebsocketPrompts:
        """Prompts from the invoice's own websocket (``/api/v1/ws/{hash}``) until the deadline."""
        return WebsocketPrompts(self, payment_hash.hex(), deadline_s, only=payment_hash)

    def watch_all(self, cursor: int) -> WebsocketPrompts:
        """Prompts from the wallet's websocket (``/api/v1/ws/{invoice key}``): every payment to
        the wallet. It replays nothing, so open invoices are also polled and swept."""
        return WebsocketPrompts(self, self._config.invoice_key, None, only=None)

    # the rest -----------------------------------------------------------------------------

    def _require_receive_only(self, fresh: bool = False) -> None:
        """Refuse a key that can spend (see the module's doc for how it is told)."""
        with self._lock:
            if self._receive_only and not fresh:
                return
        answer = self._call("GET", "/api/v1/wallet", "check the key")
        if not isinstance(answer, dict) or "balance" not in answer:
            raise self._odd("check the key", answer)
        if "id" in answer:
            raise LnbitsError(ErrorKind.CAN_SPEND)
        with self._lock:
            self._receive_only = True

    def _call(self, method: str, path: str, operation: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            log.warning("LNbits %s: no answer in time", operation)
            raise LnbitsError(ErrorKind.DEADLINE) from None
        except httpx.HTTPError as exc:
            log.warning("LNbits %s failed: %s", operation, type(exc).__name__)
            raise LnbitsError(ErrorKind.UNAVAILABLE) from None
        return self._answer(response, operation)

    def _answer(self, response: httpx.Response, operation: str) -> Any:
        code = response.status_code
        if code < 300:
            try:
                return response.json()
            except ValueError:
                raise self._odd(operation, response.text[:200]) from None
        detail = self._scrub(response.text[:200])
        log.warning("LNbits %s failed (HTTP %s): %s", operation, code, detail)
        if code == 404 and "/api/v1/payments/" in str(response.request.url.path):
            raise LnbitsError(ErrorKind.NOT_FOUND)
        if code in (401, 403) or (code == 404 and "wallet" in detail.lower()):
            raise LnbitsError(ErrorKind.AUTH)
        if code in (307, 308) or 300 <= code < 400:
            # Before set-up LNbits redirects every call to /first_install.
            raise LnbitsError(ErrorKind.OTHER, "The LNbits server is not set up yet.")
        if code in (502, 503, 504):
            raise LnbitsError(ErrorKind.UNAVAILABLE)
        if code == 404:
            raise LnbitsError(
                ErrorKind.OTHER,
                "No LNbits API answers at that address: check VERSELIGHT_LNBITS_URL.",
            )
        raise LnbitsError(ErrorKind.OTHER)

    def _odd(self, operation: str, answer: Any) -> LnbitsError:
        log.warning("LNbits %s: unexpected answer %s", operation, self._scrub(str(answer)[:200]))
        return LnbitsError(
            ErrorKind.OTHER, "The LNbits wallet gave an answer Verselight cannot read."
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._config.invoice_key, "<key>")

    def _ws_url(self, item: str) -> str:
        base = self._config.url
        scheme = "wss" if base.startswith("https://") else "ws"
        return f"{scheme}://{base.split('://', 1)[1]}/api/v1/ws/{item}"


class WebsocketPrompts(CancelsOnExit):
    """An LNbits payment websocket as a ``ReportStream`` of ``Prompt``s.

    Connecting happens here (an unreachable server raises ``LnbitsError`` at once); iterating
    blocks until a message, the deadline (then it stops) or a failure (``LnbitsError``, and the
    watcher resubscribes). Pings every 20 s notice a connection that died silently.
    """

    def __init__(
        self, client: LnbitsClient, item: str, deadline_s: float | None, only: bytes | None
    ) -> None:
        from websockets.exceptions import InvalidHandshake, InvalidURI
        from websockets.sync.client import connect

        self._client = client
        self._only = only
        self._cancelled = threading.Event()
        self._deadline = None if deadline_s is None else _now() + deadline_s
        url = client._ws_url(item)
        try:
            self._ws: ClientConnection = connect(
                url,
                open_timeout=client.config.timeout_s,
                close_timeout=1.0,
                ping_interval=20.0,
                ping_timeout=20.0,
                max_size=1 << 20,
                legacy=True,  # the connection itself, closed by cancel(); not the reconnector
            )
        except TimeoutError:
            log.warning("LNbits websocket: no answer in time")
            raise LnbitsError(ErrorKind.DEADLINE) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            log.warning("LNbits websocket could not connect: %s", type(exc).__name__)
            raise LnbitsError(ErrorKind.UNAVAILABLE) from None

    def __iter__(self) -> WebsocketPrompts:
        return self

    def __next__(self) -> Prompt:
        from websockets.exceptions import ConnectionClosed

        while True:
            if self._cancelled.is_set():
                raise StopIteration
            timeout = None if self._deadline is None else self._deadline - _now()
            if timeout is not None and timeout <= 0:
                self.cancel()
                raise StopIteration
            try:
                message = self._ws.recv(timeout=timeout)
            except TimeoutError:
                continue  # the deadline: stop at the top of the loop
            except ConnectionClosed:
                if self._cancelled.is_set():
                    raise StopIteration from None
                log.info("LNbits websocket closed; the watcher reconnects")
                raise LnbitsError(ErrorKind.UNAVAILABLE) from None
            prompt = self._prompt(message)
            if prompt is not None:
                return prompt

    def _prompt(self, message: str | bytes) -> Prompt | None:
        """The hash a message names, as a prompt to look it up (never as proof)."""
        if self._only is not None:
            return Prompt(self._only)
        try:
            data = json.loads(message)
            return Prompt(bytes.fromhex(str(data["payment"]["payment_hash"])))
        except (ValueError, KeyError, TypeError):
            return None  # a message we do not understand prompts nothing

    def cancel(self) -> None:
        self._cancelled.set()
        self._ws.close()


def _now() -> float:
    import time

    return time.monotonic()


def _epoch(value: object) -> int:
    try:
        return int(datetime.fromisoformat(str(value)).timestamp())
    except ValueError:
        return 0
