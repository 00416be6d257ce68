"""``cloned_stream`` (pure): one point's readings are another point's, scaled or shifted, for a
day or more. The data cannot tell the copier from the copied, so both points are named.

All series are compared without comparing all pairs. Each series' window (24 consecutive
hourly values, every hour present; a window starts every 6 hours) gets a fingerprint: the
signs of its successive differences (23 bits; an affine copy with a positive scale keeps
them), cut into ``BANDS`` bands. Series sharing a band's bits in the same window and factor
are candidates (locality sensitive hashing: one flipped bit loses one band, not the match).
A candidate pair is a clone in that window when the correlation is at least ``MIN_R`` and the
residual of the affine fit ``b = scale * a + offset`` is below ``MAX_RESIDUAL_SHARE`` of either
series' own noise (the median absolute successive difference): outlets of one process follow
one production rhythm but carry their own noise, which leaves a residual as large as that
noise. Overlapping or touching clone windows of a pair are one finding.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

KIND = "cloned_stream"
HOURS = 24
STEP = timedelta(hours=6)
"""Windows of ``HOURS`` start every ``STEP``: a copied day need not start at midnight."""
BANDS = ((0, 8), (8, 16), (16, 23))
MIN_R = 0.995
MAX_RESIDUAL_SHARE = 0.1
MAX_BUCKET = 64
"""Buckets holding more series than this (a degenerate pattern) are not paired."""
MIN_RELATIVE_SPREAD = 1e-3
"""A day whose values barely move (flatline territory) has no fingerprint."""

SeriesKey = tuple[int, str]
"""(point id, factor code)."""


@dataclass(frozen=True)
class DayMatch:
    day: datetime
    scale: float
    offset: float
    r: float
    residual: float
    noise: float


@dataclass(frozen=True)
class Clone:
    """Two series equal up to ``b = scale * a + offset`` over ``[start, end)``."""

    a: SeriesKey
    b: SeriesKey
    start: datetime
    end: datetime
    days: list[DayMatch]
    times: list[datetime]
    values_a: list[float]
    values_b: list[float]


def fingerprint(values: Sequence[float]) -> tuple[int, ...] | None:
    """The bands of the day's difference signs; None for a day that barely moves."""
    level = max(abs(v) for v in values) or 1.0
    if max(values) - min(values) < MIN_RELATIVE_SPREAD * level:
        return None
    bits = [1 if b > a else 0 for a, b in zip(values, values[1:], strict=False)]
    return tuple(_pack(bits[lo:hi]) for lo, hi in BANDS)


def _pack(bits: Sequence[int]) -> int:
    out = 0
    for bit in bits:
        out = out << 1 | bit
    return out


def affine(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float]:
    """(scale, offset, r, residual standard deviation) of ``b = scale * a + offset``."""
    n = len(a)
    mean_a, mean_b = sum(a) / n, sum(b) / n
    saa = sum((x - mean_a) ** 2 for x in a)
    sbb = sum((y - mean_b) ** 2 for y in b)
    sab = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    if saa <= 0 or sbb <= 0:
        return 0.0, mean_b, 0.0, math.inf
    scale = sab / saa
    offset = mean_b - scale * mean_a
    r = sab / math.sqrt(saa * sbb)
    residual = math.sqrt(max(sbb - scale * sab, 0.0) / n)
    return scale, offset, r, residual


def _noise(values: Sequence[float]) -> float:
    diffs = sorted(abs(y - x) for x, y in zip(values, values[1:], strict=False))
    if not diffs:
        return 0.0
    mid = len(diffs) // 2
    return diffs[mid] if len(diffs) % 2 else (diffs[mid - 1] + diffs[mid]) / 2


def match(
    a: Sequence[float], b: Sequence[float]
) -> tuple[float, float, float, float, float] | None:
    """(scale, offset, r, residual, noise) when ``b`` is an affine copy of ``a``, else None."""
    scale, offset, r, residual = affine(a, b)
    if scale <= 0 or r < MIN_R:
        return None
    noise = min(_noise(a) * scale, _noise(b))
    if noise <= 0 or residual > MAX_RESIDUAL_SHARE * noise:
        return None
    return scale, offset, r, residual, noise


def day_values(series: Mapping[datetime, float], day: datetime) -> list[float] | None:
    """The 24 hourly values of the day starting at ``day``; None when an hour is missing."""
    out = []
    for hour in range(HOURS):
        value = series.get(day + timedelta(hours=hour))
        if value is None:
            return None
        out.append(value)
    return out


