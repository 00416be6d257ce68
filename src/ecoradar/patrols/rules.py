"""Pure patrol rules: the default frequency per grid level, the schedule (due, done, overdue)
from the patrols done, and the checks of a GPS track sent by a browser.

No I/O here: the service reads the rows and passes plain values in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.core.geo import haversine_m

DEFAULT_EVERY_HOURS: dict[str, int] = {
    "grid": 24,  # village / community: daily
    "township": 84,  # township / street: twice a week
    "county": 168,  # weekly
    "city": 168,
    "province": 720,
}
"""How often an area of each level is patrolled unless an administrator set otherwise
(REFERENCE "Grid supervision")."""
MIN_EVERY_HOURS = 1
MAX_EVERY_HOURS = 24 * 90
MAX_POINTS = 5_000
"""Track points one patrol keeps (a point every 5 s for almost 7 hours)."""
MAX_POINTS_PER_BATCH = 500
MAX_PATROL_HOURS = 16
"""A patrol longer than this was left running: ending it stops the clock here."""
MAX_SPEED_KMH = 200.0
"""Faster than this between two points is not walking, cycling or driving a grid: refused."""
MAX_ACCURACY_M = 10_000.0
FUTURE_SLACK = timedelta(minutes=10)
HISTORY_SLOTS = 14
ANCHOR = datetime(2024, 1, 1, tzinfo=CHINA_TZ)
"""Periods are counted from a Monday midnight, China time: a daily plan's periods are China
days, a weekly plan's are weeks from Monday, twice a week is Monday-Thursday noon and on."""


@dataclass(frozen=True)
class TrackPoint:
    lat: float
    lon: float
    at: datetime
    accuracy_m: float | None = None

    def as_list(self) -> list[float | None]:
        return [
            round(self.lat, 6),
            round(self.lon, 6),
            round(self.at.timestamp(), 1),
            self.accuracy_m,
        ]


@dataclass(frozen=True)
class Slot:
    """One period of the schedule: a patrol was due between ``start`` and ``end``."""

    start: datetime
    end: datetime
    done: bool


@dataclass(frozen=True)
class Schedule:
    every_hours: int
    slots: tuple[Slot, ...]
    """The last periods, oldest first; the last one is the current period."""
    due_now: bool
    """No patrol done yet in the current period."""
    last_done: datetime | None

    @property
    def completion(self) -> float | None:
        past = self.slots[:-1]
        if not past:
            return None
        return sum(1 for s in past if s.done) / len(past)


def check_every_hours(value: int) -> int:
    if not MIN_EVERY_HOURS <= value <= MAX_EVERY_HOURS:
        raise InputError(
            f"every_hours: {value} is not between {MIN_EVERY_HOURS} and {MAX_EVERY_HOURS}"
        )
    return value


def schedule(
    every_hours: int,
    done: Sequence[datetime],
    now: datetime,
    slots: int = HISTORY_SLOTS,
    anchor: datetime = ANCHOR,
) -> Schedule:
    """The last ``slots`` periods of ``every_hours`` counted from ``anchor``; a period is done
    when a patrol started in it. ``done``: the patrols' starts."""
    step = timedelta(hours=every_hours)
    current = int((now - anchor) / step)
    first = max(0, current - slots + 1)
    out = []
    for n in range(first, current + 1):
        start = anchor + n * step
        end = start + step
        out.append(Slot(start, end, any(start <= t < end for t in done)))
    last = max(done) if done else None
    return Schedule(every_hours, tuple(out), not out[-1].done, last)


def _distance_m(a: TrackPoint, b: TrackPoint) -> float:
    return haversine_m(a.lat, a.lon, b.lat, b.lon)


def check_points(
    points: Sequence[TrackPoint],
    *,
    started_at: datetime,
    now: datetime,
    last: TrackPoint | None,
    kept: int,
) -> list[TrackPoint]:
    """The points to append to a patrol's track, or ``InputError`` naming the first bad one.
    Points must be WGS84, in time order, after the patrol's start and not in the future, and
    no faster than ``MAX_SPEED_KMH`` from the one before; at most ``MAX_POINTS`` are kept."""
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InputError(f"points: at most {MAX_POINTS_PER_BATCH} per request")
    if kept + len(points) > MAX_POINTS:
        raise InputError(f"points: a patrol keeps at most {MAX_POINTS} track points")
    previous = last
    for n, p in enumerate(points):
        where = f"points[{n}]"
        if not (math.isfinite(p.lat) and math.isfinite(p.lon)):
            raise InputError(f"{where}: not a number")
        if not (-90 <= p.lat <= 90 and -180 <= p.lon <= 180):
            raise InputError(f"{where}: ({p.lat}, {p.lon}) is not a WGS84 position")
        if p.accuracy_m is not None and not 0 <= p.accuracy_m <= MAX_ACCURACY_M:
            raise InputError(f"{where}: accuracy {p.accuracy_m} m is not between 0 and 10000")
        if p.at < started_at - FUTURE_SLACK or p.at > now + FUTURE_SLACK:
            raise InputError(f"{where}: {p.at.isoformat()} is outside the patrol")
        if previous is not None:
            if p.at < previous.at:
                raise InputError(f"{where}: earlier than the point before it")
            seconds = (p.at - previous.at).total_seconds()
            metres = _distance_m(previous, p)
            if metres > 50 and metres / max(seconds, 1.0) * 3.6 > MAX_SPEED_KMH:
                kmh = metres / max(seconds, 1.0) * 3.6
                raise InputError(f"{where}: {kmh:.0f} km/h from the point before is not possible")
        previous = p
    return list(points)


def length_m(points: Sequence[TrackPoint]) -> float:
    return sum(_distance_m(a, b) for a, b in zip(points, points[1:], strict=False))
