"""The scheduler's work on the register: monitoring alerts become findings, overdue problems
are flagged and escalated. ``ecoradar scheduler run-once`` runs it once; ``ecoradar serve`` runs
it every ``ECORADAR_SCHEDULER_INTERVAL`` seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.analysers.check import run_tampering
from ecoradar.audit import anchor
from ecoradar.audit.service import record as audit
from ecoradar.bootstrap import Container
from ecoradar.detection.depth_pass import run_depth
from ecoradar.greencode.periodic import run_greencode
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.linkage.hotspots import run_hotspots
from ecoradar.monitoring.retention import prune as prune_monitoring
from ecoradar.power.periodic import run_power
from ecoradar.problems import timeline
from ecoradar.problems.deadlines import deadline_state, should_escalate
from ecoradar.problems.from_alerts import promote_alerts
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import Policy, load_policy
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.regions.models import Region
from ecoradar.reminders.periodic import run_reminders
from ecoradar.selfcheck.periodic import run_selfcheck
from ecoradar.stations.evaluate import run_stations

ACTOR = "system:scheduler"


@dataclass
class SchedulerReport:
    findings_from_alerts: int = 0
    newly_overdue: int = 0
    escalated: int = 0
    back_in_time: int = 0
    selfcheck: str = ""
    """What the self-inspection step did (``ecoradar.selfcheck.periodic``)."""
    retention: str = ""
    """What monitoring retention did (``ecoradar.monitoring.retention``)."""
    greencode: str = ""
    """What the green code's step did (``ecoradar.greencode.periodic``)."""
    reminders: str = ""
    """What the service reminders' step did (``ecoradar.reminders.periodic``)."""
    stations: str = ""
    """What the ambient stations' rules did (``ecoradar.stations.evaluate``)."""
    hotspots: str = ""
    """What the hourly hotspot search did (``ecoradar.linkage.hotspots``)."""
    power: str = ""
    """What the hourly power pass did (``ecoradar.power.periodic``)."""
    depth: str = ""
    """What the daily clone and bunching passes did (``ecoradar.detection.depth_pass``)."""
    tampering: str = ""
    """What the parameter tampering pass did (``ecoradar.analysers.check``)."""

    def __str__(self) -> str:
        return (
            f"{self.findings_from_alerts} alert(s) turned into findings, "
            f"{self.newly_overdue} problem(s) newly overdue, {self.escalated} escalated, "
            f"{self.back_in_time} back within their deadline"
        ) + "".join(
            f"; {part}"
            for part in (
                self.selfcheck,
                self.retention,
                self.stations,
                self.hotspots,
                self.power,
                self.reminders,
                self.greencode,
                self.depth,
                self.tampering,
            )
            if part
        )


def _level_up(session: Session, office_region_id: int, levels: int) -> int:
    """The region ``levels`` above the office (stopping at the top)."""
    region = session.get(Region, office_region_id)
    assert region is not None
    for _ in range(levels):
        if region.parent_id is None:
            break
        parent = session.get(Region, region.parent_id)
        if parent is None:
            break
        region = parent
    return region.id


def _refresh_due(problem: Problem, which: str | None, due: datetime | None) -> None:
    """Keep the stored deadline equal to the one enforced (a calendar imported after the
    report or the acceptance moves it)."""
    if which == "acceptance" and due is not None and problem.acceptance_due != due:
        problem.acceptance_due = due
    elif which == "handling" and due is not None and problem.handling_due != due:
        problem.handling_due = due


