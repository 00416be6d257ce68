"""Service reminders: the numbered document sent to one enterprise for one period, its issues
(one per trigger and subject), the number counters, upcoming standards and campaigns.

A reminder is unique per enterprise and period (``UNIQUE(enterprise_id, period_key)``) and an
issue per reminder, trigger and subject: that is what makes ``generate`` idempotent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.registry.models import Enterprise

REMINDER_STATES = ("draft", "issued", "acknowledged", "answered", "resolved", "escalated")
"""``draft`` (an officer reviews it) -> ``issued`` (sent) -> ``acknowledged`` (the enterprise
read it) -> ``answered`` (every issue answered) -> ``resolved`` (every answer accepted);
``escalated``: not answered by ``answer_due``, a problem in the register."""
ISSUE_STATES = ("open", "answered", "accepted", "returned")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period_key"),
        CheckConstraint(_one_of("state", REMINDER_STATES), name="state"),
        Index("ix_reminders_state_due", "state", "answer_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    """``ZS-2026-0001``: the bureau's prefix, the year, a sequence per prefix and year."""
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    """The enterprise's region when the reminder was made (officers' scope)."""
    period_key: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    """The time the triggers were evaluated at."""
    bureau_name: Mapped[str] = mapped_column(String(200))
    bureau_name_en: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    """The officer's covering words (editable while a draft)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    issued_by: Mapped[str | None] = mapped_column(String(120))
    answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))
    deliveries: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``{"channel": "email"|"sms", "to", "at", "ok", "error"}`` per message sent."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    issues: Mapped[list[ReminderIssue]] = relationship(
        back_populates="reminder", order_by="ReminderIssue.position", lazy="selectin"
    )


class ReminderIssue(Base):
    """One issue of a reminder: a trigger that was due for a subject (a point's factor, the
    permit, a campaign), with its evidence, a suggestion and the basis; then the enterprise's
    answer and the officer's decision."""

    __tablename__ = "reminder_issues"
    __table_args__ = (
        UniqueConstraint("reminder_id", "trigger", "subject"),
        CheckConstraint(_one_of("state", ISSUE_STATES), name="state"),
        Index("ix_reminder_issues_cooldown", "enterprise_id", "trigger", "subject", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    position: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(24))
    factor: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(80))
    """What the issue is about, for cool-downs: ``point:<id>:<factor>``, ``permit:<until>``..."""
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    suggestion: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    answer: Mapped[str | None] = mapped_column(Text)
    answer_media_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reminder: Mapped[Reminder] = relationship(back_populates="issues")


class ReminderCounter(Base):
    """The last sequence number given per prefix and year."""

    __tablename__ = "reminder_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class UpcomingStandard(Base):
    """A stricter standard taking effect for an industry (GB/T 4754 code or its prefix)."""

    __tablename__ = "reminder_standards"
    __table_args__ = (UniqueConstraint("industry", "standard", "effective"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    industry: Mapped[str] = mapped_column(String(8))
    standard: Mapped[str] = mapped_column(String(120))
    effective: Mapped[date] = mapped_column(Date)
    changes: Mapped[str] = mapped_column(Text)
    changes_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class Campaign(Base):
    """A seasonal campaign an officer defines (say, summer VOC control): a period, the
    industries and regions it covers (empty: all), and its text."""

    __tablename__ = "reminder_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    industries: Mapped[list[str]] = mapped_column(JSONType, default=list)
    region_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class ReminderPass(Base):
    """The scheduler's generation, once per China day."""

    __tablename__ = "reminder_passes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
