"""A Nostr Wallet Connect (NIP-47) client: invoices from a wallet reached over Nostr relays.

Payment code runs in worker threads and calls this synchronously; nostr-sdk is async, so each
``NwcWallet`` runs its own event loop on a private daemon thread and every call waits for its
coroutine there, within one deadline. One subscription carries the wallet's answers (23195) and
its ``payment_received`` notifications (23196 NIP-04, 23197 NIP-44); nostr-sdk reconnects a
dropped relay and sends the subscription again, and a request is re-sent until a relay takes it.

Verselight never asks the wallet to pay: only ``make_invoice`` and ``lookup_invoice`` are sent.
A notification only prompts a lookup; it is proof of payment only when the wallet's own key signed
it and it names the invoice's amount (``NwcNotification.proves``). nostr-sdk (about 0.3 s to
import) loads when the first wallet is opened, never before.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import hashlib
import json
import logging
import os
import queue
import string
import threading
import time
from collections import OrderedDict
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeGuard, TypeVar

from payments.bolt11_facts import Bolt11Error, read_bolt11
from payments.nwc_uri import NwcUri, NwcUriError, parse_nwc_uri

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "InvoiceState",
    "NwcError",
    "NwcInfo",
    "NwcInvoice",
    "NwcNotification",
    "NwcUri",
    "NwcUriError",
    "NwcWallet",
    "parse_nwc_uri",
]

log = logging.getLogger("verselight.payments.nwc")

DEFAULT_TIMEOUT_S = 10.0
"""Per call, everything included (reaching a relay, the info event, the answer): a silent wallet
is a sentence well within the 15 s the buyer may wait."""

KIND_INFO = 13194
KIND_REQUEST = 23194
KIND_RESPONSE = 23195
KIND_NOTIFICATION_NIP04 = 23196
KIND_NOTIFICATION_NIP44 = 23197

NIP44 = "nip44_v2"
NIP04 = "nip04"
NEEDED_METHODS = frozenset({"make_invoice", "lookup_invoice"})
SPENDING_METHODS = frozenset(
    {"pay_invoice", "multi_pay_invoice", "pay_keysend", "multi_pay_keysend", "pay_offer"}
)
"""Methods that move money out of the wallet: a connection offering any is more than we need."""

_RELAY_RETRY = timedelta(seconds=2)
"""How soon nostr-sdk dials a dropped relay again (its default waits 10 s and grows)."""
_RESEND_PAUSE_S = 0.1
_ASK_AGAIN_S = 2.0
_IDEMPOTENT_METHODS = frozenset({"lookup_invoice"})
_RECENT_NOTIFICATIONS = 512
_T = TypeVar("_T")


class InvoiceState(enum.Enum):
    """An invoice as the wallet reports it; only SETTLED can ever count as paid."""

    PENDING = "pending"
    SETTLED = "settled"
    EXPIRED = "expired"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the wallet does not know the hash (forgot it, or never made it)
    UNKNOWN = "unknown"  # a state newer than NIP-47 as we read it, or a contradictory answer


class NwcError(Exception):
    """An NWC call failed; ``str()`` is one sentence for people, with no secret in it."""

    retryable = False
    """True when asking again later may help (relay unreachable, wallet slow)."""


class NwcUnavailable(NwcError):
    """No relay of the wallet could be reached."""

    retryable = True


class NwcTimeout(NwcError):
    """The wallet did not answer in time."""

    retryable = True


class NwcRefused(NwcError):
    """The wallet answered with an error code (NIP-47 ``error.code``)."""

    def __init__(self, code: str, sentence: str) -> None:
        super().__init__(sentence)
        self.code = code
        self.retryable = code in ("RATE_LIMITED", "INTERNAL")


class NwcBadAnswer(NwcError):
    """The wallet's answer could not be read, or contradicts what was asked."""


