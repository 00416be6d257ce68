"""The self-inspection part of the scheduler's pass (``ecoradar serve`` every
``ECORADAR_SCHEDULER_INTERVAL`` seconds; ``ecoradar scheduler run-once``):

1. generate today's tasks (China date; idempotent, catches up after downtime);
2. mark open tasks past their due time ``overdue`` and leave an ``overdue`` reminder;
3. leave a ``due_soon`` reminder on open tasks due within ``REMIND_BEFORE``;
4. turn ``REPEATED_OVERDUE`` overdue tasks in a row at a point into a finding.

Reminders are rows the enterprise sees on its portal (``selfcheck_notifications``); there is
no SMS or e-mail boundary yet. Each step is its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.bootstrap import Container
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.problems.policy import load_policy, stored_calendar
from ecoradar.selfcheck.bulk import insert_ignoring
from ecoradar.selfcheck.consequences import record_repeated_overdue
from ecoradar.selfcheck.generator import GenerationReport, generate_tasks
from ecoradar.selfcheck.models import SelfcheckNotification, SelfcheckTask
from ecoradar.selfcheck.schedule import china_date

ACTOR = "system:scheduler"
REMIND_BEFORE = timedelta(hours=8)
"""A task due at the end of its day is reminded of from 16:00 China time."""
AUDIT_CHUNK = 1000
"""Tasks named per audit entry when many change state at once."""


@dataclass
class SelfcheckReport:
    generated: GenerationReport | None = None
    newly_overdue: int = 0
    reminders: int = 0
    overdue_findings: int = 0

    @property
    def idle(self) -> bool:
        """Nothing was created, marked, reminded or recorded."""
        created = self.generated.created if self.generated else 0
        return not (created or self.newly_overdue or self.reminders or self.overdue_findings)

    def __str__(self) -> str:
        created = self.generated.created if self.generated else 0
        return (
            f"self-inspection: {created} task(s) created, {self.newly_overdue} newly overdue, "
            f"{self.reminders} reminder(s), {self.overdue_findings} repeated-overdue finding(s)"
        )


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


NOTIFICATION_COLUMNS = (
    ("enterprise_id", "integer"),
    ("task_id", "integer"),
    ("kind", "text"),
    ("created_at", "timestamptz"),
)


def _notify(session: Session, rows: list[tuple[Any, ...]]) -> int:
    return insert_ignoring(
        session, "selfcheck_notifications", NOTIFICATION_COLUMNS, rows, ("task_id", "kind")
    )


def mark_overdue(*, session: Session, now: datetime) -> tuple[int, set[int]]:
    """Open tasks past their due time become ``overdue``; returns how many and their points."""
    rows = session.execute(
        select(SelfcheckTask.id, SelfcheckTask.point_id, SelfcheckTask.enterprise_id).where(
            SelfcheckTask.state == "pending", SelfcheckTask.due_at < now
        )
    ).all()
    if not rows:
        return 0, set()
    ids = [r[0] for r in rows]
    for chunk in _chunks(ids, AUDIT_CHUNK):
        session.execute(
            update(SelfcheckTask)
            .where(SelfcheckTask.id.in_(chunk), SelfcheckTask.state == "pending")
            .values(state="overdue")
            .execution_options(synchronize_session=False)
        )
        audit(
            session=session,
            at=now,
            actor=ACTOR,
            action="selfcheck_task.overdue",
            entity_type="selfcheck_tasks",
            entity_id=f"{chunk[0]}-{chunk[-1]}",
            before={"state": "pending"},
            after={"state": "overdue", "task_ids": chunk},
        )
    _notify(session, [(e, t, "overdue", now) for t, _, e in rows])
    mark_stale(session=session, enterprise_ids={r[2] for r in rows}, reason="task_overdue", at=now)
    return len(ids), {r[1] for r in rows}


def remind_due_soon(*, session: Session, now: datetime) -> int:
    """A ``due_soon`` reminder for every open task due within ``REMIND_BEFORE``."""
    reminded = exists().where(
        SelfcheckNotification.task_id == SelfcheckTask.id, SelfcheckNotification.kind == "due_soon"
    )
    rows = session.execute(
        select(SelfcheckTask.id, SelfcheckTask.enterprise_id).where(
            SelfcheckTask.state == "pending",
            SelfcheckTask.due_at >= now,
            SelfcheckTask.due_at <= now + REMIND_BEFORE,
            ~reminded,
        )
    ).all()
    return _notify(session, [(e, t, "due_soon", now) for t, e in rows])


def run_selfcheck(container: Container, *, until: date | None = None) -> SelfcheckReport:
    """One pass of the four steps above, each a unit of work run whole again when the database
    is busy (``Container.write``)."""
    report = SelfcheckReport()
    now = container.clock.now()

    def generate(session: Session) -> GenerationReport:
        generated = generate_tasks(
            session=session,
            until=until or china_date(now),
            now=now,
            calendar=stored_calendar(session),
        )
        if generated.created:
            audit(
                session=session,
                at=now,
                actor=ACTOR,
                action="selfcheck_task.generate",
                entity_type="selfcheck_tasks",
                entity_id=generated.until.isoformat(),
                after={"created": generated.created, "due": generated.due},
            )
        return generated

    def overdue(session: Session) -> tuple[int, set[int], int]:
        newly, points = mark_overdue(session=session, now=now)
        return newly, points, remind_due_soon(session=session, now=now)

    def findings(chunk: list[int]) -> Callable[[Session], int]:
        return lambda session: record_repeated_overdue(
            session=session,
            index=container.regions.get(session),
            policy=load_policy(session=session, settings=container.settings),
            point_ids=chunk,
            now=now,
            actor=ACTOR,
        )

    report.generated = container.write(generate, what="self-inspection task generation")
    report.newly_overdue, points, report.reminders = container.write(
        overdue, what="self-inspection deadlines"
    )
    for chunk in _chunks(sorted(points), 500):
        report.overdue_findings += container.write(findings(chunk), what="self-inspection findings")
    return report
