"""Patrols over HTTP: what the browser sends (track points) and what it reads."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.patrols.models import Patrol
from ecoradar.patrols.rules import MAX_POINTS_PER_BATCH, TrackPoint


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float
    lon: float
    at: datetime = Field(description="ISO 8601; without an offset China Standard Time")
    accuracy: float | None = Field(None, description="metres, from the browser")

    def point(self) -> TrackPoint:
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=CHINA_TZ)
        try:
            utc = at.astimezone(UTC)
        except OverflowError:
            raise InputError(f"points: {self.at.isoformat()} is out of range") from None
        return TrackPoint(self.lat, self.lon, utc, self.accuracy)


class TrackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[PointIn] = Field(default_factory=list, max_length=MAX_POINTS_PER_BATCH)


class EndIn(TrackIn):
    note: str = Field("", max_length=2000)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every_hours: int


class PatrolRead(BaseModel):
    id: int
    user_id: int
    region_id: int
    started_at: datetime
    ended_at: datetime | None
    points: int
    length_m: float
    note: str

    @classmethod
    def of(cls, p: Patrol) -> PatrolRead:
        return cls(
            id=p.id,
            user_id=p.user_id,
            region_id=p.region_id,
            started_at=p.started_at.astimezone(CHINA_TZ),
            ended_at=p.ended_at.astimezone(CHINA_TZ) if p.ended_at else None,
            points=p.points,
            length_m=round(p.length_m, 1),
            note=p.note,
        )


class PatrolDetail(PatrolRead):
    track: list[list[float | None]]
    """``[lat, lon, unix_seconds, accuracy_m]`` in time order."""


class SlotRead(BaseModel):
    start: datetime
    end: datetime
    done: bool


class ScheduleRead(BaseModel):
    region_code: str
    level: str
    every_hours: int
    due_now: bool
    completion: float | None
    running_patrol_id: int | None
    slots: list[SlotRead]
