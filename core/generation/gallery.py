"""The illustrations already made, as viewers see them: per verse, newest first, with their
whole transparency record, and which verses, chapters and books have any (for the marks)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.bible.references import VerseRef
from core.billing.ledger import has_had_sessions
from core.config import Config
from core.generation.labels import PROVIDER_LABELS, SKETCH_LABEL
from core.generation.prompts import THEME_BY_ID
from core.generation.store import ExportError, ImageStore, StoreCheck
from storage import images as db
from storage import ledger as ledger_db
from storage.ledger import LedgerError

__all__ = ["ExportError", "Gallery", "Illustration", "LedgerError"]


@dataclass(frozen=True, slots=True)
class Illustration:
    id: str
    ref: VerseRef
    reference: str
    translation: str
    verse_text: str
    theme: str | None
    aspect_ratio: str
    prompt: str
    prompt_version: int
    prompt_inputs: dict[str, object]
    provider: str
    model: str
    credits: int
    provider_cost: Decimal | None
    duration: float
    """Seconds the provider call took."""
    width: int
    height: int
    mime: str
    size: int
    sha256: str
    path: Path
    created_at: datetime
    session_id: str
    admin: bool

    @property
    def is_sketch(self) -> bool:
        return self.provider == "sketch"

    @property
    def made_by(self) -> str:
        """Who drew it, as every screen says it: the sketch's label, or provider and model."""
        if self.is_sketch:
            return SKETCH_LABEL
        return f"{self.model} via {PROVIDER_LABELS.get(self.provider, self.provider)}"

    @property
    def theme_label(self) -> str:
        if self.theme is None:
            return "No theme"
        theme = THEME_BY_ID.get(self.theme)
        return theme.label if theme is not None else str(self.theme)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def details(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the metadata panel and ``verselight images``."""
        cost = "admin (no credits)" if self.admin else f"{self.credits} credits"
        provider_cost = "unknown" if self.provider_cost is None else f"${self.provider_cost}"
        return [
            ("Id", self.id),
            ("Verse", f"{self.reference} ({self.translation})"),
            ("Made by", self.made_by),
            ("Cost", cost),
            ("Provider cost", provider_cost),
            ("Took", f"{self.duration:.1f} s"),
            ("Theme", self.theme_label),
            ("Size", f"{self.width}x{self.height} {self.mime}, {self.size:,} bytes"),
            ("Made", self.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            ("Prompt version", str(self.prompt_version)),
            ("SHA-256", self.sha256),
            ("Prompt", self.prompt),
        ]


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class Gallery:
    """Read access to the illustrations. One per thread; opened on the ledger database."""

    def __init__(self, conn: sqlite3.Connection, store: ImageStore) -> None:
        self.conn = conn
        self.store = store
        self.exports = True
        """Whether ``export`` may write copies where the user names (off when served)."""

    @classmethod
    def open(cls, config: Config) -> Gallery:
        """Raises ``LedgerError`` (a sentence) when the database cannot be used."""
        conn = ledger_db.connect(config.paths.ledger_db, empty_ok=not has_had_sessions(config))
        return cls(conn, ImageStore(config.paths.images_dir))

    def close(self) -> None:
        self.conn.close()

    def illustration(self, row: db.ImageRow) -> Illustration:
        try:
            inputs = json.loads(row.prompt_inputs)
        except ValueError:
            inputs = {}
        return Illustration(
            id=row.id,
            ref=VerseRef(row.book, row.chapter, row.verse),
            reference=row.reference,
            translation=row.translation,
            verse_text=row.verse_text,
            theme=row.theme,
            aspect_ratio=row.aspect_ratio,
            prompt=row.prompt,
            prompt_version=row.prompt_version,
            prompt_inputs=inputs if isinstance(inputs, dict) else {},
            provider=row.provider,
            model=row.model,
            credits=row.credits,
            provider_cost=_decimal(row.provider_cost),
            duration=row.duration_ms / 1000,
            width=row.width,
            height=row.height,
            mime=row.mime,
            size=row.size,
            sha256=row.sha256,
            path=self.store.path(row.file),
            created_at=datetime.fromisoformat(row.created_at),
            session_id=row.session_id,
            admin=row.admin,
        )

    def for_verse(self, ref: VerseRef) -> list[Illustration]:
        """Newest first."""
        rows = db.images_for_verse(self.conn, ref.book, ref.chapter, ref.verse)
        return [self.illustration(r) for r in rows]

    def latest(self, ref: VerseRef) -> Illustration | None:
        found = self.for_verse(ref)
        return found[0] if found else None

    def get(self, image_id: str) -> Illustration | None:
        """By id, or by a unique prefix of at least 4 characters (as ``images`` prints them)."""
        row = db.get_image(self.conn, image_id)
        if row is None and len(image_id) >= 4:
            matches = db.find_images(self.conn, image_id.lower())
            row = matches[0] if len(matches) == 1 else None
        return self.illustration(row) if row else None

    def matching(self, prefix: str) -> list[Illustration]:
        """Up to two illustrations whose id starts with ``prefix`` (two means: ambiguous)."""
        return [self.illustration(r) for r in db.find_images(self.conn, prefix.lower())]

    def count(self) -> int:
        return db.image_count(self.conn)

    def verse_counts(self, book: int, chapter: int) -> dict[int, int]:
        return db.verse_counts(self.conn, book, chapter)

    def illustrated_chapters(self, book: int) -> set[int]:
        return db.illustrated_chapters(self.conn, book)

    def illustrated_books(self) -> set[int]:
        return db.illustrated_books(self.conn)

    def check_files(self) -> StoreCheck:
        """Files without rows and rows without files (the start-up check)."""
        return self.store.check(db.image_files(self.conn))

    def export(self, illustration: Illustration, destination: Path) -> Path:
        """A copy at ``destination``; ``ExportError`` (a sentence) when refused."""
        if not self.exports:
            raise ExportError(
                "Saving copies of illustrations is switched off here; nothing was written."
            )
        return self.store.export(str(illustration.path.relative_to(self.store.root)), destination)

    def data_version(self) -> int:
        return ledger_db.data_version(self.conn)
