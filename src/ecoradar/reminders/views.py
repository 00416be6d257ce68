"""``/api/reminders``: the reminders a principal may see (an enterprise its own issued ones,
an officer those of the region), and one by number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ecoradar.reminders import service
from ecoradar.reminders.models import REMINDER_STATES, Reminder
from ecoradar.reminders.schemas import IssueRead, ReminderRead
from ecoradar.web.deps import ReaderDep, SessionDep

router = APIRouter(prefix="/api/reminders", tags=["reminders"])


def read(reminder: Reminder) -> ReminderRead:
    return ReminderRead(
        number=reminder.number,
        enterprise_code=reminder.enterprise.code,
        enterprise_name=reminder.enterprise.name,
        status=reminder.state,
        created_at=reminder.created_at,
        issued_at=reminder.issued_at,
        answer_due=reminder.answer_due,
        acknowledged_at=reminder.acknowledged_at,
        problem_id=reminder.problem_id,
        issues=[
            IssueRead(
                id=i.id,
                trigger=i.trigger,
                factor=i.factor,
                evidence=i.evidence,
                suggestion=i.suggestion,
                basis=i.basis,
                state=i.state,
                answer=i.answer,
                answered_at=i.answered_at,
                decided_at=i.decided_at,
                decision_note=i.decision_note,
            )  # fmt: skip
            for i in reminder.issues
        ],
    )


@router.get("", response_model=list[ReminderRead])
def list_reminders(
    session: SessionDep,
    principal: ReaderDep,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(REMINDER_STATES) + ")$")] = None,
) -> list[ReminderRead]:
    found = service.list_reminders(session=session, principal=principal, state=state)
    return [read(r) for r in found]


@router.get("/{number}", response_model=ReminderRead)
def get_reminder(
    session: SessionDep,
    principal: ReaderDep,
    number: Annotated[str, Path(max_length=32)],
) -> ReminderRead:
    return read(service.get(session=session, principal=principal, number=number))
