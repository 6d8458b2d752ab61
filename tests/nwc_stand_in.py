"""A Nostr relay on 127.0.0.1 and an NWC wallet service stand-in, for the NWC client's tests.

The relay is nostr-sdk's own ``LocalRelay`` (in-process, in memory, a real websocket server). The
wallet answers kind-23194 requests (``make_invoice``, ``lookup_invoice``) the way NIP-47 wallets
do: an info event (13194) saying what it offers, answers (23195) encrypted as the request was,
real BOLT 11 invoices (signed with a test key by the ``bolt11`` library), and ``payment_received``
notifications (23196 NIP-04, 23197 NIP-44) when an invoice settles. Knobs make it a NIP-04-only
wallet, a slow or silent one, one that withholds notifications or forgets invoices, and let a test
forge notifications. Both run on one event loop on a daemon thread; the tests call them
synchronously.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import bolt11
import nostr_sdk as ns
from bolt11 import Bolt11, MilliSatoshi, TagChar, Tags

_T = TypeVar("_T")
_PAYEE_KEY = hashlib.sha256(b"verselight nwc stand-in payee").hexdigest()
_RETRY = timedelta(seconds=1)
"""How soon the wallet dials a dropped relay again (the client waits 2 s)."""


class LoopThread:
    """An asyncio loop on a daemon thread; ``run`` waits for one coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="nostr")
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float = 15.0) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def _free_port() -> int:
    """A port the OS just handed out on 127.0.0.1 (LocalRelay cannot report a port 0 choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalNostrRelay:
    """A real relay on 127.0.0.1 that can be restarted on the same port (losing what it held)."""

    def __init__(self, loop: LoopThread, notes_per_minute: int = 100_000) -> None:
        """``notes_per_minute``: events one connection may send (LocalRelay's default is 60, as
        public relays limit too; the tests' default is high enough never to matter)."""
        self._loop = loop
        self.port = _free_port()
        self._limit = ns.RateLimit(max_reqs=500, notes_per_minute=notes_per_minute)
        self._relay: Any = None
        self.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        async def run() -> Any:
            deadline = time.monotonic() + 5
            while True:  # right after a shutdown the old listener may still hold the port
                relay = (
                    ns.LocalRelayBuilder()
                    .addr("127.0.0.1")
                    .port(self.port)
                    .rate_limit(self._limit)
                    .build()
                )
                try:
                    await relay.run()
                    return relay
                except ns.NostrSdkError as exc:
                    if "in use" not in str(exc) or time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.02)

        self._relay = self._loop.run(run())

    def stop(self) -> None:
        """Shut the relay down and wait until its port is free: the listener closes a moment
        after ``shutdown()``, and a client dialling in that moment gets a dead connection."""
        if self._relay is None:
            return
        self._relay.shutdown()
        self._relay = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # nothing announces the close: try binding the port
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the relay binds
                try:
                    probe.bind(("127.0.0.1", self.port))
                    return
                except OSError:
                    pass
            time.sleep(0.01)

    def restart(self, notes_per_minute: int | None = None) -> None:
        """Stop and start again on the same port, empty (and with a new rate limit if given)."""
        self.stop()
        if notes_per_minute is not None:
            self._limit = ns.RateLimit(max_reqs=500, notes_per_minute=notes_per_minute)
        self.start()


@dataclass
class HeldInvoice:
    payment_hash: str
    bolt11: str
    amount_msat: int
    description: str
    preimage: str
    created_at: int
    expires_at: int
    settled_at: int | None = None


@dataclass
class SeenRequest:
    method: str
    encryption: str  # "nip44_v2" or "nip04"
    params: dict[str, Any] = field(default_factory=dict)


