"""How long each model takes, per (provider, model, resolution): the ETA's source.

A moving average over about the last ``WINDOW`` calls (the first calls count fully, later ones
with weight 1/WINDOW), so a provider that gets slower or faster is followed within a few
images while one odd call does not swing the estimate.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage import images as db

WINDOW = 10


@dataclass(frozen=True, slots=True)
class Eta:
    seconds: float
    count: int
    """How many calls the estimate rests on; 0 means the provider's usual time is assumed."""


def resolution(width: int, height: int) -> str:
    return f"{width}x{height}"


def eta(conn: sqlite3.Connection, provider: str, model: str, res: str, default: float) -> Eta:
    stat = db.get_stat(conn, provider, model, res)
    if stat is None:
        return Eta(default, 0)
    return Eta(stat.avg_seconds, stat.count)


def record(
    conn: sqlite3.Connection, provider: str, model: str, res: str, seconds: float, now: datetime
) -> None:
    """Fold one call's duration in (inside the caller's transaction)."""
    stat = db.get_stat(conn, provider, model, res)
    if stat is None:
        new = db.StatRow(provider, model, res, 1, seconds)
    else:
        count = stat.count + 1
        avg = stat.avg_seconds + (seconds - stat.avg_seconds) / min(count, WINDOW)
        new = db.StatRow(provider, model, res, count, avg)
    db.put_stat(conn, new, now)
