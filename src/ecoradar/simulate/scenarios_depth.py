"""A labelled set for the detection depth rules (pure, deterministic per seed): hourly series of
simulated enterprise points carrying the careful cheats of issue 20 and their honest
look-alikes. ``depth_scenario(seed, ...)`` returns the points (a detection configuration and
their hourly records) and the labels ``(mn, kind, start, end)``.

Every enterprise has a production rhythm (a diurnal load and a level per China day) that all
its outlets follow; each point adds its own level and its own noise (3-8 % per hour).

Incidents (labelled):

* ``variance_collapse`` — 12-48 hours of one level (40-80 % of the limit) with 0.1-0.3 % noise:
  standard gas or a signal generator in place of the flue gas; the values still differ.
* ``cloned_stream`` — for 36-72 hours another enterprise's point sends
  ``scale x this point's values + offset`` (scale 0.6-1.6, offset up to 10 % of the limit),
  rounded to 0.01; both points are labelled.
* ``limit_bunching`` — 35 days of a high runner (mean 78-86 % of the limit, 8-12 % noise) whose
  values above 97 % of the limit are replaced by values between 93 % and 99.5 % of it.

Honest look-alikes (no label; none may alert):

* ``steady`` — a steady process: no rhythm, 1-2 % noise all along.
* ``outlets`` — two or three outlets of one enterprise: one rhythm, independent noise.
* ``high_runner`` — mean 78-88 % of the limit with 8-12 % noise: a smooth tail through the limit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading

FACTOR = "a21026"
LIMIT = 100.0
HOUR = timedelta(hours=1)
START = datetime(2026, 9, 1, tzinfo=CHINA_TZ)
DEPTH_KINDS = ("variance_collapse", "cloned_stream", "limit_bunching")
HONEST = ("steady", "outlets", "high_runner")


@dataclass(frozen=True)
class Label:
    mn: str
    kind: str
    start: datetime
    end: datetime


@dataclass
class SimPoint:
    config: PointConfig
    enterprise: int
    role: str
    values: list[float | None] = field(default_factory=list)

    @property
    def mn(self) -> str:
        return self.config.mn

    def records(self, start: datetime = START) -> list[HourRecord]:
        return [
            HourRecord(start + i * HOUR, {FACTOR: Reading(v, flag="N")})
            for i, v in enumerate(self.values)
            if v is not None
        ]


@dataclass
class DepthScenario:
    points: list[SimPoint]
    labels: list[Label]
    hours: int


class _Builder:
    def __init__(self, seed: int, days: int) -> None:
        self.rng = random.Random(seed)
        self.hours = days * 24
        self.points: list[SimPoint] = []
        self.labels: list[Label] = []
        self.enterprises = 0

    def rhythm(self) -> list[float]:
        """An enterprise's load by hour: a diurnal swing and a level per day."""
        rng = self.rng
        swing, phase = rng.uniform(0.1, 0.3), rng.uniform(0, 24)
        daily = [rng.uniform(0.85, 1.15) for _ in range(self.hours // 24 + 1)]
        return [
            daily[h // 24] * (1 + swing * math.sin(2 * math.pi * (h - phase) / 24))
            for h in range(self.hours)
        ]

    def point(self, role: str, enterprise: int | None = None) -> SimPoint:
        if enterprise is None:
            self.enterprises += 1
            enterprise = self.enterprises
        index = len(self.points) + 1
        mn = f"DEPTH{index:09d}"
        config = PointConfig(index, mn, "gas", {FACTOR: FactorConfig(FACTOR, LIMIT, "hour", None)})
        point = SimPoint(config, enterprise, role)
        self.points.append(point)
        return point

    def noisy(self, load: list[float], level: float, noise: float) -> list[float | None]:
        rng = self.rng
        return [round(LIMIT * level * x * rng.uniform(1 - noise, 1 + noise), 3) for x in load]

    def label(self, point: SimPoint, kind: str, first: int, last: int) -> None:
        self.labels.append(Label(point.mn, kind, START + first * HOUR, START + last * HOUR))

    # -- incidents ---------------------------------------------------------------------------
    def collapse(self) -> None:
        rng = self.rng
        point = self.point("variance_collapse")
        point.values = self.noisy(self.rhythm(), rng.uniform(0.3, 0.6), rng.uniform(0.03, 0.08))
        length = rng.randint(12, 48)
        first = rng.randint(7 * 24, self.hours - length - 24)
        level, noise = LIMIT * rng.uniform(0.4, 0.8), rng.uniform(0.001, 0.003)
        for h in range(first, first + length):
            point.values[h] = round(level * (1 + rng.gauss(0, noise)), 3)
        self.label(point, "variance_collapse", first, first + length)

    def clone(self) -> None:
        rng = self.rng
        source = self.point("cloned_stream")
        source.values = self.noisy(self.rhythm(), rng.uniform(0.3, 0.6), rng.uniform(0.03, 0.08))
        copier = self.point("cloned_stream")
        copier.values = self.noisy(self.rhythm(), rng.uniform(0.3, 0.6), rng.uniform(0.03, 0.08))
        length = rng.randint(36, 72)
        first = rng.randint(24, self.hours - length - 1)
        scale, offset = rng.uniform(0.6, 1.6), LIMIT * rng.uniform(-0.1, 0.1)
        for h in range(first, first + length):
            value = source.values[h]
            assert value is not None
            copier.values[h] = round(max(scale * value + offset, 0.5), 2)
        for point in (source, copier):
            self.label(point, "cloned_stream", first, first + length)

    def bunching(self) -> None:
        rng = self.rng
        point = self.point("limit_bunching")
        point.values = self.noisy(self.rhythm(), rng.uniform(0.78, 0.86), rng.uniform(0.08, 0.12))
        for h, value in enumerate(point.values):
            if value is not None and value > 0.97 * LIMIT:
                point.values[h] = round(LIMIT * rng.uniform(0.93, 0.995), 3)
        self.label(point, "limit_bunching", self.hours - 28 * 24, self.hours)

    # -- honest look-alikes ------------------------------------------------------------------
    def steady(self) -> None:
        rng = self.rng
        point = self.point("steady")
        point.values = self.noisy(
            [1.0] * self.hours, rng.uniform(0.3, 0.7), rng.uniform(0.01, 0.02)
        )

    def outlets(self) -> None:
        rng = self.rng
        load = self.rhythm()
        first = self.point("outlets")
        first.values = self.noisy(load, rng.uniform(0.3, 0.6), rng.uniform(0.03, 0.06))
        for _ in range(rng.randint(1, 2)):
            other = self.point("outlets", first.enterprise)
            other.values = self.noisy(load, rng.uniform(0.3, 0.6), rng.uniform(0.03, 0.06))

    def high_runner(self) -> None:
        rng = self.rng
        point = self.point("high_runner")
        point.values = self.noisy(self.rhythm(), rng.uniform(0.78, 0.88), rng.uniform(0.08, 0.12))

    def plain(self) -> None:
        rng = self.rng
        point = self.point("plain")
        point.values = self.noisy(self.rhythm(), rng.uniform(0.12, 0.6), rng.uniform(0.03, 0.08))


def depth_scenario(
    seed: int, *, days: int = 35, incidents: int = 8, honest: int = 8, plain: int = 8
) -> DepthScenario:
    """``incidents`` of each depth kind, ``honest`` of each look-alike and ``plain`` ordinary
    points, over ``days`` China days from ``START``."""
    build = _Builder(seed, days)
    for _ in range(incidents):
        build.collapse()
        build.clone()
        build.bunching()
    for _ in range(honest):
        build.steady()
        build.outlets()
        build.high_runner()
    for _ in range(plain):
        build.plain()
    return DepthScenario(build.points, build.labels, build.hours)
