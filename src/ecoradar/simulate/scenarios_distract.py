"""Distractors of a labeled scenario: data that looks odd but must not raise an alert.

Each ``_name`` function changes a :class:`~ecoradar.simulate.scenarios_inject.Grid` in place for
one distractor event; what each one looks like is documented in
:mod:`ecoradar.simulate.scenarios`.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final

from ecoradar.simulate.scenarios_inject import (
    Extra,
    Grid,
    compared,
    fmt,
    set_compared,
    set_sent,
    set_stuck,
)
from ecoradar.simulate.scenarios_plan import HOURS_PER_DAY, Event
from ecoradar.simulate.traffic import OXYGEN

SHORT_DAY_STOPPED: Final = 5
"""Hours a ``short_day`` distractor is stopped: 19 valid hours, fewer than a day needs (20)."""


def _shutdown_hour(event: Event, grid: Grid, hour: int, rng: random.Random) -> None:
    """The source stopped: every value 0 and flagged F, O2 near that of air (varying)."""
    point = event.point
    items = grid.at(event, hour)
    for factor in point.factors:
        set_sent(point, items, factor, 0.0, 0.0, flag="F")
    set_sent(point, items, point.flow, 0.0, flag="F")
    items[point.flow]["Cou"] = "0.000"
    if OXYGEN in items:
        o2 = rng.uniform(20.5, 20.9)
        items[OXYGEN].update({"Avg": fmt(o2), "Min": fmt(o2 - 0.1), "Max": fmt(20.9), "Flag": "F"})


def _shutdown(event: Event, grid: Grid, rng: random.Random) -> None:
    for hour in range(event.start, event.end):
        _shutdown_hour(event, grid, hour, rng)


def _maintenance(event: Event, grid: Grid, rng: random.Random) -> None:
    """1-4 hours of one factor flagged M or C with odd values: zeros, a span value far above
    the limit, or small negative values."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    mode = event.index % 3
    for hour in range(event.start, event.end):
        items = grid.at(event, hour)
        if mode == 0:
            set_stuck(point, items, factor, 0.0, flag="M")
        elif mode == 1:
            set_stuck(point, items, factor, limit * 2, flag="C")
        else:
            set_compared(point, items, factor, -limit * rng.uniform(0.01, 0.05), flag="M")


def _short_gap(event: Event, grid: Grid, rng: random.Random) -> None:
    for hour in range(event.start, event.end):
        grid.items[event.point.mn][hour] = None


def _cv(values: Sequence[float]) -> float:
    return statistics.pstdev(values) / statistics.fmean(values)


def _high_varying(event: Event, grid: Grid, rng: random.Random) -> None:
    """60 % to 95 % of the limit, hour by hour; every 24 hours have a CV well above 5 %."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    while True:
        shares = [rng.uniform(0.6, 0.95) for _ in range(event.hours)]
        windows = [shares[i : i + 24] for i in range(max(1, len(shares) - 23))]
        if all(_cv(w) > 0.08 and min(w) < 0.8 for w in windows):
            break
    for hour, share in zip(range(event.start, event.end), shares, strict=True):
        set_compared(point, grid.at(event, hour), factor, limit * share)


def _at_limit(event: Event, grid: Grid, rng: random.Random) -> None:
    """Two or three separate hours whose ZsAvg is the limit exactly (not above it)."""
    assert event.factor is not None
    limit = event.point.limit(event.factor)
    hours = rng.choice(((0, 2), (1, 3, 5), (0, 3), (0, 2, 5)))
    for offset in hours:
        set_compared(event.point, grid.at(event, event.start + offset), event.factor, limit)


def _at_limit_day(event: Event, grid: Grid, rng: random.Random) -> None:
    """A day whose mean is the limit exactly: pairs limit +- k x step of binary-exact values
    (step a multiple of 0.125), two hours at the limit itself; the sum is exact in floats."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    step = 0.125 * max(1, int(limit / 16 / 0.125))
    if not (limit * 8).is_integer() or 3 * step >= limit:
        raise AssertionError(f"scenario: limit {limit} cannot be averaged exactly")
    while True:
        values = [limit, limit]
        for _ in range(11):
            k = rng.randint(1, 3)
            values += [limit + k * step, limit - k * step]
        rng.shuffle(values)
        if _longest_run(values) < 3:
            break
    assert sum(values) / len(values) == limit
    for hour, value in zip(range(event.start, event.end), values, strict=True):
        set_sent(point, grid.at(event, hour), factor, value, spread=0.05)


def _longest_run(values: Sequence[float]) -> int:
    longest = run = 1
    for a, b in zip(values, values[1:], strict=False):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    return longest


def _daily_spike(event: Event, grid: Grid, rng: random.Random) -> None:
    """One hour at 2.5 to 4 times the daily limit; the day's mean stays below 90 % of it."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    hour = event.start + rng.randint(6, 20)
    level = rng.uniform(2.5, 4.0)
    while True:
        set_sent(point, grid.at(event, hour), factor, limit * level, spread=0.3)
        day = range(event.start, event.end)
        if sum(compared(point, grid.at(event, h), factor) for h in day) / 24 < 0.9 * limit:
            return
        level *= 0.9


def _short_day(event: Event, grid: Grid, rng: random.Random) -> None:
    """A day stopped (F) for 5 hours, its 19 valid hours of one factor above the limit: their
    mean exceeds the daily limit, but a day needs 20 valid hours to be judged."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    first = event.start + rng.randint(0, HOURS_PER_DAY - SHORT_DAY_STOPPED)
    stopped = range(first, first + SHORT_DAY_STOPPED)
    for hour in range(event.start, event.end):
        if hour in stopped:
            _shutdown_hour(event, grid, hour, rng)
        else:
            set_sent(point, grid.at(event, hour), factor, limit * rng.uniform(1.1, 1.4), spread=0.1)


def _instrument_floor(event: Event, grid: Grid, rng: random.Random) -> None:
    """An analyser at its floor: one tiny value, 0.5 % to 2 % of the limit, hour after hour."""
    assert event.factor is not None
    value = max(event.point.limit(event.factor) * rng.uniform(0.005, 0.02), 0.004)
    for hour in range(event.start, event.end):
        set_stuck(event.point, grid.at(event, hour), event.factor, value)


def _retransmission(event: Event, grid: Grid, *, same_qn: bool, corrupt: str | None) -> None:
    send_at = grid.regular_send_time(event.point.mn, event.start)
    send_at += timedelta(seconds=event.params["delay"])
    grid.extras.append(Extra(event, event.start, send_at, same_qn=same_qn, corrupt=corrupt))


def _duplicate(event: Event, grid: Grid, rng: random.Random) -> None:
    """The hour's packet again, unchanged: byte for byte, or with a new QN."""
    _retransmission(event, grid, same_qn=event.index % 2 == 0, corrupt=None)


def _corrupted(event: Event, grid: Grid, rng: random.Random) -> None:
    """The hour's packet again, damaged on the way: a value digit or the CRC changed."""
    _retransmission(event, grid, same_qn=True, corrupt="digit" if event.index % 2 == 0 else "crc")


DISTRACTORS: Final[dict[str, Callable[[Event, Grid, random.Random], None]]] = {
    "shutdown": _shutdown,
    "maintenance": _maintenance,
    "short_gap": _short_gap,
    "high_varying": _high_varying,
    "at_limit": _at_limit,
    "at_limit_day": _at_limit_day,
    "daily_spike": _daily_spike,
    "short_day": _short_day,
    "instrument_floor": _instrument_floor,
    "duplicate": _duplicate,
    "corrupted": _corrupted,
}
