"""The world of a simulated history (:mod:`ecoradar.simulate.history`): its configuration,
the city loaded through the importers, and the routines of each simulated day: the hidden
violations and the reports and routine inspections that find them, the scheduler's steps, the
enterprises' self-inspection tasks, and the officer's decision on each new problem (what the
on-site check shows)."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.clock import Clock
from ecoradar.problems.from_alerts import promote_alerts
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.scheduler import SchedulerReport, check_deadlines
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.importer import import_points
from ecoradar.selfcheck.models import SelfcheckTask
from ecoradar.selfcheck.periodic import run_selfcheck
from ecoradar.simulate.behaviour import (
    BEHAVIOURS,
    DEFAULT_MIX,
    FALSIFICATION,
    task_plan,
    violates,
)
from ecoradar.simulate.history_acts import Agenda, Case, Cast, Handling, answer_task, report
from ecoradar.simulate.history_clues import keyed_problem, public_clue
from ecoradar.simulate.history_data import RegistryFiles, write_registry
from ecoradar.simulate.selfcheck_sample import write_points_file

SIM_FALSIFICATION = frozenset(FALSIFICATION - {"o2"} | {"o2_anomaly"})
"""Alert kinds of the falsification patterns."""


@dataclass(frozen=True)
class HistoryConfig:
    """A history's size, its hidden mix of classes and how violations come to light."""

    enterprises: int = 300
    history_days: int = 90
    after_days: int = 90
    seed: int = 1
    mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    start: date = date(2026, 3, 2)
    block_days: int = 30
    """A hidden violation is drawn per block of this many days (an inspection period: each
    block after T is a period of the draws)."""
    report_rate: float = 0.35
    """Chance that the public reports a violation of a block."""
    routine_rate: float = 0.15
    """Chance of a routine (uniform) inspection of an enterprise in a block of 30 days."""
    find_rate: float = 0.8
    """Chance that an inspection finds a violation that is there."""
    false_report_rate: float = 0.03
    """Chance per 30 days of a report about an enterprise that does not violate."""
    named_falsification: float = 0.5
    """Share of the violations found at a falsifier named ``data_falsification`` (a veto)."""
    fine_share: float = 0.5
    """Share of confirmed violations fined (the rest get an order to correct)."""
    people_days: int = 0
    """The last this many days of the history, the demo's enterprise (:func:`own_enterprise`)
    answers its own self-inspection tasks and reports its own rectification: left undone, for
    the person who logs in as it."""
    clue_intake: bool = False
    """Public reports go through the clue intake (``clues.intake.submit_clue``: a clue row,
    tracking code and deduplication each), as the demo's do; off, they are findings matched
    to their enterprise by key alone (the prediction study's exact bookkeeping)."""

    @property
    def total_days(self) -> int:
        return self.history_days + self.after_days


@dataclass
class World:
    """Everything a simulated day works with."""

    box: Container
    clock: Clock
    config: HistoryConfig
    origin: datetime
    ids: dict[str, int]
    labels: dict[int, str]
    """Enterprise id -> hidden class."""
    cast: Cast
    agenda: Agenda
    handling: Handling
    media: dict[int, str] = field(default_factory=dict)
    """Enterprise id -> category of its monitoring point's medium."""
    planned_tasks: set[int] = field(default_factory=set)
    violated: dict[tuple[int, int], bool] = field(default_factory=dict)
    """(enterprise id, block) -> really violates then (hidden)."""
    people: set[int] = field(default_factory=set)
    """Enterprises whose tasks and rectifications are left to their people (not simulated)."""
    keyed: dict[str, int] = field(default_factory=dict)
    """Matter (discovery key) -> the problem a public clue about it opened."""


def load(box: Container, directory: Path, config: HistoryConfig) -> RegistryFiles:
    """Import the regions, enterprises and monitoring points, and one weekly outfall
    control point per enterprise, through the importers."""
    files = write_registry(directory, seed=config.seed, enterprises=config.enterprises)
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="history", now=box.clock.now()
        )
    with box.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=files.enterprises,
            points=files.points,
            regions=box.regions,
            now=box.clock.now(),
        )
        rows = session.execute(
            select(Enterprise.code, Enterprise.longitude, Enterprise.latitude)
        ).all()
    points = [
        {
            "enterprise_code": code,
            "point_code": "CP01",
            "type": "outfall",
            "name": "总排口",
            "longitude": f"{lon + 2e-4:.6f}",
            "latitude": f"{lat:.6f}",
            "schedule": "weekly",
        }
        for code, lon, lat in rows
    ]
    path = write_points_file(directory / "selfcheck_points.csv", points)
    with box.transaction() as session:
        import_points(session=session, path=path, now=box.clock.now(), actor="cli:ecoradar")
    return files


