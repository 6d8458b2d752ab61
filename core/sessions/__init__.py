"""Anonymous sessions and tiers (DESIGN 4): a ledger row plus a signed token in the state dir."""

from core.sessions.manager import (
    Resumed,
    Session,
    describe,
    export_session,
    import_session,
    resume,
)
from core.sessions.secret import SecretError, load_secret
from core.sessions.tiers import Tier, can_generate, tier_of
from core.sessions.tokens import Claims, SessionError, TokenProblem, issue, read

__all__ = [
    "Claims",
    "Resumed",
    "SecretError",
    "Session",
    "SessionError",
    "Tier",
    "TokenProblem",
    "can_generate",
    "describe",
    "export_session",
    "import_session",
    "issue",
    "load_secret",
    "read",
    "resume",
    "tier_of",
]
