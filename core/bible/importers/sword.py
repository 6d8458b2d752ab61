"""Bible translations from SWORD modules: a zip, a SWORD folder or an installed module.

``pysword`` finds each verse in the module's files, but we clean the markup ourselves: its
cleaner glues words together where a footnote sat between them ("Godcreated") and leaves
pilcrows and stray tags. The module's own versification is kept as it is: we import exactly
the verses it has, by its own numbering, for the 66 books of our table.

Reading is eager (all verses are cleaned in ``load``), so a broken module is reported before
anything is written, and a zip's temporary copy is gone by the time ``load`` returns.
"""

from __future__ import annotations

import html
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from core.bible.books import by_osis
from core.bible.importers import ImportFailed
from core.bible.text import plain
from core.config import Config
from storage.bible import NewTranslation
from storage.files import read_regular, why

Row = tuple[int, int, int, str, str]
"""(book number, chapter, verse, text, plain text) as ``Library.add`` takes it."""

BIBLE_DRIVERS = frozenset({"ztext", "ztext4", "rawtext", "rawtext4"})

# ------------------------------------------------------------------------------------------
# Markup cleaning
# ------------------------------------------------------------------------------------------

_SOFT = "\x00"
"""Stands where markup separated text; becomes a space only if that keeps words apart."""

_SPLIT_TAGS = re.compile(r"(<[^<>]*>)")
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)([^>]*?)(/?)\s*>")
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
_WORD_WRAPPERS = re.compile(r"</?(?:" + "|".join(_WRAPPERS) + r")(?=[\s/>])[^<>]*>")
_LQ, _RQ, _LSQ, _RSQ = "\u201c", "\u201d", "\u2018", "\u2019"  # curly quotes
_DASHES = "\u2014\u2013-"
_CLOSERS = frozenset(",.;:!?)]}\u00bb\u2026" + _RQ + _RSQ + _DASHES)
_OPENERS = frozenset("([{\u00ab" + _LQ + _LSQ + _DASHES)
_SPACES = re.compile(r"\s+")
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
    text = _SOFT_RUN.sub(_join_soft, text.replace("¶", ""))
    text = _SPACES.sub(" ", text).strip()
    if tight_punctuation:
        text = _SPACE_BEFORE_PUNCT.sub("", text)
    return text.replace("[ ", "[").replace(" ]", "]").replace("[]", "")


def clean_osis(raw: str, *, quote_ticks: bool = False, tight_punctuation: bool = True) -> str:
    """Verse text from OSIS (or ThML) markup: words kept, notes and headings dropped.

    Words the translators supplied (``<transChange type="added">``) come back in [brackets],
    the convention ``core.bible.text`` uses for italics. ``tight_punctuation`` removes the
    space some modules leave before "," "." "?" etc.; French typography wants it, so the
    caller decides by language.
    """
    text = _BOOK_END.split(raw, maxsplit=1)[0]
    # Most tags (<w> on every word) only wrap words; removing them first keeps this fast.
    text = _WORD_WRAPPERS.sub("", text)
    return _tidy(_render(text, quote_ticks), tight_punctuation)


def _render(text: str, quote_ticks: bool) -> str:
    """Text with every remaining tag replaced by what it stands for; dropped content gone."""
    out: list[str] = []
    dropping: list[str] = []
    closers: list[str] = []
    for i, part in enumerate(_SPLIT_TAGS.split(text)):
        if i % 2 == 0:
            if not dropping:
                out.append(html.unescape(part.replace("<", "")))
            continue
        tag = _TAG.fullmatch(part)
        if tag is None:
            continue
        is_end, name, self_closing = bool(tag[1]), tag[2].lower(), bool(tag[4])
        if dropping or name in _DROP:
            if not self_closing and name in _DROP:
                _track_drop(dropping, name, is_end)
            out.append("" if dropping else _SOFT)
        elif is_end:
            out.append(_end_tag(name, closers))
        else:
            attrs = _attrs(tag[3])
            if not self_closing and name in ("transchange", "q"):
                closers.append(_closing_piece(name, attrs, quote_ticks))
            out.append(_start_tag(name, attrs, quote_ticks))
    return "".join(out)


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


# ------------------------------------------------------------------------------------------
# Modules: finding and describing them
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwordModule:
    """One Bible module, installed in a SWORD folder or inside a zip."""

    name: str
    translation_id: str
    description: str
    location: str
    """Where it is, for the user: the SWORD folder or the zip file."""
    root: Path
    """The SWORD folder (with mods.d/ and modules/) or the zip file."""
    zip_prefix: str | None = None
    """For a zip: the folder inside it that holds mods.d/ ("" at the top); None otherwise."""
    conf: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The module's conf, keys in lower case."""

    @property
    def driver(self) -> str:
        return self.conf.get("moddrv", "").lower()

    @property
    def is_bible(self) -> bool:
        return self.driver in BIBLE_DRIVERS


