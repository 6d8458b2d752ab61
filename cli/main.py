"""The ``verselight`` command: the reader, plus plain commands for scripts.

``read``, ``search`` and ``translations`` never import Textual, so they start in a fraction of
the reader's time and their output can be piped. Every failure is one line on stderr and a
non-zero exit (2 for a bad reference or usage, 1 for anything else); never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from cli.commands import (
    BIBLE_COMMANDS,
    COMMANDS,
    IMAGES_COMMAND,
    OWN_MODULE,
    command_modules,
    module_of,
)
from cli.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError
from cli.services import open_for_command, progress_printer
from core.bible.importers import TRANSLATION_ID, ImportFailed
from core.bible.library import BadQuery, LibraryError, UnknownTranslation, Verse
from core.bible.references import BadReference, Passage, describe
from core.config import Config, ConfigError, load_config
from core.printable import decoded, echo, printable

if TYPE_CHECKING:
    from core.services import Services

MAX_LIMIT = 10_000
"""Most verses ``search --limit`` prints; more than there are in any query's answer."""


class _Parser(argparse.ArgumentParser):
    """argparse quotes unknown arguments as typed: escape them like every other echo."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {printable(message)}\n")


def _say(exc: BaseException) -> None:
    """The one line a failure prints. Messages quote paths, ids and words the user gave, so
    the whole line is escaped once more here, whatever the raising code did."""
    print(f"verselight: {printable(exc)}", file=sys.stderr)


def _width() -> int:
    if not sys.stdout.isatty():
        return 0
    return min(shutil.get_terminal_size((100, 24)).columns, 100)


def _print_verses(verses: list[Verse], heading: str, width: int) -> None:
    if heading:
        print(heading)
    multi_chapter = len({(v.ref.book, v.ref.chapter) for v in verses}) > 1
    for v in verses:
        label = f"{v.ref.chapter}:{v.ref.verse}" if multi_chapter else str(v.ref.verse)
        prefix = f"{label:>3}  " if not multi_chapter else f"{label:>7}  "
        line = prefix + v.plain
        if width:
            line = textwrap.fill(line, width, subsequent_indent=" " * len(prefix))
        print(line)


def cmd_read(services: Services, args: argparse.Namespace) -> int:
    """One verse: its heading and text. A range, chapter or verse list ("Eph 2:8,9"): the
    heading, then one numbered line per verse (chapter:verse once it spans chapters).

    A translation named at the end of the reference ("Rom 8:28 KJV") wins over ``-t``.
    """
    ctx = services.ctx
    tid, passages = ctx.library.locate(
        " ".join(args.reference), ctx.translation_id(args.translation)
    )
    tid = ctx.translation_id(tid)
    if args.compare is not None:
        return _read_compared(services, tid, ctx.translation_id(args.compare), passages)
    verses = [v for p in passages for v in ctx.library.passage(tid, p)]
    if not verses:
        raise CliError(f"{tid} has no text for {describe(passages)}.")
    passage = passages[0]
    if len(passages) > 1:
        _print_verses(verses, f"{describe(passages)} ({tid})", _width())
    elif passage.kind == "verse":
        print(f"{passage} ({tid})")
        text = verses[0].plain
        width = _width()
        print(textwrap.fill(text, width) if width else text)
    else:
        _print_verses(verses, f"{passage} ({tid})", _width())
    return EXIT_OK


GAP = "\u2014"
"""What ``read --compare`` prints for a verse one translation lacks or leaves empty."""


def _read_compared(services: Services, tid: str, other: str, passages: tuple[Passage, ...]) -> int:
    """Both translations, verse by verse, matched by chapter:verse: each verse's number, then
    one line per translation (its id, then its text or a dash)."""
    from core.bible.compare import compare_passages

    pairs = compare_passages(services.ctx.library, tid, other, passages)
    if not any(pair.left or pair.right for pair in pairs):
        raise CliError(f"Neither {tid} nor {other} has text for {describe(passages)}.")
    print(f"{describe(passages)} ({tid}, {other})")
    multi_chapter = len({(p.ref.book, p.ref.chapter) for p in pairs}) > 1
    width = _width()
    number = 7 if multi_chapter else 3
    name = max(len(tid), len(other))
    for pair in pairs:
        ref = pair.ref
        label = f"{ref.chapter}:{ref.verse}" if multi_chapter else str(ref.verse)
        for side, (t, verse) in enumerate(((tid, pair.left), (other, pair.right))):
            prefix = f"{label if side == 0 else '':>{number}}  {t:<{name}}  "
            line = prefix + (verse.plain if verse is not None else GAP)
            if width:
                line = textwrap.fill(line, width, subsequent_indent=" " * len(prefix))
            print(line)
    return EXIT_OK


def cmd_search(services: Services, args: argparse.Namespace) -> int:
    ctx = services.ctx
    tid = ctx.translation_id(args.translation)
    query = " ".join(args.query)
    if not 1 <= args.limit <= MAX_LIMIT:
        raise CliError(f"--limit must be from 1 to {MAX_LIMIT:,}.", EXIT_USAGE)
    results = ctx.library.search(tid, query, limit=args.limit, order=args.order)
    width = _width()
    for v in results.hits:
        ref = str(v.ref)
        line = f"{ref}  {v.plain}"
        if width:
            line = textwrap.fill(line, width, subsequent_indent="    ")
        print(line)
    shown = len(results.hits)
    if results.total == 0:
        print(f"No verse in {tid} contains '{echo(query)}'.", file=sys.stderr)
        return EXIT_ERROR
    more = f" (showing the first {shown}; use --limit for more)" if shown < results.total else ""
    noun = "verse" if results.total == 1 else "verses"
    how = "best first" if results.ranked else "in Bible order"
    print(f"{results.total} {noun} in {tid} match '{echo(query)}', {how}{more}.", file=sys.stderr)
    return EXIT_OK


def cmd_translations(services: Services, args: argparse.Namespace) -> int:
    from core.bible.importers import sword

    ctx = services.ctx

    if args.action == "list":
        installed = ctx.library.translations()
        default = ctx.translation_id()
        print(f"{'':2}{'ID':<14}{'VERSES':>7}  NAME")
        for t in installed:
            mark = "* " if t.id == default else "  "
            print(f"{mark}{t.id:<14}{t.verse_count:>7}  {printable(t.name)}")
        have = {t.id.upper() for t in installed}
        found = [m for m in sword.discover(ctx.config) if m.translation_id.upper() not in have]
        if found:
            print("\nSWORD modules you can add (verselight translations add NAME):")
            for m in found:
                print(printable(f"  {m.name:<14} {m.description}  [{m.location}]"))
        return EXIT_OK
    if args.action == "available":
        return _available(services, args)
    if args.action == "install":
        return _install(services, args)
    if args.action == "remove":
        if not ctx.library.remove(args.source):
            raise CliError(
                f'There is no translation "{echo(args.source)}" in the library.', EXIT_USAGE
            )
        print(f"Removed {echo(args.source)}.")
        return EXIT_OK
    source = sword.locate(args.source, ctx.config)
    tid = args.id or source.translation_id
    if not TRANSLATION_ID.fullmatch(tid):
        raise CliError(
            f'"{echo(tid)}" cannot be a translation id: use letters, digits, "-" or "_".',
            EXIT_USAGE,
        )
    if ctx.library.has(tid):
        raise CliError(
            f"{tid} is already in the library; give this one another id with --id NAME.",
            EXIT_USAGE,
        )
    print(
        f"Reading {printable(source.description)} from {printable(source.location)}...",
        file=sys.stderr,
    )
    info, verses, expected = sword.load(source, ctx.config)
    info = dataclasses.replace(info, id=tid)
    t = ctx.library.add(info, verses, expected, progress_printer(f"Importing {info.id}..."))
    print(f"Added {t.id}: {printable(t.name)}, {t.verse_count} verses.")
    return EXIT_OK


def _available(services: Services, args: argparse.Namespace) -> int:
    """The repositories' Bibles, one line each, under a line naming the repository; what
    could not be listed, and what is left out, on stderr."""
    from core.bible.importers.sword.catalogue import size_text

    catalogue = services.available_translations(refresh=args.refresh)
    language = (args.language or "").strip().lower()
    installed = {t.id.upper() for t in services.ctx.library.translations()}
    shown = others = 0
    for listed in catalogue.lists:
        bibles = [m for m in listed.modules if m.is_bible]
        others += len(listed.modules) - len(bibles)
        if language:
            bibles = [m for m in bibles if _in_language(m.language, language)]
        if not bibles:
            continue
        print(printable(f"{listed.repo.name} ({listed.repo.url}):"))
        print(f"  {'NAME':<18}{'LANG':<7}{'SIZE':>8}  DESCRIPTION")
        for m in bibles:
            tags = "  [locked]" if m.locked else ""
            if m.translation_id.upper() in installed:
                tags += f"  [installed as {m.translation_id}]"
            line = f"  {m.name:<18}{m.language:<7}{size_text(m.size):>8}  {m.description}{tags}"
            print(printable(line))
        shown += len(bibles)
    for failure in catalogue.failures:
        print(f"verselight: {printable(failure)}", file=sys.stderr)
    if others:
        print(
            f"{others} commentaries, dictionaries and other books are not listed: "
            "only Bibles install as translations.",
            file=sys.stderr,
        )
    if not shown and language and catalogue.modules:
        print(f"No Bible in the language {echo(language)!r} is offered.", file=sys.stderr)
    if shown:
        print("Install one with: verselight translations install NAME", file=sys.stderr)
    listed_any = any(listed.fetched for listed in catalogue.lists)
    return EXIT_OK if listed_any else EXIT_ERROR


def _in_language(code: str, wanted: str) -> bool:
    """ "en" matches en, en-US and en_GB; "en-us" matches only itself."""
    code = code.lower().replace("_", "-")
    return code == wanted.replace("_", "-") or code.startswith(wanted + "-")


def _install(services: Services, args: argparse.Namespace) -> int:
    printers: dict[str, Callable[[int, int], None]] = {}

    def progress(label: str, done: int, total: int) -> None:
        if label not in printers:
            printers[label] = progress_printer(f"{label}...", done_when_piped=False)
        printers[label](done, total)

    t = services.install_translation(args.name, progress)
    print(f"Installed {t.id}: {printable(t.name)}, {t.verse_count:,} verses.")
    return EXIT_OK


def _words_decoded(args: argparse.Namespace) -> argparse.Namespace:
    """References, queries and ids as text; file names (translations add, images export's
    PATH) stay as the file system gave them."""
    for name in ("reference", "query"):
        if hasattr(args, name):
            setattr(args, name, [decoded(word) for word in getattr(args, name)])
    for name in ("translation", "id", "compare"):
        if getattr(args, name, None) is not None:
            setattr(args, name, decoded(getattr(args, name)))
    if getattr(args, "action", None) == "remove":
        args.source = decoded(args.source)
    for name in ("name", "language"):
        if getattr(args, name, None) is not None:
            setattr(args, name, decoded(getattr(args, name)))
    if getattr(args, "command", None) == IMAGES_COMMAND:
        words = args.words
        args.words = (
            [*map(decoded, words[:2]), *words[2:]]
            if words[0] == "export"
            else [decoded(word) for word in words]
        )
    return args


_READ_HELP = 'print a verse, range or chapter: read "John 3:16"'


def _read_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("reference", nargs="+", help='e.g. "John 3:16", "Ps 23", "1 Cor 13:4-7"')
    p.add_argument("--translation", "-t", metavar="ID")
    p.add_argument(
        "--compare", "-c", metavar="ID", help="print another translation beside it, verse by verse"
    )
    return p


def _read_parser() -> argparse.ArgumentParser:
    """``read`` alone, as ``verselight read`` parses it: making every command's parser took a
    tenth of that command's time."""
    p = _Parser(prog="verselight read", description=_READ_HELP)
    p.set_defaults(command="read")
    return _read_arguments(p)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="verselight",
        description="Read the Bible in your terminal. Without a command, opens the reader.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _read_arguments(sub.add_parser("read", help=_READ_HELP))
    s = sub.add_parser(
        "search",
        help='find verses with all the words (any form); "quoted words" as a phrase',
    )
    s.add_argument("query", nargs="+")
    s.add_argument("--translation", "-t", metavar="ID")
    s.add_argument("--limit", "-n", type=int, default=20)
    s.add_argument(
        "--order",
        choices=("relevance", "bible"),
        default="relevance",
        help="best matches first (default), or in Bible order",
    )
    t = sub.add_parser(
        "translations", help="list, add, remove translations; get more from SWORD repositories"
    )
    tsub = t.add_subparsers(dest="action", metavar="ACTION", required=True)
    tsub.add_parser("list", help="installed translations and SWORD modules found")
    av = tsub.add_parser("available", help="Bibles the SWORD repositories offer")
    av.add_argument("--language", "-l", metavar="CODE", help="only this language (e.g. en, de)")
    av.add_argument("--refresh", action="store_true", help="ask the repositories again")
    ins = tsub.add_parser("install", help="download and import a Bible from a SWORD repository")
    ins.add_argument("name", metavar="NAME")
    a = tsub.add_parser("add", help="import a SWORD module (zip, folder or installed name)")
    a.add_argument("source")
    a.add_argument("--id", help="the id to give it (default: the module's abbreviation)")
    rm = tsub.add_parser("remove", help="remove an imported translation")
    rm.add_argument("source", metavar="ID")
    for module in command_modules():
        module.add_parser(sub)
    return p


