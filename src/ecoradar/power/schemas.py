"""Power sub-metering over HTTP: the batch of readings a gateway sends, and what is read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.core.clock import CHINA_TZ
from ecoradar.power.models import PowerEpisode
from ecoradar.power.payload import MAX_HTTP_ITEMS
from ecoradar.power.service import MeterRow


class ReadingsIn(BaseModel):
    """``{"readings": [{"meter": "M1", "ts": "2026-11-02T09:00:00+08:00", "kw": 12.3,
    "kwh": 45678.9}, ...]}``: each item is checked as an MQTT payload's item is."""

    model_config = ConfigDict(extra="forbid")

    readings: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_HTTP_ITEMS)


class ReadingsResult(BaseModel):
    stored: int
    duplicates: int
    episodes: int
    findings: int
    revised: int = 0
    """Stored episodes shortened, moved or split by these (late) readings."""
    withdrawn: int = 0
    """Stored episodes (and their findings) withdrawn: re-judged, no violation any more."""


class MeterRead(BaseModel):
    meter: str
    enterprise_code: str
    enterprise_name: str
    unit_code: str
    unit_name: str
    kind: str
    treats: str | None
    rated_kw: float
    running_kw: float
    idle_kw: float
    interval_s: int
    points: list[str]

    @classmethod
    def of(cls, row: MeterRow) -> MeterRead:
        m, u = row.meter, row.unit
        return cls(
            meter=m.code,
            enterprise_code=row.enterprise_code,
            enterprise_name=row.enterprise_name,
            unit_code=u.code,
            unit_name=u.name,
            kind=u.kind,
            treats=u.treats,
            rated_kw=m.rated_kw,
            running_kw=m.running_kw,
            idle_kw=m.idle_kw,
            interval_s=m.interval_s,
            points=list(m.points),
        )


class EpisodeRead(BaseModel):
    id: int
    rule: str
    subject: str
    state: str
    start: datetime
    end: datetime
    minutes: float
    finding_id: int | None
    problem_id: int | None

    @classmethod
    def of(cls, e: PowerEpisode, problem_id: int | None) -> EpisodeRead:
        return cls(
            id=e.id,
            rule=e.rule,
            subject=e.subject,
            state=e.state,
            start=e.start.astimezone(CHINA_TZ),
            end=e.end.astimezone(CHINA_TZ),
            minutes=e.minutes,
            finding_id=e.finding_id,
            problem_id=problem_id,
        )


class CurvesRead(BaseModel):
    enterprise_code: str
    start: datetime
    end: datetime
    meters: list[dict[str, Any]]
    """Per meter: meter, unit, unit_name, role, rated_kw, running_kw, idle_kw, points
    ``[[unix_seconds, kw], ...]`` and gaps ``[[from, to], ...]`` (unix seconds, unknown)."""
    episodes: list[EpisodeRead]
