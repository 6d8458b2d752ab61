"""The audit log: admin logins and admin generations (DESIGN.md section 8).

Details are compact JSON so ``verselight ledger --audit`` can show them as ``key=value``. A
detail key that names a password or secret is refused outright: the log is meant to be read
by whoever runs the machine, so nothing secret may ever reach it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.billing.ledger import Ledger
from storage import ledger as db

_FORBIDDEN_KEYS = ("password", "secret")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    session_id: str | None
    event: str
    detail: dict[str, object] = field(default_factory=dict)
    """Parsed JSON; a detail written as plain text by older code is kept as ``{"text": ...}``."""


def encode_detail(detail: Mapping[str, object]) -> str:
    """Compact, key-sorted JSON ('' when empty), refusing keys that name a secret."""
    for key in detail:
        if any(word in key.lower() for word in _FORBIDDEN_KEYS):
            raise ValueError(f"audit detail may not carry {key!r}")
    if not detail:
        return ""
    return json.dumps(dict(detail), separators=(",", ":"), sort_keys=True, default=str)


def write(
    conn: sqlite3.Connection,
    now: datetime,
    event: str,
    session_id: str | None,
    detail: Mapping[str, object],
) -> None:
    """Append one entry inside the caller's transaction (so it commits or rolls back with it)."""
    db.audit(conn, event, session_id, encode_detail(detail), now)


def record(ledger: Ledger, event: str, session_id: str | None, **detail: object) -> None:
    """Append one entry in its own transaction."""
    with db.transaction(ledger.conn):
        write(ledger.conn, ledger.clock(), event, session_id, detail)


def _decode(text: str) -> dict[str, object]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"text": text}


def entries(ledger: Ledger, limit: int = 1000) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    return [
        AuditEntry(r.id, datetime.fromisoformat(r.at), r.session_id, r.event, _decode(r.detail))
        for r in db.audit_rows(ledger.conn, limit)
    ]


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return json.dumps(text) if not text or any(c.isspace() for c in text) else text


def format_audit(items: list[AuditEntry]) -> list[str]:
    """One line per entry: UTC time, event, short session id, then ``key=value`` details."""
    lines = []
    for item in items:
        when = item.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        sid = item.session_id[:8] if item.session_id else "-"
        detail = " ".join(f"{k}={_value(v)}" for k, v in item.detail.items())
        lines.append(f"{when}  {item.event:<20}  {sid:<8}  {detail}".rstrip())
    return lines
