"""A small client for LND's gRPC API: the few invoice calls Verselight needs, nothing more.

Like LNbits' ``lndgrpc`` wallet it is one class with a handful of methods; deciding what a payment
means (credits, holds, the ledger) happens in ``core``. Its settings are read in
``payments.lnd_config`` and its failures named in ``payments.lnd_errors``. The client talks to a
real LND with the hand-written proto subset in ``payments.lnrpc`` and follows LND's rules:

- TLS with the node's own self-signed ``tls.cert`` as the trust root (the host must match a SAN);
- the macaroon as hex in the ``macaroon`` metadata, exactly one value;
- keepalive pings no closer than 30 s (LND answers faster pings with GOAWAY) and only while a call
  is open (LND refuses pings without a stream by default);
- a deadline on every call, so a node that hangs never hangs the reader.

Every ``grpc.RpcError`` becomes an ``LndError`` whose ``user_message`` is a plain sentence with no
node details; the raw code and text go to the ``verselight.lnd`` logger, never the macaroon.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

    from payments.lnrpc import lightning_pb2

from payments.backend import (
    AddedInvoice,
    CancelsOnExit,
    ClosesOnExit,
    InvoiceState,
    InvoiceStatus,
)
from payments.lnd_config import (
    DEFAULT_TIMEOUT_S,
    ENV_HOST,
    ENV_MACAROON,
    ENV_TLS_CERT,
    MAX_MACAROON_BYTES,
    MAX_TLS_CERT_BYTES,
    LndConfig,
    LndConfigError,
    load_macaroon,
    load_tls_cert,
)
from payments.lnd_errors import LndError, LndErrorKind, classify

__all__ = [
    "DEFAULT_STREAM_DEADLINE_S",
    "DEFAULT_TIMEOUT_S",
    "ENV_HOST",
    "ENV_MACAROON",
    "ENV_TLS_CERT",
    "MAX_MACAROON_BYTES",
    "MAX_TLS_CERT_BYTES",
    "AddedInvoice",
    "InvoiceList",
    "InvoiceState",
    "InvoiceStatus",
    "InvoiceStream",
    "LndClient",
    "LndConfig",
    "LndConfigError",
    "LndError",
    "LndErrorKind",
    "classify",
    "load_macaroon",
    "load_tls_cert",
]

# grpc and the generated protobuf modules take about 100 ms to import: they load when a client
# is made, not when the reader (which only names these types) starts.

log = logging.getLogger("verselight.lnd")

# The global stream ends (retryably) after this long; the caller resubscribes from its last
# settle_index. A finite deadline keeps "a deadline on every call" true even for the long stream.
DEFAULT_STREAM_DEADLINE_S = 3600.0

# LND's defaults: client pings must be >= 5 s apart (we keep >= 30 s, as LND's docs advise) and
# pings without an open stream are refused. max_pings_without_data=0 lets pings continue on an idle
# SubscribeInvoices stream, so a silently dead connection is noticed. A short reconnect backoff
# means a node that comes back is usable within seconds instead of gRPC's default two minutes.
_CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.initial_reconnect_backoff_ms", 1_000),
    ("grpc.max_reconnect_backoff_ms", 10_000),
    ("grpc.max_receive_message_length", 50 * 1024 * 1024),
)


def status_from_proto(invoice: lightning_pb2.Invoice) -> InvoiceStatus:
    """Copy the fields we use out of LND's message."""
    try:
        state = InvoiceState(int(invoice.state))
    except ValueError:
        state = InvoiceState.UNKNOWN
    return InvoiceStatus(
        payment_hash=bytes(invoice.r_hash),
        state=state,
        value_msat=invoice.value_msat,
        amt_paid_msat=invoice.amt_paid_msat,
        add_index=invoice.add_index,
        settle_index=invoice.settle_index,
        payment_request=invoice.payment_request,
        memo=invoice.memo,
        creation_date=invoice.creation_date,
        settle_date=invoice.settle_date,
        expiry_s=invoice.expiry,
    )


@dataclass(frozen=True)
class InvoiceList:
    """A page of ListInvoices, oldest first, with the add indexes that bound it."""

    invoices: list[InvoiceStatus]
    first_index_offset: int
    last_index_offset: int


