"""When simulated devices send: a clock that may run fast, intervals aligned in China time, the
upload schedule, the history a device can recover, and the reconnection backoff.

Pure but for :class:`SimClock` reading the monotonic clock (or the function it is given).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ, ScaledClock

_CST_EPOCH = datetime(1970, 1, 1, tzinfo=CHINA_TZ)
_ZERO = timedelta(0)


SimClock = ScaledClock
"""Simulated time: ``start`` when created, then ``speed`` simulated seconds per real second
(with ``speed=60`` a simulated minute passes every real second)."""


def floor_time(when: datetime, step: timedelta) -> datetime:
    """Start of the interval of length ``step`` holding ``when``, aligned in CST (UTC+8):
    whole minutes, hours, and days starting at 00:00 China time."""
    return _CST_EPOCH + ((when - _CST_EPOCH) // step) * step


def ceil_time(when: datetime, step: timedelta) -> datetime:
    """The first interval start at or after ``when``."""
    floor = floor_time(when, step)
    return floor if floor == when else floor + step


@dataclass
class Stream:
    """One kind of upload: real-time samples (the data exist at their DataTime) or aggregates
    (the data of ``[t, t + step)`` exist at ``t + step``), sent ``lag`` after they exist."""

    cn: str
    step: timedelta
    aggregate: bool
    lag: timedelta = _ZERO
    next_time: datetime = field(default=_CST_EPOCH)
    """DataTime of the next upload."""

    def due(self, data_time: datetime) -> datetime:
        return data_time + (self.step if self.aggregate else _ZERO) + self.lag

    @property
    def next_due(self) -> datetime:
        return self.due(self.next_time)

    def resync(self, now: datetime) -> None:
        """Continue with the first upload due at or after ``now`` (earlier ones are history)."""
        self.next_time = ceil_time(
            now - self.lag - (self.step if self.aggregate else _ZERO), self.step
        )

    def take(self, now: datetime) -> datetime:
        """The DataTime to send now, and move on. A late real-time stream skips to the newest
        sample (a data logger sends the current value, not a backlog); aggregates go in order."""
        if not self.aggregate:
            newest = floor_time(now - self.lag, self.step)
            if newest > self.next_time:
                self.next_time = newest
        data_time = self.next_time
        self.next_time = data_time + self.step
        return data_time


class Schedule:
    """The streams of one device; :meth:`next` is the one due first."""

    def __init__(self, streams: Iterable[Stream]) -> None:
        self.streams = list(streams)

    def resync(self, now: datetime) -> None:
        for stream in self.streams:
            stream.resync(now)

    def next(self) -> Stream | None:
        return min(self.streams, key=lambda s: s.next_due, default=None)


def history_times(
    begin: datetime,
    end: datetime,
    *,
    step: timedelta,
    now: datetime,
    earliest: datetime,
    limit: int,
) -> list[datetime]:
    """DataTimes of the complete intervals with ``begin <= DataTime <= end`` (both inclusive, as
    BeginTime and EndTime of HJ 212-2017 tables C.20 to C.22), kept since ``earliest``; at most
    ``limit``, the oldest first."""
    first = ceil_time(max(begin, earliest), step)
    last = min(floor_time(end, step), floor_time(now, step) - step)
    if last < first:
        return []
    count = min((last - first) // step + 1, limit)
    return [first + i * step for i in range(count)]


def backoff_delay(attempt: int, rng: random.Random, *, base: float, cap: float) -> float:
    """Seconds to wait before reconnection ``attempt`` (0 first): exponential, capped, with
    jitter (between half and all of ``min(cap, base * 2**attempt)``), so that devices dropped
    together do not all come back at the same instant."""
    ceiling = min(cap, base * 2 ** min(attempt, 32))
    return rng.uniform(ceiling / 2, ceiling)
