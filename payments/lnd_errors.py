"""What an LND call's failure means: a kind a caller can act on and a sentence for people.

LND reports most failures as gRPC UNKNOWN with only text to tell them apart, so ``classify``
reads the status code's name and the text; it needs no grpc import.
"""

from __future__ import annotations

from typing import Any

from payments.backend import ErrorKind, PaymentError

LndErrorKind = ErrorKind
"""LND's failures are the backends' common kinds (the name is kept for LND's callers)."""


_USER_MESSAGES: dict[LndErrorKind, str] = {
    LndErrorKind.UNAVAILABLE: "The Lightning node cannot be reached right now.",
    LndErrorKind.DEADLINE: "The Lightning node did not answer in time.",
    LndErrorKind.AUTH: "The Lightning node did not accept Verselight's macaroon.",
    LndErrorKind.PERMISSION: "The macaroon Verselight uses is not allowed to handle invoices.",
    LndErrorKind.CAN_SPEND: "The macaroon Verselight uses can spend: give it invoice.macaroon.",
    LndErrorKind.LOCKED: "The Lightning node's wallet is locked.",
    LndErrorKind.NOT_FOUND: "The Lightning node does not know this invoice.",
    LndErrorKind.EXISTS: "The Lightning node already has this invoice.",
    LndErrorKind.CANCELLED: "The request to the Lightning node was cancelled.",
    LndErrorKind.OTHER: "The Lightning node refused the request.",
}


class LndError(PaymentError):
    """A failed LND call: ``kind`` for code, ``user_message`` (no node details) for people."""

    def __init__(self, kind: ErrorKind, user_message: str | None = None) -> None:
        super().__init__(kind, user_message or _USER_MESSAGES[kind])


# LND reports most failures as gRPC UNKNOWN and tells them apart only by text (see NOTES.md).
_TEXT_KINDS: tuple[tuple[str, LndErrorKind], ...] = (
    ("permission denied", LndErrorKind.PERMISSION),
    ("expected 1 macaroon", LndErrorKind.AUTH),
    ("verification failed", LndErrorKind.AUTH),
    ("macaroon", LndErrorKind.AUTH),  # e.g. "unknown macaroon version"
    ("encoding/hex", LndErrorKind.AUTH),  # the macaroon value was not hex
    ("unable to get metadata", LndErrorKind.AUTH),
    ("wallet locked", LndErrorKind.LOCKED),
    ("invoice with payment hash already exists", LndErrorKind.EXISTS),
    ("unable to locate invoice", LndErrorKind.NOT_FOUND),
    # Starting up is a passing state, like a node that is down for a moment.
    ("waiting to start", LndErrorKind.UNAVAILABLE),
    ("in the process of starting up", LndErrorKind.UNAVAILABLE),
)

_CODE_KINDS: dict[str, LndErrorKind] = {
    "UNAVAILABLE": LndErrorKind.UNAVAILABLE,
    "DEADLINE_EXCEEDED": LndErrorKind.DEADLINE,
    "NOT_FOUND": LndErrorKind.NOT_FOUND,
    "CANCELLED": LndErrorKind.CANCELLED,
    "UNAUTHENTICATED": LndErrorKind.AUTH,
    "PERMISSION_DENIED": LndErrorKind.PERMISSION,
}
"""By ``grpc.StatusCode`` name, so classifying needs no grpc import."""


def classify(code: Any, details: str) -> LndErrorKind:
    """The kind of an LND failure from its gRPC status code (a ``grpc.StatusCode``) and text."""
    name = getattr(code, "name", None)
    if name in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
        return _CODE_KINDS[name]
    text = details.lower()
    for needle, kind in _TEXT_KINDS:
        if needle in text:
            return kind
    return _CODE_KINDS.get(name or "", LndErrorKind.OTHER)
