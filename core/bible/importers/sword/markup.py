"""Verse text out of a SWORD module's markup (OSIS, ThML or GBF).

``pysword`` has a cleaner of its own, but it glues words together where a footnote sat
between them ("Godcreated") and leaves pilcrows and stray tags; this one keeps words apart,
drops notes and headings, and keeps the translators' supplied words in [brackets].
"""

from __future__ import annotations

import html
import re

_SOFT = "\x00"
"""Stands where markup separated text; becomes a space only if that keeps words apart."""

_SPLIT_TAGS = re.compile(r"(<[^<>]*>)")
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)([^>]*)>")
"""An end tag's "/", the name, and the rest: attributes, then any closing "/" and spaces (split
off by ``_one_tag``; a lazy ``([^>]*?)(/?)`` here retried the end at every character)."""
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

# Elements whose content is not verse text: notes, headings, speaker labels, variants.
_DROP = frozenset(
    {"note", "title", "speaker", "rdg", "figure", "head", "h1", "h2", "h3", "h4", "h5", "h6"}
)
# Elements that are markup around words (OSIS and ThML names, as spelt in modules). Any
# other element is taken as a break between words.
# fmt: off
_WRAPPERS = (
    "w", "seg", "hi", "foreign", "name", "divineName", "reference", "lem", "abbr", "catchWord",
    "mentioned", "inscription", "index", "a", "date", "term", "unclear", "app", "scripRef",
    "sync", "font", "i", "b", "u", "em", "strong", "span", "sup", "sub", "added", "small",
)
# fmt: on
_INLINE = frozenset(n.lower() for n in (*_WRAPPERS, "q", "transChange"))
_WITH_ATTRS = frozenset({"transchange", "q", "milestone"})
_WORD_WRAPPERS = re.compile(r"</?(?:" + "|".join(_WRAPPERS) + r")(?=[\s/>])[^<>]*>")
_LQ, _RQ, _LSQ, _RSQ = "\u201c", "\u201d", "\u2018", "\u2019"  # curly quotes
_DASHES = "\u2014\u2013-"
_CLOSERS = frozenset(",.;:!?)]}\u00bb\u2026" + _RQ + _RSQ + _DASHES)
_OPENERS = frozenset("([{\u00ab" + _LQ + _LSQ + _DASHES)
_SOFT_RUN = re.compile(r"\x00[\s\x00]*")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[,.;:!?])")
_BOOK_END = re.compile(r"""<div\b(?=[^>]*\btype=["']book["'])(?=[^>]*\beID=)[^>]*>""")


def _attrs(text: str) -> dict[str, str]:
    return {m[1].lower(): m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(text)}


def _start_tag(name: str, attrs: dict[str, str], quote_ticks: bool) -> str:
    """What an opening (or milestone) tag contributes to the text."""
    if name == "transchange":
        return "[" if attrs.get("type", "added") == "added" else ""
    if name == "q":
        return _quote_mark(attrs, quote_ticks, opening="eid" not in attrs)
    if name == "milestone" and attrs.get("type", "").lower() == "cquote":
        return attrs.get("marker", "")
    return "" if name in _INLINE else _SOFT


def _quote_mark(attrs: dict[str, str], quote_ticks: bool, opening: bool) -> str:
    """OSIS ``<q>`` carries its punctuation in ``marker``; without one, SWORD may supply it."""
    if "marker" in attrs:
        return attrs["marker"]
    if not quote_ticks:
        return ""
    nested = attrs.get("level", "1") != "1"
    return (_LSQ if nested else _LQ) if opening else (_RSQ if nested else _RQ)


def _join_soft(match: re.Match[str]) -> str:
    """A break in the markup becomes a space only between two words."""
    text, start, end = match.string, match.start(), match.end()
    if start == 0 or end == len(text):
        return ""
    if text[start - 1].isspace() or match[0].strip(_SOFT):
        return " "
    if text[start - 1] in _OPENERS or text[end] in _CLOSERS:
        return ""
    return " "


def _tidy(text: str, tight_punctuation: bool) -> str:
    text = text.replace("¶", "")
    if _SOFT in text:
        text = _SOFT_RUN.sub(_join_soft, text)
    text = " ".join(text.split())  # as ``\s+`` -> " " and strip(): both use Unicode's spaces
    if tight_punctuation:
        text = _SPACE_BEFORE_PUNCT.sub("", text)
    if "[" in text or "]" in text:
        text = text.replace("[ ", "[").replace(" ]", "]").replace("[]", "")
    return text


