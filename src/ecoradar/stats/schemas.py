"""What the statistics API returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from ecoradar.stats.service import ClueStats, StatsRow


class StatsRowRead(BaseModel):
    channel: str | None
    """The clues' channel (``total`` on the total row; None when grouped by region only)."""
    region_code: str | None
    """The region rolled up to (``total`` on the total row; None when grouped by channel)."""
    region_name: str | None
    clues: int
    problems_opened: int
    verified: int
    verification_finished: int
    verified_share: float | None
    duplicates_merged: int
    median_hours_to_acceptance: float | None
    median_hours_to_closure: float | None
    rewards_paid: int
    rewards_paid_amount: Decimal

    @classmethod
    def of(cls, row: StatsRow) -> StatsRowRead:
        return cls(**row.as_dict())


class ClueStatsRead(BaseModel):
    since: datetime | None
    """The first moment counted (China midnight of ``from``); None: from the beginning."""
    until: datetime | None
    """The first moment not counted (China midnight after ``to``); None: up to now."""
    group_by: str
    level: str | None
    rows: list[StatsRowRead]
    total: StatsRowRead

    @classmethod
    def of(cls, stats: ClueStats) -> ClueStatsRead:
        return cls(
            since=stats.since,
            until=stats.until,
            group_by=stats.group_by,
            level=stats.level,
            rows=[StatsRowRead.of(r) for r in stats.rows],
            total=StatsRowRead.of(stats.total),
        )