class InvoiceStream(CancelsOnExit):
    """Invoice updates from one server stream; ``cancel()`` (from any thread) ends it quietly.

    Iterating raises ``LndError`` when the stream fails (node gone, deadline reached, ...), and
    simply stops when LND ends it (SubscribeSingleInvoice after SETTLED or CANCELED) or when it
    was cancelled. Use it as a context manager so an abandoned stream is always cancelled.
    """

    def __init__(self, call: Any, operation: str, client: LndClient) -> None:
        self._call = call
        self._operation = operation
        self._client = client
        self._cancelled = threading.Event()

    def __iter__(self) -> InvoiceStream:
        return self

    def __next__(self) -> InvoiceStatus:
        import grpc

        try:
            message = next(self._call)
        except grpc.RpcError as exc:
            if self._cancelled.is_set():
                raise StopIteration from None
            # A watcher's stream reaching its own deadline is routine: log it quietly.
            raise self._client._translate(exc, self._operation, quiet_deadline=True) from None
        return status_from_proto(message)

    def cancel(self) -> None:
        """End the stream; a thread blocked in ``next()`` then sees the iteration stop."""
        self._cancelled.set()
        self._call.cancel()


class LndClient(ClosesOnExit):
    """The invoice calls Verselight makes to LND, each with a deadline and plain-worded errors.

    Thread-safe: one client (one gRPC channel) can serve the UI, the per-invoice watchers and the
    global settlement stream at once. It is the LND adapter of ``payments.backend.PaymentBackend``:
    our own preimage, and a global stream that replays settlements after a settle index.
    """

    name = "LND"
    own_preimage = True
    replays_settlements = True

    def __init__(self, config: LndConfig) -> None:
        import grpc

        from payments.lnrpc import invoices_pb2_grpc, lightning_pb2_grpc

        self._config = config
        credentials = grpc.ssl_channel_credentials(root_certificates=config.tls_cert)
        self._channel = grpc.secure_channel(config.host, credentials, options=_CHANNEL_OPTIONS)
        # Exactly one macaroon value, as LND requires; none at all only for a node run with
        # --no-macaroons (an empty setting), which LND then reports as "expected 1 macaroon, got 0".
        self._metadata: tuple[tuple[str, str], ...] = (
            (("macaroon", config.macaroon_hex),) if config.macaroon_hex else ()
        )
        # The generated stubs carry LND's method paths and message types (they have no type
        # hints, hence the ignores).
        lightning = lightning_pb2_grpc.LightningStub(self._channel)  # type: ignore[no-untyped-call]
        invoices = invoices_pb2_grpc.InvoicesStub(self._channel)  # type: ignore[no-untyped-call]
        self._add_invoice = lightning.AddInvoice
        self._lookup_invoice = lightning.LookupInvoice
        self._list_invoices = lightning.ListInvoices
        self._subscribe_invoices = lightning.SubscribeInvoices
        self._subscribe_single = invoices.SubscribeSingleInvoice

    def close(self) -> None:
        """Close the channel; open streams end."""
        self._channel.close()

    def add_invoice(
        self, value_sat: int, memo: str, expiry_s: int, r_preimage: bytes
    ) -> AddedInvoice:
        """Create an invoice for ``value_sat`` with our own 32-byte preimage.

        The amount is always set (Cash App offers its dollar balance only then). Because the
        preimage is ours, a retry after a crash cannot create a second invoice: LND answers
        ``LndErrorKind.EXISTS`` and the caller looks up sha256(preimage) instead.
        """
        if value_sat <= 0:
            raise ValueError("an invoice needs a positive amount")
        if len(r_preimage) != 32:
            raise ValueError("a preimage is exactly 32 bytes")
        from payments.lnrpc import lightning_pb2

        request = lightning_pb2.Invoice(
            memo=memo, value=value_sat, expiry=expiry_s, r_preimage=r_preimage
        )
        response = self._unary(self._add_invoice, request, "AddInvoice")
        return AddedInvoice(
            payment_hash=bytes(response.r_hash),
            payment_request=response.payment_request,
            add_index=response.add_index,
        )

    def lookup_invoice(self, payment_hash: bytes) -> InvoiceStatus:
        """The invoice's current state; ``LndErrorKind.NOT_FOUND`` for an unknown hash."""
        from payments.lnrpc import lightning_pb2

        request = lightning_pb2.PaymentHash(r_hash=payment_hash)
        return status_from_proto(self._unary(self._lookup_invoice, request, "LookupInvoice"))

    def list_invoices(
        self,
        num_max_invoices: int = 1,
        *,
        index_offset: int = 0,
        reversed: bool = True,
        pending_only: bool = False,
    ) -> InvoiceList:
        """A page of invoices; by default only the newest one.

        With the defaults this is the health check: ``invoice.macaroon`` may not call GetInfo,
        but it may list invoices, and one invoice is cheap.
        """
        from payments.lnrpc import lightning_pb2

        request = lightning_pb2.ListInvoiceRequest(
            num_max_invoices=num_max_invoices,
            index_offset=index_offset,
            reversed=reversed,
            pending_only=pending_only,
        )
        response = self._unary(self._list_invoices, request, "ListInvoices")
        return InvoiceList(
            invoices=[status_from_proto(i) for i in response.invoices],
            first_index_offset=response.first_index_offset,
            last_index_offset=response.last_index_offset,
        )

    def check(self) -> str:
        """Raise ``LndError`` unless the node answers and accepts our macaroon."""
        self.list_invoices(1)
        return f"node at {self._config.host} answers and accepts the macaroon"

    # payments.backend.PaymentBackend ------------------------------------------------------

    def create_invoice(
        self, sats: int, memo: str, expiry_s: int, preimage: bytes | None = None
    ) -> AddedInvoice:
        if preimage is None:
            raise ValueError("LND invoices are made with our own preimage")
        return self.add_invoice(sats, memo, expiry_s, preimage)

    def lookup(self, payment_hash: bytes) -> InvoiceStatus:
        return self.lookup_invoice(payment_hash)

    def watch_one(self, payment_hash: bytes, deadline_s: float) -> InvoiceStream:
        return self.subscribe_single(payment_hash, deadline_s)

    def watch_all(self, cursor: int) -> InvoiceStream:
        return self.subscribe_invoices(cursor)

    def subscribe_single(self, payment_hash: bytes, deadline_s: float) -> InvoiceStream:
        """Updates of one invoice: its current state first, then each change.

        LND ends the stream after SETTLED or CANCELED but waits forever on an unknown hash, so the
        deadline is required: reaching it raises a retryable ``LndErrorKind.DEADLINE``.
        """
        from payments.lnrpc import invoices_pb2

        request = invoices_pb2.SubscribeSingleInvoiceRequest(r_hash=payment_hash)
        call = self._subscribe_single(request, timeout=deadline_s, metadata=self._metadata)
        return InvoiceStream(call, "SubscribeSingleInvoice", self)

    def subscribe_invoices(
        self,
        settle_index: int,
        add_index: int = 0,
        deadline_s: float = DEFAULT_STREAM_DEADLINE_S,
    ) -> InvoiceStream:
        """Every invoice added after ``add_index`` and settled after ``settle_index``, then new ones.

        Pass the last settle_index already processed to receive, after a restart, the payments
        made while the app was closed; 0 and 0 give only new events. Only OPEN (added) and
        SETTLED invoices are sent. The stream ends with a retryable ``LndError`` on a dropped
        connection or at ``deadline_s``: resubscribe from the last settle_index seen.
        """
        from payments.lnrpc import lightning_pb2

        request = lightning_pb2.InvoiceSubscription(add_index=add_index, settle_index=settle_index)
        call = self._subscribe_invoices(request, timeout=deadline_s, metadata=self._metadata)
        return InvoiceStream(call, "SubscribeInvoices", self)

    def _unary(self, method: Any, request: Any, operation: str) -> Any:
        import grpc

        try:
            return method(request, timeout=self._config.timeout_s, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._translate(exc, operation) from None

    def _translate(
        self, exc: grpc.RpcError, operation: str, *, quiet_deadline: bool = False
    ) -> LndError:
        """Log the raw failure (for the operator) and return the plain-worded error (for users)."""
        import grpc

        code = exc.code() if isinstance(exc, grpc.Call) else None
        details = (exc.details() if isinstance(exc, grpc.Call) else None) or ""
        # LND never echoes the macaroon, but make sure no log line can ever carry it.
        details = details.replace(self._config.macaroon_hex, "<macaroon>")
        kind = classify(code, details)
        quiet = quiet_deadline and kind is LndErrorKind.DEADLINE
        log.log(
            logging.INFO if quiet else logging.WARNING,
            "LND %s failed (%s): %s",
            operation,
            getattr(code, "name", "no status"),
            details or "no details",
        )
        return LndError(kind)
