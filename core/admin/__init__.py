"""Admin mode (DESIGN.md section 8): the password check, the persisted lockout, the audit log.

Headless on purpose: the TUI's login screen and the ``verselight admin`` / ``ledger --audit``
commands are thin layers over ``passwords``, ``gate`` and ``audit``.
"""

from __future__ import annotations

from core.admin.passwords import (
    AdminConfigError,
    AdminError,
    AdminNotConfigured,
    PasswordTooLong,
    Verifier,
    hash_password,
    verify_password,
)

__all__ = [
    "AdminConfigError",
    "AdminError",
    "AdminNotConfigured",
    "PasswordTooLong",
    "Verifier",
    "hash_password",
    "verify_password",
]
