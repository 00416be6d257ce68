"""A labelled set for the detection depth rules "beyond the contract" (issue 20, item 5; pure,
deterministic per seed): gas points with SO2, O2 and flow, inspection visits and metered
production, carrying three careful cheats and their honest look-alikes.
``beyond_scenario(seed, ...)`` returns the points (configuration, hourly records, visits,
production by hour where a meter tells) and the labels ``(mn, kind, start, end)``.

Every point runs a production rhythm (a diurnal swing and a level per China day); SO2 carries
3-8 % noise per hour, O2 sits at the point's own level (6-10 %) +- 0.4, the flow follows the load.
Values are sent with three decimals.

Incidents (labelled):

* ``inspection_drop`` — two or three visits (working hours of a China day, after the first two
  weeks); on one of them SO2 is 28-52 % lower for 7-8 of the 8 working hours.
* ``dilution`` — one or two runs of 6-30 hours in which air is let in: O2 rises so that the gas
  is 2.2-5 times its volume (O2 about 14-20 %), the flow rises with it, the raw SO2 falls by the
  same factor; production goes on (half of these points have a production meter that says so).
* ``rounded_values`` — for 2-6 days, 30-90 % of the hourly SO2 values are whole numbers (or
  multiples of 5): typed in by hand among the measured ones.

Honest look-alikes (no label; none may alert):

* ``inspected`` — visits, no change in the readings.
* ``load_drop`` — production pauses in working hours (SO2 and flow 50-70 % for 4-6 hours) on
  one day a week and on some 15 % of the other days; the visit falls on such a day.
* ``startup`` — three to five stops of 6-24 hours: O2 19-20.8 %, SO2 low; either the flow drops
  to 5-30 % (no meter), or the fan keeps purging at full flow while the production meter reads
  the line stopped.
* ``coarse`` — an instrument that reports integers on every value (or one decimal, every value).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.daily import china_day
from ecoradar.detection.inspection import VISIT_FROM, VISIT_TO, Visit
from ecoradar.detection.params import (
    GAS_FLOW,
    OXYGEN,
    FactorConfig,
    HourRecord,
    PointConfig,
    Reading,
)
from ecoradar.simulate.scenarios_depth import Label

FACTOR = "a21026"
LIMIT = 100.0
HOUR = timedelta(hours=1)
START = datetime(2026, 9, 1, tzinfo=CHINA_TZ)
BEYOND_KINDS = ("inspection_drop", "dilution", "rounded_values")
HONEST = ("inspected", "load_drop", "startup", "coarse")


@dataclass
class BeyondPoint:
    config: PointConfig
    role: str
    so2: list[float]
    o2: list[float]
    flow: list[float]
    visits: list[Visit] = field(default_factory=list)
    production: dict[datetime, bool] | None = None
    decimals: int | None = 3
    """Decimals the SO2 analyser reports (None: as set, already rounded)."""

    @property
    def mn(self) -> str:
        return self.config.mn

    def records(self, start: datetime = START) -> list[HourRecord]:
        out = []
        for i, (so2, o2, flow) in enumerate(zip(self.so2, self.o2, self.flow, strict=True)):
            value = round(so2, self.decimals) if self.decimals is not None else so2
            out.append(
                HourRecord(
                    start + i * HOUR,
                    {
                        FACTOR: Reading(value, flag="N"),
                        OXYGEN: Reading(round(o2, 2), flag="N"),
                        GAS_FLOW: Reading(round(flow, 3), flag="N"),
                    },
                )
            )
        return out


@dataclass
class BeyondScenario:
    points: list[BeyondPoint]
    labels: list[Label]
    hours: int


class _Builder:
    def __init__(self, seed: int, days: int) -> None:
        self.rng = random.Random(f"beyond:{seed}")
        self.days = days
        self.hours = days * 24
        self.points: list[BeyondPoint] = []
        self.labels: list[Label] = []

    def rhythm(self) -> list[float]:
        rng = self.rng
        swing, phase = rng.uniform(0.1, 0.3), rng.uniform(0, 24)
        daily = [rng.uniform(0.85, 1.15) for _ in range(self.days + 1)]
        return [
            daily[h // 24] * (1 + swing * math.sin(2 * math.pi * (h - phase) / 24))
            for h in range(self.hours)
        ]

    def point(self, role: str) -> BeyondPoint:
        rng = self.rng
        index = len(self.points) + 1
        mn = f"BEYOND{index:08d}"
        config = PointConfig(index, mn, "gas", {FACTOR: FactorConfig(FACTOR, LIMIT, "hour")})
        load = self.rhythm()
        level, noise = rng.uniform(0.2, 0.6), rng.uniform(0.03, 0.08)
        o2_level, flow_level = rng.uniform(6.0, 10.0), rng.uniform(30.0, 120.0)
        so2 = [LIMIT * level * x * rng.uniform(1 - noise, 1 + noise) for x in load]
        o2 = [o2_level + rng.uniform(-0.4, 0.4) for _ in load]
        flow = [flow_level * x * rng.uniform(0.97, 1.03) for x in load]
        point = BeyondPoint(config, role, so2, o2, flow)
        self.points.append(point)
        return point

    def label(self, point: BeyondPoint, kind: str, first: int, last: int) -> None:
        self.labels.append(Label(point.mn, kind, START + first * HOUR, START + last * HOUR))

    def visit_days(self, count: int) -> list[int]:
        return sorted(self.rng.sample(range(15, self.days - 1), count))

    @staticmethod
    def visit(point: BeyondPoint, day: int, ref: int) -> None:
        point.visits.append(Visit(china_day(START + day * 24 * HOUR), "inspection", ref))

    # -- incidents ---------------------------------------------------------------------------
    def inspection_drop(self) -> None:
        rng = self.rng
        point = self.point("inspection_drop")
        days = self.visit_days(rng.randint(2, 3))
        cheated = rng.choice(days)
        for n, day in enumerate(days):
            self.visit(point, day, len(self.points) * 10 + n)
        factor = rng.uniform(0.48, 0.72)
        first = cheated * 24 + VISIT_FROM + rng.randint(0, 1)
        last = cheated * 24 + VISIT_TO
        for h in range(first, last):
            point.so2[h] *= factor
        self.label(point, "inspection_drop", cheated * 24 + VISIT_FROM, last)

    def dilution(self) -> None:
        rng = self.rng
        point = self.point("dilution")
        metered = rng.random() < 0.5
        if metered:
            point.production = {START + h * HOUR: True for h in range(self.hours)}
        taken: set[int] = set()
        for _ in range(rng.randint(1, 2)):
            length = rng.randint(6, 30)
            first = rng.randint(24, self.hours - length - 1)
            if taken & set(range(first - 24, first + length + 24)):
                continue
            taken |= set(range(first, first + length))
            for h in range(first, first + length):
                factor = rng.uniform(2.2, 5.0)
                point.o2[h] = 20.9 - (20.9 - point.o2[h]) / factor
                point.so2[h] /= factor
                point.flow[h] *= rng.uniform(1.2, factor)
            self.label(point, "dilution", first, first + length)

    def rounded(self) -> None:
        rng = self.rng
        point = self.point("rounded_values")
        length = rng.randint(2, 6) * 24
        first = rng.randint(3 * 24, self.hours - length - 1)
        share = rng.uniform(0.3, 0.9)
        unit = rng.choice((1.0, 1.0, 5.0))
        hit = [h for h in range(first, first + length) if rng.random() < share]
        for h in hit:
            point.so2[h] = round(point.so2[h] / unit) * unit
        self.label(point, "rounded_values", hit[0], hit[-1] + 1)

    # -- honest look-alikes ------------------------------------------------------------------
    def inspected(self) -> None:
        point = self.point("inspected")
        for n, day in enumerate(self.visit_days(self.rng.randint(1, 3))):
            self.visit(point, day, len(self.points) * 10 + n)

    def load_drop(self) -> None:
        rng = self.rng
        point = self.point("load_drop")
        weekday = rng.randrange(7)  # a weekly stop, and others now and then
        paused = [d for d in range(self.days) if d % 7 == weekday or rng.random() < 0.15]
        visit_day = rng.choice([d for d in paused if 15 <= d < self.days - 1] or [20])
        if visit_day not in paused:
            paused.append(visit_day)
        for day in paused:
            begin = day * 24 + rng.randint(VISIT_FROM, VISIT_FROM + 2)
            factor = rng.uniform(0.5, 0.7)
            for h in range(begin, min(begin + rng.randint(4, 6), day * 24 + VISIT_TO)):
                point.so2[h] *= factor
                point.flow[h] *= factor
        self.visit(point, visit_day, len(self.points) * 10)

    def startup(self) -> None:
        rng = self.rng
        point = self.point("startup")
        metered = rng.random() < 0.5
        if metered:
            point.production = {START + h * HOUR: True for h in range(self.hours)}
        for _ in range(rng.randint(3, 5)):
            length = rng.randint(6, 24)
            first = rng.randint(24, self.hours - length - 1)
            for h in range(first, first + length):
                point.o2[h] = rng.uniform(19.0, 20.8)
                point.so2[h] *= rng.uniform(0.02, 0.2)
                if metered:
                    assert point.production is not None
                    point.production[START + h * HOUR] = False
                    point.flow[h] *= rng.uniform(0.85, 1.05)  # the fan keeps purging
                else:
                    point.flow[h] *= rng.uniform(0.05, 0.3)

    def coarse(self) -> None:
        point = self.point("coarse")
        point.decimals = self.rng.choice((0, 0, 1))


def beyond_scenario(
    seed: int, *, days: int = 35, incidents: int = 8, honest: int = 8
) -> BeyondScenario:
    """``incidents`` of each kind and ``honest`` of each look-alike over ``days`` China days."""
    build = _Builder(seed, days)
    for _ in range(incidents):
        build.inspection_drop()
        build.dilution()
        build.rounded()
    for _ in range(honest):
        build.inspected()
        build.load_drop()
        build.startup()
        build.coarse()
    return BeyondScenario(build.points, build.labels, build.hours)


def visit_dates(point: BeyondPoint) -> list[date]:
    return [v.day for v in point.visits]