def check_deadlines(
    *, session: Session, policy: Policy, now: datetime, report: SchedulerReport
) -> None:
    """Flag overdue problems (``overdue_since``) and escalate them level by level."""
    open_states = sorted(s.value for s in OPEN_STATES)
    problems = session.scalars(select(Problem).where(Problem.state.in_(open_states)))
    for problem in problems:
        status = deadline_state(
            timeline.snapshot(problem), now, rules=policy.rules, calendar=policy.calendar
        )
        _refresh_due(problem, status.which, status.due)
        if not status.overdue:
            if problem.overdue_since is not None:
                problem.overdue_since = None
                report.back_in_time += 1
                mark_stale(
                    session=session,
                    enterprise_ids=[problem.enterprise_id],
                    reason="problem",
                    at=now,
                )
            continue
        if problem.overdue_since is None:
            problem.overdue_since = status.due
            report.newly_overdue += 1
            mark_stale(
                session=session, enterprise_ids=[problem.enterprise_id], reason="problem", at=now
            )
        if not should_escalate(status, problem.escalated_at):
            continue
        before = {
            "escalation_level": problem.escalation_level,
            "escalation_region_id": problem.escalation_region_id,
        }
        problem.escalation_level = status.level
        problem.escalation_region_id = _level_up(session, problem.office_region_id, status.level)
        problem.escalated_at = now
        after = {
            "escalation_level": problem.escalation_level,
            "escalation_region_id": problem.escalation_region_id,
            "deadline": status.which,
            "due": status.due.isoformat() if status.due else None,
            "days_overdue": status.days_overdue,
        }
        timeline.event(
            session=session,
            problem=problem,
            at=now,
            actor=ACTOR,
            action="escalated",
            public=False,
            detail=after,
        )
        audit(
            session=session,
            at=now,
            actor=ACTOR,
            action="problem.escalate",
            entity_type="problem",
            entity_id=problem.id,
            before=before,
            after=after,
        )
        report.escalated += 1


def run_once(container: Container, *, alert_batch: int = 500) -> SchedulerReport:
    """One pass: alerts to findings (in batches, each its own unit of work), then deadlines.
    Each unit of work runs whole again when the database is busy (``Container.write``); the
    report counts only what was committed."""
    report = SchedulerReport()

    def promote(session: Session) -> int:
        return promote_alerts(
            session=session,
            index=container.regions.get(session),
            policy=load_policy(session=session, settings=container.settings),
            now=container.clock.now(),
            actor=ACTOR,
            limit=alert_batch,
        )

    def deadlines(session: Session) -> SchedulerReport:
        part = SchedulerReport()
        policy = load_policy(session=session, settings=container.settings)
        check_deadlines(session=session, policy=policy, now=container.clock.now(), report=part)
        return part

    depth = run_depth(container)  # clones and bunching, once a China day is complete
    report.depth = "" if depth.idle else str(depth)
    tampering = run_tampering(container)  # open alerts whose readings were still coming
    report.tampering = "" if tampering.idle else str(tampering)
    while True:
        count = container.write(promote, what="the scheduler (alerts)")
        report.findings_from_alerts += count
        if count < alert_batch:
            break
    part = container.write(deadlines, what="the scheduler (deadlines)")
    report.newly_overdue, report.escalated = part.newly_overdue, part.escalated
    report.back_in_time = part.back_in_time
    selfcheck = run_selfcheck(container)
    report.selfcheck = "" if selfcheck.idle else str(selfcheck)
    retained = prune_monitoring(container)
    report.retention = "" if retained.idle else str(retained)
    stations = run_stations(container)  # station hours become findings
    report.stations = "" if stations.idle else str(stations)
    power = run_power(container)  # once an hour: silent monitoring, meters gone quiet
    report.power = "" if power.idle else str(power)
    hotspots = run_hotspots(container)  # once an hour, over every channel's findings
    report.hotspots = "" if hotspots.idle else str(hotspots)
    reminded = run_reminders(container)  # once per China day; escalations every pass
    report.reminders = "" if reminded.idle else str(reminded)
    greencode = run_greencode(container)  # after the steps that queue codes as stale
    report.greencode = "" if greencode.idle else str(greencode)
    anchor.scheduled_checkpoint(container)  # the audit log's head, outside the database
    return report
