"""Lightning invoices in the ledger database: the frozen quote, our preimage, LND's request,
and the settle index from which LND's invoice stream resumes after a restart. Every read and
write of an invoice row is here (``Ledger.add_invoice`` and ``Ledger.credit_purchase`` call
them inside their transactions)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.ledger_db import ts


@dataclass(frozen=True, slots=True)
class LightningInvoice:
    payment_hash: str
    session_id: str
    credits: int
    state: str
    created_at: str
    preimage_hex: str
    payment_request: str | None
    amount_sats: int
    usd: str
    btc_usd: str
    expires_at: str


_COLS = (
    "payment_hash, session_id, credits, state, created_at, preimage_hex, payment_request,"
    " amount_sats, usd, btc_usd, expires_at"
)


def insert(
    conn: sqlite3.Connection,
    *,
    payment_hash: str,
    sid: str,
    credits: int,
    preimage_hex: str,
    amount_sats: int,
    usd: str,
    btc_usd: str,
    now: datetime,
    expires_at: datetime,
    payment_request: str | None = None,
) -> None:
    """``preimage_hex`` is empty (not NULL: the row is still a Lightning invoice) when the
    backend picked the hash; the row then comes with its ``payment_request``."""
    conn.execute(
        f"INSERT INTO invoices ({_COLS}) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        (payment_hash, sid, credits, ts(now), preimage_hex, payment_request, amount_sats, usd,
         btc_usd, ts(expires_at)),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """Any invoice row, whatever made it: what crediting a purchase needs."""

    payment_hash: str
    session_id: str
    credits: int
    state: str
    created_at: str
    settled_at: str | None


def find(conn: sqlite3.Connection, payment_hash: str) -> InvoiceRow | None:
    row = conn.execute(
        "SELECT payment_hash, session_id, credits, state, created_at, settled_at FROM invoices"
        " WHERE payment_hash = ?",
        (payment_hash,),
    ).fetchone()
    return InvoiceRow(*row) if row else None


def mark_settled(conn: sqlite3.Connection, payment_hash: str, now: datetime) -> None:
    conn.execute(
        "UPDATE invoices SET state = 'settled', settled_at = coalesce(settled_at, ?)"
        " WHERE payment_hash = ?",
        (ts(now), payment_hash),
    )


def get(conn: sqlite3.Connection, payment_hash: str) -> LightningInvoice | None:
    row = conn.execute(
        f"SELECT {_COLS} FROM invoices WHERE payment_hash = ? AND preimage_hex IS NOT NULL",
        (payment_hash,),
    ).fetchone()
    return LightningInvoice(*row) if row else None


def set_request(conn: sqlite3.Connection, payment_hash: str, payment_request: str) -> None:
    conn.execute(
        "UPDATE invoices SET payment_request = ? WHERE payment_hash = ?",
        (payment_request, payment_hash),
    )


def latest_open(
    conn: sqlite3.Connection, sid: str, valid_after: datetime
) -> LightningInvoice | None:
    """The session's newest open invoice still payable after ``valid_after``."""
    row = conn.execute(
        f"SELECT {_COLS} FROM invoices WHERE session_id = ? AND state = 'open'"
        " AND preimage_hex IS NOT NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
        (sid, ts(valid_after)),
    ).fetchone()
    return LightningInvoice(*row) if row else None


def open_invoices(conn: sqlite3.Connection) -> list[LightningInvoice]:
    rows = conn.execute(
        f"SELECT {_COLS} FROM invoices WHERE state = 'open' AND preimage_hex IS NOT NULL"
        " ORDER BY created_at"
    ).fetchall()
    return [LightningInvoice(*r) for r in rows]


def mark_expired(conn: sqlite3.Connection, payment_hash: str) -> bool:
    """Only the backend's word (CANCELED) expires an invoice; a settled one never changes back."""
    cur = conn.execute(
        "UPDATE invoices SET state = 'expired' WHERE payment_hash = ? AND state = 'open'",
        (payment_hash,),
    )
    return cur.rowcount == 1


def settle_index(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT settle_index FROM lnd_cursor WHERE id = 1").fetchone()[0])


def advance_settle_index(conn: sqlite3.Connection, index: int) -> None:
    """Move the cursor forward only: watchers racing each other never move it back."""
    conn.execute("UPDATE lnd_cursor SET settle_index = max(settle_index, ?) WHERE id = 1", (index,))
