"""A simulated history with hidden violators, to ask whether the green code predicts.

:func:`run_history` builds a city of enterprises (one monitoring point and one weekly
self-inspection control point each), gives each a hidden behaviour class
(:mod:`ecoradar.simulate.behaviour`) and plays ``history_days`` days on a fake clock through
the real pipeline: every day's HJ 212 packets go through the intake with detection (which
writes the alerts), the scheduler's steps turn alerts into findings, generate self-inspection
tasks and flag overdue ones, and the people act through the services
(:mod:`ecoradar.simulate.history_acts`): enterprises answer their tasks the way their class
does; an officer verifies every problem on site, where the truth shows (an exceedance is
confirmed, a falsification pattern is proved at a falsifier half the time, device trouble is
unfounded), orders rectification and records penalties.

Real violations are hidden: each enterprise violates in each block of ``block_days`` with its
class's probability, and a violation is found only when the public reports it or a routine
(uniform, score-blind) inspection finds it; reports about enterprises that do not violate are
found unfounded. With ``clue_intake`` (the demo's) a public report goes through the clue
intake, as a live one does (:mod:`ecoradar.simulate.history_clues`). At ``T``, the end of the
history, every code is computed (``greencode.service.recompute_all``) from what EcoRadar saw.
The period after ``T`` plays on with reports and routine inspections only (no monitoring data,
and the history's unfinished business is dropped: it cannot change the outcome); each problem
found is followed to the on-site verdict. The **outcome** of an enterprise is whether a problem
reported after ``T`` was confirmed against it, read back from the problem register;
``violations_after`` is the hidden truth per block after ``T`` (what an inspection could find
then).

The world's configuration and daily routines are in :mod:`ecoradar.simulate.history_world`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.detection.models import Alert
from ecoradar.greencode.model import Model
from ecoradar.greencode.models import GreenCode
from ecoradar.greencode.service import model_for, recompute_all
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.selfcheck.models import SelfcheckTask
from ecoradar.simulate.behaviour import BEHAVIOURS, assign, plan_point
from ecoradar.simulate.evaluate import DrawItem
from ecoradar.simulate.history_acts import Agenda, Handling, make_cast
from ecoradar.simulate.history_data import day_packets
from ecoradar.simulate.history_world import (
    HistoryConfig,
    World,
    after_blocks,
    load,
    own_enterprise,
    plan_discovery,
    scheduler_pass,
)

__all__ = ["HistoryConfig", "HistoryResult", "Incident", "Scored", "run_history"]


@dataclass(frozen=True)
class Scored:
    """One enterprise at ``T``: its code and what happened after (hidden and found)."""

    code: str
    behaviour: str
    score: float
    colour: str
    vetoed: bool
    violations_after: tuple[bool, ...]
    """Per block after T: whether it really violated then (hidden)."""
    found_after: bool
    """A problem reported after T was confirmed against it (from the register)."""

    @property
    def violated_after(self) -> bool:
        return any(self.violations_after)


@dataclass(frozen=True)
class Incident:
    """An incident written into the history's data: the alert it should raise."""

    mn: str
    kind: str
    """The alert kind (``exceedance`` for hourly and daily ones, ``o2_anomaly``, ...)."""
    factor: str | None
    start: datetime
    end: datetime
    behaviour: str


