"""The user database beside the ledger: private, per-part migrations, damage left alone."""

from __future__ import annotations

import hashlib
import stat

import pytest

from storage.user_db import UserDataDamaged, UserDataError, connect, ensure_part

NOTES_V1 = [["CREATE TABLE notes (session_id TEXT NOT NULL, body TEXT NOT NULL)"]]
NOTES_V2 = [*NOTES_V1, ["ALTER TABLE notes ADD COLUMN colour TEXT"]]
PLANS_V1 = [["CREATE TABLE plans (session_id TEXT NOT NULL, name TEXT NOT NULL)"]]


def test_created_private_and_parts_migrate_independently(tmp_path):
    path = tmp_path / "data" / "user.sqlite"
    conn = connect(path)
    ensure_part(conn, "notes", NOTES_V1)
    ensure_part(conn, "plans", PLANS_V1)
    conn.execute("INSERT INTO notes VALUES ('s1', 'hello')")
    ensure_part(conn, "notes", NOTES_V2)  # a later version of one part leaves the other alone
    assert conn.execute("SELECT body, colour FROM notes").fetchall() == [("hello", None)]
    versions = dict(conn.execute("SELECT name, version FROM parts").fetchall())
    assert versions == {"notes": 2, "plans": 1}
    conn.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_part_from_a_newer_version_is_refused(tmp_path):
    conn = connect(tmp_path / "user.sqlite")
    ensure_part(conn, "notes", NOTES_V2)
    with pytest.raises(UserDataError, match="newer Verselight"):
        ensure_part(conn, "notes", NOTES_V1)
    conn.close()


def test_a_damaged_file_is_refused_and_left_byte_identical(tmp_path):
    path = tmp_path / "user.sqlite"
    conn = connect(path)
    ensure_part(conn, "notes", NOTES_V1)
    conn.executemany("INSERT INTO notes VALUES ('s', ?)", [("x" * 500,)] * 200)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 2 + 64] = b"\xff" * 64  # a page of the notes table
    path.write_bytes(bytes(data))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(UserDataDamaged, match="left untouched"):
        connect(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "user.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserDataDamaged):
        connect(path)
    assert path.read_bytes() == b"this is not sqlite" * 100
