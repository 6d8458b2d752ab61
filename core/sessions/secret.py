"""The key that signs session tokens.

``VERSELIGHT_SESSION_SECRET`` wins when set (``load_config`` has already checked its length).
Otherwise a random secret is made once in the data dir and kept for good: replacing it would
void every session, and with them every session's credits. So an existing secret file that
cannot be used is an error for the operator to resolve, never something to overwrite.

The file holds 64 hex characters (32 random bytes) and those characters are the key, so an
operator can move to the environment variable with ``VERSELIGHT_SESSION_SECRET=$(cat FILE)``
without voiding any session.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from core.config import MAX_SECRET_BYTES, MIN_SECRET_BYTES, Config
from core.sessions.files import POSIX, publish_private, why
from storage.files import UnreadableFile, read_regular

_RACE_WAIT = 2.0
"""Seconds a process that lost the creation race waits for the winner's file to be complete
(only needed where hard links are unsupported and the file appears before it is written)."""


class SecretError(Exception):
    """The session secret file cannot be used. ``str()`` is a sentence saying what to do."""


def load_secret(config: Config) -> bytes:
    """The secret from the environment, else the data dir's secret file (made on first use)."""
    if config.session_secret is not None:
        return config.session_secret
    path = config.paths.secret_file
    existing = _read(path)
    if existing is not None:
        return existing
    fresh = secrets.token_hex(32).encode("ascii")
    try:
        created = publish_private(path, fresh)
    except OSError as exc:
        raise SecretError(
            f"The session secret {path} cannot be created ({why(exc)}); "
            f"make sure {path.parent} exists and is writable."
        ) from None
    return fresh if created else _read_winner(path)


def _read_winner(path: Path) -> bytes:
    """Another process created the secret first: use theirs, never a second one."""
    deadline = time.monotonic() + _RACE_WAIT
    while True:
        try:
            winner = _read(path)
            if winner is not None:
                return winner
        except SecretError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise SecretError(
                f"The session secret {path} disappeared while it was being created; "
                "start Verselight again."
            )
        time.sleep(0.02)


def _read(path: Path) -> bytes | None:
    """The secret in ``path``; None when there is no file; SecretError when it is unusable."""
    try:
        got = read_regular(path, MAX_SECRET_BYTES)
    except FileNotFoundError:
        return None
    except UnreadableFile as exc:
        if exc.too_large:
            raise SecretError(
                f"The session secret {path} is larger than {MAX_SECRET_BYTES} bytes, so it is "
                "not one Verselight made. Restore the original from a backup, or delete it so a "
                "new one is made (every existing session then starts afresh)."
            ) from None
        raise SecretError(
            f"The session secret {path} cannot be read ({exc.reason}). Make it a file you own "
            "with mode 600; only if no session needs keeping, delete it so a new one is made."
        ) from None
    if POSIX and got.mode & 0o077:
        raise SecretError(
            f"The session secret {path} can be read by other users, who could forge sessions "
            f"with it. Run `chmod 600 {path}`; if someone may already have read it, delete it "
            "instead so a new one is made (every existing session then starts afresh)."
        )
    secret = got.data.strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(
            f"The session secret {path} holds {len(secret)} bytes but needs at least "
            f"{MIN_SECRET_BYTES}. Restore the original from a backup, or delete it so a new "
            "one is made (every existing session then starts afresh)."
        )
    return secret
