"""What the exposure API reads and writes. Times are ISO 8601 with the China offset."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.core.clock import CHINA_TZ
from ecoradar.exposure import rules
from ecoradar.exposure.models import ExposureEntry
from ecoradar.exposure.public import PublicEntry


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(CHINA_TZ) if value is not None else None


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    problem_id: int = Field(ge=1, le=2**31 - 1)
    text: str = Field(min_length=1, max_length=rules.TEXT_MAX, description="the public text")
    expiry_days: int | None = Field(default=None, ge=1, description="default: the settings'")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=rules.REASON_MAX)


class EntryRead(BaseModel):
    id: int
    problem_id: int
    enterprise_code: str
    enterprise_name: str
    state: str
    text: str
    expiry_days: int
    four_eyes: bool
    review_after: datetime
    proposed_at: datetime
    proposed_by: str
    approved_at: datetime | None
    approved_by: str | None
    published_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None

    @classmethod
    def of(cls, row: ExposureEntry) -> EntryRead:
        return cls(
            id=row.id,
            problem_id=row.problem_id,
            enterprise_code=row.enterprise.code,
            enterprise_name=row.enterprise.name,
            state=row.state,
            text=row.public_text,
            expiry_days=row.expiry_days,
            four_eyes=row.four_eyes,
            review_after=row.review_after.astimezone(CHINA_TZ),
            proposed_at=row.proposed_at.astimezone(CHINA_TZ),
            proposed_by=row.proposed_by,
            approved_at=_local(row.approved_at),
            approved_by=row.approved_by,
            published_at=_local(row.published_at),
            expires_at=_local(row.expires_at),
            ended_at=_local(row.ended_at),
            ended_by=row.ended_by,
            end_reason=row.end_reason,
        )


class DecisionRead(BaseModel):
    kind: str
    fine_amount: str | None = Field(description="yuan, a decimal string")
    reference: str | None
    decided_on: date | None


class PublicEntryRead(BaseModel):
    number: int
    enterprise_name: str
    enterprise_code: str
    area: str
    category: str
    text: str
    found_on: date
    confirmed_on: date | None
    decision: DecisionRead | None
    rectification: str
    rectification_due: date | None
    closed_on: date | None
    published_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, e: PublicEntry) -> PublicEntryRead:
        d = e.decision
        return cls(
            number=e.number,
            enterprise_name=e.enterprise_name,
            enterprise_code=e.enterprise_code,
            area=e.area,
            category=e.category,
            text=e.text,
            found_on=e.found_on,
            confirmed_on=e.confirmed_on,
            decision=None
            if d is None
            else DecisionRead(
                kind=d.kind,
                fine_amount=str(d.fine_amount) if d.fine_amount is not None else None,
                reference=d.reference,
                decided_on=d.decided_on,
            ),
            rectification=e.rectification,
            rectification_due=e.rectification_due,
            closed_on=e.closed_on,
            published_at=e.published_at.astimezone(CHINA_TZ),
            expires_at=e.expires_at.astimezone(CHINA_TZ),
        )