def parse_conf(text: str) -> dict[str, dict[str, str]]:
    """Module name -> its settings (keys in lower case; the first of repeated keys wins).

    SWORD confs continue a value on the next line when a line ends with a backslash.
    """
    modules: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    key = ""
    continuing = False
    for line in text.splitlines():
        stripped = line.strip()
        if continuing and current is not None and key:
            continuing = stripped.endswith("\\")
            current[key] += "\n" + stripped.rstrip("\\").strip()
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = modules.setdefault(stripped[1:-1].strip(), {})
            continue
        if current is None or "=" not in stripped:
            continue
        name, _, value = stripped.partition("=")
        continuing = value.endswith("\\")
        key = name.strip().lower()
        value = value.rstrip("\\").strip()
        if key in current:
            key = ""
        else:
            current[key] = value
    return modules


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _module(name: str, conf: dict[str, str], root: Path, zip_prefix: str | None) -> SwordModule:
    abbreviation = conf.get("abbreviation", "").strip()
    return SwordModule(
        name=name,
        translation_id=abbreviation if abbreviation and " " not in abbreviation else name,
        description=conf.get("description", "").strip() or name,
        location=str(root),
        root=root,
        zip_prefix=zip_prefix,
        conf=MappingProxyType(dict(conf)),
    )


def _folder_modules(root: Path) -> list[SwordModule]:
    """Every module a SWORD folder's mods.d/ describes; unreadable confs are passed over."""
    found: list[SwordModule] = []
    try:
        confs = sorted((root / "mods.d").glob("*.conf"))
    except OSError:
        return found
    for path in confs:
        try:
            text = _decode(read_regular(path, MAX_CONF_BYTES).data)
        except OSError:  # storage.files.UnreadableFile included
            continue
        for name, conf in parse_conf(text).items():
            found.append(_module(name, conf, root, None))
    return found


MAX_CONF_BYTES = 1024 * 1024
"""A module's .conf is a few KiB; a bigger file in mods.d/ is not one."""

_ZIP_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error)
"""What a damaged zip raises while it is read (corrupt deflate data surfaces as zlib.error)."""


def _zip_modules(path: Path) -> list[SwordModule]:
    """Every module a zip's mods.d/*.conf describes (read in place, nothing extracted)."""
    try:
        with zipfile.ZipFile(path) as archive:
            found: list[SwordModule] = []
            for member in sorted(archive.namelist()):
                parts = PurePosixPath(member).parts
                if len(parts) < 2 or parts[-2].lower() != "mods.d":
                    continue
                if not parts[-1].lower().endswith(".conf"):
                    continue
                prefix = "/".join(parts[:-2])
                text = _decode(archive.read(member))
                for name, conf in parse_conf(text).items():
                    found.append(_module(name, conf, path, prefix))
            return found
    except _ZIP_ERRORS as exc:
        raise ImportFailed(f"{path} cannot be read as a zip file ({exc}).") from exc


def search_paths(config: Config) -> list[Path]:
    """Where installed modules are looked for; the operator's own folders come first."""
    try:
        home = [Path.home() / ".sword"]
    except RuntimeError:  # no home directory (a bare service account)
        home = []
    return [*config.sword_paths, *home, Path("/usr/share/sword")]


def discover(config: Config) -> list[SwordModule]:
    """Installed Bible modules, one per module name (the first folder that has it wins)."""
    seen: set[str] = set()
    found: list[SwordModule] = []
    for root in search_paths(config):
        for module in _folder_modules(root):
            if module.is_bible and module.name.lower() not in seen:
                seen.add(module.name.lower())
                found.append(module)
    return found


def _only_bible(modules: list[SwordModule], where: Path) -> SwordModule:
    if not modules:
        raise ImportFailed(f"{where} is not a SWORD module: it has no mods.d/*.conf file.")
    bibles = [m for m in modules if m.is_bible]
    if not bibles:
        kinds = ", ".join(f"{m.name} ({m.driver or 'no ModDrv'})" for m in modules)
        raise ImportFailed(
            f"{where} holds no Bible text module, only {kinds}; Verselight imports Bibles only."
        )
    if len(bibles) > 1:
        names = ", ".join(m.name for m in bibles)
        raise ImportFailed(
            f"{where} holds several Bibles ({names}); add the folder to sword_paths in the "
            "config and add one of them by name."
        )
    return bibles[0]


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or source.lower().endswith(".zip")


