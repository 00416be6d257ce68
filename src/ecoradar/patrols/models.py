"""Patrol plans (how often each grid level is patrolled) and patrols (a grid worker's walk of
their grid, with the browser's GPS track)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.regions.models import LEVELS


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PatrolPlan(Base):
    """How often an area of ``level`` is patrolled (``every_hours``), set by an administrator;
    a level without a row uses ``rules.DEFAULT_EVERY_HOURS``."""

    __tablename__ = "patrol_plans"
    __table_args__ = (
        CheckConstraint(_one_of("level", LEVELS), name="level"),
        CheckConstraint("every_hours >= 1", name="every_hours"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16), unique=True)
    every_hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class Patrol(Base):
    """One patrol of one area by one worker: started, perhaps ended, and its track
    (``[[lat, lon, unix_seconds, accuracy_m], ...]``, WGS84, time order)."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_user_started", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    track: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    points: Mapped[int] = mapped_column(Integer, default=0)
    length_m: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