class StandInWallet:
    """An NWC wallet service on the given relays; ``uri`` is the connection string to give the client.

    ``nip44``: advertise and speak NIP-44 (and NIP-04); otherwise NIP-04 only (a NIP-44 request
    cannot be read by it and is left unanswered, as such a wallet would).
    ``notify``: send ``payment_received`` when an invoice settles.
    ``delay_s``: wait this long before each answer; ``silent``: never answer.
    ``methods``: what the info event offers (add ``pay_invoice`` for a wallet that can spend).
    ``publish_info``: publish the info event at start; ``encode_relays``: percent-encode the
    relays in ``uri``; ``extra_msat``: make invoices for this much more than asked (a bad wallet).
    ``refuse_with``: answer every request with this NIP-47 error code.
    """

    def __init__(
        self,
        loop: LoopThread,
        relays: Iterable[str],
        *,
        nip44: bool = True,
        notify: bool = True,
        delay_s: float = 0.0,
        silent: bool = False,
        methods: Iterable[str] = ("make_invoice", "lookup_invoice"),
        publish_info: bool = True,
        encode_relays: bool = True,
        extra_msat: int = 0,
        refuse_with: str | None = None,
    ) -> None:
        self._loop = loop
        self.relays = list(relays)
        self.nip44 = nip44
        self.notify = notify
        self.delay_s = delay_s
        self.silent = silent
        self.methods = list(methods)
        self.keys = ns.Keys.generate()
        self.connection_keys = ns.Keys.generate()  # the app's key: its secret goes in the URI
        self.invoices: dict[str, HeldInvoice] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._answered = 0
        self._client: Any = None
        self._answering: set[asyncio.Future[None]] = set()
        self._publish_info = publish_info
        self._encode_relays = encode_relays
        self._extra_msat = extra_msat
        self._ignore = 0
        self.refuse_with = refuse_with
        self._loop.run(self._start())

    # -- what a test reads or does ---------------------------------------------------------

    @property
    def pubkey(self) -> str:
        return str(self.keys.public_key().to_hex())

    @property
    def uri(self) -> str:
        relays = "&".join(
            "relay=" + (quote(url, safe="") if self._encode_relays else url) for url in self.relays
        )
        secret = self.connection_keys.secret_key().to_hex()
        return f"nostr+walletconnect://{self.pubkey}?{relays}&secret={secret}"

    def settle(self, payment_hash: str) -> None:
        """The buyer paid: the invoice is settled now, and notified unless ``notify`` is off."""
        with self._lock:
            held = self.invoices[payment_hash]
            held.settled_at = int(time.time())
        if self.notify:
            self.send_notification(payment_hash)

    def forget(self, payment_hash: str) -> None:
        """Drop the invoice, as a wallet that restarted or pruned it would."""
        with self._lock:
            del self.invoices[payment_hash]

    def send_notification(
        self,
        payment_hash: str,
        *,
        signer: Any = None,
        amount_msat: int | None = None,
        preimage: str | None = None,
        kinds: Iterable[int] | None = None,
    ) -> None:
        """A ``payment_received`` about ``payment_hash``, signed by ``signer`` (the wallet's key
        unless a forger's is given), in the wallet's encryptions unless ``kinds`` says which."""
        held = self.invoices.get(payment_hash)
        body = {
            "type": "incoming",
            "state": "settled",
            "invoice": held.bolt11 if held else "",
            "description": held.description if held else "",
            "preimage": preimage if preimage is not None else (held.preimage if held else ""),
            "payment_hash": payment_hash,
            "amount": amount_msat if amount_msat is not None else (held.amount_msat if held else 0),
            "fees_paid": 0,
            "created_at": held.created_at if held else int(time.time()),
            "settled_at": held.settled_at if held and held.settled_at else int(time.time()),
        }
        content = json.dumps({"notification_type": "payment_received", "notification": body})
        keys = signer or self.keys
        for kind in kinds or ((23196, 23197) if self.nip44 else (23196,)):
            self._loop.run(self._publish(self._sealed(kind, content, keys, nip44=kind == 23197)))

    def ignore_next(self, count: int) -> None:
        """Leave the next ``count`` requests unanswered, as if sent while it was reconnecting."""
        with self._lock:
            self._ignore = count

    def publish_info(self) -> None:
        """(Re)publish the info event: a relay restarted in memory has lost it."""
        self._loop.run(self._publish(self._info_event()))

    def answered(self) -> int:
        """How many requests the wallet has answered."""
        with self._lock:
            return self._answered

    def stop(self) -> None:
        if self._client is not None:
            for task in [self._reader, *self._answering]:
                self._loop.loop.call_soon_threadsafe(task.cancel)
            self._loop.run(self._client.shutdown())
            self._client = None

    # -- the service -------------------------------------------------------------------------

    async def _start(self) -> None:
        self._client = ns.Client()
        options = ns.RelayOptions().retry_interval(_RETRY).adjust_retry_interval(False)
        for url in self.relays:
            await self._client.add_relay(ns.RelayUrl.parse(url), opts=options)
        await self._client.connect(timedelta(seconds=5))
        stream = self._client.notifications()
        self._reader = asyncio.ensure_future(self._read(stream))
        wanted = ns.Filter().kind(ns.Kind(23194)).pubkey(self.keys.public_key())
        await self._client.subscribe(ns.ReqTarget.auto([wanted]))
        if self._publish_info:
            await self._publish(self._info_event())

    def _info_event(self) -> Any:
        tags = [ns.Tag.parse(["notifications", "payment_received"])]
        if self.nip44:
            tags.append(ns.Tag.parse(["encryption", "nip44_v2 nip04"]))
        content = " ".join([*self.methods, "notifications"])
        return ns.EventBuilder(ns.Kind(13194), content).tags(tags).finalize(self.keys)

    async def _publish(self, event: Any) -> None:
        """Send until a relay takes it (a restarted relay is redialled within ``_RETRY``)."""
        deadline = time.monotonic() + 10
        while True:
            output = await self._client.send_event(event)
            if output.success or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)

    async def _read(self, stream: Any) -> None:
        while (note := await stream.next()) is not None:
            if isinstance(note, ns.ClientNotification.NEW_EVENT):
                task = asyncio.ensure_future(self._answer(note.event))
                self._answering.add(task)  # held until done, so it is not collected midway
                task.add_done_callback(self._answering.discard)

    def _sealed(
        self, kind: int, content: str, keys: Any, nip44: bool, tags: Iterable[Any] = ()
    ) -> Any:
        to = self.connection_keys.public_key()
        if nip44:
            sealed = ns.nip44_encrypt(keys.secret_key(), to, content, ns.Nip44Version.V2)
        else:
            sealed = ns.nip04_encrypt(keys.secret_key(), to, content)
        all_tags = [ns.Tag.public_key(to), *tags]
        return ns.EventBuilder(ns.Kind(kind), sealed).tags(all_tags).finalize(keys)

    async def _answer(self, event: Any) -> None:
        if event.author().to_hex() != self.connection_keys.public_key().to_hex():
            return  # not our connection
        tags = {t.to_vec()[0]: t.to_vec()[1:] for t in event.tags() if t.to_vec()}
        nip44 = "nip44_v2" in " ".join(tags.get("encryption", []))
        if nip44 and not self.nip44:
            return  # a NIP-04-only wallet cannot read it
        try:
            if nip44:
                text = ns.nip44_decrypt(self.keys.secret_key(), event.author(), event.content())
            else:
                text = ns.nip04_decrypt(self.keys.secret_key(), event.author(), event.content())
        except ns.NostrSdkError:
            return
        request = json.loads(text)
        method, params = request.get("method", ""), request.get("params", {})
        self.requests.append(SeenRequest(method, "nip44_v2" if nip44 else "nip04", params))
        with self._lock:
            ignored, self._ignore = self._ignore > 0, max(self._ignore - 1, 0)
        if self.silent or ignored:
            return
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        reply = self._reply(method, params)
        response = self._sealed(
            23195, json.dumps(reply), self.keys, nip44, [ns.Tag.event(event.id())]
        )
        await self._publish(response)
        with self._lock:
            self._answered += 1

    def _reply(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.refuse_with:
            return _error(method, self.refuse_with, "refused")
        if method == "make_invoice" and method in self.methods:
            return {"result_type": method, "error": None, "result": self._make(params)}
        if method == "lookup_invoice" and method in self.methods:
            with self._lock:
                held = self.invoices.get(str(params.get("payment_hash", "")))
            if held is None:
                return _error(method, "NOT_FOUND", "invoice not found")
            return {"result_type": method, "error": None, "result": _described(held)}
        return _error(method, "NOT_IMPLEMENTED", f"{method} is not supported")

    def _make(self, params: dict[str, Any]) -> dict[str, Any]:
        amount_msat = int(params["amount"]) + self._extra_msat
        description = str(params.get("description") or "")
        expiry = int(params.get("expiry") or 3600)
        preimage = os.urandom(32)
        payment_hash = hashlib.sha256(preimage).hexdigest()
        now = int(time.time())
        tags = Tags()
        tags.add(TagChar.payment_hash, payment_hash)
        tags.add(TagChar.payment_secret, os.urandom(32).hex())
        tags.add(TagChar.description, description)
        tags.add(TagChar.expire_time, expiry)
        invoice = bolt11.encode(
            Bolt11(currency="bcrt", date=now, tags=tags, amount_msat=MilliSatoshi(amount_msat)),
            _PAYEE_KEY,
        )
        held = HeldInvoice(
            payment_hash, invoice, amount_msat, description, preimage.hex(), now, now + expiry
        )
        with self._lock:
            self.invoices[payment_hash] = held
        return _described(held, with_preimage=False)


def _described(held: HeldInvoice, with_preimage: bool = True) -> dict[str, Any]:
    """An invoice as NIP-47 results describe one."""
    settled = held.settled_at is not None
    return {
        "type": "incoming",
        "state": "settled" if settled else "pending",
        "invoice": held.bolt11,
        "description": held.description,
        "preimage": held.preimage if settled and with_preimage else None,
        "payment_hash": held.payment_hash,
        "amount": held.amount_msat,
        "fees_paid": 0,
        "created_at": held.created_at,
        "expires_at": held.expires_at,
        "settled_at": held.settled_at,
    }


def _error(method: str, code: str, message: str) -> dict[str, Any]:
    return {"result_type": method, "error": {"code": code, "message": message}, "result": None}
