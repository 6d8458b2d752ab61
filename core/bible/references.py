"""Turning what people type into verse references, and references back into text.

Parsing is forgiving about form ("jn 3 16", "1Co 13:4-7", "Song of Songs 2") and strict about
substance: a chapter or verse that does not exist in the translation's numbering is refused
with one sentence saying what does exist. Nothing here raises anything but ``BadReference``.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

from core.bible.books import BOOKS, Book, book
from core.printable import echo

MAX_INPUT = 160
"""Longest text treated as a reference; longer input is refused without parsing it."""
MAX_PARTS = 40
"""Most passages one verse list ("Eph 2:8,9") may name."""


class BadReference(ValueError):
    """A reference that cannot be read or does not exist. ``str()`` is a one-line message."""


class Versification(Protocol):
    """How a translation numbers its verses: which books it has and how long each chapter is."""

    def verse_counts(self, book_number: int) -> tuple[int, ...] | None:
        """The verse count of each chapter of the book, or None if the translation lacks it."""
        ...


class _KjvVersification:
    def verse_counts(self, book_number: int) -> tuple[int, ...] | None:
        return book(book_number).verse_counts if 1 <= book_number <= len(BOOKS) else None


KJV_VERSIFICATION: Versification = _KjvVersification()


@dataclass(frozen=True, slots=True, order=True)
class VerseRef:
    """One verse: book number (1-66), chapter and verse, ordered canonically."""

    book: int
    chapter: int
    verse: int

    @property
    def book_info(self) -> Book:
        return book(self.book)

    def __str__(self) -> str:
        return f"{self.book_info.name} {self.chapter}:{self.verse}"

    @property
    def short(self) -> str:
        """Compact form for narrow places: 'John 3:16' stays, '1 Corinthians' becomes '1Cor'."""
        return f"{self.book_info.osis} {self.chapter}:{self.verse}"


PassageKind = Literal["verse", "range", "chapter", "book"]


@dataclass(frozen=True, slots=True)
class Passage:
    """An inclusive span of verses, with the shape the reader typed (for display)."""

    start: VerseRef
    end: VerseRef
    kind: PassageKind

    def __str__(self) -> str:
        s, e = self.start, self.end
        name = s.book_info.name
        if self.kind == "book":
            return name
        if self.kind == "chapter":
            return (
                f"{name} {s.chapter}"
                if s.chapter == e.chapter
                else f"{name} {s.chapter}-{e.chapter}"
            )
        if self.kind == "verse":
            return str(s)
        if s.chapter == e.chapter:
            return f"{name} {s.chapter}:{s.verse}-{e.verse}"
        return f"{name} {s.chapter}:{s.verse}-{e.chapter}:{e.verse}"


def _key(text: str) -> str:
    return re.sub(r"[\s.]+", "", text.lower())


_ORDINALS = {
    "i": "1", "ii": "2", "iii": "3", "1st": "1", "2nd": "2", "3rd": "3",
    "first": "1", "second": "2", "third": "3",
}  # fmt: skip
_ORDINAL_RE = re.compile(r"^(iii|ii|i|1st|2nd|3rd|first|second|third)\s+(?=[a-z])")

_EXACT: dict[str, Book] = {}
for _b in BOOKS:
    for _alias in (_b.name, _b.usfm, _b.osis, *_b.abbreviations):
        _EXACT.setdefault(_key(_alias), _b)
_EXACT.update({"songofsongs": book(22), "psalm": book(19), "revelations": book(66)})
_NAMES = {_key(b.name): b for b in BOOKS}


def _book_key(text: str) -> str:
    text = text.strip().lower()
    text = _ORDINAL_RE.sub(lambda m: _ORDINALS[m.group(1)], text)
    return _key(text)


def match_books(text: str) -> list[Book]:
    """Books whose name or abbreviation the text could mean, best first (for suggestions)."""
    key = _book_key(text)
    if not key:
        return list(BOOKS)
    if key in _EXACT:
        exact = _EXACT[key]
        rest = [b for k, b in _NAMES.items() if k.startswith(key) and b is not exact]
        return [exact, *rest]
    return [b for k, b in _NAMES.items() if k.startswith(key)]


def resolve_book(text: str) -> Book:
    """The one book the text names, or ``BadReference`` saying why not."""
    key = _book_key(text)
    typed = _shorten(text)
    if not key:
        raise BadReference("Type a book name, such as Genesis or John.")
    if key in _EXACT:
        return _EXACT[key]
    candidates = [b for k, b in _NAMES.items() if k.startswith(key)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(b.name for b in candidates[:5])
        more = ", ..." if len(candidates) > 5 else ""
        raise BadReference(f'"{typed}" could be {names}{more}: type a few more letters.')
    close = difflib.get_close_matches(key, list(_NAMES), n=1, cutoff=0.7) or (
        difflib.get_close_matches(key, list(_EXACT), n=1, cutoff=0.75)
    )
    hint = (
        f" Did you mean {_EXACT[close[0]].name}?"
        if close
        else " Try a name or an abbreviation such as Gen, Ps, Jn or 1 Cor."
    )
    raise BadReference(f'There is no book called "{typed}".{hint}')


def _shorten(text: str) -> str:
    """The user's text for a one-line message: spaces collapsed, controls escaped, short."""
    return echo(" ".join(text.split()), 30)


