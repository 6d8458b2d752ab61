"""``verselight notes``: this terminal's session's notes, bookmarks and highlights, listed or
exported as Markdown.

No Textual. Exporting writes only where the user names, and never over an existing file; a
served visitor cannot run it (commands are for the host's own terminal).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cli.commands import NOTES_COMMAND
from cli.errors import EXIT_OK, EXIT_USAGE, CliError
from cli.services import open_for_command
from core.printable import printable

P = TypeVar("P", bound=argparse.ArgumentParser)
"""The command line's own parser class (its subparsers are of that class too)."""

if TYPE_CHECKING:
    from core.config import Config
    from core.marks import Mark, Marks


def add_parser(sub: argparse._SubParsersAction[P]) -> None:
    n = sub.add_parser(
        NOTES_COMMAND,
        help="list or export your notes, bookmarks and highlights",
        description="Your notes, bookmarks and highlights (this terminal's session).",
    )
    nsub = n.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = nsub.add_parser("list", help="notes, bookmarks and highlights, each marked as which")
    ls.add_argument(
        "--order",
        choices=("bible", "newest"),
        default="bible",
        help="in Bible order (default) or newest first",
    )
    e = nsub.add_parser(
        "export",
        help="write them as Markdown to FILE (never over an existing file), or to stdout",
    )
    e.add_argument("file", nargs="?", type=Path, metavar="FILE")


def run(config: Config, args: argparse.Namespace) -> int:
    from core.marks import MarksError, markdown, open_marks

    services = open_for_command(config, credits=True, gallery=False)
    try:
        try:
            marks = open_marks(services.user_data(), services.clock)
        except MarksError as exc:
            raise CliError(str(exc)) from exc
        if marks is None:
            raise CliError(
                "Your notes need this terminal's session, and the credit ledger that holds it "
                "cannot be used right now."
            )
        if args.action == "list":
            return _list(marks, newest_first=args.order == "newest")
        try:
            text = markdown(marks.all(), services.ctx.library)
        except MarksError as exc:
            raise CliError(str(exc)) from exc
        if args.file is None:
            print(_shown(text), end="")
            return EXIT_OK
        return _export(text, args.file)
    finally:
        services.close()


def _shown(text: str) -> str:
    """Notes are the user's own text, but a pasted escape sequence must not reach the terminal
    raw: every line escaped as ``printable`` does, the line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _list(marks: Marks, *, newest_first: bool) -> int:
    from core.marks import MarksError, label

    try:
        found = marks.all(newest_first=newest_first)
    except MarksError as exc:
        raise CliError(str(exc)) from exc
    if not found:
        print("No notes, bookmarks or highlights yet.", file=sys.stderr)
        return EXIT_OK
    for mark in found:
        print(_line(mark, label(mark)))
    return EXIT_OK


def _line(mark: Mark, what: str) -> str:
    first = (mark.note or "").strip().split("\n")[0]
    more = "\u2026" if mark.note and "\n" in mark.note.strip() else ""
    detail = f"  {printable(first)}{more}" if first else ""
    return f"{mark.saved_at:%Y-%m-%d %H:%M}  {what:<18} {mark.ref} ({mark.translation}){detail}"


def _export(text: str, path: Path) -> int:
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError as exc:
        raise CliError(
            f"{printable(path)} already exists; name a new file (nothing was overwritten).",
            EXIT_USAGE,
        ) from exc
    except OSError as exc:
        raise CliError(f"{printable(path)}: {exc.strerror}.", EXIT_USAGE) from exc
    count = text.count("\n## ")
    noun = "verse" if count == 1 else "verses"
    print(f"Wrote {count} marked {noun} to {printable(path)}.")
    return EXIT_OK
