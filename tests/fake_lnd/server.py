"""A fake LND: a real gRPC server over TLS that answers like LND for the invoice calls we make.

It is built from the same generated stubs as the client, so the wire format is what a real node
sees, and it copies the LND behaviour our code depends on (NOTES.md, "Lightning and LND"):

- the wallet-state check runs before the macaroon check, as in LND's interceptor chain;
- macaroon errors arrive as gRPC UNKNOWN with LND's texts;
- invoices are real, signed BOLT11 strings whose payment hash is sha256(r_preimage);
- SubscribeSingleInvoice sends the current state first, ends after SETTLED/CANCELED and waits
  forever for an unknown hash; SubscribeInvoices replays after the given indexes, then streams
  only added (OPEN) and SETTLED invoices.

The test hooks (``settle``, ``cancel``, ``expire``, ``drop_streams``, ``stop``, ``start``,
``lock_wallet``) are plain methods, safe to call from the test thread while RPCs run.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import bolt11
import grpc
from bolt11 import Bolt11, Feature, Features, FeatureState, MilliSatoshi, TagChar, Tags
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from payments.lnd import LndConfig
from payments.lnrpc import invoices_pb2_grpc, lightning_pb2, lightning_pb2_grpc
from tests.fake_lnd.certs import self_signed_cert

T = TypeVar("T")

OPEN = lightning_pb2.Invoice.OPEN
SETTLED = lightning_pb2.Invoice.SETTLED
CANCELED = lightning_pb2.Invoice.CANCELED
ACCEPTED = lightning_pb2.Invoice.ACCEPTED

# LND's texts, word for word: the client tells errors apart by them.
WALLET_LOCKED = "wallet locked, unlock it to enable full RPC access"
SIGNATURE_MISMATCH = "verification failed: signature mismatch after caveat verification"
PERMISSION_DENIED = "permission denied"
ALREADY_EXISTS = "invoice with payment hash already exists"
NOT_FOUND = "unable to locate invoice"
NO_INVOICES = "there are no existing invoices"
DROPPED = "transport is closing"

INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"

DEFAULT_EXPIRY_S = 86400  # LND's default when the request leaves expiry at 0
MIN_FINAL_CLTV_EXPIRY = 80  # LND's default final CLTV delta


@dataclass
class _Invoice:
    """One invoice as the node's database holds it; ``version`` counts state changes."""

    r_hash: bytes
    r_preimage: bytes
    memo: str
    value_msat: int
    creation_date: int
    expiry: int
    payment_request: str
    payment_addr: bytes
    add_index: int
    state: Any = OPEN  # an Invoice.InvoiceState value
    settle_index: int = 0
    settle_date: int = 0
    amt_paid_msat: int = 0
    version: int = 0

    def to_proto(self) -> lightning_pb2.Invoice:
        return lightning_pb2.Invoice(
            memo=self.memo,
            r_preimage=self.r_preimage,
            r_hash=self.r_hash,
            value=self.value_msat // 1000,
            value_msat=self.value_msat,
            settled=self.state == SETTLED,
            creation_date=self.creation_date,
            settle_date=self.settle_date,
            payment_request=self.payment_request,
            expiry=self.expiry,
            add_index=self.add_index,
            settle_index=self.settle_index,
            amt_paid_sat=self.amt_paid_msat // 1000,
            amt_paid_msat=self.amt_paid_msat,
            state=self.state,
        )