def own_enterprise(labels: Mapping[str, str]) -> str | None:
    """The enterprise the demo's enterprise account belongs to, given each enterprise's hidden
    class: the first careless one, which has problems, alerts and tasks to answer."""
    careless = sorted(code for code, label in labels.items() if label == "careless")
    return careless[0] if careless else None


# --- discovery: reports and routine inspections --------------------------------------------


def blocks(config: HistoryConfig) -> list[tuple[int, float, float]]:
    """(number, first day, end day) of each block of ``block_days``: the history's, then the
    period after T's (the last of each may be shorter)."""
    out: list[tuple[int, float, float]] = []
    for lo, hi in ((0, config.history_days), (config.history_days, config.total_days)):
        day = float(lo)
        while day < hi:
            end = min(day + config.block_days, hi)
            out.append((len(out), day, end))
            day = end
    return out


def after_blocks(config: HistoryConfig) -> list[int]:
    """Numbers of the blocks after T."""
    return [n for n, first, _ in blocks(config) if first >= config.history_days]


def plan_discovery(world: World, *, after_t: datetime | None = None) -> None:
    """Draw each block's hidden violations and schedule the reports and inspections that find
    them (and the reports that are unfounded). The history's blocks are planned up front;
    the blocks after ``T`` when ``after_t`` is given, from ``after_t``."""
    config = world.config
    after = after_t is not None
    chosen = [b for b in blocks(config) if (b[1] >= config.history_days) == after]
    for code, eid in sorted(world.ids.items()):
        behaviour = BEHAVIOURS[world.labels[eid]]
        for number, first, last in chosen:
            length = last - first
            rng = random.Random(f"discovery:{config.seed}:{code}:{number}")
            bad = violates(behaviour, length, rng)
            world.violated[eid, number] = bad
            start = (after_t or world.origin) + timedelta(
                days=first - (config.history_days if after else 0)
            )
            reported = rng.random() < config.report_rate
            inspected = rng.random() < 1 - (1 - config.routine_rate) ** (length / 30)
            found = inspected and rng.random() < config.find_rate
            false_report = rng.random() < 1 - (1 - config.false_report_rate) ** (length / 30)
            times = [start + timedelta(days=rng.uniform(0.5, length - 0.5)) for _ in range(3)]
            key = f"{code}:{number}"
            if bad and reported:
                world.agenda.at(times[0], _finder(world, eid, "public", key, True, after))
            if bad and found:
                world.agenda.at(times[1], _finder(world, eid, "inspection", key, True, after))
            if not bad and false_report:
                world.agenda.at(times[2], _finder(world, eid, "public", key, False, after))


def _finder(world: World, eid: int, channel: str, key: str, real: bool, after: bool) -> Any:
    config = world.config
    label = world.labels[eid]
    case_rng = random.Random(f"case:{config.seed}:{key}:{channel}")

    def act(now: datetime) -> None:
        text = "群众举报企业偷排" if channel == "public" else "例行检查发现问题"
        text = text if real else "群众反映异味"
        category = world.media.get(eid, "other")
        place = world.cast.places[eid]
        if channel == "public" and config.clue_intake:
            receipt = public_clue(
                world.box,
                enterprise_id=eid,
                place=place,
                category=category,
                key=f"{key}:{now:%Y%m%d%H%M}",
                now=now,
                text=text,
            )
            pid = world.keyed[key] = receipt.problem_id
        else:
            pid = report(
                world.box,
                enterprise_id=eid,
                place=place,
                channel=channel,
                category=category,
                key=key,
                now=now,
                text=text,
                attach_to=keyed_problem(world.box, world.keyed.get(key)),
            )
        violation = None
        if real and label == "falsifier" and case_rng.random() < config.named_falsification:
            violation = "data_falsification"
        world.handling.open(
            Case(
                pid,
                eid,
                confirm=real,
                violation=violation,
                outcome=_penalty(config, case_rng) if real else None,
                rectify_late=case_rng.random() < BEHAVIOURS[label].rectify_late,
                rng=case_rng,
                until_verdict=after,
                own_rectification=eid in world.people,
            ),
            now,
        )

    return act


def _penalty(config: HistoryConfig, rng: random.Random) -> tuple[str, Decimal | None]:
    if rng.random() < config.fine_share:
        return "fine", Decimal(rng.choice((20000, 50000, 120000)))
    return "order_to_correct", None


# --- the scheduler's steps, and the officer taking up new problems ------------------------