def _reader_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="verselight",
        description="Read the Bible in your terminal.",
        epilog="Commands for scripts: " + ", ".join(COMMANDS) + " (verselight COMMAND --help).",
    )
    p.add_argument("reference", nargs="*", help="where to open, e.g. John 3:16")
    p.add_argument("--translation", "-t", metavar="ID")
    p.add_argument("--admin", action="store_true", help="log in as admin before reading")
    return p


def _not_a_reference(words: list[str]) -> str | None:
    """A sentence when the reader's words are neither a reference nor a book's start.

    "John 3:16", "genesis", "Rom 8:28 KJV" open the reader; so does "John 3:99" (the reader
    says what is wrong with it). "plan status" or "serch love" is a mistyped command: opening
    the reader on it would only hide the mistake.
    """
    import difflib

    from core.bible.references import match_books, parse_list, trailing_translation

    text = " ".join(words)
    for candidate in (text, (trailing_translation(text) or ("",))[0]):
        try:
            parse_list(candidate)
            return None
        except BadReference:
            pass
    first = words[0].lower()
    near = difflib.get_close_matches(first, COMMANDS, n=1, cutoff=0.6)
    book_part = re.match(r"\s*((?:[1-3]\s*)?[^\d:]*)", text)
    if not near and book_part and book_part.group(1).strip() and match_books(book_part.group(1)):
        return None
    shown = "".join(c if c.isprintable() else " " for c in words[0])[:30]
    hint = f"did you mean {near[0]}?" if near else "see verselight --help for the commands."
    return f'"{shown}" is not a command or a reference; {hint}'


