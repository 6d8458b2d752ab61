"""The 66-book structure of the Protestant canon in KJV versification.

This table is the shared map every other module navigates by: names and codes for parsing
and display, and the verse count of each chapter for validation and navigation. It holds no
Bible text. A translation with other numbering brings its own counts (see ``Versification``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Book:
    """One book: its position (1-66), names, codes and the verse count of each chapter."""

    number: int
    name: str
    usfm: str
    osis: str
    abbreviations: tuple[str, ...]
    verse_counts: tuple[int, ...]

    @property
    def chapters(self) -> int:
        return len(self.verse_counts)

    @property
    def testament(self) -> str:
        return "OT" if self.number <= 39 else "NT"


_rows: list[tuple[str, str, str, tuple[str, ...], tuple[int, ...]]] = []


def _b(name: str, usfm: str, osis: str, abbr: tuple[str, ...], counts: tuple[int, ...]) -> None:
    _rows.append((name, usfm, osis, abbr, counts))


# fmt: off
_b('Genesis', 'GEN', 'Gen', ('gen', 'ge', 'gn'),
   (31, 25, 24, 26, 32, 22, 24, 22, 29, 32, 32, 20, 18, 24, 21, 16, 27, 33, 38, 18, 34, 24, 20, 67, 34, 35, 46, 22, 35, 43, 55, 32, 20, 31, 29, 43, 36, 30, 23, 23, 57, 38, 34, 34, 28, 34, 31, 22, 33, 26))
_b('Exodus', 'EXO', 'Exod', ('ex', 'exo', 'exod'),
   (22, 25, 22, 31, 23, 30, 25, 32, 35, 29, 10, 51, 22, 31, 27, 36, 16, 27, 25, 26, 36, 31, 33, 18, 40, 37, 21, 43, 46, 38, 18, 35, 23, 35, 35, 38, 29, 31, 43, 38))
_b('Leviticus', 'LEV', 'Lev', ('lev', 'le', 'lv'),
   (17, 16, 17, 35, 19, 30, 38, 36, 24, 20, 47, 8, 59, 57, 33, 34, 16, 30, 37, 27, 24, 33, 44, 23, 55, 46, 34))
_b('Numbers', 'NUM', 'Num', ('num', 'nu', 'nm', 'nb'),
   (54, 34, 51, 49, 31, 27, 89, 26, 23, 36, 35, 16, 33, 45, 41, 50, 13, 32, 22, 29, 35, 41, 30, 25, 18, 65, 23, 31, 40, 16, 54, 42, 56, 29, 34, 13))
_b('Deuteronomy', 'DEU', 'Deut', ('deut', 'deu', 'dt', 'de'),
   (46, 37, 29, 49, 33, 25, 26, 20, 29, 22, 32, 32, 18, 29, 23, 22, 20, 22, 21, 20, 23, 30, 25, 22, 19, 19, 26, 68, 29, 20, 30, 52, 29, 12))
_b('Joshua', 'JOS', 'Josh', ('josh', 'jos', 'jsh'),
   (18, 24, 17, 24, 15, 27, 26, 35, 27, 43, 23, 24, 33, 15, 63, 10, 18, 28, 51, 9, 45, 34, 16, 33))
_b('Judges', 'JDG', 'Judg', ('judg', 'jdg', 'jg', 'jdgs'),
   (36, 23, 31, 24, 31, 40, 25, 35, 57, 18, 40, 15, 25, 20, 20, 31, 13, 31, 30, 48, 25))
_b('Ruth', 'RUT', 'Ruth', ('ru', 'rth', 'rut'),
   (22, 23, 18, 22))
_b('1 Samuel', '1SA', '1Sam', ('1sam', '1sa', '1sm', '1s', 'isam', 'isamuel', 'firstsamuel'),
   (28, 36, 21, 22, 12, 21, 17, 22, 27, 27, 15, 25, 23, 52, 35, 23, 58, 30, 24, 42, 15, 23, 29, 22, 44, 25, 12, 25, 11, 31, 13))
_b('2 Samuel', '2SA', '2Sam', ('2sam', '2sa', '2sm', '2s', 'iisam', 'iisamuel', 'secondsamuel'),
   (27, 32, 39, 12, 25, 23, 29, 18, 13, 19, 27, 31, 39, 33, 37, 23, 29, 33, 43, 26, 22, 51, 39, 25))
_b('1 Kings', '1KI', '1Kgs', ('1kgs', '1ki', '1kin', '1k', 'ikings', 'ikgs', 'firstkings'),
   (53, 46, 28, 34, 18, 38, 51, 66, 28, 29, 43, 33, 34, 31, 34, 34, 24, 46, 21, 43, 29, 53))
_b('2 Kings', '2KI', '2Kgs', ('2kgs', '2ki', '2kin', '2k', 'iikings', 'iikgs', 'secondkings'),
   (18, 25, 27, 44, 27, 33, 20, 29, 37, 36, 21, 21, 25, 29, 38, 20, 41, 37, 37, 21, 26, 20, 37, 20, 30))
_b('1 Chronicles', '1CH', '1Chr', ('1chr', '1ch', '1chron', 'ichronicles', 'ichr', 'firstchronicles'),
   (54, 55, 24, 43, 26, 81, 40, 40, 44, 14, 47, 40, 14, 17, 29, 43, 27, 17, 19, 8, 30, 19, 32, 31, 31, 32, 34, 21, 30))
_b('2 Chronicles', '2CH', '2Chr', ('2chr', '2ch', '2chron', 'iichronicles', 'iichr', 'secondchronicles'),
   (17, 18, 17, 22, 14, 42, 22, 18, 31, 19, 23, 16, 22, 15, 19, 14, 19, 34, 11, 37, 20, 12, 21, 27, 28, 23, 9, 27, 36, 27, 21, 33, 25, 33, 27, 23))
_b('Ezra', 'EZR', 'Ezra', ('ezr',),
   (11, 70, 13, 24, 17, 22, 28, 36, 15, 44))
_b('Nehemiah', 'NEH', 'Neh', ('neh', 'ne'),
   (11, 20, 32, 23, 19, 19, 73, 18, 38, 39, 36, 47, 31))
_b('Esther', 'EST', 'Esth', ('esth', 'est', 'es'),
   (22, 23, 15, 17, 14, 14, 10, 17, 32, 3))
_b('Job', 'JOB', 'Job', ('jb',),
   (22, 13, 26, 21, 27, 30, 21, 22, 35, 22, 20, 25, 28, 22, 35, 22, 16, 21, 29, 29, 34, 30, 17, 25, 6, 14, 23, 28, 25, 31, 40, 22, 33, 37, 16, 33, 24, 41, 30, 24, 34, 17))
_b('Psalms', 'PSA', 'Ps', ('ps', 'psa', 'psalm', 'pss', 'psm', 'pslm'),
   (6, 12, 8, 8, 12, 10, 17, 9, 20, 18, 7, 8, 6, 7, 5, 11, 15, 50, 14, 9, 13, 31, 6, 10, 22, 12, 14, 9, 11, 12, 24, 11, 22, 22, 28, 12, 40, 22, 13, 17, 13, 11, 5, 26, 17, 11, 9, 14, 20, 23, 19, 9, 6, 7, 23, 13, 11, 11, 17, 12, 8, 12, 11, 10, 13, 20, 7, 35, 36, 5, 24, 20, 28, 23, 10, 12, 20, 72, 13, 19, 16, 8, 18, 12, 13, 17, 7, 18, 52, 17, 16, 15, 5, 23, 11, 13, 12, 9, 9, 5, 8, 28, 22, 35, 45, 48, 43, 13, 31, 7, 10, 10, 9, 8, 18, 19, 2, 29, 176, 7, 8, 9, 4, 8, 5, 6, 5, 6, 8, 8, 3, 18, 3, 3, 21, 26, 9, 8, 24, 13, 10, 7, 12, 15, 21, 10, 20, 14, 9, 6))
_b('Proverbs', 'PRO', 'Prov', ('prov', 'pro', 'prv', 'pr'),
   (33, 22, 35, 27, 23, 35, 27, 36, 18, 32, 31, 28, 25, 35, 33, 33, 28, 24, 29, 30, 31, 29, 35, 34, 28, 28, 27, 28, 27, 33, 31))
_b('Ecclesiastes', 'ECC', 'Eccl', ('eccl', 'ecc', 'ec', 'qoh', 'eccles'),
   (18, 26, 22, 16, 20, 12, 29, 17, 18, 20, 10, 14))
_b('Song of Solomon', 'SNG', 'Song', ('song', 'sng', 'sos', 'songofsongs', 'canticles', 'songs', 'so'),
   (17, 17, 11, 16, 16, 13, 13, 14))
_b('Isaiah', 'ISA', 'Isa', ('isa', 'is'),
   (31, 22, 26, 6, 30, 13, 25, 22, 21, 34, 16, 6, 22, 32, 9, 14, 14, 7, 25, 6, 17, 25, 18, 23, 12, 21, 13, 29, 24, 33, 9, 20, 24, 17, 10, 22, 38, 22, 8, 31, 29, 25, 28, 28, 25, 13, 15, 22, 26, 11, 23, 15, 12, 17, 13, 12, 21, 14, 21, 22, 11, 12, 19, 12, 25, 24))
_b('Jeremiah', 'JER', 'Jer', ('jer', 'je', 'jr'),
   (19, 37, 25, 31, 31, 30, 34, 22, 26, 25, 23, 17, 27, 22, 21, 21, 27, 23, 15, 18, 14, 30, 40, 10, 38, 24, 22, 17, 32, 24, 40, 44, 26, 22, 19, 32, 21, 28, 18, 16, 18, 22, 13, 30, 5, 28, 7, 47, 39, 46, 64, 34))
_b('Lamentations', 'LAM', 'Lam', ('lam', 'la'),
   (22, 22, 66, 22, 22))
_b('Ezekiel', 'EZK', 'Ezek', ('ezek', 'ezk', 'eze'),
   (28, 10, 27, 17, 17, 14, 27, 18, 11, 22, 25, 28, 23, 23, 8, 63, 24, 32, 14, 49, 32, 31, 49, 27, 17, 21, 36, 26, 21, 26, 18, 32, 33, 31, 15, 38, 28, 23, 29, 49, 26, 20, 27, 31, 25, 24, 23, 35))
_b('Daniel', 'DAN', 'Dan', ('dan', 'da', 'dn'),
   (21, 49, 30, 37, 31, 28, 28, 27, 27, 21, 45, 13))
_b('Hosea', 'HOS', 'Hos', ('hos', 'ho'),
   (11, 23, 5, 19, 15, 11, 16, 14, 17, 15, 12, 14, 16, 9))
_b('Joel', 'JOL', 'Joel', ('jol', 'jl'),
   (20, 32, 21))
_b('Amos', 'AMO', 'Amos', ('am', 'amo'),
   (15, 16, 15, 13, 27, 14, 17, 14, 15))
_b('Obadiah', 'OBA', 'Obad', ('obad', 'oba', 'ob'),
   (21,))
_b('Jonah', 'JON', 'Jonah', ('jon', 'jnh'),
   (17, 10, 10, 11))
_b('Micah', 'MIC', 'Mic', ('mic', 'mi'),
   (16, 13, 12, 13, 15, 16, 20))
_b('Nahum', 'NAM', 'Nah', ('nah', 'na'),
   (15, 13, 19))
_b('Habakkuk', 'HAB', 'Hab', ('hab', 'hb'),
   (17, 20, 19))
_b('Zephaniah', 'ZEP', 'Zeph', ('zeph', 'zep', 'zp'),
   (18, 15, 20))
_b('Haggai', 'HAG', 'Hag', ('hag', 'hg'),
   (15, 23))
_b('Zechariah', 'ZEC', 'Zech', ('zech', 'zec', 'zc'),
   (21, 13, 10, 14, 11, 15, 14, 23, 17, 12, 17, 14, 9, 21))
_b('Malachi', 'MAL', 'Mal', ('mal', 'ml'),
   (14, 17, 18, 6))
_b('Matthew', 'MAT', 'Matt', ('matt', 'mat', 'mt'),
   (25, 23, 17, 25, 48, 34, 29, 34, 38, 42, 30, 50, 58, 36, 39, 28, 27, 35, 30, 34, 46, 46, 39, 51, 46, 75, 66, 20))
_b('Mark', 'MRK', 'Mark', ('mrk', 'mk', 'mr', 'mar'),
   (45, 28, 35, 41, 43, 56, 37, 38, 50, 52, 33, 44, 37, 72, 47, 20))
_b('Luke', 'LUK', 'Luke', ('luk', 'lk', 'lu'),
   (80, 52, 38, 44, 39, 49, 50, 56, 62, 42, 54, 59, 35, 35, 32, 31, 37, 43, 48, 47, 38, 71, 56, 53))
_b('John', 'JHN', 'John', ('jhn', 'jn', 'joh'),
   (51, 25, 36, 54, 47, 71, 53, 59, 41, 42, 57, 50, 38, 31, 27, 33, 26, 40, 42, 31, 25))
_b('Acts', 'ACT', 'Acts', ('act', 'ac'),
   (26, 47, 26, 37, 42, 15, 60, 40, 43, 48, 30, 25, 52, 28, 41, 40, 34, 28, 41, 38, 40, 30, 35, 27, 27, 32, 44, 31))
_b('Romans', 'ROM', 'Rom', ('rom', 'ro', 'rm'),
   (32, 29, 31, 25, 21, 23, 25, 39, 33, 21, 36, 21, 14, 23, 33, 27))
_b('1 Corinthians', '1CO', '1Cor', ('1cor', '1co', 'icor', 'icorinthians', 'firstcorinthians'),
   (31, 16, 23, 21, 13, 20, 40, 13, 27, 33, 34, 31, 13, 40, 58, 24))
_b('2 Corinthians', '2CO', '2Cor', ('2cor', '2co', 'iicor', 'iicorinthians', 'secondcorinthians'),
   (24, 17, 18, 18, 21, 18, 16, 24, 15, 18, 33, 21, 14))
_b('Galatians', 'GAL', 'Gal', ('gal', 'ga'),
   (24, 21, 29, 31, 26, 18))
_b('Ephesians', 'EPH', 'Eph', ('eph', 'ephes'),
   (23, 22, 21, 32, 33, 24))
_b('Philippians', 'PHP', 'Phil', ('phil', 'php', 'pp'),
   (30, 30, 21, 23))
_b('Colossians', 'COL', 'Col', ('col', 'co'),
   (29, 23, 25, 18))
_b('1 Thessalonians', '1TH', '1Thess', ('1thess', '1th', '1thes', 'ithessalonians', 'ithess', 'firstthessalonians'),
   (10, 20, 13, 18, 28))
_b('2 Thessalonians', '2TH', '2Thess', ('2thess', '2th', '2thes', 'iithessalonians', 'iithess', 'secondthessalonians'),
   (12, 17, 18))
_b('1 Timothy', '1TI', '1Tim', ('1tim', '1ti', 'itimothy', 'itim', 'firsttimothy'),
   (20, 15, 16, 16, 25, 21))
_b('2 Timothy', '2TI', '2Tim', ('2tim', '2ti', 'iitimothy', 'iitim', 'secondtimothy'),
   (18, 26, 17, 22))
_b('Titus', 'TIT', 'Titus', ('tit', 'ti'),
   (16, 15, 15))
_b('Philemon', 'PHM', 'Phlm', ('phlm', 'phm', 'philem'),
   (25,))
_b('Hebrews', 'HEB', 'Heb', ('heb',),
   (14, 18, 19, 16, 14, 20, 28, 13, 28, 39, 40, 29, 25))
_b('James', 'JAS', 'Jas', ('jas', 'jm', 'jam'),
   (27, 26, 18, 17, 20))
_b('1 Peter', '1PE', '1Pet', ('1pet', '1pe', '1pt', '1p', 'ipeter', 'ipet', 'firstpeter'),
   (25, 25, 22, 19, 14))
_b('2 Peter', '2PE', '2Pet', ('2pet', '2pe', '2pt', '2p', 'iipeter', 'iipet', 'secondpeter'),
   (21, 22, 18))
_b('1 John', '1JN', '1John', ('1jn', '1jo', '1jhn', '1joh', 'ijohn', 'ijn', 'firstjohn'),
   (10, 29, 24, 21, 21))
_b('2 John', '2JN', '2John', ('2jn', '2jo', '2jhn', '2joh', 'iijohn', 'iijn', 'secondjohn'),
   (13,))
_b('3 John', '3JN', '3John', ('3jn', '3jo', '3jhn', '3joh', 'iiijohn', 'iiijn', 'thirdjohn'),
   (14,))
_b('Jude', 'JUD', 'Jude', ('jud', 'jd'),
   (25,))
_b('Revelation', 'REV', 'Rev', ('rev', 're', 'rv', 'revelations', 'apocalypse'),
   (20, 29, 22, 11, 14, 17, 17, 13, 21, 11, 19, 17, 18, 20, 8, 21, 18, 24, 21, 15, 27, 21))
# fmt: on

BOOKS: tuple[Book, ...] = tuple(
    Book(i, name, usfm, osis, abbr, counts)
    for i, (name, usfm, osis, abbr, counts) in enumerate(_rows, start=1)
)

_BY_OSIS = {b.osis: b for b in BOOKS}


def book(number: int) -> Book:
    """The book at canonical position ``number`` (1 = Genesis, 66 = Revelation)."""
    if not 1 <= number <= len(BOOKS):
        raise IndexError(f"there is no book number {number}")
    return BOOKS[number - 1]


def by_osis(code: str) -> Book | None:
    return _BY_OSIS.get(code)


TOTAL_CHAPTERS = sum(b.chapters for b in BOOKS)
TOTAL_VERSES = sum(sum(b.verse_counts) for b in BOOKS)
