"""Reference parsing: what people type, what it means, and one clear line when it means nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bible.books import BOOKS, book
from core.bible.references import (
    BadReference,
    Passage,
    VerseRef,
    describe,
    parse,
    parse_list,
    parse_near,
    trailing_translation,
)

V = VerseRef

# (input, str(Passage), start, end, kind)
VALID: list[tuple[str, str, VerseRef, VerseRef, str]] = [
    # full names
    ("Genesis 1:1", "Genesis 1:1", V(1, 1, 1), V(1, 1, 1), "verse"),
    ("John 3:16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("Revelation 22:21", "Revelation 22:21", V(66, 22, 21), V(66, 22, 21), "verse"),
    ("Psalms 119:176", "Psalms 119:176", V(19, 119, 176), V(19, 119, 176), "verse"),
    ("Psalm 1", "Psalms 1", V(19, 1, 1), V(19, 1, 6), "chapter"),
    ("Song of Solomon 2:1", "Song of Solomon 2:1", V(22, 2, 1), V(22, 2, 1), "verse"),
    ("Revelations 1:1", "Revelation 1:1", V(66, 1, 1), V(66, 1, 1), "verse"),
    # abbreviations
    ("Gen 1:1", "Genesis 1:1", V(1, 1, 1), V(1, 1, 1), "verse"),
    ("Ex 20:3", "Exodus 20:3", V(2, 20, 3), V(2, 20, 3), "verse"),
    ("Lev 19:18", "Leviticus 19:18", V(3, 19, 18), V(3, 19, 18), "verse"),
    ("Num 6:24", "Numbers 6:24", V(4, 6, 24), V(4, 6, 24), "verse"),
    ("Deut 6:4", "Deuteronomy 6:4", V(5, 6, 4), V(5, 6, 4), "verse"),
    ("Ps 23", "Psalms 23", V(19, 23, 1), V(19, 23, 6), "chapter"),
    ("Prov 3:5-6", "Proverbs 3:5-6", V(20, 3, 5), V(20, 3, 6), "range"),
    ("Isa 53", "Isaiah 53", V(23, 53, 1), V(23, 53, 12), "chapter"),
    ("Mt 5:3", "Matthew 5:3", V(40, 5, 3), V(40, 5, 3), "verse"),
    ("Mk 1:1", "Mark 1:1", V(41, 1, 1), V(41, 1, 1), "verse"),
    ("Lk 2:14", "Luke 2:14", V(42, 2, 14), V(42, 2, 14), "verse"),
    ("Jn 3:16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("Rom 8:28", "Romans 8:28", V(45, 8, 28), V(45, 8, 28), "verse"),
    ("1 Cor 13", "1 Corinthians 13", V(46, 13, 1), V(46, 13, 13), "chapter"),
    ("1Co 13:4", "1 Corinthians 13:4", V(46, 13, 4), V(46, 13, 4), "verse"),
    ("2 Cor 5:17", "2 Corinthians 5:17", V(47, 5, 17), V(47, 5, 17), "verse"),
    ("Gal 5:22", "Galatians 5:22", V(48, 5, 22), V(48, 5, 22), "verse"),
    ("Eph 2:8-9", "Ephesians 2:8-9", V(49, 2, 8), V(49, 2, 9), "range"),
    ("Phil 4:13", "Philippians 4:13", V(50, 4, 13), V(50, 4, 13), "verse"),
    ("Philem 5", "Philemon 1:5", V(57, 1, 5), V(57, 1, 5), "verse"),
    ("Heb 11:1", "Hebrews 11:1", V(58, 11, 1), V(58, 11, 1), "verse"),
    ("Jas 1:5", "James 1:5", V(59, 1, 5), V(59, 1, 5), "verse"),
    ("1 Pet 5:7", "1 Peter 5:7", V(60, 5, 7), V(60, 5, 7), "verse"),
    ("1 Jn 4:8", "1 John 4:8", V(62, 4, 8), V(62, 4, 8), "verse"),
    ("3 Jn 4", "3 John 1:4", V(64, 1, 4), V(64, 1, 4), "verse"),
    ("Jude 5", "Jude 1:5", V(65, 1, 5), V(65, 1, 5), "verse"),
    ("Rev 22:21", "Revelation 22:21", V(66, 22, 21), V(66, 22, 21), "verse"),
    ("Gen. 1:1", "Genesis 1:1", V(1, 1, 1), V(1, 1, 1), "verse"),
    ("Matt. 5:3", "Matthew 5:3", V(40, 5, 3), V(40, 5, 3), "verse"),
    # roman numerals and ordinals
    ("I Cor 13:4", "1 Corinthians 13:4", V(46, 13, 4), V(46, 13, 4), "verse"),
    ("II Kings 2:11", "2 Kings 2:11", V(12, 2, 11), V(12, 2, 11), "verse"),
    ("iii john 2", "3 John 1:2", V(64, 1, 2), V(64, 1, 2), "verse"),
    ("First John 1:9", "1 John 1:9", V(62, 1, 9), V(62, 1, 9), "verse"),
    ("Song of Songs 2:1", "Song of Solomon 2:1", V(22, 2, 1), V(22, 2, 1), "verse"),
    # case and spacing variants
    ("jn 3 16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("JOHN 3:16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("John 3.16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("1co13:4", "1 Corinthians 13:4", V(46, 13, 4), V(46, 13, 4), "verse"),
    ("  John 3:16  ", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("Gen 1 : 1", "Genesis 1:1", V(1, 1, 1), V(1, 1, 1), "verse"),
    ("john3:16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    # ranges
    ("1 Cor 13:4-7", "1 Corinthians 13:4-7", V(46, 13, 4), V(46, 13, 7), "range"),
    ("John 3:16-4:2", "John 3:16-4:2", V(43, 3, 16), V(43, 4, 2), "range"),
    ("John 3:16-3:18", "John 3:16-18", V(43, 3, 16), V(43, 3, 18), "range"),
    ("John 3:16 - 18", "John 3:16-18", V(43, 3, 16), V(43, 3, 18), "range"),
    ("Ps 119:1-176", "Psalms 119:1-176", V(19, 119, 1), V(19, 119, 176), "range"),
    ("John 3:16-16", "John 3:16", V(43, 3, 16), V(43, 3, 16), "verse"),
    ("Ps 23-24:3", "Psalms 23:1-24:3", V(19, 23, 1), V(19, 24, 3), "range"),
    # chapter ranges
    ("Ps 23-24", "Psalms 23-24", V(19, 23, 1), V(19, 24, 10), "chapter"),
    ("Gen 1-3", "Genesis 1-3", V(1, 1, 1), V(1, 3, 24), "chapter"),
    # en dash and em dash ranges
    ("Ps 23\u201324", "Psalms 23-24", V(19, 23, 1), V(19, 24, 10), "chapter"),
    ("John 3:16\u201318", "John 3:16-18", V(43, 3, 16), V(43, 3, 18), "range"),
    ("John 3:16\u20144:2", "John 3:16-4:2", V(43, 3, 16), V(43, 4, 2), "range"),
    # single-chapter books: a lone number is a verse
    ("Obad 21", "Obadiah 1:21", V(31, 1, 21), V(31, 1, 21), "verse"),
    ("Jude 3-5", "Jude 1:3-5", V(65, 1, 3), V(65, 1, 5), "range"),
    ("Jude 1:5", "Jude 1:5", V(65, 1, 5), V(65, 1, 5), "verse"),
    ("2 John 1:13", "2 John 1:13", V(63, 1, 13), V(63, 1, 13), "verse"),
    # whole books
    ("Genesis", "Genesis", V(1, 1, 1), V(1, 50, 26), "book"),
    ("Obadiah", "Obadiah", V(31, 1, 1), V(31, 1, 21), "book"),
    ("3 John", "3 John", V(64, 1, 1), V(64, 1, 14), "book"),
    ("Song of Songs", "Song of Solomon", V(22, 1, 1), V(22, 8, 14), "book"),
    ("rev", "Revelation", V(66, 1, 1), V(66, 22, 21), "book"),
]


@pytest.mark.parametrize(
    ("text", "shown", "start", "end", "kind"), VALID, ids=[v[0] for v in VALID]
)
def test_valid_reference(text: str, shown: str, start: VerseRef, end: VerseRef, kind: str) -> None:
    p = parse(text)
    assert isinstance(p, Passage)
    assert (str(p), p.start, p.end, p.kind) == (shown, start, end, kind)


def test_the_table_has_at_least_45_valid_inputs() -> None:
    assert len(VALID) >= 45


# (input, words the message must contain; empty when any clear one-liner will do)
INVALID: list[tuple[str, tuple[str, ...]]] = [
    ("Hezekiah 3:16", ("no book", "Hezekiah")),
    ("Jhon 3:16", ("Jhon", "John")),
    ("J 3", ("could be", "Joshua", "more letters")),
    ("Jo 3:16", ("could be", "John", "Job")),
    ("Ph 1:1", ("Philippians", "Philemon")),
    ("John 0", ("John", "chapter", "1 to 21")),
    ("John 22", ("John", "chapter 22", "1 to 21")),
    ("Genesis 51", ("Genesis", "chapter 51", "1 to 50")),
    ("Ps 151", ("Psalms", "chapter 151", "1 to 150")),
    ("Jude 2:1", ("Jude", "one chapter")),
    ("John 3:0", ("John 3", "verses 1 to 36", "verse 0")),
    ("John 3:37", ("John 3", "verses 1 to 36", "verse 37")),
    ("Rev 22:22", ("Revelation 22", "verses 1 to 21")),
    ("Jude 26", ("Jude", "verses 1 to 25", "26")),
    ("1 Cor 13:4-99", ("1 Corinthians 13", "verses 1 to 13", "99")),
    ("John 3:16-4:99", ("John 4", "verses 1 to 54", "99")),
    ("John 3:16-10", ("range", "John 3:10", "John 3:16")),
    ("Ps 24-23", ("range",)),
    ("", ("reference",)),
    ("   ", ("reference",)),
    ("\t\n", ("reference",)),
    ("123", ("123",)),
    ("3:16", ("3:16",)),
    ("x" * 2000, ("too long",)),
    ("John\x003:16", ()),
    ("\x07\x08\x1b", ()),
    ("xyz\nabc 3:16", ("no book",)),
    ("foo\nbar:", ("not a reference",)),
    ("Xy\rzz 3:16", ("no book",)),
    ("\U0001f600 3:16", ("no book",)),
    ("John \U0001f525", ("John",)),
    ("'; DROP TABLE verses; --", ("not a reference",)),
    ("John 3:16 OR 1=1", ("not a reference",)),
    ("John 3:16:17", ("not a reference",)),
    ("9" * 200, ()),
    ("John 3:" + "9" * 200, ()),
    ("John 1000", ()),
    ("4 John 1", ()),
    ("Gen -1", ()),
    ("-", ()),
]


@pytest.mark.parametrize(
    ("text", "words"), INVALID, ids=[repr(t)[:40] for t, _ in INVALID]
)  # fmt: skip
def test_invalid_reference_gives_one_clear_line(text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(BadReference) as info:
        parse(text)
    message = str(info.value)
    assert message.strip(), "the message is empty"
    assert message.splitlines() == [message], f"message is not one line: {message!r}"
    assert len(message) < 200
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def test_the_table_has_at_least_25_invalid_inputs() -> None:
    assert len(INVALID) >= 25


def test_bad_reference_is_a_value_error() -> None:
    assert issubclass(BadReference, ValueError)


# -- properties ------------------------------------------------------------------------------

_ALL_REFS = [
    VerseRef(b.number, c, v)
    for b in BOOKS
    for c in range(1, b.chapters + 1)
    for v in range(1, b.verse_counts[c - 1] + 1)
]


def test_every_verse_in_the_table_parses_back_from_its_string() -> None:
    for ref in _ALL_REFS:
        p = parse(str(ref))
        assert (p.start, p.end, p.kind) == (ref, ref, "verse"), str(ref)


@given(st.sampled_from(_ALL_REFS))
def test_property_str_of_a_verse_parses_back_to_it(ref: VerseRef) -> None:
    p = parse(str(ref))
    assert p.start == p.end == ref
    assert p.kind == "verse"
    short = parse(ref.short)
    assert short.start == short.end == ref


def _exists(ref: VerseRef) -> bool:
    b = book(ref.book)
    return 1 <= ref.chapter <= b.chapters and 1 <= ref.verse <= b.verse_counts[ref.chapter - 1]


_REFERENCE_ALPHABET = st.sampled_from(
    list("0123456789 :.-\u2013\u2014JjohnCorPsGenIiRevJude\n\t\x00\u00e9\u0663")
)
_ANY_TEXT = st.one_of(
    st.text(),
    st.text(_REFERENCE_ALPHABET, max_size=20),
    st.from_regex(
        r"[1-3]? ?[A-Za-z]{1,8} ?\d{0,4}[:. ]?\d{0,4}-?\d{0,4}[:.]?\d{0,4}", fullmatch=True
    ),
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_ANY_TEXT)
def test_property_parse_returns_existing_verses_or_bad_reference(text: str) -> None:
    try:
        p = parse(text)
    except BadReference:
        return
    assert p.start <= p.end
    assert _exists(p.start), p
    assert _exists(p.end), p


@settings(
    max_examples=500, suppress_health_check=[HealthCheck.too_slow], report_multiple_bugs=False
)
@given(_ANY_TEXT)
def test_property_bad_reference_message_is_always_one_short_line(text: str) -> None:
    try:
        parse(text)
    except BadReference as exc:
        message = str(exc)
        assert message.splitlines() == [message], repr(message)
        assert len(message) < 200


# -- verse lists -------------------------------------------------------------------------------

LISTS: list[tuple[str, str, list[tuple[VerseRef, VerseRef]]]] = [
    ("Eph 2:8,9", "Ephesians 2:8, 9", [(V(49, 2, 8), V(49, 2, 8)), (V(49, 2, 9), V(49, 2, 9))]),
    ("Jn 3:16,18", "John 3:16, 18", [(V(43, 3, 16), V(43, 3, 16)), (V(43, 3, 18), V(43, 3, 18))]),
    ("Ps 23:1-3,6", "Psalms 23:1-3, 6", [(V(19, 23, 1), V(19, 23, 3)), (V(19, 23, 6), V(19, 23, 6))]),
    ("Ps 23, 24", "Psalms 23, 24", [(V(19, 23, 1), V(19, 23, 6)), (V(19, 24, 1), V(19, 24, 10))]),
    ("Jn 3:16; 4:14", "John 3:16, 4:14", [(V(43, 3, 16), V(43, 3, 16)), (V(43, 4, 14), V(43, 4, 14))]),
    ("Jn 3:16, Rom 5:8", "John 3:16; Romans 5:8", [(V(43, 3, 16),) * 2, (V(45, 5, 8),) * 2]),
    ("Jn 3:16,17-18", "John 3:16, 17-18", [(V(43, 3, 16),) * 2, (V(43, 3, 17), V(43, 3, 18))]),
    ("Jn 3:36-4:2", "John 3:36-4:2", [(V(43, 3, 36), V(43, 4, 2))]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "shown", "spans"), LISTS, ids=[t for t, _, _ in LISTS])
def test_verse_lists(text: str, shown: str, spans: list[tuple[VerseRef, VerseRef]]) -> None:
    passages = parse_list(text)
    assert [(p.start, p.end) for p in passages] == spans
    assert describe(passages) == shown


@pytest.mark.parametrize("text", ["Jn 3:16,", "Jn 3:16,,18", "Jn 3:16,99", "Jn 3:16,x"])
def test_bad_verse_lists_say_why_in_one_line(text: str) -> None:
    with pytest.raises(BadReference) as caught:
        parse_list(text)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_a_reader_goes_to_the_first_passage_of_a_list() -> None:
    assert parse_near("16,18", V(43, 3, 1)).start == V(43, 3, 16)
    assert parse_near("Eph 2:8,9", V(1, 1, 1)).start == V(49, 2, 8)


# -- what people paste -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "john 3.16",
        "John\uff13\uff1a\uff11\uff16",  # fullwidth digits and colon
        "John 3\uff1a16",
        "John\u00a03:16",  # no-break space
        "John\u30003:16",  # ideographic space
        "John\u202f3:16",  # narrow no-break space
        "\u3000John 3:16\u3000",
        "John 3\u300216",  # ideographic full stop
    ],
    ids=repr,
)
def test_pasted_punctuation_still_reads_john_3_16(text: str) -> None:
    assert parse(text) == Passage(V(43, 3, 16), V(43, 3, 16), "verse")


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2012", "\u2212", "\uff0d", "\u2010"])
def test_any_dash_makes_a_range(dash: str) -> None:
    assert parse(f"1 Cor 13:4{dash}7") == Passage(V(46, 13, 4), V(46, 13, 7), "range")
    assert [p.end for p in parse_list(f"Ps 23:1{dash}3,6")] == [V(19, 23, 3), V(19, 23, 6)]


# -- a translation named at the end ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("Rom 8:28 KJV", ("Rom 8:28", "KJV")),
        ("John 3:16 (WEB)", ("John 3:16", "WEB")),
        ("John 3:16 [web]", ("John 3:16", "web")),
        ("Ps 23 KJV", ("Ps 23", "KJV")),
        ("Song of Songs", ("Song of", "Songs")),  # callers try the whole text first
        ("John", None),
        ("John 3:16", None),
        ("(KJV)", None),
    ],
)
def test_trailing_translation(text: str, split: tuple[str, str] | None) -> None:
    assert trailing_translation(text) == split
