"""Which process placed a hold, so the next start can tell a crash's holds from live ones.

A hold is named ``host:pid:start`` where ``start`` is when the process began (Linux's
``/proc/<pid>/stat`` start time in clock ticks; empty elsewhere). A hold whose process is gone,
or whose pid now belongs to a younger process, was left by a crash and can be released at once
instead of waiting ``stale_hold_age``. Holds from another host are never judged here.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


@cache
def current_owner() -> str:
    """This process's name for the holds it places (computed once)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def status(owner: str | None) -> str:
    """ "dead" when ``owner`` surely no longer runs, "alive" when it surely does (on this
    host, same pid and start time), "unknown" otherwise (another host, no owner recorded)."""
    if not owner:
        return "unknown"
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return "unknown"
    pid = int(pid_text)
    if pid == os.getpid():
        return "alive" if owner == current_owner() else "dead"
    if not _pid_exists(pid):
        return "dead"
    ticks = _start_ticks(pid)
    if start and ticks and ticks != start:
        return "dead"  # the pid now belongs to a younger process
    return "alive" if start and ticks == start else "unknown"
