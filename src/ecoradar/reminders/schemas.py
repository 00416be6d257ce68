"""The reminders' JSON shapes (``/api/reminders``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class IssueRead(BaseModel):
    id: int
    trigger: str
    factor: str | None
    evidence: dict[str, Any]
    suggestion: str
    basis: str
    state: str
    answer: str | None
    answered_at: datetime | None
    decided_at: datetime | None
    decision_note: str | None


class ReminderRead(BaseModel):
    number: str
    enterprise_code: str
    enterprise_name: str
    status: str
    created_at: datetime
    issued_at: datetime | None
    answer_due: datetime | None
    acknowledged_at: datetime | None
    problem_id: int | None
    issues: list[IssueRead]
