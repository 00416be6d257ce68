"""What the self-inspection API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask, TemplateVersion


class PointTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    category: str
    builtin: bool


class PointTypeIn(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    category: str = Field(default="other", max_length=24)
    items: list[dict[str, Any]] | None = Field(default=None, max_length=100)


class VersionRead(BaseModel):
    point_type: str
    template: str
    version: int
    items: list[dict[str, Any]]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, version: TemplateVersion) -> VersionRead:
        return cls(
            point_type=version.template.point_type.code,
            template=version.template.name,
            version=version.version,
            items=version.items,
            created_at=version.created_at,
            created_by=version.created_by,
        )


class VersionIn(BaseModel):
    items: list[dict[str, Any]] = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)


class VersionIssued(BaseModel):
    created: bool
    version: VersionRead


class PointRead(BaseModel):
    id: int
    enterprise_code: str
    enterprise_name: str
    code: str
    type: str
    name: str
    longitude: float
    latitude: float
    schedule_kind: str
    schedule_expression: str
    working_days_only: bool
    current_task_url: str

    @classmethod
    def of(cls, point: ControlPoint) -> PointRead:
        return cls(
            id=point.id,
            enterprise_code=point.enterprise.code,
            enterprise_name=point.enterprise.name,
            code=point.code,
            type=point.point_type.code,
            name=point.name,
            longitude=point.longitude,
            latitude=point.latitude,
            schedule_kind=point.schedule_kind,
            schedule_expression=point.schedule_expression,
            working_days_only=point.working_days_only,
            current_task_url=f"/selfcheck/points/{point.id}/current",
        )


class TaskRead(BaseModel):
    id: int
    point_id: int
    point_code: str
    point_name: str
    point_type: str
    enterprise_code: str
    enterprise_name: str
    due_date: date
    period_key: str
    due_at: datetime
    state: str
    overdue: bool
    template_version: int
    submitted_at: datetime | None
    on_time: bool | None
    failed: bool

    @classmethod
    def of(cls, task: SelfcheckTask, now: datetime) -> TaskRead:
        point = task.point
        return cls(
            id=task.id,
            point_id=point.id,
            point_code=point.code,
            point_name=point.name,
            point_type=point.point_type.code,
            enterprise_code=point.enterprise.code,
            enterprise_name=point.enterprise.name,
            due_date=task.due_date,
            period_key=task.period_key,
            due_at=task.due_at,
            state=task.state,
            overdue=task.state != "submitted" and task.due_at < now,
            template_version=task.template_version.version,
            submitted_at=task.submitted_at,
            on_time=task.on_time if task.submitted_at else None,
            failed=task.failed,
        )


class TaskDetail(TaskRead):
    items: list[dict[str, Any]]
    answers: dict[str, Any] | None
    photos: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    failed_items: list[dict[str, Any]]
    finding_ids: list[int]
    point_longitude: float
    point_latitude: float

    @classmethod
    def detail(cls, task: SelfcheckTask, now: datetime) -> TaskDetail:
        base = TaskRead.of(task, now).model_dump()
        return cls(
            **base,
            items=task.template_version.items,
            answers=task.answers,
            photos=task.photos or [],
            warnings=task.warnings or [],
            failed_items=task.failed_items or [],
            finding_ids=task.finding_ids or [],
            point_longitude=task.point.longitude,
            point_latitude=task.point.latitude,
        )


class TaskPageRead(BaseModel):
    items: list[TaskRead]
    total: int
    page: int
    per_page: int


class SubmitIn(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PhotoRead(BaseModel):
    item: str
    media_id: int
    gps_lat: float | None
    gps_lon: float | None
    taken_at: str | None
    distance_m: int | None
    far: bool


class NotificationRead(BaseModel):
    id: int
    kind: str
    created_at: datetime
    task_id: int
    due_date: date
    point_name: str
