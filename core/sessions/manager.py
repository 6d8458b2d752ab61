"""Anonymous sessions: a ledger row plus a signed token in the state dir (DESIGN 4).

``resume`` runs at every start. Whatever the token file holds (nothing, junk, a forged or
expired token, a session this ledger does not know) it never crashes and never grants
anything: the user gets a fresh session and one sentence saying why. The old session id is
neither reused nor shown, since a token that failed its checks cannot vouch for it. A good
token slides: every resume re-issues it with a fresh ``exp``.

Export and import move a session between terminals of one installation (they share the
ledger and the secret); there are no accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.billing.ledger import Ledger
from core.clock import Clock, utc_now
from core.config import Config
from core.printable import printable
from core.sessions.files import publish_private, why, write_private
from core.sessions.secret import load_secret
from core.sessions.tokens import (
    MAX_TOKEN_CHARS,
    SessionError,
    TokenProblem,
    issue,
    new_sid,
    read,
)
from storage import ledger as db
from storage.files import UnreadableFile, read_regular
from storage.private import private_folder


@dataclass(frozen=True, slots=True)
class Resumed:
    session_id: str
    notice: str | None
    """One or two sentences to show once, or None when there is nothing to tell."""
    new: bool


def resume(config: Config, ledger: Ledger, clock: Clock = utc_now) -> Resumed:
    """The session this terminal continues, or a fresh one with a notice saying why.

    Raises only what the operator must fix: ``SecretError`` (unusable secret file) and ledger
    errors. Token trouble of any kind becomes a new session.
    """
    secret = load_secret(config)
    now = clock()
    path = config.paths.token_file
    try:
        claims = read(_read_token(path), secret, now)
        if db.get_session(ledger.conn, claims.sid) is None:
            raise _unknown()
    except TokenProblem as problem:
        first_run = problem.kind == "missing" and not _has_sessions(ledger)
        sid = new_sid()
        db.create_session(ledger.conn, sid, now)
        notice = None if first_run else _notice(problem)
        unsaved = _save(path, issue(sid, secret, now, config.session_ttl))
        if unsaved:
            unsaved += " This session will not be remembered after you quit."
        return Resumed(sid, _join(notice, unsaved), new=True)
    db.touch_session(ledger.conn, claims.sid, now)
    unsaved = _save(path, issue(claims.sid, secret, now, config.session_ttl))
    if unsaved:
        unsaved += " The session goes on, but its expiry was not renewed."
    return Resumed(claims.sid, unsaved, new=False)


def export_session(config: Config, dest: Path, clock: Clock = utc_now) -> None:
    """Write this terminal's token to ``dest`` (mode 0600), never over an existing file."""
    try:
        token = _read_token(config.paths.token_file)
        read(token, load_secret(config), clock())
    except TokenProblem as problem:
        if problem.kind == "missing":
            raise TokenProblem(
                "missing", "There is no session here to export yet; start Verselight once first."
            ) from None
        raise TokenProblem(
            problem.kind, f"There is no valid session here to export. {problem.reason}"
        ) from None
    try:
        created = publish_private(dest, f"{token}\n".encode("ascii"), make_parent=False)
    except OSError as exc:
        raise SessionError(
            f"The session could not be written to {printable(dest)} ({why(exc)})."
        ) from None
    if not created:
        raise SessionError(
            f"{printable(dest)} already exists; choose another name or remove it first."
        )


class WouldStrandCredits(SessionError):
    """Importing would leave the current session's credits with no token naming them."""


@dataclass(frozen=True, slots=True)
class Imported:
    session_id: str
    backup: Path | None
    """Where the replaced session was saved first (``replace=True``), or None."""


BACKUP_FOLDER = "session-backups"


