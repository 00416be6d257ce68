"""The green code over the wire (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.greencode.models import GreenCode, GreenCodeHistory, RepairApplication
from ecoradar.greencode.repair import REASON_MAX, STATEMENT_MAX, RepairEligibility
from ecoradar.greencode.service import CodePage, CodeRow, PublicCode

Colour = Literal["green", "blue", "yellow", "red", "black"]


class CodeRead(BaseModel):
    """The code in force, with each indicator and the events behind it."""

    enterprise_code: str
    colour: Colour
    score: float
    vetoed: bool
    indicators: dict[str, Any]
    vetoes: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    model_version: str
    scheme: str
    computed_at: datetime
    data_as_of: datetime | None
    colour_since: datetime

    @classmethod
    def of(cls, enterprise_code: str, code: GreenCode) -> CodeRead:
        return cls(
            enterprise_code=enterprise_code,
            colour=code.colour,
            score=code.score,
            vetoed=code.vetoed,
            indicators=code.indicators,
            vetoes=code.vetoes,
            reasons=code.reasons,
            model_version=code.model_version,
            scheme=code.scheme,
            computed_at=code.computed_at,
            data_as_of=code.data_as_of,
            colour_since=code.colour_since,
        )


class CodeRowRead(BaseModel):
    enterprise_code: str
    enterprise_name: str
    region_id: int | None
    longitude: float
    latitude: float
    colour: Colour
    score: float
    vetoed: bool
    computed_at: datetime
    colour_since: datetime

    @classmethod
    def of(cls, row: CodeRow) -> CodeRowRead:
        return cls(
            enterprise_code=row.enterprise_code,
            enterprise_name=row.enterprise_name,
            region_id=row.region_id,
            longitude=row.longitude,
            latitude=row.latitude,
            colour=row.colour,
            score=row.score,
            vetoed=row.vetoed,
            computed_at=row.computed_at,
            colour_since=row.colour_since,
        )


class CodePageRead(BaseModel):
    items: list[CodeRowRead]
    total: int
    colours: dict[str, int]

    @classmethod
    def of(cls, page: CodePage, colours: dict[str, int]) -> CodePageRead:
        return cls(items=[CodeRowRead.of(r) for r in page.items], total=page.total, colours=colours)


class HistoryRead(BaseModel):
    at: datetime
    kind: str
    colour: Colour
    previous_colour: Colour | None
    score: float
    vetoed: bool
    indicators: dict[str, Any]
    reasons: list[dict[str, Any]]
    model_version: str

    @classmethod
    def of(cls, row: GreenCodeHistory) -> HistoryRead:
        return cls(
            at=row.at,
            kind=row.kind,
            colour=row.colour,
            previous_colour=row.previous_colour,
            score=row.score,
            vetoed=row.vetoed,
            indicators=row.indicators,
            reasons=row.reasons,
            model_version=row.model_version,
        )


class PublicCodeRead(BaseModel):
    """Public-safe: colour, dates, reasons without ids or personal data."""

    enterprise_code: str
    enterprise_name: str
    colour: Colour
    colour_since: datetime
    computed_at: datetime
    reasons: list[str]

    @classmethod
    def of(cls, found: PublicCode) -> PublicCodeRead:
        return cls(
            enterprise_code=found.enterprise_code,
            enterprise_name=found.enterprise_name,
            colour=found.colour,
            colour_since=found.colour_since,
            computed_at=found.computed_at,
            reasons=found.reasons,
        )


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, max_length=STATEMENT_MAX)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=REASON_MAX)


class RepairRead(BaseModel):
    id: int
    enterprise_id: int
    state: Literal["pending", "approved", "rejected"]
    covers: list[str]
    statement: str
    filed_at: datetime
    filed_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, row: RepairApplication) -> RepairRead:
        return cls(
            id=row.id,
            enterprise_id=row.enterprise_id,
            state=row.state,
            covers=row.covers,
            statement=row.statement,
            filed_at=row.filed_at,
            filed_by=row.filed_by,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            decision_reason=row.decision_reason,
        )


class EligibilityRead(BaseModel):
    can_file: bool
    why: list[str]
    covers: list[str]
    earliest: datetime | None

    @classmethod
    def of(cls, found: RepairEligibility) -> EligibilityRead:
        return cls(
            can_file=found.can_file, why=found.why, covers=found.covers, earliest=found.earliest
        )
