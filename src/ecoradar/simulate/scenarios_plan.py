"""Where the patterns of a labeled scenario go (see :mod:`ecoradar.simulate.scenarios`).

Every pattern is an :class:`Event` on one monitoring point. An event occupies the China-time
days its hours touch (plus the days of a copied source run, of a premature packet's send time, or
of a retransmission); no other event may use those days or the day before or after them on the
same point, so two patterns are always at least a full day of plain baseline apart. The first and
the last day of the scenario stay plain as well.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from ecoradar.core.errors import EcoRadarError
from ecoradar.simulate.traffic import GAS_FLOW, OXYGEN, WATER_FLOW, PointProfile

HOURS_PER_DAY: Final = 24


class ScenarioError(EcoRadarError):
    """The scenario cannot be built as asked (too few points or days for its patterns)."""


@dataclass(frozen=True)
class ScenarioPoint:
    """A registered monitoring point of the scenario and how its device behaves."""

    profile: PointProfile
    averaging: dict[str, str]
    """Limited factor -> ``hour`` or ``day``."""
    sends_zs: bool
    """The device sends ``ZsAvg`` for factors with a reference O2 (gas points only)."""

    @property
    def mn(self) -> str:
        return self.profile.mn

    @property
    def medium(self) -> str:
        return self.profile.medium

    @property
    def flow(self) -> str:
        return GAS_FLOW if self.medium == "gas" else WATER_FLOW

    @property
    def factors(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.profile.factors)

    def limit(self, factor: str) -> float:
        return next(f.limit for f in self.profile.factors if f.code == factor)

    def o2_reference(self, factor: str) -> float | None:
        if self.medium != "gas":
            return None
        return next((f.o2_reference for f in self.profile.factors if f.code == factor), None)


@dataclass(frozen=True)
class Spec:
    """One pattern: its name, what it is reported as, and where it may go."""

    name: str
    kind: str
    """The alert kind of an incident, the distractor type of a distractor."""
    incident: bool
    medium: str = "any"
    hours: tuple[int, int] = (1, 1)
    """Window length range; ignored for day patterns (a whole China-time day)."""
    day: bool = False
    sent_values: bool = False
    """Needs the compared value as sent: water points, or gas points sending ``ZsAvg``."""


SPECS: Final = {
    s.name: s
    for s in (
        Spec("near_limit_pinning", "near_limit_pinning", True, hours=(24, 36)),
        Spec("repeated_sequence", "repeated_sequence", True, hours=(12, 24), sent_values=True),
        Spec("time_future", "time_anomaly", True),
        Spec("exceedance_day", "exceedance", True, "water", day=True),
        Spec("flag_abuse", "flag_abuse", True, day=True),
        Spec("exceedance", "exceedance", True, "gas", (1, 6)),
        Spec("o2_high", "o2_anomaly", True, "gas", (2, 5)),
        Spec("o2_constant", "o2_anomaly", True, "gas", (6, 10)),
        Spec("flatline", "flatline", True, hours=(6, 10), sent_values=True),
        Spec("zero_value", "zero_value", True, hours=(3, 8)),
        Spec("offline", "offline", True, hours=(3, 10)),
        Spec("over_range", "over_range", True, hours=(1, 3)),
        Spec("negative_value", "negative_value", True, hours=(1, 2)),
        Spec("time_retransmit", "time_anomaly", True),
        Spec("at_limit_day", "at_limit", False, "water", day=True),
        Spec("daily_spike", "daily_spike", False, "water", day=True),
        Spec("short_day", "short_day", False, "water", day=True),
        Spec("at_limit", "at_limit", False, "gas", (6, 6), sent_values=True),
        Spec("high_varying", "high_varying", False, hours=(12, 30)),
        Spec("instrument_floor", "instrument_floor", False, hours=(8, 30)),
        Spec("shutdown", "shutdown", False, hours=(4, 12)),
        Spec("maintenance", "maintenance", False, hours=(1, 4)),
        Spec("short_gap", "short_gap", False, hours=(1, 2)),
        Spec("duplicate", "duplicate", False),
        Spec("corrupted", "corrupted", False),
    )
}
"""Every pattern, the hardest to place first."""

_DEVICE_LEVEL: Final = frozenset(
    {"offline", "time_future", "time_retransmit", "shutdown", "short_gap", "duplicate", "corrupted"}
)
_WATER_ONLY_FACTOR: Final = frozenset(
    {"exceedance_day", "at_limit_day", "daily_spike", "short_day"}
)


@dataclass
class Event:
    """One injected pattern at one point; ``start`` and ``hours`` are its window in hours from
    the scenario start (the label of an incident, the quiet window of a distractor)."""

    spec: Spec
    index: int
    """Number of this pattern among those of the same name (varies the variant drawn)."""
    point: ScenarioPoint
    factor: str | None
    start: int
    hours: int
    days: frozenset[int]
    params: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    """Lines of ``packets.txt`` holding the extra packets of the pattern (retransmissions)."""

    @property
    def end(self) -> int:
        return self.start + self.hours


def counts(incidents: int, distractors: int) -> dict[str, int]:
    """How many of each pattern: ``incidents`` per alert kind, ``distractors`` per type."""
    n, m = incidents, distractors
    halves = {
        "exceedance": n - n * 2 // 5,
        "exceedance_day": n * 2 // 5,
        "o2_high": n - n // 2,
        "o2_constant": n // 2,
        "time_future": n - n // 2,
        "time_retransmit": n // 2,
        "at_limit": m - m // 2,
        "at_limit_day": m // 2,
        "short_day": max(1, m // 2) if m else 0,
    }
    return {
        name: halves.get(name, n if spec.incident else m)
        for name, spec in SPECS.items()
        if halves.get(name, n if spec.incident else m) > 0
    }


def _eligible(spec: Spec, index: int, points: list[ScenarioPoint]) -> list[ScenarioPoint]:
    found = [
        p
        for p in points
        if (spec.medium == "any" or p.medium == spec.medium)
        and not (spec.sent_values and p.medium == "gas" and not p.sends_zs)
    ]
    if spec.name in ("exceedance", "near_limit_pinning") and index % 3 == 2:
        # Every third one where the device sends no ZsAvg: the converted value is computed.
        computed = [p for p in found if p.medium == "gas" and not p.sends_zs]
        found = computed or found
    return found


def _factor(spec: Spec, index: int, point: ScenarioPoint, rng: random.Random) -> str | None:
    if spec.name in _DEVICE_LEVEL:
        return None
    if spec.name in ("o2_high", "o2_constant"):
        return OXYGEN
    if spec.name == "negative_value" and index % 4 == 3:
        return point.flow
    if spec.name in _WATER_ONLY_FACTOR:
        return rng.choice([f for f in point.factors if point.averaging[f] == "day"])
    if spec.name == "exceedance":
        return rng.choice([f for f in point.factors if point.averaging[f] == "hour"])
    return rng.choice(point.factors)


def _days(start: int, hours: int) -> set[int]:
    return set(range(start // HOURS_PER_DAY, (start + hours - 1) // HOURS_PER_DAY + 1))


def _draw(spec: Spec, index: int, point: ScenarioPoint, rng: random.Random, days: int) -> Event:
    total = days * HOURS_PER_DAY
    if spec.day:
        start, hours = rng.randint(1, days - 2) * HOURS_PER_DAY, HOURS_PER_DAY
    else:
        hours = rng.randint(*spec.hours)
        start = rng.randint(HOURS_PER_DAY, max(HOURS_PER_DAY, total - HOURS_PER_DAY - hours))
    occupied = _days(start, hours)
    params: dict[str, int] = {}
    if spec.name == "repeated_sequence":
        params["back"] = HOURS_PER_DAY * rng.randint(1, 3)
        occupied |= _days(start - params["back"], hours)
    elif spec.name == "time_future":
        ahead = rng.randint(3, 10) if index % 2 == 0 else rng.randint(24, 72)
        params["sent"] = start - ahead  # the hour during which the premature packet is sent
        occupied |= _days(params["sent"], 1)
    elif spec.name in ("time_retransmit", "duplicate", "corrupted"):
        quick = spec.name == "corrupted" or (spec.name == "duplicate" and index % 3 == 0)
        params["delay"] = rng.randint(20, 180) if quick else rng.randint(3600, 20 * 3600)
        occupied |= _days(start + 1 + params["delay"] // 3600, 1)
    factor = _factor(spec, index, point, rng)
    return Event(spec, index, point, factor, start, hours, frozenset(occupied), params)


def _free(taken: dict[int, int], event: Event, days: int) -> bool:
    return all(
        1 <= day <= days - 2 and all(taken.get(near) is None for near in (day - 1, day, day + 1))
        for day in event.days
    )


def plan(
    points: list[ScenarioPoint], *, days: int, incidents: int, distractors: int, rng: random.Random
) -> list[Event]:
    """Place every pattern on a point and in time; raises ``ScenarioError`` when they don't fit."""
    taken: dict[str, dict[int, int]] = {p.mn: {} for p in points}
    events: list[Event] = []
    for name, count in counts(incidents, distractors).items():
        spec = SPECS[name]
        for index in range(count):
            candidates = _eligible(spec, index, points)
            if not candidates:
                raise ScenarioError(f"scenario: no {spec.medium} point for pattern {name}")
            for _ in range(400):
                event = _draw(spec, index, rng.choice(candidates), rng, days)
                if _free(taken[event.point.mn], event, days):
                    for day in event.days:
                        taken[event.point.mn][day] = len(events)
                    events.append(event)
                    break
            else:
                raise ScenarioError(
                    f"scenario: no room for pattern {name} #{index + 1} among {len(points)} "
                    f"points over {days} days; give more points or days"
                )
    return events


def draw_event(
    spec: Spec, index: int, point: ScenarioPoint, rng: random.Random, days: int
) -> Event:
    """One pattern drawn at random on ``point`` within ``days`` days (its room not checked:
    see :func:`fits`); for other simulations that place patterns their own way."""
    return _draw(spec, index, point, rng, days)


def fits(taken: dict[int, int], event: Event, days: int) -> bool:
    """Whether ``event`` keeps a plain day between it and the days in ``taken`` (day -> the
    event that holds it) and stays off the first and the last day."""
    return _free(taken, event, days)
