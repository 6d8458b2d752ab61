"""core.files: atomic replace and never-overwrite publish, on real files in real folders.

Failures are real too: a write cut short by a file-size limit (in a child process, so the
limit cannot touch pytest), a rename onto a folder, a name taken by a dangling symlink. The
order of the system calls (temp file, rename or link, folder opened for its fsync) is watched
with an audit hook in a child process, since audit hooks cannot be removed again.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.files import PRIVATE_MODE, create_exclusive, publish, sync_folder, write_atomic

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def run_child(code: str, *args: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter from the project root; it prints one JSON object."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


# --- write_atomic -----------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", [0o600, 0o644])
@pytest.mark.parametrize("mask", [0o000, 0o077, 0o277])
def test_write_atomic_replaces_the_whole_file_with_exactly_the_mode_asked(
    tmp_path: Path, wanted: int, mask: int
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old contents, longer than the new")
    path.chmod(0o666)
    with umask(mask):
        write_atomic(path, b"new", mode=wanted)
    assert path.read_bytes() == b"new"
    assert mode(path) == wanted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_write_atomic_is_private_by_default(tmp_path: Path) -> None:
    path = tmp_path / "token"
    with umask(0):
        write_atomic(path, b"secret")
    assert mode(path) == PRIVATE_MODE == 0o600


def test_a_failed_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "taken", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert (tmp_path / "taken").is_dir()


def test_a_missing_folder_is_an_error_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "f", b"data")
    assert list(tmp_path.iterdir()) == []


_CUT_SHORT = """
import json, os, resource, signal, sys
from pathlib import Path
from core.files import publish, write_atomic

folder = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write with EFBIG instead of dying
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
errors = {}
for name, call in (("write", write_atomic), ("publish", publish)):
    try:
        call(folder / name, b"x" * 100_000)
    except OSError as exc:
        errors[name] = exc.errno
print(json.dumps(errors))
"""


def test_a_write_cut_short_keeps_the_old_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    """The disk 'fills up' after 4 KiB: the old file stays whole, no part of the new one (under
    its own name or a temporary one) is left, and the caller gets the OSError."""
    (tmp_path / "write").write_bytes(b"the old file")
    errors = run_child(_CUT_SHORT, str(tmp_path))
    assert errors == {"write": 27, "publish": 27}  # EFBIG, for both
    assert sorted(p.name for p in tmp_path.iterdir()) == ["write"]
    assert (tmp_path / "write").read_bytes() == b"the old file"


_WATCH = """
import json, os, sys
from pathlib import Path
from core.files import publish, write_atomic

folder = Path(sys.argv[1])
events = []

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if str(args[0]).startswith(str(folder)):
            events.append(["open", os.fspath(args[0]), args[2]])
    elif event in ("os.rename", "os.link"):
        events.append([event, os.fspath(args[0]), os.fspath(args[1])])

sys.addaudithook(hook)
write_atomic(folder / "state.json", b"{}", temp_prefix=".reader-", temp_suffix=".json")
replace = list(events)
events.clear()
publish(folder / "export.png", b"png", mode=0o644)
print(json.dumps({"replace": replace, "publish": events, "excl": os.O_CREAT | os.O_EXCL}))
"""


def test_the_temp_file_is_renamed_or_linked_in_place_then_the_folder_is_synced(
    tmp_path: Path,
) -> None:
    seen = run_child(_WATCH, str(tmp_path))
    excl = seen["excl"]
    assert isinstance(excl, int)
    folder = str(tmp_path)
    for key, final, verb, prefix, suffix in (
        ("replace", "state.json", "os.rename", ".reader-", ".json"),
        ("publish", "export.png", "os.link", ".export.png.", ".tmp"),
    ):
        events = seen[key]
        assert isinstance(events, list)
        assert len(events) == 3, events
        (opened, tmp, flags), (moved, src, dst), (synced, where, sync_flags) = events
        assert opened == "open" and flags & excl == excl  # a new file, never an existing one
        assert Path(tmp).parent == tmp_path
        assert Path(tmp).name.startswith(prefix) and tmp.endswith(suffix)
        assert (moved, src, dst) == (verb, tmp, str(tmp_path / final))
        assert (synced, where) == ("open", folder)  # opened to fsync it, after the move
        assert sync_flags & os.O_ACCMODE == os.O_RDONLY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.png", "state.json"]
    assert mode(tmp_path / "state.json") == 0o600
    assert mode(tmp_path / "export.png") == 0o644


def test_syncing_a_folder_is_best_effort(tmp_path: Path) -> None:
    sync_folder(tmp_path)
    sync_folder(tmp_path / "gone")  # no error: not every filesystem (or folder) can be synced


# --- publish ----------------------------------------------------------------------------------


def test_publish_creates_once_and_never_replaces(tmp_path: Path) -> None:
    path = tmp_path / "f"
    with umask(0o077):
        assert publish(path, b"first", mode=0o644)
    assert not publish(path, b"second", mode=0o600)
    assert path.read_bytes() == b"first"
    assert mode(path) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_publish_does_not_follow_a_symlink_planted_at_the_name(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "link").symlink_to(target)
    assert not publish(tmp_path / "link", b"data")
    assert not create_exclusive(tmp_path / "link", b"data")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link"]


def test_create_exclusive_writes_once_with_the_mode_asked(tmp_path: Path) -> None:
    path = tmp_path / "f"
    with umask(0o277):
        assert create_exclusive(path, b"first", mode=0o640)
    assert not create_exclusive(path, b"second")
    assert path.read_bytes() == b"first"
    assert mode(path) == 0o640
