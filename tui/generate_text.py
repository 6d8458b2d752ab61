"""The generate dialog's wording: prices, ETAs, elapsed time and balances as sentences.

Plain functions of core values, kept apart from the widgets so the wording can be read and
tested without a screen (and so one sentence has one home).
"""

from __future__ import annotations

from core.billing.invoices import BUNDLE_CREDITS, BUNDLE_USD
from core.generation.catalog import Offer
from core.generation.gallery import Illustration
from core.generation.service import Readiness
from core.generation.stats import Eta
from core.sessions.tiers import Tier

FILL_LIMIT = 95.0
"""The bar fills to this percentage over the ETA and waits there until the image arrives:
it never claims to be done before it is."""
QUOTE_CHARS = 150
"""How much of the verse the dialog quotes (about two lines at 80 columns)."""
ADMIN_LINE = "Admin: no credits are used; this is written to the audit log."


def unreadable(exc: Exception) -> str:
    """The sentence shown where a figure from the ledger should be (one full stop, though
    sqlite's own messages sometimes end with one)."""
    return f"The credit ledger could not be read just now: {str(exc).rstrip('.')}."


def credits_text(credits: int) -> str:
    return f"{credits} credit" if credits == 1 else f"{credits} credits"


def price_text(offer: Offer) -> str:
    """What the model costs, as the list shows it."""
    if offer.credits is None:
        return "not offered"
    return "free" if offer.credits == 0 else credits_text(offer.credits)


def seconds_text(seconds: float) -> str:
    """Whole seconds up to 99, then minutes: ETAs are rough, so is their wording."""
    if seconds < 100:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


def about(eta: Eta) -> str:
    """The ETA as the model list shows it: "about 20 s"."""
    return f"about {seconds_text(eta.seconds)}"


def eta_text(eta: Eta) -> str:
    """The ETA with "(estimate)" while no image from this model has been timed here."""
    return about(eta) if eta.count else f"{about(eta)} (estimate)"


def elapsed_text(elapsed: float, eta: Eta) -> str:
    """Time spent as "12 s of about 20 s", and past the ETA an honest "longer than usual"."""
    spent = f"{int(elapsed)} s"
    expected = seconds_text(eta.seconds)
    if elapsed <= eta.seconds:
        return f"{spent} of about {expected}"
    return f"{spent}: longer than the usual {expected}, still waiting for the image"


def fill(elapsed: float, eta: Eta) -> float:
    """Percentage of the bar: up to ``FILL_LIMIT`` over the ETA, then it waits."""
    if eta.seconds <= 0:
        return FILL_LIMIT
    return FILL_LIMIT * min(1.0, max(0.0, elapsed) / eta.seconds)


def made_by(offer: Offer) -> str:
    """The model as the dialog names it: the sketch by its label, others with their provider."""
    return offer.name if offer.is_sketch else f"{offer.name} via {offer.provider_label}"


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The start of the verse, cut at a word with an ellipsis when it is long."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}\u2026"


def saved_message(illustration: Illustration) -> str:
    """The toast after a saved illustration, saying what it cost."""
    where = f"saved for {illustration.reference}"
    if illustration.admin:
        kind = "Offline sketch" if illustration.is_sketch else "Illustration"
        return f"{kind} {where}: admin, no credits used (audited)."
    if illustration.is_sketch:
        return f"Offline sketch {where}: free."
    return f"Illustration {where}: {credits_text(illustration.credits)}."


def free_text(default: Offer | None) -> str:
    """After "Reading and looking at illustrations are free.": what credits cost and, with the
    default model's price, how many illustrations a bundle makes."""
    text = (
        f" Making a new illustration needs credits: ${BUNDLE_USD} buys "
        f"{BUNDLE_CREDITS} credits, paid with Lightning from a phone wallet or Cash App."
    )
    if default is None or not default.credits:
        return text
    per_bundle = BUNDLE_CREDITS // default.credits
    return (
        f"{text}\n\nAn illustration with {default.name} (the default model) costs "
        f"{credits_text(default.credits)}, so {BUNDLE_CREDITS} credits make about "
        f"{per_bundle} of them."
    )


def balance_line(ready: Readiness, sketch_offered: bool) -> str:
    """What the image does to the balance, or why it cannot be made."""
    if ready.tier is Tier.ADMIN:
        return ADMIN_LINE
    if ready.waiting_for_holds:
        return ready.reason or ""
    if not ready.allowed and ready.missing > 0:
        line = (
            f"This model needs {credits_text(ready.price)}, you have {ready.available} "
            f"available: {ready.missing} more needed."
        )
        if sketch_offered:
            line += " The offline sketch is free."
        return line
    if not ready.allowed:
        return ready.reason or "This model cannot be used now."
    return f"Balance after this image: {credits_text(ready.balance_after)}"


def hold_note(ready: Readiness) -> str:
    """Under the progress bar: what happens to the credits while the image is made."""
    if ready.tier is Tier.ADMIN:
        return "Admin: no credits are used."
    if ready.price:
        return (
            f"{credits_text(ready.price)} are held until the image arrives; cancelling "
            "releases them."
        )
    return "The offline sketch is drawn here and costs nothing."


def unchanged_text(ready: Readiness) -> str:
    """After a failure: the balance as it is now, so "nothing was charged" can be seen."""
    if ready.tier is Tier.ADMIN:
        return ""
    return f"Your balance is {credits_text(ready.balance)}, as before."