@dataclass(frozen=True)
class NwcInfo:
    """What the wallet's info event (kind 13194) advertises for this connection."""

    methods: frozenset[str]
    encryptions: frozenset[str]
    """Empty when the event has no ``encryption`` tag: such a wallet speaks NIP-04 only."""
    notifications: frozenset[str]

    @property
    def encryption(self) -> str:
        """What requests are encrypted with: NIP-44 when offered, NIP-04 otherwise."""
        return NIP44 if NIP44 in self.encryptions else NIP04

    @property
    def spending_methods(self) -> frozenset[str]:
        return self.methods & SPENDING_METHODS

    @property
    def can_spend(self) -> bool:
        """The connection may also pay: a receive-only connection would be safer."""
        return bool(self.spending_methods)

    @property
    def missing_methods(self) -> frozenset[str]:
        """Methods Verselight needs that this connection does not offer."""
        return NEEDED_METHODS - self.methods

    @property
    def notifies_payments(self) -> bool:
        return "payment_received" in self.notifications


@dataclass(frozen=True)
class NwcInvoice:
    """One invoice as the wallet reports it. NOT_FOUND has an empty invoice and no amount."""

    payment_hash: str
    bolt11: str
    amount_msat: int
    state: InvoiceState
    settled_at: int | None = None

    def pays(self, amount_msat: int) -> bool:
        """Settled for at least ``amount_msat``: the only answer that counts as paid."""
        return self.state is InvoiceState.SETTLED and self.amount_msat >= amount_msat


@dataclass(frozen=True)
class NwcNotification:
    """A ``payment_received`` signed by the wallet's own key: a reason to look the invoice up.

    Events signed by any other key never become one (they are dropped as they arrive).
    """

    payment_hash: str
    amount_msat: int
    settled_at: int | None
    preimage_matches: bool | None
    """None when the wallet sent no preimage; False when it does not hash to the payment hash."""

    def proves(self, amount_msat: int) -> bool:
        """Proof of payment of an invoice for ``amount_msat``: the amount is the invoice's exactly
        and the preimage, when given, is the right one. Anything else only prompts a lookup."""
        return self.amount_msat == amount_msat and self.preimage_matches is not False


