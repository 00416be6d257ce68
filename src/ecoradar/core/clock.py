"""Time: stored in UTC, HJ 212 DataTime in China Standard Time, shown in Asia/Shanghai.

A ``Clock`` is passed to whatever needs "now", so tests can move time by hand.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock (UTC, aware)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when


class ScaledClock:
    """Time that runs ``speed`` times faster than real time from ``start``.

    ``ecoradar demo`` gives this one clock to everything (the web app, the gateway, detection,
    the scheduler and the simulated devices and people), so data never comes from its future;
    the simulated devices use it to pace their uploads. Network timeouts and backoff stay in
    real seconds.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        ceiling: Clock | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError(f"a scaled clock needs an aware start, not {start.isoformat()}")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed {speed} is not a positive number")
        self.start = start
        self.speed = speed
        self.ceiling = ceiling
        """A clock this one never runs ahead of: once it has caught up, it keeps that clock's
        pace (``ecoradar simulate devices`` against a platform on real time: a replay from the
        past at N times, then live, never data from the platform's future)."""
        self._monotonic = monotonic
        self._origin = monotonic()

    def _scaled(self) -> datetime:
        return self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)

    def now(self) -> datetime:
        scaled = self._scaled()
        if self.ceiling is not None:
            return min(scaled, self.ceiling.now())
        return scaled

    def real_seconds(self, simulated: timedelta) -> float:
        """Real seconds that ``simulated`` takes (0 for a time already past): at the ceiling's
        pace once caught up with it."""
        seconds = max(0.0, simulated.total_seconds())
        if self.ceiling is not None and self._scaled() >= self.ceiling.now():
            return seconds
        return seconds / self.speed


def utc(dt: datetime) -> datetime:
    """An aware datetime converted to UTC; naive datetimes are refused."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} refused: times must carry an offset")
    return dt.astimezone(UTC)
