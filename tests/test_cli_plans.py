"""``verselight plan`` as a script runs it: the real command in a child process, on a real
home. Days missed are made by starting the plan in this process with a clock some days back,
on the same session the command uses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import utc_now
from core.config import load_config
from core.plans import ReadingPlans, built_in
from core.services import open_services
from tests.cli_process import run_cli
from tests.clock import ManualClock

pytestmark = pytest.mark.xdist_group("serial")  # a child process per command


def _ok(*argv: str) -> str:
    done = run_cli("plan", *argv)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(code: int, *argv: str) -> str:
    done = run_cli("plan", *argv)
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verselight: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def _started_days_ago(days: int, name: str = "nt90") -> None:
    """This home's session starts ``name`` ``days`` days ago (and reads nothing since)."""
    services = open_services(load_config())
    try:
        data = services.user_data()
        assert data is not None
        ReadingPlans(data, ManualClock(utc_now() - timedelta(days=days))).start(built_in(name))
    finally:
        services.close()


def test_list_names_the_built_in_plans(verselight_home: Path) -> None:
    out = _ok("list")
    for name in ("year", "nt90", "psalms-proverbs"):
        assert f"\n{name} " in f"\n{out}"
    assert "--books" in out


def test_start_today_done_status(verselight_home: Path) -> None:
    assert "no reading plan yet" in _refused(1, "today")
    out = _ok("start", "nt90")
    assert 'Started "The New Testament in 90 days": 90 days' in out
    assert "Today: Matthew 1-4" in out
    assert "Today (day 1): Matthew 1-4" in _ok("today")
    assert "0 of 90 days done (0%)." in _ok("status")
    assert "Marked today's reading done: Matthew 1-4. 1 of 90 days done (1%)." in _ok("done")
    assert "Nothing to mark" in _ok("done")
    assert "(done)" in _ok("today")
    assert "behind" not in _ok("status")


def test_one_plan_at_a_time_unless_replaced(verselight_home: Path) -> None:
    _ok("start", "year")
    assert "add --replace" in _refused(2, "start", "--books", "Mark", "--days", "8")
    out = _ok("start", "--books", "Mark", "--days", "8", "--replace")
    assert 'Started "Mark in 8 days": 8 days' in out
    assert "Mark in 8 days" in _ok("status")


def test_missed_days_are_listed_and_done_takes_today_then_the_oldest(
    verselight_home: Path,
) -> None:
    _started_days_ago(3)
    out = _ok("today")
    assert "Today (day 4): " in out
    assert "Missed (3 days):" in out
    assert "(day 1): Matthew 1-4" in out
    assert "plan catch-up --days N" in out and "plan shift" in out
    assert "behind by 3 days" in _ok("status")
    assert "Marked today's reading done" in _ok("done")
    assert "reading done: Matthew 1-4." in _ok("done")  # the oldest missed day's
    assert "behind by 2 days" in _ok("status")


def test_catch_up_spreads_the_missed_days_and_keeps_the_end(verselight_home: Path) -> None:
    _started_days_ago(4)
    ends = _ok("status").splitlines()[1].split("; ends ")[1]
    out = _ok("catch-up", "--days", "2")
    assert "The 4 missed days are spread over the next 2 day(s)" in out
    assert f"the plan still ends {ends.rstrip('.')}" in out
    # today holds its own day and the first half of the missed ones
    assert out.count("Today: ") == 3
    status = _ok("status")
    assert "behind" not in status and ends in status


def test_shift_moves_the_plan_later(verselight_home: Path) -> None:
    _started_days_ago(2)
    assert "The plan moved 2 days later" in _ok("shift")
    assert "Today (day 1): Matthew 1-4" in _ok("today")
    assert "not behind" in _refused(1, "shift")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["start"], "Name a plan"),
        (["start", "weekly"], 'no plan called "weekly"'),
        (["start", "year", "--books", "Mark"], "Name a plan"),
        (["start", "--books", "Mark"], "--days N"),
        (["start", "--books", "Mark", "--days", "99"], "from 1 to 16"),
        (["start", "--books", "Hezekiah", "--days", "9"], 'no book called "Hezekiah"'),
        (["catch-up", "--days", "0"], "from 1 to 365"),
    ],
)
def test_usage_mistakes_are_one_sentence_and_exit_2(
    verselight_home: Path, argv: list[str], words: str
) -> None:
    assert words in _refused(2, *argv)


def test_a_damaged_user_database_is_one_sentence_and_left_alone(verselight_home: Path) -> None:
    _ok("start", "year")
    user_db = load_config().paths.user_db
    for extra in ("-wal", "-shm"):
        user_db.with_name(user_db.name + extra).unlink(missing_ok=True)
    user_db.write_bytes(b"not a database, not any more" * 200)
    before = user_db.read_bytes()
    line = _refused(1, "status")
    assert "damaged" in line and "left untouched" in line
    assert user_db.read_bytes() == before
