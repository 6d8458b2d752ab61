"""SWORD import, against the real World English Bible module Debian ships (sword-text-web).

The markup snippets below are copied from that module (engWEB2015eb), trimmed to the part
that matters. WEB has no <divineName> or <transChange>, so those cases use the markup of
CrossWire's KJV module; ThML and GBF cases are written in those formats' usual tokens.
"""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core.bible.books import BOOKS, TOTAL_VERSES, by_osis
from core.bible.importers import ImportFailed, sword
from core.bible.importers.sword import clean, clean_gbf, clean_osis, clean_thml
from core.bible.library import Library, Translation
from core.bible.references import VerseRef
from core.bible.text import plain
from core.config import Config, resolve_paths

SWORD_ROOT = Path("/usr/share/sword")
WEB = "engWEB2015eb"
WEB_CONF = SWORD_ROOT / "mods.d" / f"{WEB}.conf"
WEB_DATA = Path("modules/texts/ztext") / WEB

W = '<w lemma="strong:H0430">'  # the word wrapper WEB puts around most words
# Timed imports, a CLI subprocess, one module-wide import: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")


@pytest.fixture(autouse=True, scope="module")
def _web_module_installed() -> None:
    """Fail with the fix, not a puzzle, on a machine without Debian's WEB module."""
    if not WEB_CONF.exists():
        pytest.fail(
            "These tests read Debian's World English Bible SWORD module: "
            "sudo apt install sword-text-web (.ci/run installs it)."
        )


# ------------------------------------------------------------------------------------------
# The cleaner
# ------------------------------------------------------------------------------------------