def run_reader(config: Config, args: argparse.Namespace) -> int:
    if args.reference and (problem := _not_a_reference(args.reference)):
        raise CliError(problem, EXIT_USAGE)
    if args.admin and not config.admin_configured:
        raise CliError(
            "Admin mode is not configured. Set VERSELIGHT_ADMIN_PASSWORD, or add "
            f'admin_password_hash = "..." to {config.paths.config_file} '
            "(make the value with: verselight admin hash).",
            EXIT_USAGE,
        )
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            "The reader needs a terminal; in scripts and pipes use "
            'verselight read "John 3:16" or verselight search WORDS.',
            EXIT_USAGE,
        )
    # Starting allocates a great deal and frees almost nothing: the cyclic collector would
    # only slow the first frame. The app turns it back on once that frame is painted.
    gc.disable()
    from tui.app import make_app

    app = make_app(
        config,
        reference=" ".join(args.reference) or None,
        translation=args.translation,
        admin=args.admin,
    )
    from tui.image_support import prepare_terminal_graphics

    prepare_terminal_graphics(config)  # asks the terminal what it can draw; impossible once running
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config()
        if not (argv and argv[0] in BIBLE_COMMANDS):
            from core.logs import setup_logging

            setup_logging(config.paths)
        if argv and argv[0] in OWN_MODULE and argv[0] not in BIBLE_COMMANDS:
            code: int = module_of(argv[0]).run(config, _parser().parse_args(argv))
            return code
        if argv and argv[0] in BIBLE_COMMANDS:
            if argv[0] == "read":
                args = _words_decoded(_read_parser().parse_args(argv[1:]))
            else:
                args = _words_decoded(_parser().parse_args(argv))
            images = args.command == IMAGES_COMMAND
            if images:
                from cli.images import run as handler
            else:
                handler = {
                    "read": cmd_read,
                    "search": cmd_search,
                    "translations": cmd_translations,
                }[args.command]
            services = open_for_command(config, credits=False, gallery=images)
            try:
                return handler(services, args)
            finally:
                services.close()
        if argv and argv[0] in ("-h", "--help", "help"):
            _reader_parser().print_help()
            print()
            _parser().print_help()
            return EXIT_OK
        return run_reader(config, _words_decoded(_reader_parser().parse_args(argv)))
    except (BadReference, UnknownTranslation, BadQuery) as exc:
        _say(exc)
        return EXIT_USAGE
    except CliError as exc:
        _say(exc)
        return exc.code
    except (ConfigError, LibraryError, ImportFailed) as exc:
        _say(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("verselight: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `verselight read Ps 119 | head` closes our stdout early; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
