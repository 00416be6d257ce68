"""How simulated enterprises behave (pure; deterministic per seed): cleanly, carelessly, or
falsifying their data. The class is a hidden label: nothing of it reaches the platform except
through what the enterprise does, which is what EcoRadar sees.

* ``clean`` — an instrument goes offline now and then, a rare exceedance; self-inspection
  tasks on time; a real violation is rare.
* ``careless`` — exceeds its limits every week or two, goes offline, has device trouble
  (over-range, negative values), misses or is late with self-inspection tasks, fails checklist
  items, rectifies late; real violations are common.
* ``falsifier`` — its data looks too good: flatlines, values pinned just under the limit,
  repeated sequences, zeros, abused flags, O2 anomalies (the patterns of
  :mod:`ecoradar.simulate.scenarios_inject`, which the detectors must catch), with few
  exceedances; its paperwork is in order; it has hidden real violations most of the time.

Rates are per 30 days. :func:`plan_point` places an enterprise's incidents on its monitoring
point over the history (patterns keep a plain day between them, as in the labelled
scenarios); :func:`task_plan` says how the enterprise answers one self-inspection task;
:func:`violates` draws whether it really violates in a stretch of time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from ecoradar.simulate.scenarios_plan import SPECS, Event, ScenarioPoint, draw_event, fits

CLASSES: Final = ("clean", "careless", "falsifier")
DEFAULT_MIX: Final[Mapping[str, float]] = {"clean": 0.80, "careless": 0.13, "falsifier": 0.07}
"""Most enterprises comply; about one in eight is careless, one in fourteen falsifies."""

FALSIFICATION: Final = frozenset(
    {"flatline", "near_limit_pinning", "repeated_sequence", "zero_value", "flag_abuse", "o2"}
)
"""Pattern names that look like falsified data (``o2``: either O2 anomaly)."""

TaskOutcome = Literal["on_time", "late", "missed"]


@dataclass(frozen=True)
class Behaviour:
    """One behaviour class: what it does, per 30 days or per occasion."""

    name: str
    incidents: Mapping[str, float]
    """Pattern -> expected count per 30 days. ``exceedance`` is an hourly exceedance at a gas
    point and a day over the daily limit at a water point; ``o2`` an O2 anomaly (gas only)."""
    on_time: float
    """Share of self-inspection tasks submitted on time; ``late`` are submitted 1-4 days
    after their due time, the rest never."""
    late: float
    failed: float
    """Share of submissions with a failed checklist item."""
    rectify_late: float
    """Share of rectifications reported after their due date."""
    violation: float
    """Probability of a real violation in any 30 days (hidden)."""
    caught: float = 0.0
    """Probability that an on-site check of a falsification alert proves the falsification."""

    def __post_init__(self) -> None:
        unknown = set(self.incidents) - set(PATTERNS)
        if unknown:
            raise ValueError(f"behaviour {self.name}: unknown patterns {sorted(unknown)}")
        if not 0 <= self.on_time + self.late <= 1:
            raise ValueError(f"behaviour {self.name}: on_time + late must be within 0-1")


PATTERNS: Final = (
    "exceedance",
    "offline",
    "over_range",
    "negative_value",
    "flatline",
    "near_limit_pinning",
    "repeated_sequence",
    "zero_value",
    "flag_abuse",
    "o2",
)

BEHAVIOURS: Final[Mapping[str, Behaviour]] = {
    "clean": Behaviour(
        "clean",
        {"offline": 0.4, "exceedance": 0.1},
        on_time=0.97,
        late=0.02,
        failed=0.02,
        rectify_late=0.05,
        violation=0.02,
    ),
    "careless": Behaviour(
        "careless",
        {"exceedance": 2.5, "offline": 2.0, "over_range": 0.4, "negative_value": 0.3},
        on_time=0.65,
        late=0.2,
        failed=0.2,
        rectify_late=0.5,
        violation=0.3,
    ),
    "falsifier": Behaviour(
        "falsifier",
        {
            "flatline": 0.8,
            "near_limit_pinning": 0.8,
            "repeated_sequence": 0.6,
            "zero_value": 0.6,
            "flag_abuse": 0.6,
            "o2": 0.6,
            "offline": 0.8,
            "exceedance": 0.2,
        },
        on_time=0.95,
        late=0.04,
        failed=0.01,
        rectify_late=0.2,
        violation=0.6,
        caught=0.5,
    ),
}


def assign(
    codes: Sequence[str], *, seed: int, mix: Mapping[str, float] = DEFAULT_MIX
) -> dict[str, str]:
    """Each enterprise's hidden class: the counts follow ``mix`` exactly (rounded, the rest
    clean), the enterprises that get each class are drawn with ``seed``."""
    if abs(sum(mix.values()) - 1) > 1e-9 or set(mix) - set(CLASSES):
        raise ValueError(f"mix: shares of {', '.join(CLASSES)} adding up to 1")
    order = sorted(codes)
    random.Random(f"classes:{seed}").shuffle(order)
    labels: dict[str, str] = {}
    start = 0
    for name in ("falsifier", "careless"):
        count = round(mix.get(name, 0.0) * len(order))
        for code in order[start : start + count]:
            labels[code] = name
        start += count
    for code in order[start:]:
        labels[code] = "clean"
    return labels


def _spec_name(pattern: str, point: ScenarioPoint, rng: random.Random) -> str | None:
    """The scenario pattern ``pattern`` stands for at ``point`` (None: not possible there)."""
    if pattern == "exceedance":
        return "exceedance" if point.medium == "gas" else "exceedance_day"
    if pattern == "o2":
        if point.medium != "gas":
            return None
        return rng.choice(("o2_high", "o2_constant"))
    spec = SPECS[pattern]
    if spec.sent_values and point.medium == "gas" and not point.sends_zs:
        return None
    return pattern


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; means here are small)."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class PointPlan:
    """The incidents placed on one point, and those that found no room."""

    events: list[Event] = field(default_factory=list)
    skipped: int = 0


def plan_point(
    point: ScenarioPoint, behaviour: Behaviour, *, days: int, seed: int, tries: int = 200
) -> PointPlan:
    """Place ``behaviour``'s incidents on ``point`` over ``days`` days from hour 0. Events are
    ordered by start; their ``index`` numbers them per pattern (it varies the variant)."""
    rng = random.Random(f"incidents:{seed}:{point.mn}")
    plan = PointPlan()
    taken: dict[int, int] = {}
    wanted: list[tuple[str, int]] = []
    for pattern in PATTERNS:
        rate = behaviour.incidents.get(pattern, 0.0)
        count = _poisson(rng, rate * days / 30)
        wanted.extend((pattern, i) for i in range(count))
    rng.shuffle(wanted)
    numbers: dict[str, int] = {}
    for pattern, _ in wanted:
        name = _spec_name(pattern, point, rng)
        if name is None:
            continue
        number = numbers.get(name, 0)
        for _ in range(tries):
            event = draw_event(SPECS[name], number, point, rng, days)
            if fits(taken, event, days):
                for day in event.days:
                    taken[day] = len(plan.events)
                plan.events.append(event)
                numbers[name] = number + 1
                break
        else:
            plan.skipped += 1
    plan.events.sort(key=lambda e: (e.start, e.spec.name))
    return plan


@dataclass(frozen=True)
class TaskPlan:
    outcome: TaskOutcome
    failed: bool
    """A checklist item answered as failing (only for a submitted task)."""
    delay_hours: float
    """Before the due time (on time, negative) or after it (late)."""


def task_plan(behaviour: Behaviour, rng: random.Random) -> TaskPlan:
    """How the enterprise answers one self-inspection task."""
    draw = rng.random()
    failed = rng.random() < behaviour.failed
    if draw < behaviour.on_time:
        return TaskPlan("on_time", failed, -rng.uniform(1.0, 14.0))
    if draw < behaviour.on_time + behaviour.late:
        return TaskPlan("late", failed, rng.uniform(24.0, 96.0))
    return TaskPlan("missed", False, 0.0)


def violates(behaviour: Behaviour, days: float, rng: random.Random) -> bool:
    """Whether the enterprise really violates (hidden) during ``days`` days."""
    chance: float = 1 - (1 - behaviour.violation) ** (days / 30)
    return rng.random() < chance
