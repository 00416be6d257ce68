"""The simulated enterprises' behaviour classes (pure) and the history's packets made day by
day (no database)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.simulate.behaviour import (
    BEHAVIOURS,
    FALSIFICATION,
    Behaviour,
    assign,
    plan_point,
    task_plan,
    violates,
)
from ecoradar.simulate.history_data import (
    day_packets,
    event_rng,
    frame,
    send_time,
    write_registry,
)
from ecoradar.simulate.scenarios_inject import INCIDENTS, Grid
from ecoradar.simulate.scenarios_plan import HOURS_PER_DAY, Event, ScenarioPoint

ORIGIN = datetime(2026, 3, 2, tzinfo=CHINA_TZ)
FALSIFYING_KINDS = {"flatline", "near_limit_pinning", "repeated_sequence", "zero_value"} | {
    "flag_abuse",
    "o2_high",
    "o2_constant",
}


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioPoint, ...]:
    files = write_registry(tmp_path_factory.mktemp("registry"), seed=1, enterprises=12)
    return files.points_made


def test_the_registry_has_one_point_per_enterprise_half_of_them_gas(tmp_path: Path) -> None:
    files = write_registry(tmp_path, seed=3, enterprises=12)
    assert len(files.points_made) == 12
    assert len(set(files.owners.values())) == 12
    media = Counter(p.medium for p in files.points_made)
    assert media == {"gas": 6, "water": 6}
    gas = [p for p in files.points_made if p.medium == "gas"]
    assert [p.sends_zs for p in gas] == [True, True, True, False, True, True]
    lines = files.points.read_text(encoding="utf-8").splitlines()[1:]
    assert {line.split(",")[3] for line in lines} == set(files.owners)


def test_the_classes_follow_the_mix_exactly_and_depend_only_on_the_seed() -> None:
    codes = [f"E{n:03d}" for n in range(100)]
    mix = {"clean": 0.7, "careless": 0.2, "falsifier": 0.1}
    labels = assign(codes, seed=5, mix=mix)
    assert Counter(labels.values()) == {"clean": 70, "careless": 20, "falsifier": 10}
    assert assign(list(reversed(codes)), seed=5, mix=mix) == labels
    assert assign(codes, seed=6, mix=mix) != labels


def test_a_mix_that_does_not_add_up_or_names_an_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="adding up to 1"):
        assign(["A"], seed=1, mix={"clean": 0.5, "careless": 0.2})
    with pytest.raises(ValueError, match="adding up to 1"):
        assign(["A"], seed=1, mix={"clean": 0.5, "saint": 0.5})


def test_a_behaviour_with_an_unknown_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown patterns"):
        Behaviour("odd", {"teleport": 1.0}, 0.9, 0.05, 0.0, 0.0, 0.0)


def _days_apart(events: list[Event]) -> bool:
    taken: dict[int, int] = {}
    for number, event in enumerate(events):
        for day in event.days:
            if any(taken.get(near, number) != number for near in (day - 1, day, day + 1)):
                return False
            taken[day] = number
    return True


@pytest.mark.parametrize("label", ["clean", "careless", "falsifier"])
def test_incidents_keep_a_plain_day_between_them_and_inside_the_history(
    points: tuple[ScenarioPoint, ...], label: str
) -> None:
    for point in points:
        plan = plan_point(point, BEHAVIOURS[label], days=90, seed=2)
        assert _days_apart(plan.events), point.mn
        for event in plan.events:
            assert min(event.days) >= 1 and max(event.days) <= 88
            assert event.start >= HOURS_PER_DAY and event.end <= 89 * HOURS_PER_DAY
        assert plan.events == plan_point(point, BEHAVIOURS[label], days=90, seed=2).events


def test_each_class_writes_its_own_patterns_where_the_point_allows_them(
    points: tuple[ScenarioPoint, ...],
) -> None:
    made: dict[str, Counter[str]] = {}
    for label in ("clean", "careless", "falsifier"):
        made[label] = Counter()
        for point in points:
            for event in plan_point(point, BEHAVIOURS[label], days=90, seed=4).events:
                made[label][event.spec.name] += 1
                if event.spec.name in ("o2_high", "o2_constant", "exceedance"):
                    assert point.medium == "gas"
                if event.spec.name == "exceedance_day":
                    assert point.medium == "water"
                if event.spec.name in ("flatline", "repeated_sequence"):
                    assert point.medium == "water" or point.sends_zs
    assert set(made["careless"]) <= {
        "exceedance",
        "exceedance_day",
        "offline",
        "over_range",
        "negative_value",
    }
    assert not set(made["clean"]) & FALSIFYING_KINDS
    assert not set(made["careless"]) & FALSIFYING_KINDS
    falsified = sum(n for name, n in made["falsifier"].items() if name in FALSIFYING_KINDS)
    exceeded = made["careless"]["exceedance"] + made["careless"]["exceedance_day"]
    assert falsified >= 5 * len(points)
    assert exceeded >= 3 * len(points)
    assert sum(made["clean"].values()) < sum(made["careless"].values()) / 3
    assert {"o2"} <= FALSIFICATION


def test_tasks_are_answered_on_time_late_or_never_in_the_class_shares() -> None:
    for label, behaviour in BEHAVIOURS.items():
        rng = random.Random(f"tasks:{label}")
        plans = [task_plan(behaviour, rng) for _ in range(4000)]
        shares = Counter(p.outcome for p in plans)
        assert abs(shares["on_time"] / 4000 - behaviour.on_time) < 0.03, label
        assert abs(shares["late"] / 4000 - behaviour.late) < 0.03, label
        assert all(p.delay_hours < 0 for p in plans if p.outcome == "on_time")
        assert all(p.delay_hours >= 24 for p in plans if p.outcome == "late")
        assert not any(p.failed for p in plans if p.outcome == "missed")
        submitted = [p for p in plans if p.outcome != "missed"]
        failing = sum(p.failed for p in submitted) / len(submitted)
        assert abs(failing - behaviour.failed) < 0.03, label


def test_a_real_violation_is_likelier_over_a_longer_stretch_and_for_a_worse_class() -> None:
    def share(label: str, days: float) -> float:
        rng = random.Random(f"violations:{label}:{days}")
        return sum(violates(BEHAVIOURS[label], days, rng) for _ in range(4000)) / 4000

    for label in ("clean", "careless", "falsifier"):
        assert abs(share(label, 30) - BEHAVIOURS[label].violation) < 0.03, label
        assert share(label, 90) > share(label, 30)
    assert share("clean", 30) < share("careless", 30) < share("falsifier", 30)


def test_days_made_one_by_one_give_the_packets_of_one_long_grid(
    points: tuple[ScenarioPoint, ...],
) -> None:
    days, seed = 16, 9
    events = {
        p.mn: plan_point(p, BEHAVIOURS["falsifier"], days=days, seed=seed).events for p in points
    }
    names = Counter(e.spec.name for found in events.values() for e in found)
    assert names["repeated_sequence"] and names["near_limit_pinning"] and names["offline"]
    crossing = [e for found in events.values() for e in found if len(e.days) > 1]
    assert crossing, "some incident runs over midnight"
    by_day = [day_packets(points, events, origin=ORIGIN, day=d, seed=seed) for d in range(days)]
    for point in points:
        grid = Grid([point], ORIGIN, days * HOURS_PER_DAY, seed)
        for event in events[point.mn]:
            INCIDENTS[event.spec.name](event, grid, event_rng(seed, point.mn, event))
        whole = [
            frame(point, grid.time(hour), items, send_time(ORIGIN, point.mn, hour))
            for hour, items in enumerate(grid.items[point.mn])
            if items is not None
        ]
        mine = [f for day in by_day for _, f in day if point.mn.encode() in f]
        assert mine == whole, point.mn
    for day in by_day:
        assert [sent for sent, _ in day] == sorted(sent for sent, _ in day)
