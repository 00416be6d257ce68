"""``rounded_values`` (pure): numbers too round for the instrument. An honest analyser's last
digits are uniform at its resolution; values typed in, or "tidied" before they are sent, pile up
on whole numbers or on multiples of 5 or 10.

The instrument's resolution is read from the point's own values over the weeks looked at (not
from the day judged): the finest decimal grid holding nearly all the values (``GRID_SHARE``),
made coarser while more than ``COARSE_SHARE`` of the values sit on the next grid (an instrument
that reports integers on every value has a resolution of 1, and its multiples of 5 are no
surprise). Each China day is then tested: for every round unit ``R`` (1, 5, 10, 50, ..., at
least 100 times the resolution, at most half the day's median value) the valid non-zero hourly
values on a multiple of ``R`` are counted against the share ``resolution / R`` uniform digits
give (binomial tail). A day is rounded when the lowest tail is below ``P_VALUE`` (divided by the
units tried), with at least ``MIN_ROUND`` such values (``MIN_DISTINCT`` of them different)
making ``MIN_SHARE`` of the day's. Consecutive rounded days are one alert, from the first
rounded hour to the last.

The expected share is taken at the day's own grid where every value of the day sits on a coarser
one (:func:`_day_grid`): a day of nothing but half or whole numbers reads as an instrument at that
resolution for the day. So a cheat must leave some of the day's values as measured to be seen,
and one that rounds (nearly) every value for weeks on end is indistinguishable from a coarse
instrument: the resolution then follows the cheat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ecoradar.detection.daily import china_day
from ecoradar.detection.runs import EVIDENCE_VALUES, HOUR, Span

KIND = "rounded_values"
DAYS = 3
"""China days judged by each daily pass (the resolution is read over ``HISTORY_DAYS``)."""
HISTORY_DAYS = 28
GRID_SHARE = 0.98
COARSE_SHARE = 0.6
"""Honest uniform digits put 10 % of the values on the next grid; more than this and the next
grid is the instrument's."""
MIN_HISTORY = 72
"""Valid non-zero values needed to read the resolution."""
MIN_DAY_HOURS = 12
MIN_ROUND = 4
MIN_SHARE = 0.2
P_VALUE = 1e-6
UNITS = (1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0)
"""Round units tried: whole numbers and multiples of 5, 10, ... (at least ``MIN_STEPS`` steps of
the resolution: two digits gone, not one; at most half the day's median value). Finer "round"
decimals (0.1, 0.05) are left alone: binary-exact values (multiples of 0.125) and copies at two
decimals sit on them."""
MIN_STEPS = 100
MIN_DISTINCT = 3
"""Rounded values must differ from each other (one value again and again is a flatline's)."""
FINEST = -4
"""The finest grid looked for: 10^-4."""
_EPSILON = 1e-6


def on_grid(value: float, unit: float) -> bool:
    """Whether ``value`` is a whole multiple of ``unit`` (to float precision)."""
    ratio = value / unit
    return abs(ratio - round(ratio)) < _EPSILON


def resolution(values: Sequence[float]) -> float | None:
    """The instrument's resolution read from ``values`` (non-zero), or None with too few."""
    values = [v for v in values if v != 0]
    if len(values) < MIN_HISTORY:
        return None
    n = len(values)
    step = None
    for exponent in range(FINEST, 5):
        unit = 10.0**exponent
        if sum(1 for v in values if on_grid(v, unit)) >= GRID_SHARE * n:
            step = unit
            break
    if step is None:
        return None
    while sum(1 for v in values if on_grid(v, step * 10)) > COARSE_SHARE * n:
        step *= 10
    return step


@dataclass(frozen=True)
class DayTest:
    """One day's numbers: which unit, how many values on it against the expectation."""

    day: date
    resolution: float
    unit: float
    valid: int
    rounded: int
    expected: float
    p_value: float
    times: list[datetime]
    values: list[float]
    digits: list[int]
    """How many of the day's values end in 0, 1, ..., 9 at the resolution."""

    @property
    def suspicious(self) -> bool:
        return (
            self.p_value < P_VALUE / len(UNITS)
            and self.rounded >= MIN_ROUND
            and self.rounded >= MIN_SHARE * self.valid
        )


