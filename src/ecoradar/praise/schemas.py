"""Praise over HTTP: the rankings, a notice issued or read, the figures. Reporters' names are in
``name`` only for the officers covering the region (``masked_name`` is what the public may see)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.core.clock import CHINA_TZ
from ecoradar.praise.models import PraiseNotice
from ecoradar.praise.service import REASON_MAX, Rankings

ROW_FIELDS = (
    "kind",
    "rank",
    "score",
    "person",
    "name",
    "masked_name",
    "region_code",
    "patrols_done",
    "reports",
    "problems_found",
    "found_first",
    "verified_share",
    "verifications",
    "median_hours_to_verify",
)


class RankingRow(BaseModel):
    kind: str
    rank: int
    score: float
    person: str
    name: str | None
    masked_name: str
    region_code: str | None
    patrols_done: int
    reports: int
    problems_found: int
    found_first: int
    verified_share: float | None
    verifications: int
    median_hours_to_verify: float | None


class RankingsRead(BaseModel):
    month: str
    region_code: str
    region_name: str
    grid_workers: list[RankingRow]
    reporters: list[RankingRow]

    @classmethod
    def of(cls, table: Rankings, *, names: bool = True) -> RankingsRead:
        return cls(
            month=str(table.month),
            region_code=table.region.code,
            region_name=table.region.name,
            grid_workers=[RankingRow(**r.as_dict(names=names)) for r in table.workers],
            reporters=[RankingRow(**r.as_dict(names=names)) for r in table.reporters],
        )


def rankings_csv(table: Rankings, *, names: bool = True) -> str:
    """One row per person, the grid workers first, with the month and region on each line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("month", "region_code", *ROW_FIELDS))
    for row in [*table.workers, *table.reporters]:
        values: dict[str, Any] = row.as_dict(names=names)
        writer.writerow(
            [
                str(table.month),
                table.region.code,
                *("" if values[f] is None else values[f] for f in ROW_FIELDS),
            ]
        )
    return buffer.getvalue()


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(max_length=7, description="YYYY-MM")
    region: str | None = Field(None, max_length=32, description="Region code (default: yours)")
    person: str = Field(max_length=80, description="The ranking row's ``person``")
    reason: str = Field(max_length=REASON_MAX)


class NoticeRead(BaseModel):
    number: str
    person_kind: str
    person: str
    name: str
    month: str
    region_code: str | None
    reason: str
    metrics: dict[str, Any]
    issued_at: datetime
    issued_by: str

    @classmethod
    def of(cls, notice: PraiseNotice, region_code: str | None) -> NoticeRead:
        return cls(
            number=notice.number,
            person_kind=notice.person_kind,
            person=notice.person,
            name=notice.name,
            month=notice.month,
            region_code=region_code,
            reason=notice.reason,
            metrics=notice.metrics,
            issued_at=notice.issued_at.astimezone(CHINA_TZ),
            issued_by=notice.issued_by,
        )