_DASHES = str.maketrans(
    {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
    | {"\u3002": ".", "\uff61": ".", "\u3001": ",", "\uff64": ","}
)


def normalize(text: str) -> str:
    """Pasted forms made plain: fullwidth colon and digits, any dash, odd spaces (NFKC folds
    most of them; the dashes and CJK full stops it leaves alone are mapped here)."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split())


_REF_RE = re.compile(
    r"""^\s*
    (?P<book>(?:[1-3]\s*)?[^\d\s:.\-][^\d:\-]*?)\.?\s*
    (?:
        (?P<c1>\d{1,3})
        (?:\s*(?::|\.|\s)\s*(?P<v1>\d{1,3}))?
        (?:\s*-\s*(?P<c2>\d{1,3})(?:\s*(?::|\.)\s*(?P<v2>\d{1,3}))?)?
    )?
    \s*$""",
    re.VERBOSE,
)


def parse(text: str, versification: Versification = KJV_VERSIFICATION) -> Passage:
    """Read a reference such as "John 3:16", "jn 3 16", "1 Cor 13:4-7", "Ps 23" or "Genesis"."""
    raw = normalize(text)
    if not raw.strip():
        raise BadReference("Type a reference such as John 3:16, Ps 23 or Genesis.")
    if len(raw) > MAX_INPUT:
        raise BadReference("That is too long to be a reference; try something like John 3:16.")
    m = _REF_RE.match(raw)
    if not m:
        raise BadReference(f'"{_shorten(raw)}" is not a reference; try something like John 3:16.')
    bk = resolve_book(m["book"])
    counts = versification.verse_counts(bk.number)
    if not counts:
        raise BadReference(f"This translation does not include {bk.name}.")
    c1, v1, c2, v2 = (int(g) if g else None for g in m.group("c1", "v1", "c2", "v2"))

    if c1 is None:
        return Passage(
            VerseRef(bk.number, 1, 1), VerseRef(bk.number, len(counts), counts[-1]), "book"
        )
    if len(counts) == 1 and v1 is None and not (c1 == 1 and c2 is None):
        # "Jude 5" means verse 5 of the book's only chapter.
        c1, v1, c2, v2 = 1, c1, (1 if c2 is not None else None), c2
    _check_chapter(bk, counts, c1)
    if v1 is None:
        last_ch = c1
        end_v = None
        if c2 is not None:
            last_ch = c2
            _check_chapter(bk, counts, c2)
            if v2 is not None:
                _check_verse(bk, counts, c2, v2)
                end_v = v2
        start = VerseRef(bk.number, c1, 1)
        end = VerseRef(bk.number, last_ch, end_v or counts[last_ch - 1])
        _check_order(start, end)
        return Passage(start, end, "range" if end_v else "chapter")
    _check_verse(bk, counts, c1, v1)
    start = VerseRef(bk.number, c1, v1)
    if c2 is None:
        return Passage(start, start, "verse")
    if v2 is None:
        end = VerseRef(bk.number, c1, c2)
        _check_verse(bk, counts, c1, c2)
    else:
        _check_chapter(bk, counts, c2)
        _check_verse(bk, counts, c2, v2)
        end = VerseRef(bk.number, c2, v2)
    _check_order(start, end)
    return Passage(start, end, "verse" if start == end else "range")


def _check_chapter(bk: Book, counts: tuple[int, ...], chapter: int) -> None:
    if not 1 <= chapter <= len(counts):
        n = len(counts)
        has = "has only one chapter" if n == 1 else f"has chapters 1 to {n}"
        raise BadReference(f"{bk.name} {has}; there is no chapter {chapter}.")


def _check_verse(bk: Book, counts: tuple[int, ...], chapter: int, verse: int) -> None:
    n = counts[chapter - 1]
    if not 1 <= verse <= n:
        raise BadReference(f"{bk.name} {chapter} has verses 1 to {n}; there is no verse {verse}.")


def _check_order(start: VerseRef, end: VerseRef) -> None:
    if end < start:
        raise BadReference(f"The range ends ({end}) before it starts ({start}).")


_RELATIVE_RE = re.compile(
    r"^\s*(\d{1,3})(?:\s*[:.]\s*(\d{1,3}))?\s*(?:-\s*\d{1,3}(?:\s*[:.]\s*\d{1,3})?)?\s*$"
)


def parse_near(
    text: str, here: VerseRef, versification: Versification = KJV_VERSIFICATION
) -> Passage:
    """Like ``parse``, but "16" means verse 16 of this chapter and "3:16" chapter 3 of this
    book, the way a reader already inside a book thinks of references. A verse list
    ("3:16,18") means its first passage: that is where a reader goes."""
    return parse_list(text, versification, here)[0]


def _relative(part: str, here: VerseRef, versification: Versification) -> Passage:
    m = _RELATIVE_RE.match(part)
    if m is None:
        return parse(part, versification)
    name = here.book_info.name
    if m.group(2) is None:
        return parse(f"{name} {here.chapter}:{part.strip()}", versification)
    return parse(f"{name} {part.strip()}", versification)


def parse_list(
    text: str, versification: Versification = KJV_VERSIFICATION, here: VerseRef | None = None
) -> tuple[Passage, ...]:
    """A verse list as diatheke reads it: "Eph 2:8,9", "Ps 23:1-3,6", "Jn 3:16; 4:14".

    After a comma a bare number continues what came before: a verse after a verse
    ("Jn 3:16,18"), a chapter after a chapter ("Ps 23, 24"). "4:14" stays in the same book;
    a part with its own book name starts afresh. With ``here``, the first part may be
    relative to it too ("16", "3:16").
    """
    raw = normalize(text)
    if len(raw) > MAX_INPUT:
        raise BadReference("That is too long to be a reference; try something like John 3:16.")
    parts = re.split(r"[,;]", raw)
    if len(parts) > MAX_PARTS:
        raise BadReference(f"A verse list can name at most {MAX_PARTS} passages.")
    if len(parts) > 1 and not all(p.strip() for p in parts):
        raise BadReference(f'"{_shorten(raw)}" has an empty part between its commas.')
    first = _relative(parts[0], here, versification) if here else parse(parts[0], versification)
    out = [first]
    for part in parts[1:]:
        prev = out[-1]
        m = _RELATIVE_RE.match(part)
        if m is None:
            out.append(parse(part, versification))
        elif m.group(2) is None and prev.kind in ("chapter", "book"):
            out.append(parse(f"{prev.end.book_info.name} {part.strip()}", versification))
        else:
            out.append(_relative(part, prev.end, versification))
    return tuple(out)


def describe(passages: tuple[Passage, ...]) -> str:
    """A verse list written back compactly: "Ephesians 2:8, 9", "Psalms 23:1-3, 6"."""
    text = str(passages[0])
    for prev, p in itertools.pairwise(passages):
        whole = str(p)
        name = p.start.book_info.name
        if p.start.book != prev.end.book or p.kind == "book":
            text += "; " + whole
        elif p.kind == "chapter" or prev.kind in ("chapter", "book"):
            text += ", " + whole.removeprefix(name + " ")
        elif p.start.chapter == prev.end.chapter and p.end.chapter == p.start.chapter:
            text += ", " + whole.removeprefix(f"{name} {p.start.chapter}:")
        else:
            text += ", " + whole.removeprefix(name + " ")
    return text


_TRAILING_NAME = re.compile(r"^(?P<rest>.*?)\s*[(\[]?(?P<name>[A-Za-z][A-Za-z0-9_.-]{0,31})[)\]]?$")


def trailing_translation(text: str) -> tuple[str, str] | None:
    """("Rom 8:28", "KJV") for "Rom 8:28 KJV" or "John 3:16 (WEB)"; None when there is no
    final word that could name a translation. Callers try the whole text as a reference
    first, so a book whose name ends in such a word ("Song of Songs") is still a book."""
    raw = normalize(text)
    m = _TRAILING_NAME.match(raw)
    if m is None or not m["rest"].strip() or not re.search(r"\s|[)\]]$", raw[len(m["rest"]) :]):
        return None
    return m["rest"], m["name"]