def locate(source: str, config: Config) -> SwordModule:
    """The module ``source`` names: a zip, a SWORD folder, or an installed module's name or id.

    A bare name means an installed module even if a file of that name sits in the current
    folder; the file is used only when no module is called that.
    """
    path = Path(source).expanduser()
    try:
        if not _looks_like_path(source):
            modules = discover(config)
            module = _installed(source, modules)
            if module is not None:
                return module
            if not path.exists():
                raise _not_installed(source, modules, config)
        return _from_path(path)
    except OSError as exc:  # a name too long for a path, a folder we may not enter...
        raise ImportFailed(f"{path} cannot be looked at ({why(exc)}).") from None


def _from_path(path: Path) -> SwordModule:
    if path.is_dir():
        return _only_bible(_folder_modules(path), path)
    if not path.is_file():
        raise ImportFailed(f"There is no file or folder at {path}.")
    if zipfile.is_zipfile(path):
        return _only_bible(_zip_modules(path), path)
    if path.suffix.lower() == ".zip":
        raise ImportFailed(f"{path} is not a readable zip file; it may be damaged or cut short.")
    raise ImportFailed(f"{path} is not a zip file, a SWORD folder or a module name.")


def _installed(wanted: str, modules: list[SwordModule]) -> SwordModule | None:
    """The module with that name, else the one with that translation id (any case)."""
    key = wanted.lower()
    by_name = [m for m in modules if m.name.lower() == key]
    by_id = [m for m in modules if m.translation_id.lower() == key]
    hits = by_name or by_id
    return hits[0] if hits else None


def _not_installed(wanted: str, modules: list[SwordModule], config: Config) -> ImportFailed:
    where = ", ".join(str(p) for p in search_paths(config))
    have = ", ".join(m.name for m in modules) or "none"
    return ImportFailed(
        f'No installed SWORD Bible is called "{wanted}" (looked in {where}; found: {have}).'
    )


# ------------------------------------------------------------------------------------------
# Loading: verses out of a module
# ------------------------------------------------------------------------------------------


def load(module: SwordModule, config: Config) -> tuple[NewTranslation, list[Row], int]:
    """(what the translation is, its verses in canonical order, how many there are)."""
    _check_readable(module)
    with _data_folder(module) as tree:
        bible = _open_bible(module, tree)
        rows, skipped = _read_rows(module, bible)
    if not rows:
        raise ImportFailed(
            f"{module.name} has no readable verses in the 66 books; the module may be damaged."
        )
    return _info(module, skipped), rows, len(rows)


def _check_readable(module: SwordModule) -> None:
    if not module.is_bible:
        raise ImportFailed(
            f"{module.name} is not a Bible text module (ModDrv={module.driver or 'missing'})."
        )
    if "cipherkey" in module.conf and not module.conf["cipherkey"].strip():
        raise ImportFailed(f"{module.name} is locked; unlock it with its key in SWORD first.")
    if not module.conf.get("datapath", "").strip():
        raise ImportFailed(f"{module.name}'s conf has no DataPath, so its text cannot be found.")


def _data_path(module: SwordModule) -> PurePosixPath:
    """DataPath relative to the tree root, refusing paths that climb out of it."""
    path = PurePosixPath(module.conf["datapath"].strip().replace("\\", "/"))
    parts = [p for p in path.parts if p not in (".", "/")]
    if ".." in parts or not parts:
        raise ImportFailed(f"{module.name}'s conf has an unusable DataPath ({path}).")
    return PurePosixPath(*parts)


@contextmanager
def _data_folder(module: SwordModule) -> Iterator[Path]:
    """The folder holding the module's data files; a zip's are copied to a temporary one."""
    data = _data_path(module)
    if module.zip_prefix is None:
        yield module.root / data
        return
    inside = "/".join(p for p in (module.zip_prefix, str(data)) if p) + "/"
    with tempfile.TemporaryDirectory(prefix="verselight-sword-") as tmp:
        try:
            with zipfile.ZipFile(module.root) as archive:
                for member in archive.namelist():
                    if member.startswith(inside) and not member.endswith("/"):
                        archive.extract(member, tmp)
        except _ZIP_ERRORS as exc:
            raise ImportFailed(f"{module.root} cannot be unpacked ({exc}).") from exc
        yield Path(tmp) / inside


