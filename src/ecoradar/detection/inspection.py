"""``inspection_drop`` (pure): readings that drop while an inspection is under way. The
literature measures emissions 25-52 % lower only while inspectors are present; an enterprise that
turns its treatment up (or its production down) when they arrive shows a dip of its own readings
during the visit that its other days do not show.

A visit is a China day on which an inspection of the enterprise was recorded (an inspection of a
risk-based draw done, or a finding observed on site: the problem register's inspection,
department and grid-worker findings); inspectors are on site during working hours,
``[VISIT_FROM, VISIT_TO)`` China time. For every day, the median of a factor's valid hours in
those working hours is divided by the median of the rest of that day (the day's level cancels);
the visit day's ratio is then set against the point's usual ratio (the median over its days
without a visit). A visit is suspicious when its ratio is at most ``MAX_RELATIVE`` of the usual
one, its working hours below ``MAX_LEVEL`` of the same hours on the other days, at least
``MIN_Z`` times the day-to-day spread of that ratio below it, and at most ``MAX_SIMILAR`` of at
least ``MIN_DAYS`` other days dipped too (at least ``SIMILAR_DEPTH`` as deep): a real load drop
in working hours that happens on other days too is the enterprise's rhythm, not the inspection's
effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ecoradar.detection.daily import china_day, day_start
from ecoradar.detection.runs import HOUR, Span

KIND = "inspection_drop"
VISIT_FROM, VISIT_TO = 9, 17
"""Working hours of a visit, China time: ``[9:00, 17:00)``."""
MIN_VISIT_HOURS = 5
MIN_REST_HOURS = 8
MIN_DAYS = 14
"""Days without a visit needed to know the point's usual ratio."""
MAX_RELATIVE = 0.8
MAX_SIMILAR = 1
SIMILAR_DEPTH = 0.5
"""Another day dipped like the visit when its working hours fell at least this share as deep."""
MAX_LEVEL = 0.85
"""The working hours of the visit must also be below this share of the same hours' median on the
other days (a day whose rhythm flattened at a high level is not a drop)."""
MIN_Z = 4.0
"""And the drop must be at least this many times the point's own day-to-day spread of the ratio
(1.4826 x the median absolute deviation): a series whose working hours swing by themselves
(weather, batches) proves nothing by one low day."""
DAYS = 28
"""Days looked at around each visit."""


@dataclass(frozen=True)
class Visit:
    """One visit: the China ``day`` and what recorded it (``source``: ``inspection`` or
    ``finding``, and its id)."""

    day: date
    source: str
    ref: int


@dataclass(frozen=True)
class DayRatio:
    day: date
    visit_mean: float
    rest_mean: float
    distinct: int
    """Distinct values in the working hours."""

    @property
    def ratio(self) -> float:
        return self.visit_mean / self.rest_mean


def _hour_of(when: datetime) -> int:
    return (when - day_start(china_day(when))) // HOUR


def day_ratios(hours: Sequence[tuple[datetime, float]], floor: float = 0.0) -> dict[date, DayRatio]:
    """Each day's working-hours and rest-of-day medians (days with too few hours left out; the
    median, so that a few odd hours, a stuck stretch at night, do not move the day).
    Values at or below ``floor`` are left out: zeros while running are ``zero_value``'s, and
    below the floor the instrument's own noise speaks; an hour that repeats the one before is
    a stuck analyser's (``flatline``)."""
    inside: dict[date, list[float]] = {}
    rest: dict[date, list[float]] = {}
    previous: float | None = None
    for when, value in hours:
        stuck, previous = value == previous, value
        if value <= max(floor, 0.0) or stuck:
            continue
        day = china_day(when)
        target = inside if VISIT_FROM <= _hour_of(when) < VISIT_TO else rest
        target.setdefault(day, []).append(value)
    out = {}
    for day, values in inside.items():
        others = rest.get(day, [])
        if len(values) < MIN_VISIT_HOURS or len(others) < MIN_REST_HOURS:
            continue
        rest_mean = _median(others)
        if rest_mean <= 0:
            continue
        out[day] = DayRatio(day, _median(values), rest_mean, len(set(values)))
    return out


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


