"""Moving through the Bible one verse, chapter or book at a time.

Every step crosses boundaries the way a reader expects (Gen 50:26 -> Exod 1:1, Mal 4:6 ->
Matt 1:1) and answers None at the ends instead of wrapping. Books and chapters a translation
lacks are skipped, so a New Testament-only or partial module still reads straight through.
"""

from __future__ import annotations

from core.bible.books import BOOKS
from core.bible.references import KJV_VERSIFICATION, VerseRef, Versification


def _present_books(v: Versification) -> list[int]:
    return [b.number for b in BOOKS if v.verse_counts(b.number)]


def _counts(v: Versification, book_number: int) -> tuple[int, ...]:
    counts = v.verse_counts(book_number)
    if not counts:
        raise ValueError(f"book {book_number} is not in this translation")
    return counts


def _chapters(v: Versification, book_number: int) -> list[int]:
    """The chapters of a book that have verses in this translation."""
    return [i for i, n in enumerate(_counts(v, book_number), start=1) if n]


def _book_start(v: Versification, book_number: int) -> VerseRef:
    return VerseRef(book_number, _chapters(v, book_number)[0], 1)


def next_verse(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    counts = _counts(v, ref.book)
    if ref.verse < counts[ref.chapter - 1]:
        return VerseRef(ref.book, ref.chapter, ref.verse + 1)
    return next_chapter(ref, v)


def previous_verse(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    if ref.verse > 1:
        return VerseRef(ref.book, ref.chapter, ref.verse - 1)
    start = previous_chapter(ref, v)
    if start is None:
        return None
    return VerseRef(start.book, start.chapter, _counts(v, start.book)[start.chapter - 1])


def next_chapter(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    """Verse 1 of the following chapter, into the next book after the last chapter."""
    later = [c for c in _chapters(v, ref.book) if c > ref.chapter]
    if later:
        return VerseRef(ref.book, later[0], 1)
    return next_book(ref, v)


def previous_chapter(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    """Verse 1 of the chapter before, into the previous book's last chapter."""
    earlier = [c for c in _chapters(v, ref.book) if c < ref.chapter]
    if earlier:
        return VerseRef(ref.book, earlier[-1], 1)
    earlier_books = [b for b in _present_books(v) if b < ref.book]
    if not earlier_books:
        return None
    book_number = earlier_books[-1]
    return VerseRef(book_number, _chapters(v, book_number)[-1], 1)


def next_book(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    later = [b for b in _present_books(v) if b > ref.book]
    return _book_start(v, later[0]) if later else None


def previous_book(ref: VerseRef, v: Versification = KJV_VERSIFICATION) -> VerseRef | None:
    """Verse 1 of the previous book."""
    earlier = [b for b in _present_books(v) if b < ref.book]
    return _book_start(v, earlier[-1]) if earlier else None


def clamp(ref: VerseRef, v: Versification) -> VerseRef:
    """The nearest verse that exists in this numbering (for switching translations)."""
    counts = v.verse_counts(ref.book)
    if not counts:
        books = _present_books(v)
        after = [b for b in books if b > ref.book]
        if after:
            return _book_start(v, after[0])
        last = books[-1]
        chapter = _chapters(v, last)[-1]
        return VerseRef(last, chapter, _counts(v, last)[chapter - 1])
    present = _chapters(v, ref.book)
    chapter = min(present, key=lambda c: (abs(c - ref.chapter), c))
    return VerseRef(ref.book, chapter, max(1, min(ref.verse, counts[chapter - 1])))
