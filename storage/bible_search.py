"""Turning a reader's search text into FTS5 query text, and the SQL that ranks its hits.

Kept apart from ``storage.bible`` because it is the part of search with rules of its own: the
bounds on what one search may ask, quoting every word so nothing is read as query syntax, the
King James verb endings, and putting exact-phrase verses first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

_TOKEN_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*", re.UNICODE)
_QUOTED_RE = re.compile(r"[\"\u201c\u201d]([^\"\u201c\u201d]*)(?:[\"\u201c\u201d]|$)")

MAX_QUERY = 300
"""Longest search text, in characters: a pasted chapter is refused instead of taking seconds."""
MAX_TERMS = 24
"""Most different words (quoted phrases count each of their words) one search may use."""
MAX_LIMIT = 100_000
"""Largest page of hits asked of SQLite (its integers are 64-bit; Python's are not)."""


class BadQuery(ValueError):
    """Search text too long or with too many words. ``str()`` is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class FtsQuery:
    """The user's search as FTS5 syntax: what must match, and the phrase ranked first."""

    match: str
    phrase: str | None
    """All the words in order as one phrase, for putting exact-phrase verses first."""
    words: tuple[str, ...]


def _quote(words: Iterable[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def _word_forms(word: str) -> str:
    """One word with its King James verb endings: "believe" also finds "believeth".

    The porter tokenizer already joins believe/believed/believing and water/waters; the
    archaic -eth and -est endings are not English it knows, so they are asked for here.
    """
    if not word.isalpha() or len(word) < 3:
        return _quote([word])
    stem = word if word.endswith("e") else word + "e"
    return "(" + " OR ".join(_quote([w]) for w in (word, stem + "th", stem + "st")) + ")"


def fts_query(text: str) -> FtsQuery | None:
    """The user's search as FTS5 syntax; None when there is nothing to find.

    Text in double quotes is a phrase; other words must all appear, in any order. Every word
    is wrapped in double quotes, so ``Lord's``, ``son-in-law``, ``*`` or ``NEAR(`` are searched
    as text and can never be read as query syntax. ``BadQuery`` for text past the bounds.
    """
    if len(text) > MAX_QUERY:
        raise BadQuery(f"A search can be at most {MAX_QUERY} characters; use fewer words.")
    phrases = [_TOKEN_RE.findall(m) for m in _QUOTED_RE.findall(text)]
    loose = _TOKEN_RE.findall(_QUOTED_RE.sub(" ", text))
    every = [w for p in phrases for w in p] + loose
    if not every:
        return None
    if len({w.lower() for w in every}) > MAX_TERMS:
        raise BadQuery(f"A search can use at most {MAX_TERMS} different words.")
    seen: set[str] = set()
    parts = [_quote(p) for p in phrases if p]
    for w in loose:
        if w.lower() not in seen:
            seen.add(w.lower())
            parts.append(_word_forms(w))
    ordered = [w for p in phrases for w in p] if phrases and not loose else every
    phrase = _quote(ordered) if len(ordered) > 1 else None
    return FtsQuery(" AND ".join(parts), phrase, tuple(every))


SearchOrder = Literal["relevance", "bible"]

RANKED_AT_MOST = 1000
"""Past this many hits, relevance is not worth its cost: scoring every verse that has "the"
takes 100 ms, and when a word is in a thousand verses no verse is much more about it."""


HITS = "SELECT rowid FROM verses_fts WHERE verses_fts MATCH ? AND rowid BETWEEN ? AND ?"
"""The hits of one translation: its verses are one block of rowids."""


def hits_sql(
    query: FtsQuery, first_rowid: int, last_rowid: int, ranked: bool
) -> tuple[str, tuple[object, ...]]:
    """The SQL (and its parameters) listing ``query``'s hits, ranked or in Bible order.

    Ranked puts verses holding the words as one phrase first, then FTS5's bm25 score (rarer
    words and shorter verses first). A ``LIMIT ? OFFSET ?`` is left for the caller to add.
    """
    match = (query.match, first_rowid, last_rowid)
    if not ranked:
        return HITS + " ORDER BY rowid", match
    if query.phrase is not None and query.phrase != query.match:
        return (
            f"{HITS} ORDER BY rowid IN ({HITS}) DESC, rank",
            (*match, query.phrase, first_rowid, last_rowid),
        )
    return HITS + " ORDER BY rank", match