class NwcWallet:
    """One NWC connection: ``make_invoice``, ``lookup_invoice``, ``notifications``, ``check``.

    Safe to call from several threads at once; ``close()`` it when done (or use ``with``).
    """

    def __init__(self, uri: str | NwcUri, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.uri = parse_nwc_uri(uri) if isinstance(uri, str) else uri
        self.timeout = timeout
        self._notes: queue.Queue[NwcNotification | None] = queue.Queue()
        self._recent: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._info: NwcInfo | None = None
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nwc", daemon=True)
        self._thread.start()
        try:
            self._call(self._start(), timeout=self.timeout)
        except BaseException:
            self._stop_loop()
            raise

    def __enter__(self) -> NwcWallet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the calls ---------------------------------------------------------------------------

    def make_invoice(self, sats: int, memo: str, expiry_s: int) -> NwcInvoice:
        """A new invoice for exactly ``sats``, checked: its amount and hash are what we asked."""
        if sats <= 0:
            raise ValueError("an invoice is always for a positive number of sats")
        amount_msat = sats * 1000
        params = {"amount": amount_msat, "description": memo, "expiry": expiry_s}
        result = self._call(self._request("make_invoice", params))
        bolt11 = result.get("invoice")
        if not isinstance(bolt11, str) or not bolt11:
            raise NwcBadAnswer("The wallet answered make_invoice without an invoice.")
        try:
            facts = read_bolt11(bolt11)
        except Bolt11Error as exc:
            raise NwcBadAnswer(str(exc)) from None
        if facts.amount_msat != amount_msat:
            raise NwcBadAnswer(f"The wallet made an invoice for another amount than {sats} sats.")
        given = result.get("payment_hash")
        payment_hash = given.lower() if isinstance(given, str) and given else facts.payment_hash
        if not _is_hash(payment_hash) or (
            facts.payment_hash is not None and payment_hash != facts.payment_hash
        ):
            raise NwcBadAnswer("The wallet's invoice and its payment hash do not match.")
        assert payment_hash is not None  # _is_hash said so
        return NwcInvoice(payment_hash, bolt11, amount_msat, InvoiceState.PENDING)

    def lookup_invoice(self, payment_hash: str) -> NwcInvoice:
        """The invoice's state now; a hash the wallet does not know is NOT_FOUND, not an error."""
        payment_hash = payment_hash.lower()
        if not _is_hash(payment_hash):
            raise ValueError("a payment hash is 64 hex characters")
        try:
            result = self._call(self._request("lookup_invoice", {"payment_hash": payment_hash}))
        except NwcRefused as exc:
            if exc.code == "NOT_FOUND":
                return NwcInvoice(payment_hash, "", 0, InvoiceState.NOT_FOUND)
            raise
        return _invoice_from(result, payment_hash)

    def info(self, refresh: bool = False) -> NwcInfo:
        """What the wallet's info event advertises (read once, then kept, unless ``refresh``)."""
        if refresh:
            self._info = None
        return self._call(self._info_by(time.monotonic() + self.timeout))

    def check(self) -> NwcInfo:
        """Prove the connection works end to end: the info event offers what Verselight needs and
        the wallet answers a lookup (of a hash it cannot know). Raises ``NwcError`` otherwise.

        Any answer to that lookup will do ("not found", or another error a wallet may give for a
        hash it never saw), except one saying this connection may not look invoices up.
        """
        info = self.info(refresh=True)
        if info.missing_methods:
            missing = " and ".join(sorted(info.missing_methods))
            raise NwcRefused(
                "NOT_IMPLEMENTED",
                f"The wallet connection does not offer {missing}, which Verselight needs.",
            )
        try:
            self.lookup_invoice(os.urandom(32).hex())
        except NwcRefused as exc:
            if exc.code in _CONNECTION_REFUSALS:
                raise
        return info

    def wait_notification(self, timeout: float | None = None) -> NwcNotification | None:
        """The next ``payment_received`` from the wallet, or None after ``timeout`` or close."""
        try:
            note = self._notes.get(timeout=timeout)
        except queue.Empty:
            return None
        if note is None:  # closed: leave the marker for any other waiting thread
            self._notes.put(None)
        return note

    def notifications(self) -> Iterator[NwcNotification]:
        """Every ``payment_received`` the wallet sends, as it arrives, until ``close()``.

        Wallets need not notify and a relay drops events while it restarts: a notification is a
        speed-up for the lookups, never the only way to learn of a payment.
        """
        while (note := self.wait_notification()) is not None:
            yield note

    def close(self) -> None:
        """Disconnect and stop the loop thread; pending calls fail with a sentence."""
        if self._closed:
            return
        self._closed = True
        try:
            self._call(self._shutdown(), timeout=5.0, closing=True)
        except NwcError:
            log.warning("the NWC relays did not close cleanly")
        finally:
            self._stop_loop()
            self._notes.put(None)

    # -- on the loop thread ------------------------------------------------------------------

    def _call(
        self, coro: Coroutine[Any, Any, _T], timeout: float | None = None, closing: bool = False
    ) -> _T:
        """Run ``coro`` on the loop and wait; the coroutine keeps its own deadline, this one is a
        backstop so a caller can never hang."""
        if self._closed and not closing:
            coro.close()
            raise NwcError("The wallet connection is closed.")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result((timeout or self.timeout) + 2.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise NwcTimeout(f"The wallet did not answer within {self.timeout:g} s.") from None
        except concurrent.futures.CancelledError:
            raise NwcError("The wallet connection was closed.") from None

    async def _start(self) -> None:
        import nostr_sdk as ns

        try:
            self._keys = ns.Keys(ns.SecretKey.parse(self.uri.secret))
            self._wallet_key = ns.PublicKey.parse(self.uri.wallet_pubkey)
            relays = [ns.RelayUrl.parse(url) for url in self.uri.relays]
        except ns.NostrSdkError:
            raise NwcUriError("The NWC URI's keys or relays are not valid Nostr values.") from None
        self._client = ns.Client()
        options = ns.RelayOptions().retry_interval(_RELAY_RETRY).adjust_retry_interval(False)
        for url in relays:
            await self._client.add_relay(url, opts=options)
        stream = self._client.notifications()  # before subscribing, so nothing is missed
        self._pump = asyncio.ensure_future(self._read(stream))
        kinds = [
            ns.Kind(k) for k in (KIND_RESPONSE, KIND_NOTIFICATION_NIP04, KIND_NOTIFICATION_NIP44)
        ]
        wanted = ns.Filter().kinds(kinds).author(self._wallet_key)
        # limit 0: only what arrives from now on (no stored events, and no clock to compare)
        wanted = wanted.pubkey(self._keys.public_key()).limit(0)
        await self._client.connect()  # in the background; calls wait for a relay as they need one
        await self._client.subscribe(ns.ReqTarget.auto([wanted]))

    async def _shutdown(self) -> None:
        """Cancel the reader and every call in flight (their callers get "closed"), then
        disconnect."""
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()
        if hasattr(self, "_client"):
            await self._client.shutdown()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive():
            self._loop.close()

    async def _read(self, stream: Any) -> None:
        """Hand each new event from the relays to its waiting request or the notification queue."""
        import nostr_sdk as ns

        while (note := await stream.next()) is not None:
            if not isinstance(note, ns.ClientNotification.NEW_EVENT):
                continue
            try:
                self._take(note.event)
            except Exception:  # one bad event must not stop the reader
                log.warning("ignored an unreadable event from an NWC relay", exc_info=True)

    def _take(self, event: Any) -> None:
        if event.author().to_hex() != self.uri.wallet_pubkey or not event.verify():
            log.info("ignored an NWC event not signed by the wallet")
            return
        kind = event.kind().as_u16()
        if kind == KIND_RESPONSE:
            for tag in event.tags():
                values = tag.to_vec()
                if len(values) >= 2 and values[0] == "e":
                    future = self._pending.get(values[1])
                    if future is not None and not future.done():
                        future.set_result(event)
            return
        if kind in (KIND_NOTIFICATION_NIP04, KIND_NOTIFICATION_NIP44):
            note = self._notification_from(event, nip44=kind == KIND_NOTIFICATION_NIP44)
            if note is not None:
                key = (note.payment_hash, note.amount_msat)
                if key in self._recent:  # the same news in both encryptions, or from two relays
                    return
                self._recent[key] = None
                if len(self._recent) > _RECENT_NOTIFICATIONS:
                    self._recent.popitem(last=False)
                self._notes.put(note)

    def _notification_from(self, event: Any, nip44: bool) -> NwcNotification | None:
        data = self._decrypt(event.content(), nip44)
        if data is None or data.get("notification_type") != "payment_received":
            return None
        body = data.get("notification")
        if not isinstance(body, dict) or body.get("type", "incoming") != "incoming":
            return None
        payment_hash = body.get("payment_hash")
        amount = body.get("amount")
        if not isinstance(payment_hash, str) or not _is_hash(payment_hash.lower()):
            return None
        if not _is_msat(amount):
            return None
        preimage = body.get("preimage")
        matches = _preimage_matches(preimage, payment_hash.lower())
        return NwcNotification(
            payment_hash.lower(), amount, _seconds(body.get("settled_at")), matches
        )

    def _decrypt(self, content: str, nip44: bool) -> dict[str, Any] | None:
        import nostr_sdk as ns

        try:
            if nip44:
                text = ns.nip44_decrypt(self._keys.secret_key(), self._wallet_key, content)
            else:
                text = ns.nip04_decrypt(self._keys.secret_key(), self._wallet_key, content)
            data = json.loads(text)
        except (ns.NostrSdkError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    async def _info_by(self, deadline: float) -> NwcInfo:
        if self._info is not None:
            return self._info
        import nostr_sdk as ns

        await self._relay_by(deadline)
        wanted = ns.Filter().kind(ns.Kind(KIND_INFO)).author(self._wallet_key)
        remaining = max(deadline - time.monotonic(), 0.1)
        events = await self._client.fetch_events(
            ns.ReqTarget.auto([wanted]), timeout=timedelta(seconds=remaining)
        )
        signed = [e for e in events if e.author().to_hex() == self.uri.wallet_pubkey and e.verify()]
        if not signed:
            raise NwcUnavailable("The wallet's relays hold no NWC info event for it.")
        newest = max(signed, key=lambda e: e.created_at().as_secs())
        self._info = _info_from(newest)
        return self._info

    async def _relay_by(self, deadline: float) -> list[Any]:
        """The relays connected now, once there is at least one (nostr-sdk keeps dialling the
        others): a send waits for every relay it is given, so it goes only to these."""
        import nostr_sdk as ns

        while True:
            relays = await self._client.relays()
            up = [url for url, r in relays.items() if r.status() == ns.RelayStatus.CONNECTED]
            if up:
                return up
            if time.monotonic() >= deadline:
                raise NwcUnavailable("No relay of the wallet can be reached.")
            await asyncio.sleep(_RESEND_PAUSE_S)

    async def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for the wallet's answer to it, all within ``timeout``.

        A request is an ephemeral event: one sent while the wallet was reconnecting is simply lost.
        So a lookup (asking twice does no harm) is asked again, as a new event, every
        ``_ASK_AGAIN_S`` until an answer to any of them arrives; ``make_invoice`` is asked once, as
        asking again could make two invoices.
        """
        if method not in NEEDED_METHODS:  # the one place a request is made: never a payment
            raise ValueError(f"Verselight does not send {method} to a wallet")
        deadline = time.monotonic() + self.timeout
        info = await self._info_by(deadline)
        content = json.dumps({"method": method, "params": params})
        answer: asyncio.Future[Any] = self._loop.create_future()
        again = _ASK_AGAIN_S if method in _IDEMPOTENT_METHODS else self.timeout
        asked: list[str] = []
        try:
            while True:
                event = self._sealed_request(content, info.encryption == NIP44)
                asked.append(event.id().to_hex())
                self._pending[asked[-1]] = answer
                await self._publish(event, deadline)
                remaining = deadline - time.monotonic()
                try:
                    response = await asyncio.wait_for(
                        asyncio.shield(answer), max(min(remaining, again), 0.0)
                    )
                    break
                except TimeoutError:
                    if time.monotonic() >= deadline:
                        raise NwcTimeout(
                            f"The wallet did not answer within {self.timeout:g} s."
                        ) from None
        finally:
            for event_id in asked:
                self._pending.pop(event_id, None)
        return self._result_of(response, method)

    def _sealed_request(self, content: str, nip44: bool) -> Any:
        """A signed 23194 event for the wallet, expiring when the call gives up."""
        import nostr_sdk as ns

        secret = self._keys.secret_key()
        if nip44:
            sealed = ns.nip44_encrypt(secret, self._wallet_key, content, ns.Nip44Version.V2)
        else:
            sealed = ns.nip04_encrypt(secret, self._wallet_key, content)
        expires = ns.Timestamp.from_secs(int(time.time() + self.timeout) + 1)
        tags = [ns.Tag.public_key(self._wallet_key), ns.Tag.expiration(expires)]
        if nip44:
            tags.append(ns.Tag.parse(["encryption", NIP44]))
        return ns.EventBuilder(ns.Kind(KIND_REQUEST), sealed).tags(tags).finalize(self._keys)

    async def _publish(self, event: Any, deadline: float) -> None:
        """Send until one relay accepts: a relay that is reconnecting takes it a moment later."""
        import nostr_sdk as ns

        while True:
            up = await self._relay_by(deadline)
            remaining = deadline - time.monotonic()
            output = await self._client.send_event(
                event,
                target=ns.SendEventTarget.to(up),
                ok_timeout=timedelta(seconds=max(min(remaining, 5.0), 0.1)),
            )
            if output.success:
                return
            refusal = _relay_refusal(list(output.failed.values()))
            if refusal is not None:
                raise refusal
            if time.monotonic() >= deadline:
                raise NwcUnavailable("No relay of the wallet accepted the request.")
            await asyncio.sleep(_RESEND_PAUSE_S)

    def _result_of(self, response: Any, method: str) -> dict[str, Any]:
        content = response.content()
        data = self._decrypt(content, nip44="?iv=" not in content)
        if data is None:
            raise NwcBadAnswer(f"The wallet's answer to {method} could not be read.")
        error = data.get("error")
        if error:
            code = str(error.get("code", "OTHER")) if isinstance(error, dict) else "OTHER"
            log.info("the NWC wallet refused %s: %s", method, code)
            raise NwcRefused(code, _refusal(code, method))
        result = data.get("result")
        if not isinstance(result, dict):
            raise NwcBadAnswer(f"The wallet's answer to {method} has no result.")
        return result


def _invoice_from(result: dict[str, Any], payment_hash: str) -> NwcInvoice:
    """Read a lookup_invoice result; anything contradictory is UNKNOWN, so never paid."""
    given = result.get("payment_hash")
    if isinstance(given, str) and given and given.lower() != payment_hash:
        raise NwcBadAnswer("The wallet answered about another invoice than the one asked for.")
    amount = result.get("amount")
    amount_msat = amount if _is_msat(amount) else 0
    bolt11 = result.get("invoice") if isinstance(result.get("invoice"), str) else ""
    settled_at = _seconds(result.get("settled_at"))
    raw_state = result.get("state")
    if isinstance(raw_state, str):
        try:
            state = InvoiceState(raw_state.lower())
        except ValueError:
            state = InvoiceState.UNKNOWN
    else:  # wallets from before NIP-47 had "state" say it by settled_at alone
        state = InvoiceState.SETTLED if settled_at else InvoiceState.PENDING
    if state is InvoiceState.NOT_FOUND:  # not a word NIP-47 uses for a state
        state = InvoiceState.UNKNOWN
    if result.get("type", "incoming") != "incoming":
        state = InvoiceState.UNKNOWN
    if state is InvoiceState.SETTLED and (
        amount_msat <= 0 or _preimage_matches(result.get("preimage"), payment_hash) is False
    ):
        log.warning("an NWC wallet reported a settled invoice with no amount or a wrong preimage")
        state = InvoiceState.UNKNOWN
    return NwcInvoice(payment_hash, bolt11 or "", amount_msat, state, settled_at)


def _info_from(event: Any) -> NwcInfo:
    tags: dict[str, list[str]] = {}
    for tag in event.tags():
        values = tag.to_vec()
        if values:
            tags.setdefault(values[0], []).extend(" ".join(values[1:]).split())
    return NwcInfo(
        methods=frozenset(event.content().split()),
        encryptions=frozenset(tags.get("encryption", [])),
        notifications=frozenset(tags.get("notifications", [])),
    )


_REFUSALS = {
    "RATE_LIMITED": "The wallet is limiting requests; try again shortly.",
    "NOT_IMPLEMENTED": "The wallet does not support {method}.",
    "RESTRICTED": "The wallet connection is not allowed to {method}.",
    "UNAUTHORIZED": "The wallet does not accept this connection (it may have been revoked).",
    "NOT_FOUND": "The wallet does not know this invoice.",
    "INTERNAL": "The wallet had an internal error during {method}.",
}


def _relay_refusal(reasons: list[str]) -> NwcError | None:
    """What the relays' rejections mean when sending again at once cannot help: NIP-01's
    machine-readable prefixes. None for the rest (a relay reconnecting), which is retried."""
    prefixes = {reason.partition(":")[0].strip() for reason in reasons}
    if "rate-limited" in prefixes:
        return NwcUnavailable("The wallet's relay is limiting requests; try again shortly.")
    refused = sorted(prefixes & _RELAY_REFUSALS)
    if refused and len(refused) == len(prefixes):
        return NwcError(f"The wallet's relay refused the request ({', '.join(refused)}).")
    return None


_CONNECTION_REFUSALS = frozenset({"UNAUTHORIZED", "RESTRICTED", "NOT_IMPLEMENTED", "RATE_LIMITED"})
"""Wallet error codes about the connection itself rather than the invoice asked about."""

_RELAY_REFUSALS = frozenset({"blocked", "invalid", "pow", "restricted", "auth-required", "mute"})


def _refusal(code: str, method: str) -> str:
    """One sentence of our own: the wallet's message is its text, not ours to show."""
    return _REFUSALS.get(code, "The wallet refused {method}.").format(method=method)


def _is_hash(value: str | None) -> bool:
    return value is not None and len(value) == 64 and all(c in string.hexdigits for c in value)


def _is_msat(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _seconds(value: object) -> int | None:
    return value if _is_msat(value) and value else None


def _preimage_matches(preimage: object, payment_hash: str) -> bool | None:
    if not isinstance(preimage, str) or not preimage:
        return None
    try:
        return hashlib.sha256(bytes.fromhex(preimage)).hexdigest() == payment_hash
    except ValueError:
        return False