def clean_osis(raw: str, *, quote_ticks: bool = False, tight_punctuation: bool = True) -> str:
    """Verse text from OSIS (or ThML) markup: words kept, notes and headings dropped.

    Words the translators supplied (``<transChange type="added">``) come back in [brackets],
    the convention ``core.bible.text`` uses for italics. ``tight_punctuation`` removes the
    space some modules leave before "," "." "?" etc.; French typography wants it, so the
    caller decides by language.
    """
    # Only a book's closing <div type="book" eID=...> ends the text, so no "book", no search.
    text = _BOOK_END.split(raw, maxsplit=1)[0] if "book" in raw else raw
    # Most tags (<w> on every word) only wrap words; removing them first keeps this fast.
    text = _WORD_WRAPPERS.sub("", text)
    return _tidy(_render(text, quote_ticks), tight_punctuation)


def _render(text: str, quote_ticks: bool) -> str:
    """Text with every remaining tag replaced by what it stands for; dropped content gone."""
    if "<" not in text:  # a third of WEB's verses, once their <w> tags are gone
        return html.unescape(text)
    out: list[str] = []
    dropping: list[str] = []
    closers: list[str] = []
    parts = _SPLIT_TAGS.split(text)
    for i in range(0, len(parts), 2):
        if i:
            tag = _TAG.fullmatch(parts[i - 1])
            if tag is not None:
                _one_tag(tag, out, dropping, closers, quote_ticks)
        if not dropping and (part := parts[i]):
            out.append(html.unescape(part.replace("<", "")))
    return "".join(out)


def _one_tag(
    tag: re.Match[str], out: list[str], dropping: list[str], closers: list[str], ticks: bool
) -> None:
    """What one tag stands for, onto ``out``; a dropped element's tags are tracked, not shown."""
    is_end, name, rest = bool(tag[1]), tag[2].lower(), tag[3].rstrip()
    self_closing = rest.endswith("/")
    if dropping or name in _DROP:
        if not self_closing and name in _DROP:
            _track_drop(dropping, name, is_end)
        if not dropping:
            out.append(_SOFT)
    elif is_end:
        out.append(_end_tag(name, closers))
    elif name in _WITH_ATTRS:  # only these look at their attributes
        attrs = _attrs(rest[:-1] if self_closing else rest)
        if not self_closing and name in ("transchange", "q"):
            closers.append(_closing_piece(name, attrs, ticks))
        out.append(_start_tag(name, attrs, ticks))
    elif name not in _INLINE:
        out.append(_SOFT)


def _track_drop(dropping: list[str], name: str, is_end: bool) -> None:
    """Keep the stack of open dropped elements (a note may sit inside a title)."""
    if not is_end:
        dropping.append(name)
    elif dropping and dropping[-1] == name:
        dropping.pop()


def _closing_piece(name: str, attrs: dict[str, str], quote_ticks: bool) -> str:
    if name == "transchange":
        return "]" if attrs.get("type", "added") == "added" else ""
    return _quote_mark(attrs, quote_ticks, opening=False)


def _end_tag(name: str, closers: list[str]) -> str:
    if name in ("transchange", "q"):
        return closers.pop() if closers else ""
    return "" if name in _INLINE else _SOFT


clean_thml = clean_osis
"""ThML uses the same ideas under other names (``<note>``, ``<scripRef>``, ``<sync/>``)."""

_GBF_TOKEN = re.compile(r"<([A-Z][A-Za-z]*)([^<>]*)>")
_GBF_AS_OSIS = {
    "RF": "<note>",  # footnote
    "Rf": "</note>",
    "TS": "<title>",  # section title
    "Ts": "</title>",
    "TT": "<title>",  # book title
    "Tt": "</title>",
    "TH": "<title>",
    "Th": "</title>",
    "FI": '<transChange type="added">',  # italics: words the translators supplied
    "Fi": "</transChange>",
    "CM": "<lb/>",  # paragraph
    "CL": "<lb/>",  # line break
    "CG": "<lb/>",
    "CT": "<lb/>",
}


def clean_gbf(raw: str, *, tight_punctuation: bool = True) -> str:
    """Verse text from GBF, by translating the tokens that matter into OSIS first."""

    def as_osis(m: re.Match[str]) -> str:
        return _GBF_AS_OSIS.get(m[1], "")

    return clean_osis(_GBF_TOKEN.sub(as_osis, raw), tight_punctuation=tight_punctuation)


def clean(
    raw: str, source_type: str = "OSIS", *, lang: str = "en", quote_ticks: bool = False
) -> str:
    """Verse text from a module's raw markup, whichever ``SourceType`` its conf names."""
    tight = not lang.lower().startswith("fr")
    if source_type.upper() == "GBF":
        return clean_gbf(raw, tight_punctuation=tight)
    return clean_osis(raw, quote_ticks=quote_ticks, tight_punctuation=tight)