def candidates(
    series: Mapping[SeriesKey, Mapping[datetime, float]], day: datetime
) -> tuple[dict[SeriesKey, list[float]], set[tuple[SeriesKey, SeriesKey]]]:
    """The day's values of each series and the candidate pairs (same factor, other point)."""
    values: dict[SeriesKey, list[float]] = {}
    buckets: dict[tuple[str, int, int], list[SeriesKey]] = defaultdict(list)
    for key, hours in series.items():
        day_of = day_values(hours, day)
        if day_of is None:
            continue
        print_ = fingerprint(day_of)
        if print_ is None:
            continue
        values[key] = day_of
        for band, bits in enumerate(print_):
            buckets[(key[1], band, bits)].append(key)
    pairs: set[tuple[SeriesKey, SeriesKey]] = set()
    for members in buckets.values():
        if len(members) < 2 or len(members) > MAX_BUCKET:
            continue
        for x, y in combinations(sorted(members), 2):
            if x[0] != y[0]:
                pairs.add((x, y))
    return values, pairs


def windows(start: datetime, end: datetime) -> list[datetime]:
    """The starts of the windows inside ``[start, end)``, every ``STEP``."""
    out = []
    while start + timedelta(hours=HOURS) <= end:
        out.append(start)
        start += STEP
    return out


def find_clones(
    series: Mapping[SeriesKey, Mapping[datetime, float]], days: Iterable[datetime]
) -> list[Clone]:
    """Clone runs among ``series`` over windows starting at ``days`` (oldest first; see
    :func:`windows`)."""
    matched: dict[tuple[SeriesKey, SeriesKey], list[tuple[DayMatch, list[float], list[float]]]]
    matched = defaultdict(list)
    for day in days:
        values, pairs = candidates(series, day)
        for x, y in sorted(pairs):
            found = match(values[x], values[y])
            if found is None:
                continue
            scale, offset, r, residual, noise = found
            matched[(x, y)].append(
                (DayMatch(day, scale, offset, r, residual, noise), values[x], values[y])
            )
    clones: list[Clone] = []
    for (x, y), items in sorted(matched.items()):
        clones += _runs(x, y, items)
    return clones


def _runs(
    x: SeriesKey, y: SeriesKey, items: list[tuple[DayMatch, list[float], list[float]]]
) -> list[Clone]:
    runs: list[list[tuple[DayMatch, list[float], list[float]]]] = []
    for item in items:
        if runs and item[0].day - runs[-1][-1][0].day <= timedelta(hours=HOURS):
            runs[-1].append(item)
        else:
            runs.append([item])
    out = []
    for run in runs:
        hours: dict[datetime, tuple[float, float]] = {}
        for m, a, b in run:
            for h in range(HOURS):
                hours[m.day + timedelta(hours=h)] = (a[h], b[h])
        times = sorted(hours)
        out.append(
            Clone(
                x,
                y,
                run[0][0].day,
                run[-1][0].day + timedelta(hours=HOURS),
                [m for m, _, _ in run],
                times,
                [hours[t][0] for t in times],
                [hours[t][1] for t in times],
            )
        )
    return out


def evidence(clone: Clone, this: SeriesKey, other: dict[str, Any]) -> dict[str, Any]:
    """The evidence of the alert at ``this`` point of ``clone`` (``other``: who the other
    point is). The fit reads ``this = scale * other + offset``; at most the last 72 hours of
    both series are kept."""
    own, theirs = (
        (clone.values_a, clone.values_b) if this == clone.a else (clone.values_b, clone.values_a)
    )
    scale, offset, r, residual = affine(theirs, own)
    keep = -3 * HOURS
    return {
        "rule": KIND,
        "parameters": {"min_r": MIN_R, "max_residual_share": MAX_RESIDUAL_SHARE},
        "window": {"start": clone.start.isoformat(), "end": clone.end.isoformat()},
        "hours": len(clone.times),
        "other": other,
        "fit": {
            "scale": round(scale, 6),
            "offset": round(offset, 6),
            "r": round(r, 6),
            "residual": round(residual, 6),
            "noise": round(min(_noise(own), _noise(theirs) * abs(scale)), 6),
        },
        "series": {
            "times": [t.isoformat() for t in clone.times[keep:]],
            "this": own[keep:],
            "other": theirs[keep:],
        },
    }
