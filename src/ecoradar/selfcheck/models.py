"""Enterprise self-inspection: control points, their types, versioned checklist templates,
schedules, the tasks generated from them, and reminders.

A task is unique per control point and period (``UNIQUE(point_id, period_key)``): that is what
makes generation idempotent, however often and however late the generator runs.
"""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.registry.models import Enterprise

SCHEDULE_KINDS = ("daily", "weekly", "monthly", "cron")
TASK_STATES = ("pending", "submitted", "overdue")
"""``pending``: open, not yet past its due time; ``overdue``: open and past it (marked by the
scheduler); ``submitted``: answered and locked (on time or late)."""
NOTIFICATION_KINDS = ("due_soon", "overdue")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PointType(Base):
    """What a control point is: a built-in type (outfall, wastewater treatment, ...) or one an
    administrator added. ``category`` is the problem-register category its findings get."""

    __tablename__ = "selfcheck_point_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(String(24))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChecklistTemplate(Base):
    """The checklist of one point type; its content lives in numbered versions."""

    __tablename__ = "selfcheck_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_type_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_point_types.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    point_type: Mapped[PointType] = relationship(lazy="joined")


class TemplateVersion(Base):
    """One version of a checklist: its items (see ``checks.Item``), never changed once stored.
    A task keeps the version it was issued with."""

    __tablename__ = "selfcheck_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_templates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))

    template: Mapped[ChecklistTemplate] = relationship(lazy="joined")


class ControlPoint(Base):
    """A place an enterprise checks itself: an outfall, a treatment facility, a store. Its
    schedule says when a task is due (China calendar days)."""

    __tablename__ = "selfcheck_points"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "code"),
        CheckConstraint(_one_of("schedule_kind", SCHEDULE_KINDS), name="schedule_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    type_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_point_types.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    longitude: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float] = mapped_column(Float)
    """WGS84, whatever system the input used."""
    source_crs: Mapped[str] = mapped_column(String(8), default="wgs84")
    schedule_kind: Mapped[str] = mapped_column(String(8))
    schedule_expression: Mapped[str] = mapped_column(String(100), default="")
    """``weekly``: ISO weekday 1-7 (empty: Monday); ``monthly``: day 1-31 (empty: the 1st);
    ``cron``: five fields, China time."""
    working_days_only: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    generated_until: Mapped[date | None] = mapped_column(Date)
    """Tasks exist for every due date up to this China date (the generator's watermark)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    point_type: Mapped[PointType] = relationship(lazy="joined")


class SelfcheckTask(Base):
    """One inspection of one control point for one period."""

    __tablename__ = "selfcheck_tasks"
    __table_args__ = (
        UniqueConstraint("point_id", "period_key"),
        CheckConstraint(_one_of("state", TASK_STATES), name="state"),
        Index("ix_selfcheck_tasks_enterprise_due", "enterprise_id", "due_date"),
        Index("ix_selfcheck_tasks_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_points.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_template_versions.id"))
    due_date: Mapped[date] = mapped_column(Date, index=True)
    """The China calendar day the task is for."""
    period_key: Mapped[str] = mapped_column(String(16))
    """``2026-11-02`` (daily, cron), ``2026-W45`` (weekly), ``2026-11`` (monthly)."""
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The end of ``due_date`` in China time."""
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    photos: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """Uploaded photos: ``{"item", "media_id", "gps_lat", "gps_lon", "taken_at",
    "distance_m", "uploaded_at"}``."""
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """``{"kind": "photo_far" | "position_far" | "photo_without_position", "item",
    "distance_m"}``: shown to the officers, never a refusal."""
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    finding_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    """Where the browser said the submitter was (WGS84), if it said."""

    point: Mapped[ControlPoint] = relationship(lazy="joined")
    template_version: Mapped[TemplateVersion] = relationship()

    @property
    def on_time(self) -> bool:
        return self.submitted_at is not None and self.submitted_at <= self.due_at


class SelfcheckNotification(Base):
    """A reminder an enterprise sees on its portal: a task due soon, or overdue."""

    __tablename__ = "selfcheck_notifications"
    __table_args__ = (
        UniqueConstraint("task_id", "kind"),
        CheckConstraint(_one_of("kind", NOTIFICATION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("selfcheck_tasks.id"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