CLEAN_CASES = [
    pytest.param(
        f'{W}In</w> {W}the</w> {W}beginning</w>, {W}God</w><note placement="foot">'
        '<reference type="annotateRef">1:1 </reference>The Hebrew word rendered “God” is '
        "“אֱלֹהִ֑ים” (Elohim).</note>"
        f"{W}created</w> {W}the</w> {W}heavens</w> {W}and</w> {W}the</w> {W}earth</w>. ",
        "In the beginning, God created the heavens and the earth.",
        id="Gen 1:1 note between two words leaves them apart",
    ),
    pytest.param(
        '<q marker="" who="Jesus"><w lemma="strong:G0846">his</w> '
        '<w lemma="strong:G3439">only</w> born</q><note placement="foot"><reference '
        'type="annotateRef">3:16 </reference>The phrase “only born” is from the Greek word '
        '“μονογενη”.</note><q marker="" who="Jesus"><w lemma="strong:G5207">Son</w>, '
        '<w lemma="strong:G2443">that</w></q>',
        "his only born Son, that",
        id="John 3:16 words of Jesus kept, note between quotes dropped",
    ),
    pytest.param(
        f'{W}her</w> offspring,<note placement="foot"><reference type="annotateRef">'
        f"12:17 </reference>or, seed</note> {W}who</w> {W}keep</w>",
        "her offspring, who keep",
        id="Rev 12:17 note after a comma",
    ),
    pytest.param(
        f'{W}conceived</w>,<note placement="foot"><reference type="annotateRef">4:1 '
        f"</reference>or, became pregnant</note>{W}and</w> {W}gave</w>",
        "conceived, and gave",
        id="Gen 4:1 note between a comma and a word",
    ),
    pytest.param(
        f'{W}seed</w>.<note placement="foot"><reference type="annotateRef">4:8 '
        '</reference>or, seed</note>” <div eID="gen3510" type="x-p"/>',
        "seed.”",
        id="2 Sam 4:8 note before a closing quote",
    ),
    pytest.param(
        '<q marker="" who="Jesus">“<w lemma="strong:G3756">Aren\u2019t</w> five sparrows sold '
        'for two assaria coins</q> <note placement="foot"><reference type="annotateRef">'
        "12:6 </reference>An assarion was a small copper coin.</note> "
        '<q marker="" who="Jesus">? <w lemma="strong:G3756">Not</w> one</q> ',
        "“Aren\u2019t five sparrows sold for two assaria coins? Not one",
        id="Luke 12:6 stray space before a question mark",
    ),
    pytest.param(
        '<div type="x-milestone" subType="x-preverse" sID="pv4877"/><title canonical="true" '
        'type="psalm">A Psalm by David, when he fled from Absalom his son.</title> '
        '<lg sID="gen7860"/> <l level="1" sID="gen7861"/><div type="x-milestone" '
        'subType="x-preverse" eID="pv4877"/>Yahweh, how <w lemma="strong:H1732">my</w> '
        'adversaries <w lemma="strong:H1121">have</w> increased!<l eID="gen7861" level="1"/> '
        '<l level="2" sID="gen7862"/>Many are those who rise up against me. '
        '<l eID="gen7862" level="2"/>',
        "Yahweh, how my adversaries have increased! Many are those who rise up against me.",
        id="Ps 3:1 title dropped, poetry lines joined",
    ),
    pytest.param(
        '<div type="x-milestone" subType="x-preverse" sID="pv8242"/><speaker>Beloved</speaker>'
        ' <lg sID="gen15617"/> <l level="1" sID="gen15618"/><div type="x-milestone" '
        'subType="x-preverse" eID="pv8242"/>Let <w lemma="strong:H3588">him</w> kiss me with '
        'the kisses of his mouth;<l eID="gen15618" level="1"/> <l level="2" sID="gen15619"/>'
        "for your love is better than wine. "
        '<l eID="gen15619" level="2"/>',
        "Let him kiss me with the kisses of his mouth; for your love is better than wine.",
        id="Song 1:2 speaker label dropped",
    ),
    pytest.param(
        f'{W}let</w> {W}him</w><note placement="foot"><reference type="annotateRef">'
        "17:27 </reference>Hebrew: <catchWord>them</catchWord></note> "
        f"{W}go</w> {W}and</w> {W}dwell</w>",
        "let him go and dwell",
        id="2 Kgs 17:27 catchWord inside a note dropped with it",
    ),
    pytest.param(
        'has become the cornerstone.<note placement="foot"><reference type="annotateRef">'
        '118:22 </reference>Literally, <rdg type="alternate">head of the corner</rdg></note>'
        '<l eID="gen12382" level="2"/>',
        "has become the cornerstone.",
        id="Ps 118:22 alternate reading inside a note",
    ),
    pytest.param(
        '<list> <item type="x-indent-1"><div type="x-milestone" subType="x-preverse" '
        f'eID="pv3464"/>{W}Of</w> the sons of Phinehas, {W}Gershom</w>.</item> '
        '<item type="x-indent-1">Of the sons of Ithamar, Daniel.</item>',
        "Of the sons of Phinehas, Gershom. Of the sons of Ithamar, Daniel.",
        id="Ezra 8:2 list items",
    ),
    pytest.param(
        f'{W}said</w> {W}in</w> <name type="x-usfm-bk">{W}The</w> {W}Book</w> {W}of</w> '
        f"{W}the</w> {W}Wars</w> {W}of</w> {W}Yahweh</w></name>, “Vaheb in Suphah,",
        "said in The Book of the Wars of Yahweh, “Vaheb in Suphah,",
        id="Num 21:14 name element",
    ),
    pytest.param(
        'the saints. Amen.  <chapter eID="Rev.22"/><div eID="gen35836" type="x-p"/> '
        '<div canonical="true" eID="gen35575" osisID="Rev" type="book"/> '
        '<div sID="gen35837" type="glossary"/> <milestone n="Glossary" type="x-usfm-h"/> '
        '<title level="1" type="main">World English Bible Glossary</title> The following '
        "words used in the World English Bible (WEB) are not very common.",
        "the saints. Amen.",
        id="Rev 22:21 the glossary after the end of the book is not verse text",
    ),
    pytest.param(
        '<div type="x-milestone" subType="x-preverse" sID="pv15188"/><note placement="foot">'
        '<reference type="annotateRef">8:37 </reference>TR adds <rdg type="alternate">'
        "Philip said, “If you believe with all your heart, you may.”</rdg></note>",
        "",
        id="Acts 8:37 a verse that is only a note is empty",
    ),
    pytest.param(
        'the <divineName type="x-yhwh">Lord</divineName> God made the earth',
        "the Lord God made the earth",
        id="divineName kept as text",
    ),
    pytest.param(
        '<w lemma="strong:H0216">light</w>: and there <transChange type="added">was</transChange>'
        " light.",
        "light: and there [was] light.",
        id="transChange added in brackets",
    ),
    pytest.param(
        '<milestone marker="¶" type="x-p"/>¶ And God said, <q marker="“" sID="q1"/>Let there be '
        'light<q marker="”" eID="q1"/>: &amp; it was so &#8212; &quot;good&quot;.',
        'And God said, “Let there be light”: & it was so — "good".',
        id="pilcrows gone, quote markers and entities resolved",
    ),
    pytest.param(
        "<title>A heading <note>with a note</note> inside</title>The text",
        "The text",
        id="a note nested in a title",
    ),
    pytest.param("Broken <w lemma='x'>markup < here", "Broken markup here", id="stray <"),
    pytest.param(
        'Before<note type="x" / >after, <q marker="“" sID="q1" / >quoted<q marker="”" eID="q1"/>',
        "Before after, “quoted”",
        id="self-closing tags spelt with spaces: the note drops nothing, the quote keeps its mark",
    ),
    pytest.param(
        "< / note >words\u00a0\u2003 apart\u3000here ,\x1cand\n\tthere ¶ .",
        "words apart here, and there.",
        id="every Unicode space collapses to one, none before punctuation",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_CASES)
def test_clean_osis(raw: str, expected: str) -> None:
    assert clean_osis(raw) == expected


def test_supplied_words_are_bracketed_and_plain_drops_the_brackets() -> None:
    text = clean_osis('there <transChange type="added">was</transChange> light')
    assert (text, plain(text)) == ("there [was] light", "there was light")


def test_plain_collapses_every_unicode_space() -> None:
    assert plain(" [the]\u00a0\u2003 Lord\u3000is\x1c[my]\n shepherd ") == "the Lord is my shepherd"


def test_q_without_marker_gets_quotes_only_when_the_module_asks_for_them() -> None:
    raw = 'He said, <q who="Jesus">Follow me.</q>'
    assert clean_osis(raw) == "He said, Follow me."
    assert clean_osis(raw, quote_ticks=True) == "He said, “Follow me.”"


def test_thml() -> None:
    raw = (
        'In the beginning<note place="foot">Or, at first</note> God<sync type="Strongs" '
        'value="H430"/> created the heaven<br/>and the earth. <scripRef passage="Joh 1:1">'
        "(John 1:1)</scripRef><p/>"
    )
    assert clean_thml(raw) == "In the beginning God created the heaven and the earth. (John 1:1)"


def test_gbf() -> None:
    raw = (
        "<TS>The Creation<Ts>In the beginning <WH7225>God<WH430> created<RF>Or, made<Rf> "
        "the <FI>very<Fi> heavens<CM>and the earth.<CL>"
    )
    assert clean_gbf(raw) == "In the beginning God created the [very] heavens and the earth."
    assert clean(raw, "GBF") == clean_gbf(raw)


def test_french_keeps_its_space_before_punctuation() -> None:
    assert (
        clean("Pourquoi ? Parce que ; voilà", "OSIS", lang="fr") == "Pourquoi ? Parce que ; voilà"
    )
    assert clean("Why ? Because ; so", "OSIS", lang="en") == "Why? Because; so"


def test_parse_conf_continuations_and_repeats() -> None:
    text = (
        "# comment\n[Mod]\nDescription=A Bible\nAbout=line one\\\n  line two\n"
        "GlobalOptionFilter=First\nGlobalOptionFilter=Second\n[Other]\nModDrv=RawCom\n"
    )
    confs = sword.parse_conf(text)
    assert confs["Mod"]["about"] == "line one\nline two"
    assert confs["Mod"]["globaloptionfilter"] == "First"
    assert confs["Other"]["moddrv"] == "RawCom"


# ------------------------------------------------------------------------------------------
# The whole WEB module
# ------------------------------------------------------------------------------------------


def _config(tmp: Path, *sword_paths: Path) -> Config:
    return Config(paths=resolve_paths({"VERSELIGHT_HOME": str(tmp)}), sword_paths=sword_paths)


@dataclass
class Imported:
    library: Library
    translation: Translation
    rows: list[tuple[int, int, int, str, str]]
    expected: int
    load_seconds: float
    add_seconds: float


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    tmp = tmp_path_factory.mktemp("web")
    config = _config(tmp)
    library = Library.open(tmp / "library.sqlite")
    started = time.perf_counter()
    module = sword.locate(WEB, config)
    info, verses, expected = sword.load(module, config)
    rows = list(verses)
    loaded = time.perf_counter()
    translation = library.add(info, rows, expected)
    added = time.perf_counter()
    yield Imported(library, translation, rows, expected, loaded - started, added - loaded)
    library.close()


@lru_cache(maxsize=1)
def _raw_web() -> dict[tuple[int, int, int], str]:
    """The module's raw verses of the 66 books, read with pysword alone (blocks cached)."""
    from pysword.bible import SwordBible

    bible: Any = SwordBible(str(SWORD_ROOT / WEB_DATA), "ztext", "nrsva", "utf-8", "OSIS")
    bible._decompressed_text = lru_cache(maxsize=4)(bible._decompressed_text)
    raw: dict[tuple[int, int, int], str] = {}
    for books in bible.get_structure().get_books().values():
        for book in books:
            known = by_osis(book.osis_name)
            if known is None:
                continue
            texts = iter(bible.get_iter(books=book.name, clean=False))
            for chapter, count in enumerate(book.chapter_lengths, start=1):
                for verse in range(1, count + 1):
                    raw[(known.number, chapter, verse)] = next(texts)
    return raw


def _has_words(raw: str) -> bool:
    outside_notes = re.sub(r"<note\b.*?</note>", "", raw, flags=re.S)
    return bool(re.search(r"\w", re.sub(r"<[^>]*>", "", outside_notes)))


def test_full_import_is_fast(web: Imported) -> None:
    print(f"\nWEB: load {web.load_seconds:.2f} s, library add {web.add_seconds:.2f} s")
    assert web.load_seconds < 10
    assert web.load_seconds + web.add_seconds < 20


def test_verse_count_is_what_the_module_contains(web: Imported) -> None:
    in_module = sum(1 for raw in _raw_web().values() if _has_words(raw))
    assert web.translation.verse_count == len(web.rows) == web.expected == in_module == 31095
    assert web.translation.id == "WEB"
    assert web.translation.name == "World English Bible with Deuterocanon"
    assert web.translation.license == "Public Domain"
    assert web.translation.language == "en"


def test_rows_are_in_canonical_order_and_within_the_66_books(web: Imported) -> None:
    keys = [(b, c, v) for b, c, v, _, _ in web.rows]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert {b for b, _, _ in keys} == set(range(1, 67))


def test_known_verses(web: Imported) -> None:
    lib = web.library
    gen = lib.verse("WEB", VerseRef(1, 1, 1))
    john = lib.verse("WEB", VerseRef(43, 3, 16))
    assert gen is not None and gen.text == (
        "In the beginning, God created the heavens and the earth."
    )
    assert john is not None and john.text == (
        "For God so loved the world, that he gave his only born Son, that whoever believes "
        "in him should not perish, but have eternal life."
    )
    ps = lib.verse("WEB", VerseRef(19, 23, 1))
    assert ps is not None and ps.text == "Yahweh is my shepherd; I shall lack nothing."


def test_no_markup_or_debris_in_any_verse(web: Imported) -> None:
    for book, chapter, verse, text, plain_text in web.rows:
        where = f"{book} {chapter}:{verse}: {text}"
        for debris in ("<", ">", "¶", "&amp;", "&#", "&quot;", "\x00", "  ", "lemma=", "strong:"):
            assert debris not in text, where
        assert text == text.strip() and text, where
        assert plain_text == plain(text), where
        assert not re.search(r" [,.;:!?]", text), where


def test_no_words_glued_together(web: Imported) -> None:
    texts = [row[3] for row in web.rows]
    whole = "\n".join(texts)
    for glued in ("Godcreated", "bornSon", "andthe", "ofthe"):
        assert glued not in whole
    # A lower-case letter right before a capital, or punctuation right before a letter, only
    # happens in WEB where words were glued.
    assert re.findall(r"\w*[a-z][A-Z]\w*", whole) == []
    assert re.findall(r"\w+[,;:!?]\w+", whole) == []
    assert re.findall(r"[a-z]{2,}\.[A-Za-z]+", whole) == []


def test_words_either_side_of_every_footnote_stay_apart(web: Imported) -> None:
    """Wherever WEB puts a footnote between two words, they must come out with a space."""
    texts = {(b, c, v): t for b, c, v, t, _ in web.rows}
    between = re.compile(
        r"(\w+[,;:!?.]?)(?:<(?!note)[^>]*>)*<note\b.*?</note>(?:<(?!note)[^>]*>)*(\w+)"
    )
    checked = 0
    for key, raw in _raw_web().items():
        raw = re.sub(r"<(title|speaker)\b.*?</\1>", " ", raw, flags=re.S)
        for left, right in between.findall(re.sub(r"</?w\b[^>]*>", "", raw)):
            assert f"{left} {right}" in texts[key], (key, left, right, texts[key])
            checked += 1
    assert checked > 200


def test_notes_titles_and_glossary_are_not_verse_text(web: Imported) -> None:
    whole = "\n".join(row[3] for row in web.rows)
    for not_text in ("Elohim", "The Hebrew word rendered", "A Psalm by David, when he fled",
                     "Glossary", "TR adds", "Beloved Let him"):  # fmt: skip
        assert not_text not in whole
    rev = web.library.verse("WEB", VerseRef(66, 22, 21))
    assert rev is not None and rev.text == (
        "The grace of the Lord Jesus Christ be with all the saints. Amen."
    )


def test_its_own_numbering_survives(web: Imported) -> None:
    """WEB numbers Romans' doxology 14:24-26, which this module (NRSVA slots) folds into
    14:23, so Romans 16 ends at verse 24; four verses are footnotes only; 3 John and
    Revelation 12 have the KJV's counts, not NRSVA's empty 3 John 1:15 and Rev 12:18."""
    lib = web.library
    counts = lib.versification("WEB")
    romans, revelation = counts.verse_counts(45), counts.verse_counts(66)
    assert romans is not None
    assert romans[15] == 24  # KJV: 27
    assert counts.verse_counts(64) == (14,)
    assert revelation is not None and revelation[11] == 17
    rom = lib.verse("WEB", VerseRef(45, 14, 23))
    assert rom is not None and rom.text.endswith(
        "to the only wise God, through Jesus Christ, to whom be the glory forever! Amen."
    )
    present = {(b, c, v) for b, c, v, _, _ in web.rows}
    kjv = {
        (b.number, c, v)
        for b in BOOKS
        for c, n in enumerate(b.verse_counts, start=1)
        for v in range(1, n + 1)
    }
    assert len(kjv) == TOTAL_VERSES
    assert present <= kjv
    assert kjv - present == {
        (42, 17, 36),  # Luke 17:36
        (44, 8, 37),  # Acts 8:37
        (44, 15, 34),  # Acts 15:34
        (44, 24, 7),  # Acts 24:7
        (45, 16, 25),  # Romans 16:25-27, in WEB at the end of chapter 14
        (45, 16, 26),
        (45, 16, 27),
    }


# ------------------------------------------------------------------------------------------
# Finding modules
# ------------------------------------------------------------------------------------------


def _zip_web(path: Path, prefix: str = "", *, data: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(WEB_CONF, f"{prefix}mods.d/{WEB_CONF.name}")
        if data:
            for file in sorted((SWORD_ROOT / WEB_DATA).iterdir()):
                archive.write(file, f"{prefix}{WEB_DATA.as_posix()}/{file.name}")
    return path


def _web_files() -> dict[str, bytes]:
    return {
        f"{WEB_DATA.as_posix()}/{p.name}": p.read_bytes() for p in (SWORD_ROOT / WEB_DATA).iterdir()
    }


def _zip_with_conf(path: Path, conf: str, files: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mods.d/module.conf", conf)
        for name, content in (files or {}).items():
            archive.writestr(name, content)
    return path


def _web_conf(**changes: str) -> str:
    text = WEB_CONF.read_text(encoding="utf-8")
    for key, value in changes.items():
        text = re.sub(rf"(?m)^{key}=.*$", f"{key}={value}", text)
        if f"{key}=" not in text:
            text += f"\n{key}={value}\n"
    return text


def test_discover_finds_the_debian_module(tmp_path: Path) -> None:
    found = {m.name: m for m in sword.discover(_config(tmp_path))}
    web = found[WEB]
    assert web.translation_id == "WEB"
    assert web.description == "World English Bible with Deuterocanon"
    assert web.location == str(SWORD_ROOT)
    assert web.is_bible


def test_discover_prefers_the_configured_folders(tmp_path: Path) -> None:
    tree = tmp_path / "mysword"
    (tree / "mods.d").mkdir(parents=True)
    shutil.copy(WEB_CONF, tree / "mods.d")
    shutil.copytree(SWORD_ROOT / WEB_DATA, tree / WEB_DATA)
    found = [m for m in sword.discover(_config(tmp_path, tree)) if m.name == WEB]
    assert [m.location for m in found] == [str(tree)]


@pytest.mark.parametrize("source", [WEB, "engweb2015eb", "WEB", "web"])
def test_locate_by_name_or_id(tmp_path: Path, source: str) -> None:
    module = sword.locate(source, _config(tmp_path))
    assert (module.name, module.translation_id, module.root) == (WEB, "WEB", SWORD_ROOT)


def test_locate_a_folder_holding_one_bible(tmp_path: Path) -> None:
    """A folder is its own module root (a copy: /usr/share/sword may hold other Bibles too)."""
    tree = tmp_path / "sword"
    (tree / "mods.d").mkdir(parents=True)
    shutil.copy(WEB_CONF, tree / "mods.d")
    shutil.copytree(SWORD_ROOT / WEB_DATA, tree / WEB_DATA)
    module = sword.locate(str(tree), _config(tmp_path))
    assert (module.name, module.translation_id, module.root) == (WEB, "WEB", tree)


def test_a_bare_name_means_the_installed_module_even_beside_a_folder_of_that_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "WEB").mkdir()
    monkeypatch.chdir(tmp_path)
    assert sword.locate("WEB", _config(tmp_path)).root == SWORD_ROOT
    assert "is not a SWORD module" in _fails(sword.locate, "./WEB", _config(tmp_path))


def test_import_from_a_zip_matches_the_installed_module(tmp_path: Path, web: Imported) -> None:
    archive = _zip_web(tmp_path / "web.zip")
    config = _config(tmp_path)
    module = sword.locate(str(archive), config)
    assert (module.name, module.translation_id, module.location) == (WEB, "WEB", str(archive))
    info, rows, expected = sword.load(module, config)
    assert info.id == "WEB" and expected == len(web.rows)
    assert list(rows) == web.rows
    library = Library.open(tmp_path / "library.sqlite")
    try:
        assert library.add(info, rows, expected).verse_count == 31095
    finally:
        library.close()


def test_zip_with_the_tree_inside_a_folder(tmp_path: Path) -> None:
    archive = _zip_web(tmp_path / "nested.zip", prefix="sword/")
    config = _config(tmp_path)
    module = sword.locate(str(archive), config)
    assert module.zip_prefix == "sword"
    _, rows, _ = sword.load(module, config)
    assert rows[0][3] == "In the beginning, God created the heavens and the earth."


# ------------------------------------------------------------------------------------------
# Errors: always ImportFailed, one sentence
# ------------------------------------------------------------------------------------------


def _fails(call: Any, *args: Any) -> str:
    with pytest.raises(ImportFailed) as info:
        call(*args)
    message = str(info.value)
    assert "\n" not in message and message.endswith("."), message
    return message


def test_missing_path(tmp_path: Path) -> None:
    message = _fails(sword.locate, str(tmp_path / "nothing.zip"), _config(tmp_path))
    assert "There is no file or folder" in message


def test_unknown_module_name(tmp_path: Path) -> None:
    message = _fails(sword.locate, "NoSuchBible", _config(tmp_path))
    assert '"NoSuchBible"' in message and WEB in message


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert "is not a zip file" in _fails(sword.locate, str(path), _config(tmp_path))


def test_a_damaged_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(_zip_web(tmp_path / "web.zip").read_bytes()[:-200])
    assert "not a readable zip file" in _fails(sword.locate, str(path), _config(tmp_path))


def test_a_zip_with_damaged_contents(tmp_path: Path) -> None:
    data = bytearray(_zip_web(tmp_path / "web.zip").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = bytes(4000)
    path = tmp_path / "scratched.zip"
    path.write_bytes(bytes(data))
    config = _config(tmp_path)
    module = sword.locate(str(path), config)
    assert "cannot be unpacked" in _fails(sword.load, module, config)


def test_a_zip_that_is_not_a_sword_module(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.txt", "not a Bible")
    assert "is not a SWORD module" in _fails(sword.locate, str(path), _config(tmp_path))


def test_a_folder_that_is_not_a_sword_tree(tmp_path: Path) -> None:
    assert "is not a SWORD module" in _fails(sword.locate, str(tmp_path), _config(tmp_path))


def test_a_module_that_is_not_a_bible(tmp_path: Path) -> None:
    conf = "[MHC]\nDescription=Matthew Henry's Commentary\nModDrv=RawCom\nDataPath=./x/\n"
    path = _zip_with_conf(tmp_path / "mhc.zip", conf)
    message = _fails(sword.locate, str(path), _config(tmp_path))
    assert "no Bible text module" in message and "MHC" in message


def test_a_module_without_its_text_files(tmp_path: Path) -> None:
    config = _config(tmp_path)
    module = sword.locate(str(_zip_web(tmp_path / "conf-only.zip", data=False)), config)
    assert "text files are missing" in _fails(sword.load, module, config)


def test_a_module_with_damaged_text(tmp_path: Path) -> None:
    files = {
        f"{WEB_DATA.as_posix()}/{p.name}": p.read_bytes() for p in (SWORD_ROOT / WEB_DATA).iterdir()
    }
    bzz = f"{WEB_DATA.as_posix()}/ot.bzz"
    files[bzz] = files[bzz][: len(files[bzz]) // 2]
    config = _config(tmp_path)
    module = sword.locate(str(_zip_with_conf(tmp_path / "cut.zip", _web_conf(), files)), config)
    assert "is damaged" in _fails(sword.load, module, config)


def test_a_module_with_garbage_text(tmp_path: Path) -> None:
    files = {f"{WEB_DATA.as_posix()}/{name}": bytes(range(256)) * 40 for name in
             ("ot.bzs", "ot.bzv", "ot.bzz", "nt.bzs", "nt.bzv", "nt.bzz")}  # fmt: skip
    config = _config(tmp_path)
    module = sword.locate(str(_zip_with_conf(tmp_path / "junk.zip", _web_conf(), files)), config)
    assert "is damaged" in _fails(sword.load, module, config)


def test_unknown_versification_and_locked_modules(tmp_path: Path) -> None:
    config = _config(tmp_path)
    odd = _zip_with_conf(tmp_path / "odd.zip", _web_conf(Versification="Martian"), _web_files())
    module = sword.locate(str(odd), config)
    assert "Martian versification" in _fails(sword.load, module, config)
    locked = _zip_with_conf(tmp_path / "locked.zip", _web_conf(CipherKey=""), _web_files())
    module = sword.locate(str(locked), config)
    assert "is locked" in _fails(sword.load, module, config)


# ------------------------------------------------------------------------------------------
# Through the command line
# ------------------------------------------------------------------------------------------


def test_cli_add_read_and_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    monkeypatch.delenv("VERSELIGHT_SWORD_PATH", raising=False)
    monkeypatch.delenv("VERSELIGHT_TRANSLATION", raising=False)

    assert main(["translations", "add", WEB]) == 0
    out = capsys.readouterr().out
    assert "Added WEB: World English Bible with Deuterocanon, 31095 verses." in out

    assert main(["read", "--translation", "WEB", "John 3:16"]) == 0
    out = capsys.readouterr().out
    assert "For God so loved the world, that he gave his only born Son, that whoever" in out

    assert main(["translations", "list"]) == 0
    out = capsys.readouterr().out
    listed = set(re.findall(r"(?m)^[* ] (\S+) +\d+ ", out))
    assert {"KJV", "WEB"} <= listed
    assert f"{WEB} " not in out  # no longer offered as a module to add

    assert main(["translations", "add", "WEB"]) == 2
    assert "already in the library" in capsys.readouterr().err

    # A second copy can sit beside the first under an id of its own, and be removed again.
    assert main(["translations", "add", "WEB", "--id", "WEB-2"]) == 0
    assert "Added WEB-2:" in capsys.readouterr().out
    assert main(["read", "-t", "web-2", "3 John 1:14"]) == 0
    assert "Peace be to you." in capsys.readouterr().out
    assert main(["translations", "add", "WEB", "--id", "no spaces"]) == 2
    assert "cannot be a translation id" in capsys.readouterr().err
    assert main(["translations", "remove", "WEB-2"]) == 0
    assert main(["read", "-t", "WEB-2", "John 1:1"]) == 2
    assert 'no translation "WEB-2"' in capsys.readouterr().err


def test_cli_reports_a_bad_source_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    monkeypatch.delenv("VERSELIGHT_SWORD_PATH", raising=False)
    assert main(["translations", "add", str(tmp_path / "missing.zip")]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("verselight: There is no file or folder")
    assert "Traceback" not in err