def import_session(
    config: Config,
    ledger: Ledger,
    src: Path,
    clock: Clock = utc_now,
    *,
    current: str | None = None,
    replace: bool = False,
) -> Imported:
    """Make the session in ``src`` this terminal's session.

    The token must be signed by this installation, unexpired, and name a session in this
    ledger. If ``current`` (this terminal's session) holds credits, importing over it would
    strand them, so it is refused unless ``replace``: then the current session is first
    exported to a 0600 backup file in the state dir. On any failure the current token file
    is left exactly as it was.
    """
    secret = load_secret(config)
    now = clock()
    try:
        claims = read(_read_token(src), secret, now)
        if db.get_session(ledger.conn, claims.sid) is None:
            raise _unknown()
    except TokenProblem as problem:
        where = printable(src)
        reason = f"There is no file {where}." if problem.kind == "missing" else problem.reason
        raise TokenProblem(problem.kind, f"{where} was not imported. {reason}") from None
    backup = None
    mine = db.get_session(ledger.conn, current) if current and current != claims.sid else None
    if mine is not None and (mine.balance or mine.held):
        if not replace:
            held = f" ({mine.held} of them held)" if mine.held else ""
            raise WouldStrandCredits(
                f"{printable(src)} was not imported: this terminal's session {mine.id[:8]} holds "
                f"{mine.balance} credits{held} that no file would reach any more, so save it "
                "first with `verselight session export FILE` (or import with --replace, which "
                "saves it for you)."
            )
        backup = _backup(config, mine.id, clock)
    db.touch_session(ledger.conn, claims.sid, now)
    token = issue(claims.sid, secret, now, config.session_ttl)
    try:
        write_private(config.paths.token_file, f"{token}\n".encode("ascii"))
    except OSError as exc:
        raise SessionError(
            f"The session could not be saved in {config.paths.token_file} ({why(exc)})."
        ) from None
    return Imported(claims.sid, backup)


def _backup(config: Config, sid: str, clock: Clock) -> Path:
    """Export this terminal's session to a new 0600 file in a 0700 folder of the state dir."""
    folder = config.paths.state_dir / BACKUP_FOLDER
    try:
        private_folder(folder)
    except OSError as exc:
        raise SessionError(
            f"Nothing was imported: the backup folder {folder} cannot be made ({why(exc)})."
        ) from None
    stamp = clock().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        dest = folder / f"session-{sid[:8]}-{stamp}{'' if n == 1 else f'-{n}'}.token"
        if dest.exists():
            continue
        try:
            export_session(config, dest, clock)
        except SessionError as exc:
            if dest.exists():
                continue  # another import took the name first
            raise SessionError(f"Nothing was imported, since no backup was made: {exc}") from None
        return dest
    raise SessionError(f"Nothing was imported: {folder} has no free backup name left.")


def _read_token(path: Path) -> str:
    """The token text in ``path``, reading at most a few KiB whatever the file holds."""
    try:
        got = read_regular(path, MAX_TOKEN_CHARS)
    except FileNotFoundError:
        raise TokenProblem("missing", "No session token was found.") from None
    except UnreadableFile as exc:
        if exc.too_large:
            raise TokenProblem(
                "malformed", "The session token file is far too large to be one."
            ) from None
        raise TokenProblem(
            "unreadable", f"The session token file could not be read ({exc.reason})."
        ) from None
    try:
        return got.data.decode("ascii")
    except UnicodeDecodeError:
        raise TokenProblem("malformed", "The session token is damaged or incomplete.") from None


def _save(path: Path, token: str) -> str | None:
    """Write the token; a sentence instead of an exception when the state dir refuses it."""
    try:
        private_folder(path.parent)  # 0700, also when an older version made it looser
        write_private(path, f"{token}\n".encode("ascii"))
    except OSError as exc:
        return f"The session token could not be saved in {path.parent} ({why(exc)})."
    return None


def _has_sessions(ledger: Ledger) -> bool:
    """Whether this installation ever had a session: tells a first run from a lost token."""
    return db.has_sessions(ledger.conn)


def _unknown() -> TokenProblem:
    return TokenProblem(
        "unknown", "The session token names a session this installation's ledger does not have."
    )


_AFTER = "A new session was started."
_RESTORE = " If you exported your session earlier, `verselight session import FILE` brings it back."


def _notice(problem: TokenProblem) -> str:
    """Why the old session was not resumed, and what (if anything) the user can do about it.

    Restoring an export helps when the token here was lost or damaged, not when it expired
    (an export is never newer than the token here) or its session is gone from the ledger.
    """
    if problem.kind == "expired":
        return f"{problem.reason} {_AFTER} Credits left in the old session can no longer be used."
    if problem.kind == "unknown":
        return f"{problem.reason} {_AFTER}"
    return f"{problem.reason} {_AFTER}{_RESTORE}"


def _join(*parts: str | None) -> str | None:
    text = " ".join(p for p in parts if p)
    return text or None
