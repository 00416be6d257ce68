"""What the five-step API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.fivestep import workflow
from ecoradar.fivestep.models import FiveStepCampaign, FiveStepRecord, FiveStepStep
from ecoradar.fivestep.service import states


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    period_start: date
    period_end: date
    region: str = Field(min_length=1, max_length=32, description="Region code")
    enterprises: list[str] = Field(default_factory=list, max_length=2000)
    industries: list[str] = Field(default_factory=list, max_length=50)


class StepRead(BaseModel):
    step: str
    position: int
    state: str
    outcome: str | None
    note: str
    result: dict[str, Any]
    finished_at: datetime | None
    finished_by: str | None
    allowed: list[str]

    @classmethod
    def of(cls, step: FiveStepStep, allowed: tuple[str, ...]) -> StepRead:
        return cls(
            step=step.step, position=step.position, state=step.state, outcome=step.outcome,
            note=step.note, result=step.result, finished_at=step.finished_at,
            finished_by=step.finished_by, allowed=list(allowed),
        )  # fmt: skip


class RecordRead(BaseModel):
    id: int
    campaign_id: int
    enterprise_code: str
    enterprise_name: str
    state: str
    steps: list[StepRead]
    updated_at: datetime

    @classmethod
    def of(cls, record: FiveStepRecord) -> RecordRead:
        now = states(record)
        return cls(
            id=record.id,
            campaign_id=record.campaign_id,
            enterprise_code=record.enterprise.code,
            enterprise_name=record.enterprise.name,
            state=record.state,
            steps=[StepRead.of(s, workflow.allowed(now, s.step)) for s in record.steps],
            updated_at=record.updated_at,
        )


class CampaignRead(BaseModel):
    id: int
    name: str
    period_start: date
    period_end: date
    region: str
    industries: list[str]
    created_at: datetime
    created_by: str
    records: list[RecordRead]

    @classmethod
    def of(cls, campaign: FiveStepCampaign, records: list[FiveStepRecord]) -> CampaignRead:
        return cls(
            id=campaign.id, name=campaign.name, period_start=campaign.period_start,
            period_end=campaign.period_end, region=campaign.region.code,
            industries=campaign.industries, created_at=campaign.created_at,
            created_by=campaign.created_by, records=[RecordRead.of(r) for r in records],
        )  # fmt: skip


class CampaignSummary(BaseModel):
    id: int
    name: str
    period_start: date
    period_end: date
    region: str
    enterprises: int
    complete: int


class FindingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=24)
    description: str = Field(min_length=1, max_length=2000)
    violation: bool = True
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    factor: str | None = Field(default=None, max_length=16)


class CheckBody(BaseModel):
    """Completing the self-screening or monitoring review: the officer's advisories."""

    model_config = ConfigDict(extra="forbid")

    advisories: list[str] = Field(default_factory=list, max_length=20)
    note: str = Field(default="", max_length=2000)


class EnforcementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    text: str = Field(default="", max_length=2000)
    findings: list[FindingBody] = Field(default_factory=list, max_length=30)


class MoveBody(BaseModel):
    """Skip or reopen a step (with the reason)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["skip", "reopen"]
    reason: str = Field(min_length=1, max_length=2000)
