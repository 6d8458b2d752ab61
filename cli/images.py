"""``verselight images``: the illustrations of a verse, with their whole record, and export.

No Textual here either: these commands are for scripts and quick looks.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cli.commands import IMAGES_COMMAND
from cli.errors import EXIT_ERROR, EXIT_USAGE, CliError
from core.printable import echo, printable

P = TypeVar("P", bound=argparse.ArgumentParser)
"""The command line's own parser class (its subparsers are of that class too)."""

if TYPE_CHECKING:
    from core.context import Context
    from core.generation.gallery import Gallery, Illustration
    from core.services import Services


def add_parser(sub: argparse._SubParsersAction[P]) -> None:
    i = sub.add_parser(
        IMAGES_COMMAND,
        help='list a verse\'s illustrations: images "John 3:16"; images export ID PATH',
        description="List the illustrations of a verse (or a chapter) with their metadata, "
        "or export one as PNG: verselight images export ID PATH.",
    )
    i.add_argument("words", nargs="+", metavar="REFERENCE", help='e.g. "John 3:16" or "Ps 23"')
    i.add_argument("--translation", "-t", metavar="ID")


def _field(label: str, value: str) -> None:
    """One labelled field; later lines of a long value line up under the first."""
    print(f"    {label + ':':<16}" + textwrap.indent(value, " " * 20).lstrip())


def _print(item: Illustration) -> None:
    """The whole stored record (DESIGN.md section 7), so a script sees what the viewer shows."""
    print(f"{item.id}  {item.reference}  {item.made_by}")
    _field("Translation", item.translation)
    _field("Verse text", textwrap.fill(item.verse_text, 60))
    for label, value in item.details():
        if label in ("Id", "Verse", "Made by", "Prompt"):
            continue  # on the first line, or printed last
        _field(label, value)
    _field("Aspect ratio", item.aspect_ratio)
    _field("Session", item.session_id)
    _field("File", str(item.path))
    inputs = "\n".join(f"{key}: {value}" for key, value in sorted(item.prompt_inputs.items()))
    _field("Prompt inputs", inputs or "none stored")
    _field("Prompt", item.prompt)


def run(services: Services, args: argparse.Namespace) -> int:
    gallery = services.gallery
    if gallery is None:  # why was said among the notices: one sentence
        return EXIT_ERROR
    if args.words[0] == "export":
        return _export(gallery, args.words[1:])
    return _list(services.ctx, gallery, args)


def _list(ctx: Context, gallery: Gallery, args: argparse.Namespace) -> int:
    tid = ctx.translation_id(args.translation)
    passage = ctx.library.parse(" ".join(args.words), tid)
    verses = ctx.library.passage(tid, passage)
    found = [item for v in verses for item in reversed(gallery.for_verse(v.ref))]
    if not found:
        print(f"No illustrations for {passage} yet.", file=sys.stderr)
        return 0
    for n, item in enumerate(found):
        if n:
            print()
        _print(item)
    noun = "illustration" if len(found) == 1 else "illustrations"
    print(f"\n{len(found)} {noun} for {passage}, oldest first.", file=sys.stderr)
    return 0


def _export(gallery: Gallery, rest: list[str]) -> int:
    from core.generation.gallery import ExportError

    if len(rest) != 2:
        raise CliError("Usage: verselight images export ID PATH", EXIT_USAGE)
    image_id, destination = rest
    item = gallery.get(image_id)
    if item is None and len(gallery.matching(image_id)) > 1:
        raise CliError(
            f"More than one illustration's id starts with '{echo(image_id)}'; give more of it.", 2
        )
    if item is None:
        raise CliError(f"No illustration has the id '{echo(image_id)}'.", EXIT_USAGE)
    try:
        written = gallery.export(item, Path(destination))
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    print(f"Exported {item.reference} ({item.made_by}) to {printable(written)}.")
    return 0