def scheduler_pass(world: World) -> None:
    """What the scheduler does each day (alerts to findings, deadlines, self-inspection
    tasks), then the enterprises plan their answers and the officer takes up new problems."""
    box = world.box
    while True:
        count = box.write(
            lambda s: promote_alerts(
                session=s,
                index=box.regions.get(s),
                policy=load_policy(session=s, settings=box.settings),
                now=box.clock.now(),
            ),
            what="alerts to findings",
        )
        if count < 500:
            break
    box.write(
        lambda s: check_deadlines(
            session=s,
            policy=load_policy(session=s, settings=box.settings),
            now=box.clock.now(),
            report=SchedulerReport(),
        ),
        what="deadlines",
    )
    run_selfcheck(box)
    plan_tasks(world, skip=world.people)
    take_up(world, skip=world.people)


def plan_tasks(world: World, *, skip: Collection[int] = ()) -> None:
    """Each new pending task's answer, as its enterprise's class answers (on the agenda);
    the tasks of the enterprises in ``skip`` are left to people."""
    with world.box.reading() as session:
        rows = session.execute(
            select(SelfcheckTask.id, SelfcheckTask.enterprise_id, SelfcheckTask.due_at).where(
                SelfcheckTask.state == "pending"
            )
        ).all()
    for task_id, eid, due_at in rows:
        if task_id in world.planned_tasks or eid in skip:
            continue
        world.planned_tasks.add(task_id)
        behaviour = BEHAVIOURS[world.labels[eid]]
        rng = random.Random(f"task:{world.config.seed}:{eid}:{due_at.isoformat()}")
        plan = task_plan(behaviour, rng)
        if plan.outcome == "missed":
            continue
        when = max(due_at + timedelta(hours=plan.delay_hours), world.clock.now())

        def act(now: datetime, task_id: int = task_id, plan: Any = plan) -> None:
            answer_task(world.box, world.cast, task_id, plan, now)

        world.agenda.at(when, act)


OPEN_STATES = ("reported", "reopened")
UNDERWAY = ("accepted", "assigned", "verifying", "confirmed", "rectifying", "rectified")


def take_up(
    world: World, *, resume: bool = False, share: float = 1.0, skip: Collection[int] = ()
) -> None:
    """Cases for new problems opened by alerts and self-inspection; reopened ones woken.
    ``resume``: also the problems under way (a demo started again); ``share`` of the new
    problems are taken up (the rest are left to people); those of the enterprises in ``skip``
    are all taken up, but their rectification is reported by the enterprise's people."""
    now = world.clock.now()
    states = OPEN_STATES + (UNDERWAY if resume else ())
    with world.box.reading() as session:
        rows = session.execute(
            select(Problem.id, Problem.enterprise_id, Problem.channel, Problem.state).where(
                Problem.state.in_(states), Problem.enterprise_id.is_not(None)
            )
        ).all()
        rows = [r for r in rows if r[0] not in world.handling.passed]
        if share < 1:
            taken = [r for r in rows if r[0] in world.handling.cases or r[1] in skip]
            for r in rows:
                if r[0] not in world.handling.cases and r[1] not in skip:
                    if random.Random(f"share:{world.config.seed}:{r[0]}").random() < share:
                        taken.append(r)
                    else:
                        world.handling.passed.add(r[0])
            rows = taken
        kinds = _alert_kinds(session, [r[0] for r in rows if r[0] not in world.handling.cases])
    for pid, eid, channel, _ in rows:
        assert eid is not None
        if pid in world.handling.cases:
            world.handling.wake(pid, now)
            continue
        label = world.labels[eid]
        rng = random.Random(f"case:{world.config.seed}:problem:{pid}")
        confirm, violation = False, None
        kind = kinds.get(pid, "")
        if channel == "monitoring" and kind == "exceedance":
            confirm = True
        elif channel == "monitoring" and kind in SIM_FALSIFICATION and label == "falsifier":
            confirm = rng.random() < BEHAVIOURS[label].caught
            if confirm and rng.random() < world.config.named_falsification:
                violation = "data_falsification"
        elif channel == "self_inspection":
            confirm = label == "careless"
        outcome = _penalty(world.config, rng) if confirm else None
        late = rng.random() < BEHAVIOURS[label].rectify_late
        case = Case(pid, eid, confirm, violation, outcome, late, rng, own_rectification=eid in skip)
        world.handling.open(case, now)


def _alert_kinds(session: Session, problem_ids: list[int]) -> dict[int, str]:
    if not problem_ids:
        return {}
    rows = session.execute(
        select(Finding.problem_id, Finding.data).where(
            Finding.problem_id.in_(problem_ids), Finding.channel == "monitoring"
        )
    )
    return {pid: str((data or {}).get("kind", "")) for pid, data in rows}


# --- the run -------------------------------------------------------------------------------