@dataclass
class HistoryResult:
    config: HistoryConfig
    scored_at: datetime
    model: Model
    enterprises: list[Scored] = field(default_factory=list)
    packets: int = 0
    incidents: list[Incident] = field(default_factory=list)
    alerts: Counter[str] = field(default_factory=Counter)
    """Alerts by kind over the history."""
    alerts_by_class: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(class, kind) -> alerts."""
    confirmed_before: int = 0
    tasks: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def draw_periods(self) -> dict[str, list[DrawItem]]:
        """Each block after T as a draw period: every enterprise with its colour at T and
        whether it really violates in that block."""
        periods: dict[str, list[DrawItem]] = {}
        for number in range(len(self.enterprises[0].violations_after) if self.enterprises else 0):
            periods[f"after-{number + 1}"] = [
                DrawItem(e.code, e.colour, e.violations_after[number]) for e in self.enterprises
            ]
        return periods


def run_history(
    box: Container, clock: FakeClock, directory: Path, config: HistoryConfig | None = None
) -> HistoryResult:
    """Play the history into ``box`` (a migrated, empty database whose clock is ``clock``),
    score every enterprise at ``T`` and play the period after; see the module documentation."""
    config = config or HistoryConfig()
    seconds: dict[str, float] = defaultdict(float)
    began = time.perf_counter()
    origin = datetime(config.start.year, config.start.month, config.start.day, tzinfo=CHINA_TZ)
    clock.set(origin - timedelta(hours=12))
    files = load(box, directory, config)
    cast = make_cast(box)
    with box.reading() as session:
        ids: dict[str, int] = dict(session.execute(select(Enterprise.code, Enterprise.id)).all())
    codes = files.owners
    labels_by_code = assign(sorted(ids), seed=config.seed, mix=config.mix)
    agenda = Agenda(clock)
    world = World(
        box,
        clock,
        config,
        origin,
        ids,
        {ids[c]: label for c, label in labels_by_code.items()},
        cast,
        agenda,
        Handling(box, cast, agenda),
    )
    result = HistoryResult(config, origin, model_for(box.settings))
    events = {}
    for point in files.points_made:
        label = labels_by_code[codes[point.mn]]
        plan = plan_point(point, BEHAVIOURS[label], days=config.history_days, seed=config.seed)
        events[point.mn] = plan.events
        world.media[ids[codes[point.mn]]] = "air" if point.medium == "gas" else "water"
        result.incidents.extend(
            Incident(
                point.mn,
                e.spec.kind,
                e.factor,
                origin + timedelta(hours=e.start),
                origin + timedelta(hours=e.end),
                label,
            )
            for e in plan.events
        )
    plan_discovery(world)
    intake = Intake(box)
    seconds["setup"] = time.perf_counter() - began
    own = own_enterprise(labels_by_code) if config.people_days > 0 else None
    people_from = max(0, config.history_days - config.people_days)
    clock.set(origin + timedelta(minutes=5))
    if own is not None and people_from == 0:
        world.people = {ids[own]}
    scheduler_pass(world)  # the first day's tasks
    for day in range(config.history_days):
        if own is not None and day == people_from:
            world.people = {ids[own]}
        cut = origin + timedelta(days=day + 1, hours=1, minutes=5)
        tick = time.perf_counter()
        agenda.run_until(cut)
        seconds["acts"] += time.perf_counter() - tick
        clock.set(cut)
        tick = time.perf_counter()
        packets = day_packets(files.points_made, events, origin=origin, day=day, seed=config.seed)
        seconds["packets"] += time.perf_counter() - tick
        tick = time.perf_counter()
        intake.run([(f, "simulation") for _, f in packets])
        result.packets += len(packets)
        seconds["ingest"] += time.perf_counter() - tick
        tick = time.perf_counter()
        scheduler_pass(world)
        seconds["scheduler"] += time.perf_counter() - tick
    scored_at = clock.now()
    tick = time.perf_counter()
    recompute_all(box, now=scored_at, model=result.model)
    seconds["score"] = time.perf_counter() - tick
    result.scored_at = scored_at
    codes_at_t = _codes(box)
    _tally(box, world, result)
    tick = time.perf_counter()
    agenda.clear()  # the history's unfinished business cannot change the outcome
    world.handling.active.clear()
    plan_discovery(world, after_t=scored_at)
    end = scored_at + timedelta(days=config.after_days)
    agenda.run_until(end)
    clock.set(end)
    seconds["after"] = time.perf_counter() - tick
    found = _found_after(box, scored_at)
    later = after_blocks(config)
    for code, eid in sorted(ids.items()):
        score, colour, vetoed = codes_at_t[eid]
        result.enterprises.append(
            Scored(
                code,
                world.labels[eid],
                score,
                colour,
                vetoed,
                tuple(world.violated[eid, n] for n in later),
                eid in found,
            )
        )
    seconds["total"] = time.perf_counter() - began
    result.seconds = dict(seconds)
    return result


def _codes(box: Container) -> dict[int, tuple[float, str, bool]]:
    with box.reading() as session:
        rows = session.execute(
            select(GreenCode.enterprise_id, GreenCode.score, GreenCode.colour, GreenCode.vetoed)
        ).all()
    return {eid: (float(score), colour, bool(vetoed)) for eid, score, colour, vetoed in rows}


def _found_after(box: Container, since: datetime) -> set[int]:
    """Enterprises with a problem reported after ``since`` that was confirmed."""
    with box.reading() as session:
        rows = session.execute(
            select(Problem.enterprise_id, Problem.state_times).where(
                Problem.reported_at >= since, Problem.enterprise_id.is_not(None)
            )
        ).all()
    return {eid for eid, times in rows if "confirmed" in (times or {})}


def _tally(box: Container, world: World, result: HistoryResult) -> None:
    with box.reading() as session:
        rows = session.execute(
            select(Outlet.enterprise_id, Alert.kind, func.count())
            .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .group_by(Outlet.enterprise_id, Alert.kind)
        ).all()
        for eid, kind, count in rows:
            result.alerts[kind] += int(count)
            result.alerts_by_class[world.labels[eid], kind] += int(count)
        times = session.scalars(select(Problem.state_times)).all()
        result.confirmed_before = sum(1 for t in times if "confirmed" in (t or {}))
        for state, count in session.execute(
            select(SelfcheckTask.state, func.count()).group_by(SelfcheckTask.state)
        ):
            result.tasks[state] = int(count)