def _open_bible(module: SwordModule, folder: Path) -> Any:
    from pysword.bible import SwordBible
    from pysword.canons import canons

    conf = module.conf
    if not folder.is_dir():
        raise ImportFailed(f"{module.name}'s text files are missing (no folder {folder}).")
    versification = conf.get("versification", "KJV").strip().lower() or "kjv"
    if versification not in canons:
        raise ImportFailed(
            f"{module.name} uses the {conf['versification'].strip()} versification, "
            "which pysword cannot read."
        )
    try:
        return SwordBible(
            str(folder),
            module.driver,
            versification,
            conf.get("encoding", "").strip().lower() or None,
            conf.get("sourcetype", "OSIS").strip() or "OSIS",
            conf.get("blocktype", "BOOK").strip().upper() or "BOOK",
            conf.get("compresstype", "ZIP").strip().upper() or "ZIP",
            conf.get("cipherkey", "").strip() or None,
        )
    except ValueError as exc:
        raise ImportFailed(f"{module.name} cannot be read ({exc}).") from exc
    except OSError as exc:
        raise ImportFailed(f"{module.name}'s text files cannot be opened ({exc}).") from exc


@contextmanager
def _blocks_read_once(bible: Any) -> Iterator[None]:
    """Decompress each block once: pysword re-inflates a whole book for every verse.

    That is what makes a plain pysword read take 40-55 s; with the last few blocks kept,
    a whole Bible reads in a fraction of a second. pysword answers a block it cannot read
    with b"" (and the verses in it would silently vanish), so that is treated as damage.
    The cache lives on the instance only while we read, so the module's files are closed
    as soon as ``bible`` is dropped.
    """
    if not hasattr(bible, "_decompressed_text"):
        yield
        return
    read = bible._decompressed_text

    def read_block(testament: str, number: int) -> bytes:
        data: bytes = read(testament, number)
        if not data:
            raise ValueError(f"block {number} of the {testament.upper()} cannot be decompressed")
        return data

    bible._decompressed_text = lru_cache(maxsize=4)(read_block)
    try:
        yield
    finally:
        del bible._decompressed_text


def _read_rows(module: SwordModule, bible: Any) -> tuple[list[Row], int]:
    """All non-empty verses of the 66 books, in our canonical order, and how many books
    outside the 66 were left out."""
    cleaner = _cleaner(module)
    ours, skipped = _books_in_canon(bible)
    rows: list[Row] = []
    try:
        with _blocks_read_once(bible):
            for number, book in ours:
                rows.extend(_book_rows(bible, number, book, cleaner))
    except ImportFailed:
        raise
    except Exception as exc:  # pysword meets damaged files with any kind of error
        why = str(exc) or type(exc).__name__
        raise ImportFailed(f"{module.name} is damaged and cannot be read ({why}).") from exc
    return rows, skipped


def _books_in_canon(bible: Any) -> tuple[list[tuple[int, Any]], int]:
    """(our book number, pysword book) sorted canonically; some canons order books otherwise."""
    ours: list[tuple[int, Any]] = []
    skipped = 0
    for books in bible.get_structure().get_books().values():
        for book in books:
            known = by_osis(book.osis_name)
            if known is None:
                skipped += 1
            else:
                ours.append((known.number, book))
    ours.sort(key=lambda pair: pair[0])
    return ours, skipped


def _book_rows(bible: Any, number: int, book: Any, cleaner: Callable[[str], str]) -> list[Row]:
    refs = [
        (chapter, verse)
        for chapter, count in enumerate(book.chapter_lengths, start=1)
        for verse in range(1, count + 1)
    ]
    rows: list[Row] = []
    texts = bible.get_iter(books=book.name, clean=False)
    for (chapter, verse), raw in zip(refs, texts, strict=True):
        if not isinstance(raw, str):  # pysword's RawText answers b"" past the end of its file
            raise ValueError(f"{book.name} {chapter}:{verse} lies outside the text file")
        text = cleaner(raw)
        if text:
            rows.append((number, chapter, verse, text, plain(text)))
    return rows


def _cleaner(module: SwordModule) -> Callable[[str], str]:
    source_type = module.conf.get("sourcetype", "OSIS").strip() or "OSIS"
    lang = module.conf.get("lang", "en").strip() or "en"
    ticks = module.conf.get("osisqtotick", "true").strip().lower() != "false"

    def cleaner(raw: str) -> str:
        return clean(raw, source_type, lang=lang, quote_ticks=ticks)

    return cleaner


def _info(module: SwordModule, skipped_books: int) -> NewTranslation:
    conf = module.conf
    version = conf.get("version", "").strip()
    source = f"SWORD module {module.name}" + (f" {version}" if version else "")
    if skipped_books:
        source += f" ({skipped_books} books outside the 66-book canon left out)"
    licence = (
        conf.get("distributionlicense", "").strip()
        or conf.get("shortcopyright", "").strip()
        or conf.get("copyright", "").strip()
        or "See the module's conf"
    )
    return NewTranslation(
        id=module.translation_id,
        name=module.description,
        language=conf.get("lang", "").strip() or "und",
        source=source,
        license=licence,
    )