def _day_grid(values: Sequence[float], step: float) -> float:
    """The coarsest of ``step``, 2, 5 and 10 x ``step``, ... on which every one of the day's
    values sits: a day whose every value is a half or a whole number reads as an instrument at
    that resolution that day (its round numbers are then no surprise)."""
    grid = step
    for candidate in (step * m * 10**e for e in range(0, 8) for m in (1, 2, 5)):
        if candidate > grid and all(on_grid(v, candidate) for v in values):
            grid = candidate
    return grid


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    total = 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    for i in range(k, n + 1):
        total += math.exp(
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * log_p + (n - i) * log_q
        )  # fmt: skip
    return min(1.0, total)


def judge_day(day: date, hours: Sequence[tuple[datetime, float]], step: float) -> DayTest | None:
    """The test of one day's valid hourly ``hours`` at resolution ``step``; None with too few."""
    kept = [(t, v) for t, v in hours if v != 0]
    if len(kept) < MIN_DAY_HOURS:
        return None
    values = [v for _, v in kept]
    ordered = sorted(abs(v) for v in values)
    median = ordered[len(ordered) // 2]
    grid = _day_grid(values, step)
    best: tuple[float, float, int, float] | None = None
    for unit in UNITS:
        if unit < MIN_STEPS * step - 1e-12 or unit <= grid * (1 + 1e-9):
            continue
        if unit > median / 2:
            break
        rounded = sum(1 for v in values if on_grid(v, unit))
        share = grid / unit
        p = binomial_sf(rounded, len(values), share)
        if best is None or p < best[0]:
            best = (p, unit, rounded, share * len(values))
    if best is None:
        return None
    p, unit, rounded, expected = best
    if len({v for v in values if on_grid(v, unit)}) < MIN_DISTINCT:
        return None
    digits = [0] * 10
    for v in values:
        digits[int(round(abs(v) / step)) % 10] += 1
    return DayTest(
        day, step, unit, len(values), rounded, expected, p,
        [t for t, _ in kept], values, digits,
    )  # fmt: skip


def find(hours: Sequence[tuple[datetime, float]], since: datetime) -> list[DayTest]:
    """The rounded days at or after ``since`` among a series' valid hourly values (oldest
    first; the whole of ``hours`` gives the resolution)."""
    step = resolution([v for _, v in hours])
    if step is None:
        return []
    days: dict[date, list[tuple[datetime, float]]] = {}
    for when, value in hours:
        if when >= since:
            days.setdefault(china_day(when), []).append((when, value))
    out = []
    for day in sorted(days):
        result = judge_day(day, days[day], step)
        if result is not None and result.suspicious:
            out.append(result)
    return out


def spans(code: str, days: Sequence[DayTest], limit: float | None = None) -> list[Span]:
    """Consecutive rounded days as one span each, from the first rounded hour to the last."""
    runs: list[list[DayTest]] = []
    for item in days:
        if runs and (item.day - runs[-1][-1].day).days == 1:
            runs[-1].append(item)
        else:
            runs.append([item])
    return [_span(code, run, limit) for run in runs]


def _span(code: str, run: list[DayTest], limit: float | None) -> Span:
    rounded_times = [
        t for d in run for t, v in zip(d.times, d.values, strict=True) if on_grid(v, d.unit)
    ]
    start, end = rounded_times[0], rounded_times[-1] + HOUR
    valid = sum(d.valid for d in run)
    rounded = sum(d.rounded for d in run)
    expected = sum(d.expected for d in run)
    digits = [sum(d.digits[i] for d in run) for i in range(10)]
    times = [t for d in run for t in d.times][-EVIDENCE_VALUES:]
    values = [v for d in run for v in d.values][-EVIDENCE_VALUES:]
    worst = min(run, key=lambda d: d.p_value)
    evidence: dict[str, Any] = {
        "rule": KIND,
        "parameters": {"p_value": P_VALUE, "min_share": MIN_SHARE},
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "resolution": worst.resolution,
        "round_unit": worst.unit,
        "valid_hours": valid,
        "round_hours": rounded,
        "expected_round_hours": round(expected, 3),
        "p_value": float(f"{worst.p_value:.3g}"),
        "histogram": {
            "edges": list(range(10)),
            "observed": digits,
            "expected": [round(valid / 10, 3)] * 10,
        },
        "values": [[t.isoformat(), v] for t, v in zip(times, values, strict=True)],
    }
    if limit is not None:
        evidence["limit"] = limit
    return Span(KIND, code, start, end, "medium", evidence)