@dataclass(frozen=True)
class Drop:
    visit: Visit
    ratio: DayRatio
    usual: float
    relative: float
    similar: int
    compared: int
    relatives: dict[date, float]
    spread: float
    level: float
    """The visit's working-hours mean against the median of those hours on the other days."""
    floor: float

    @property
    def z(self) -> float:
        return (1.0 - self.relative) / self.spread if self.spread > 0 else float("inf")

    @property
    def suspicious(self) -> bool:
        return (
            self.compared >= MIN_DAYS
            and self.relative <= MAX_RELATIVE
            and self.similar <= MAX_SIMILAR
            and self.z >= MIN_Z
            and self.level <= MAX_LEVEL
            and self.ratio.distinct * 2 >= MIN_VISIT_HOURS
        )


def judge(
    hours: Sequence[tuple[datetime, float]], visits: Sequence[Visit], floor: float = 0.0
) -> list[Drop]:
    """Every visit's numbers over one series' valid hourly values (``hours``; values at or below
    ``floor``, the factor's floor, left out); a visit whose working hours barely differ from
    each other is the flatline rule's to judge, not this one's."""
    ratios = day_ratios(hours, floor)
    visit_days = {v.day for v in visits}
    out = []
    for visit in visits:
        seen = ratios.get(visit.day)
        if seen is None:
            continue
        window = timedelta(days=DAYS)
        near = [
            r for d, r in ratios.items() if d not in visit_days and abs(d - visit.day) <= window
        ]
        others = {r.day: r.ratio for r in near}
        if not others:
            continue
        usual_level = _median([r.visit_mean for r in near])
        level = seen.visit_mean / usual_level if usual_level > 0 else 1.0
        usual = _median(list(others.values()))
        if usual <= 0:
            continue
        relative = seen.ratio / usual
        relatives = {d: r / usual for d, r in others.items()}
        dipped = 1.0 - (1.0 - relative) * SIMILAR_DEPTH
        similar = sum(1 for r in relatives.values() if r <= dipped)
        spread = 1.4826 * _median([abs(r - 1.0) for r in relatives.values()])
        out.append(
            Drop(
                visit, seen, usual, relative, similar, len(others), relatives, spread, level,
                floor,
            )
        )  # fmt: skip
    return out


def spans(
    code: str,
    hours: Sequence[tuple[datetime, float]],
    visits: Sequence[Visit],
    limit: float | None = None,
    floor: float = 0.0,
) -> list[Span]:
    """The suspicious visits of one series as spans over the visit's working hours."""
    out = []
    seen: set[date] = set()
    for drop in judge(hours, visits, floor):
        if not drop.suspicious or drop.visit.day in seen:
            continue
        seen.add(drop.visit.day)
        out.append(_span(code, drop, hours, limit))
    return out


def _span(
    code: str, drop: Drop, hours: Sequence[tuple[datetime, float]], limit: float | None
) -> Span:
    midnight = day_start(drop.visit.day)
    start, end = midnight + VISIT_FROM * HOUR, midnight + VISIT_TO * HOUR
    shown = [(t, v) for t, v in hours if midnight - 24 * HOUR <= t < midnight + 24 * HOUR]
    days = sorted(drop.relatives) + [drop.visit.day]
    days.sort()
    evidence: dict[str, Any] = {
        "rule": KIND,
        "parameters": {
            "visit_from_hour": VISIT_FROM,
            "visit_to_hour": VISIT_TO,
            "max_relative": MAX_RELATIVE,
            "max_similar_days": MAX_SIMILAR,
            "min_z": MIN_Z,
            "max_level": MAX_LEVEL,
        },
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "visit_day": drop.visit.day.isoformat(),
        f"visit_{drop.visit.source}": drop.visit.ref,
        "visit_median": round(drop.ratio.visit_mean, 4),
        "rest_of_day_median": round(drop.ratio.rest_mean, 4),
        "usual_ratio": round(drop.usual, 4),
        "relative_drop": round(drop.relative, 4),
        "level_share": round(drop.level, 4),
        "similar_days": drop.similar,
        "days_compared": drop.compared,
        "ratio_spread": round(drop.spread, 4),
        "values": [[t.isoformat(), v] for t, v in shown],
        "series": {
            "days": [d.isoformat() for d in days],
            "relative": [
                round(drop.relative if d == drop.visit.day else drop.relatives[d], 4) for d in days
            ],
            "visit": drop.visit.day.isoformat(),
        },
    }
    if limit is not None:
        evidence["limit"] = limit
    return Span(KIND, code, start, end, "high", evidence)