class FakeLnd:
    """An LND stand-in on 127.0.0.1 with a random free port that stays the same across restarts.

    ``macaroon_hex`` is the invoice macaroon (invoices read and write); ``readonly_macaroon_hex``
    may only read invoices; ``router_macaroon_hex`` is valid but has no invoice permission at all.
    """

    def __init__(self, *, network: str = "bc") -> None:
        self.network = network
        self.tls_cert, self._tls_key = self_signed_cert()
        self.macaroon_hex = os.urandom(64).hex()
        self.readonly_macaroon_hex = os.urandom(64).hex()
        self.router_macaroon_hex = os.urandom(64).hex()
        self._permissions: dict[str, frozenset[str]] = {
            self.macaroon_hex: frozenset({INVOICES_READ, INVOICES_WRITE}),
            self.readonly_macaroon_hex: frozenset({INVOICES_READ}),
            self.router_macaroon_hex: frozenset({"offchain:read", "offchain:write"}),
        }
        self._node_key = hashlib.sha256(b"verselight fake lnd node key").digest()
        node = ec.derive_private_key(int.from_bytes(self._node_key, "big"), ec.SECP256K1())
        self.node_pubkey = (
            node.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint).hex()
        )

        self._cond = threading.Condition()
        self._invoices: dict[bytes, _Invoice] = {}
        self._events: list[tuple[str, lightning_pb2.Invoice]] = []  # ("add" | "settle", snapshot)
        self._add_index = 0
        self._settle_index = 0
        self._epoch = 0  # bumped by drop_streams/stop: streams opened earlier end with UNAVAILABLE
        self._open_streams = 0
        self._locked = False
        self._server: Any = None
        self.port = 0
        self.now: Callable[[], int] = lambda: int(time.time())
        """The node's clock (unix seconds) for invoice dates; tests may fix it."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``host:port`` as VERSELIGHT_LND_HOST would give it; 127.0.0.1 is in the cert's SANs."""
        return f"127.0.0.1:{self.port}"

    def config(self, **overrides: Any) -> LndConfig:
        """An ``LndConfig`` for this node (invoice macaroon), with any field replaced."""
        fields: dict[str, Any] = {
            "host": self.host,
            "tls_cert": self.tls_cert,
            "macaroon_hex": self.macaroon_hex,
        }
        fields.update(overrides)
        return LndConfig(**fields)

    def start(self) -> None:
        """Serve (again) on the same port; invoices survive a stop/start like LND's database."""
        server = grpc.server(
            ThreadPoolExecutor(max_workers=32, thread_name_prefix="fake-lnd"),
            options=[
                ("grpc.so_reuseport", 0),
                # LND's keepalive enforcement: no pings without a stream, none closer than 5 s.
                ("grpc.keepalive_permit_without_calls", 0),
                ("grpc.http2.min_recv_ping_interval_without_data_ms", 5_000),
            ],
        )
        lightning_pb2_grpc.add_LightningServicer_to_server(_Lightning(self), server)
        invoices_pb2_grpc.add_InvoicesServicer_to_server(_Invoices(self), server)
        credentials = grpc.ssl_server_credentials([(self._tls_key, self.tls_cert)])
        port = server.add_secure_port(f"127.0.0.1:{self.port}", credentials)
        if port == 0:
            raise RuntimeError(f"fake LND could not listen on 127.0.0.1:{self.port}")
        self.port = port
        server.start()
        self._server = server

    def stop(self) -> None:
        """Take the node down: open streams end with UNAVAILABLE, new calls cannot connect."""
        self.drop_streams()
        if self._server is not None:
            self._server.stop(grace=2).wait()
            self._server = None

    # -- test hooks ------------------------------------------------------------------------

    def settle(self, payment_hash: bytes, amt_paid_msat: int | None = None) -> None:
        """Mark an invoice paid (by default with exactly its amount), as a payer's HTLC would."""
        with self._cond:
            invoice = self._invoices[payment_hash]
            if invoice.state not in (OPEN, ACCEPTED):
                raise ValueError("only an open invoice can be settled")
            self._settle_index += 1
            invoice.state = SETTLED
            invoice.settle_index = self._settle_index
            invoice.settle_date = int(time.time())
            invoice.amt_paid_msat = invoice.value_msat if amt_paid_msat is None else amt_paid_msat
            invoice.version += 1
            self._events.append(("settle", invoice.to_proto()))
            self._cond.notify_all()

    def cancel(self, payment_hash: bytes) -> None:
        """Cancel an invoice (CancelInvoice); SubscribeInvoices does not report cancellations."""
        with self._cond:
            invoice = self._invoices[payment_hash]
            if invoice.state == SETTLED:
                raise ValueError("invoice already settled")
            invoice.state = CANCELED
            invoice.version += 1
            self._cond.notify_all()

    def expire(self, payment_hash: bytes) -> None:
        """Let an invoice expire: in LND that is CANCELED, there is no EXPIRED state."""
        self.cancel(payment_hash)

    def drop_streams(self) -> None:
        """End every open stream with UNAVAILABLE, as a dropped connection would."""
        with self._cond:
            self._epoch += 1
            self._cond.notify_all()

    def lock_wallet(self) -> None:
        """Behave like a node restarted but not unlocked: every call fails with 'wallet locked'."""
        with self._cond:
            self._locked = True
        self.drop_streams()

    def unlock_wallet(self) -> None:
        with self._cond:
            self._locked = False

    def wait_for_streams(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until exactly ``count`` streams are open on the node (each past its replay
        snapshot, so no later event is missed by it); False if that does not happen in time."""
        with self._cond:
            return self._cond.wait_for(lambda: self._open_streams == count, timeout)

    def invoice(self, payment_hash: bytes) -> lightning_pb2.Invoice:
        """The node's current record of an invoice, for assertions."""
        with self._cond:
            return self._invoices[payment_hash].to_proto()

    # -- what the services call ------------------------------------------------------------

    def authorize(self, context: Any, permission: str) -> None:
        """LND's interceptors, in LND's order: wallet state first, then the macaroon."""
        with self._cond:
            locked = self._locked
        if locked:
            context.abort(grpc.StatusCode.UNKNOWN, WALLET_LOCKED)
        values = [value for key, value in context.invocation_metadata() if key == "macaroon"]
        if len(values) != 1:
            context.abort(grpc.StatusCode.UNKNOWN, f"expected 1 macaroon, got {len(values)}")
        try:
            mac = bytes.fromhex(values[0]).hex()
        except ValueError:
            context.abort(grpc.StatusCode.UNKNOWN, "encoding/hex: invalid byte")
        permissions = self._permissions.get(mac)
        if permissions is None:
            context.abort(grpc.StatusCode.UNKNOWN, SIGNATURE_MISMATCH)
            return  # not reached: abort raises
        if permission not in permissions:
            context.abort(grpc.StatusCode.UNKNOWN, PERMISSION_DENIED)

    def add_invoice(self, request: lightning_pb2.Invoice, context: Any) -> Any:
        if request.value and request.value_msat:
            context.abort(grpc.StatusCode.UNKNOWN, "value and value_msat are mutually exclusive")
        preimage = bytes(request.r_preimage) or os.urandom(32)
        if len(preimage) != 32:
            context.abort(grpc.StatusCode.UNKNOWN, "payment preimage must be exactly 32 bytes")
        value_msat = request.value_msat or request.value * 1000
        expiry = request.expiry or DEFAULT_EXPIRY_S
        r_hash = hashlib.sha256(preimage).digest()
        # Derived, not random, so the same preimage at the same clock gives the same invoice
        # (stable snapshots); nothing here protects real money.
        payment_addr = hashlib.sha256(b"payment addr" + r_hash).digest()
        now = self.now()
        with self._cond:
            if r_hash in self._invoices:
                duplicate = True
            else:
                duplicate = False
                self._add_index += 1
                invoice = _Invoice(
                    r_hash=r_hash,
                    r_preimage=preimage,
                    memo=request.memo,
                    value_msat=value_msat,
                    creation_date=now,
                    expiry=expiry,
                    payment_request=self._bolt11(
                        r_hash, payment_addr, request.memo, value_msat, expiry, now
                    ),
                    payment_addr=payment_addr,
                    add_index=self._add_index,
                )
                self._invoices[r_hash] = invoice
                self._events.append(("add", invoice.to_proto()))
                self._cond.notify_all()
        if duplicate:
            context.abort(grpc.StatusCode.UNKNOWN, ALREADY_EXISTS)
        return lightning_pb2.AddInvoiceResponse(
            r_hash=r_hash,
            payment_request=invoice.payment_request,
            add_index=invoice.add_index,
            payment_addr=payment_addr,
        )

    def _bolt11(
        self, r_hash: bytes, payment_addr: bytes, memo: str, value_msat: int, expiry: int, now: int
    ) -> str:
        """A BOLT11 invoice signed with the node key, with the tags LND writes."""
        tags = Tags()
        tags.add(TagChar.payment_hash, r_hash.hex())
        tags.add(TagChar.payment_secret, payment_addr.hex())
        tags.add(TagChar.description, memo)
        tags.add(TagChar.expire_time, expiry)
        tags.add(TagChar.min_final_cltv_expiry, MIN_FINAL_CLTV_EXPIRY)
        tags.add(
            TagChar.features,
            Features.from_feature_list(
                {
                    Feature.var_onion_optin: FeatureState.required,
                    Feature.payment_secret: FeatureState.required,
                    Feature.basic_mpp: FeatureState.supported,
                }
            ),
        )
        invoice = Bolt11(
            currency=self.network,
            date=now,
            tags=tags,
            amount_msat=MilliSatoshi(value_msat) if value_msat else None,
        )
        return bolt11.encode(invoice, self._node_key.hex())

    def lookup(self, r_hash: bytes, context: Any) -> lightning_pb2.Invoice:
        if len(r_hash) not in (0, 32):
            context.abort(
                grpc.StatusCode.UNKNOWN,
                f"payment hash must be exactly 32 bytes, is instead {len(r_hash)}",
            )
        with self._cond:
            invoice = self._invoices.get(r_hash)
            snapshot = invoice.to_proto() if invoice else None
            empty = not self._invoices
        if snapshot is None:
            context.abort(grpc.StatusCode.NOT_FOUND, NO_INVOICES if empty else NOT_FOUND)
            raise AssertionError("not reached: abort raises")
        return snapshot

    def list(self, request: lightning_pb2.ListInvoiceRequest) -> lightning_pb2.ListInvoiceResponse:
        """LND's paging: forwards from index_offset, or backwards (newest first) when reversed."""
        with self._cond:
            invoices = sorted(self._invoices.values(), key=lambda i: i.add_index)
            if request.pending_only:
                invoices = [i for i in invoices if i.state in (OPEN, ACCEPTED)]
            limit = request.num_max_invoices or len(invoices)
            if request.reversed:
                if request.index_offset:
                    invoices = [i for i in invoices if i.add_index < request.index_offset]
                page = invoices[-limit:] if limit else []
            else:
                page = [i for i in invoices if i.add_index > request.index_offset][:limit]
            messages = [i.to_proto() for i in page]
        return lightning_pb2.ListInvoiceResponse(
            invoices=messages,
            first_index_offset=messages[0].add_index if messages else 0,
            last_index_offset=messages[-1].add_index if messages else 0,
        )

    def open_stream(self, context: Any) -> int:
        """Register a stream: wake it when the client goes away; return the current epoch."""
        context.add_callback(self._wake)
        with self._cond:
            self._open_streams += 1
            self._cond.notify_all()
            return self._epoch

    def close_stream(self) -> None:
        with self._cond:
            self._open_streams -= 1
            self._cond.notify_all()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def next_ready(self, context: Any, epoch: int, ready: Callable[[], T | None]) -> T | None:
        """Block until ``ready()`` gives something (returned), the client left (None), or the
        stream was dropped (aborted with UNAVAILABLE). ``ready`` runs under the lock."""
        with self._cond:
            while True:
                if self._epoch != epoch:
                    break
                if not context.is_active():
                    return None
                value = ready()
                if value is not None:
                    return value
                self._cond.wait()
        context.abort(grpc.StatusCode.UNAVAILABLE, DROPPED)
        return None  # not reached: abort raises

    def subscribe_single(self, r_hash: bytes, context: Any) -> Iterator[lightning_pb2.Invoice]:
        epoch = self.open_stream(context)
        try:
            sent_version = -1

            def changed() -> tuple[int, lightning_pb2.Invoice] | None:
                invoice = self._invoices.get(r_hash)  # unknown hash: wait (forever) for it
                if invoice is None or invoice.version == sent_version:
                    return None
                return invoice.version, invoice.to_proto()

            while True:
                found = self.next_ready(context, epoch, changed)
                if found is None:
                    return
                sent_version, message = found
                yield message
                if message.state in (SETTLED, CANCELED):
                    return
        finally:
            self.close_stream()

    def subscribe_all(
        self, request: lightning_pb2.InvoiceSubscription, context: Any
    ) -> Iterator[lightning_pb2.Invoice]:
        with self._cond:
            by_add = sorted(self._invoices.values(), key=lambda i: i.add_index)
            backlog: list[lightning_pb2.Invoice] = []
            if request.add_index:
                # LND replays the invoices' current state and forwards only OPEN and SETTLED.
                backlog += [
                    i.to_proto()
                    for i in by_add
                    if i.add_index > request.add_index and i.state in (OPEN, SETTLED)
                ]
            if request.settle_index:
                settled = sorted(
                    (i for i in by_add if i.settle_index > request.settle_index),
                    key=lambda i: i.settle_index,
                )
                backlog += [i.to_proto() for i in settled]
            position = len(self._events)
        epoch = self.open_stream(context)
        try:
            yield from backlog
            last_add, last_settle = request.add_index, request.settle_index

            def new_events() -> list[tuple[str, lightning_pb2.Invoice]] | None:
                return self._events[position:] or None

            while True:
                events = self.next_ready(context, epoch, new_events)
                if events is None:
                    return
                position += len(events)
                for kind, message in events:
                    if kind == "add" and message.add_index > last_add:
                        last_add = message.add_index
                        yield message
                    elif kind == "settle" and message.settle_index > last_settle:
                        last_settle = message.settle_index
                        yield message
        finally:
            self.close_stream()


class _Lightning(lightning_pb2_grpc.LightningServicer):
    """lnrpc.Lightning: each method checks the wallet and macaroon first, like LND."""

    def __init__(self, fake: FakeLnd) -> None:
        self._fake = fake

    def AddInvoice(self, request: Any, context: Any) -> Any:
        self._fake.authorize(context, INVOICES_WRITE)
        return self._fake.add_invoice(request, context)

    def LookupInvoice(self, request: Any, context: Any) -> Any:
        self._fake.authorize(context, INVOICES_READ)
        r_hash = bytes.fromhex(request.r_hash_str) if request.r_hash_str else bytes(request.r_hash)
        return self._fake.lookup(r_hash, context)

    def ListInvoices(self, request: Any, context: Any) -> Any:
        self._fake.authorize(context, INVOICES_READ)
        return self._fake.list(request)

    def SubscribeInvoices(self, request: Any, context: Any) -> Any:
        self._fake.authorize(context, INVOICES_READ)
        yield from self._fake.subscribe_all(request, context)


class _Invoices(invoices_pb2_grpc.InvoicesServicer):
    """invoicesrpc.Invoices: only SubscribeSingleInvoice."""

    def __init__(self, fake: FakeLnd) -> None:
        self._fake = fake

    def SubscribeSingleInvoice(self, request: Any, context: Any) -> Any:
        self._fake.authorize(context, INVOICES_READ)
        yield from self._fake.subscribe_single(bytes(request.r_hash), context)
