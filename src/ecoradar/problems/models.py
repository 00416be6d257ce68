"""The problem register: problems, the findings attached to them, their timeline, notes,
attachments and links, and the working-day calendar the deadlines are counted on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime

CATEGORIES = (
    "air",
    "water",
    "solid_waste",
    "hazardous_waste",
    "noise",
    "odour",
    "soil",
    "ecological",
    "other",
)
"""What a problem is about (issue 5): air, water, solid and hazardous waste, noise, odour, soil,
ecological damage, other."""

CHANNELS = (
    "monitoring",
    "public",
    "open311",
    "grid_worker",
    "drone",
    "unmanned_ship",
    "self_inspection",
    "department",
    "hotline",
    "media",
    "ngo",
    "referral",
    "linkage",
    "inspection",
    "third_party",
    "supervisor",
    "station",
    "power",
)
"""Where a finding came from: one observation from one channel (``supervisor``: raised by a
people's deputy, CPPCC member, the media or a discipline body, ``ecoradar.supervision``;
``station``: an ambient monitoring station's rules, ``ecoradar.stations``; ``power``: an
episode of the power sub-metering rules, ``ecoradar.power``)."""

SEVERITIES = ("low", "medium", "high", "critical")

VIOLATIONS = ("data_falsification", "hazardous_waste_disposal", "bypass", "refused_inspection")
"""The violation an officer may name on a confirmed problem: each is a veto of the green code
(``problems.violations``): data falsification, illegal hazardous-waste disposal, a bypass or
hidden pipe, refusal of inspection."""

STATES = (
    "reported",
    "accepted",
    "rejected",
    "assigned",
    "verifying",
    "confirmed",
    "unfounded",
    "rectifying",
    "rectified",
    "closed",
    "reopened",
    "transferred",
)
"""Every workflow state; the transition table lives in ``problems.workflow``."""


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Problem(Base):
    """The thing to fix. Findings about the same thing attach to one problem."""

    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint(_one_of("category", CATEGORIES), name="category"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(_one_of("state", STATES), name="state"),
        CheckConstraint(
            f"violation IS NULL OR {_one_of('violation', VIOLATIONS)}", name="violation"
        ),
        Index("ix_problems_state_region", "state", "region_id"),
        Index("ix_problems_category_lat", "category", "lat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    office_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_points.id"))
    match_key: Mapped[str | None] = mapped_column(String(120), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_times: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """When each state was last entered (ISO 8601)."""
    acceptance_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handling_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectification_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extensions_used: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalation_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    transfer_target: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    has_rectification_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    violation: Mapped[str | None] = mapped_column(String(32))
    """The violation an officer named (``VIOLATIONS``), a green-code veto; None: none named."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    findings: Mapped[list[Finding]] = relationship(
        back_populates="problem", order_by="Finding.id", lazy="selectin"
    )


class Finding(Base):
    """One observation from one channel. ``reporter_*`` is protected: only the officers handling
    the problem see it, and every read is logged."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(_one_of("category", CATEGORIES), name="category"),
        UniqueConstraint("channel", "source_ref", name="uq_findings_channel_source_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    attached_automatically: Mapped[bool] = mapped_column(Boolean, default=False)

    problem: Mapped[Problem] = relationship(back_populates="findings")


class ProblemEvent(Base):
    """The timeline: every transition and every other change, with who and why."""

    __tablename__ = "problem_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)


class ProblemNote(Base):
    """A note: ``internal`` ones are for the officers, ``public`` ones the reporter sees too."""

    __tablename__ = "problem_notes"
    __table_args__ = (CheckConstraint("visibility IN ('internal', 'public')", name="visibility"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(120))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visibility: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


class ProblemAttachment(Base):
    """A stored file attached to a problem (optionally through one of its findings)."""

    __tablename__ = "problem_attachments"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('evidence', 'onsite', 'rectification', 'document')", name="purpose"
        ),
        UniqueConstraint("problem_id", "media_id", "purpose", name="uq_problem_attachment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_files.id"))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(120))


class ProblemLink(Base):
    """``duplicate_of`` or ``related_to`` between two problems."""

    __tablename__ = "problem_links"
    __table_args__ = (
        CheckConstraint("kind IN ('duplicate_of', 'related_to')", name="kind"),
        CheckConstraint("problem_id <> other_id", name="not_self"),
        UniqueConstraint("problem_id", "other_id", "kind", name="uq_problem_link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class CalendarDay(Base):
    """A configured exception to the Monday-Friday week: a public holiday on a weekday, or a
    weekend day made a working day (调休)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100), default="")
