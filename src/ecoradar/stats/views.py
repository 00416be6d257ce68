"""Statistics over HTTP (thin): ``GET /api/stats/clues`` for staff, within their scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ecoradar.stats import outcomes, service
from ecoradar.stats.schemas import ClueStatsRead
from ecoradar.web.deps import SessionDep, StaffDep

router = APIRouter(prefix="/api/stats", tags=["statistics"])

GroupBy = Literal["channel", "region", "channel_region"]
Level = Literal["province", "city", "county", "township", "grid"]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


@router.get("/clues", response_model=ClueStatsRead, responses=CSV)
def clue_stats(
    session: SessionDep,
    principal: StaffDep,
    date_from: Annotated[date | None, Query(alias="from", description="First China day")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last China day")] = None,
    group_by: GroupBy = "channel",
    level: Annotated[
        Level | None, Query(description="Region rows roll up to this level (default: yours)")
    ] = None,
    region: Annotated[str | None, Query(max_length=32, description="Region code")] = None,
    format: Literal["json", "csv"] = "json",
) -> ClueStatsRead | Response:
    """Clues received from ``from`` to ``to`` (China days, both included) per channel, region
    or both, in your scope: clues, problems opened, verified share, duplicates merged, median
    hours to acceptance and to closure, rewards paid (count and sum, yuan)."""
    since, until = service.day_bounds(date_from, date_to)
    region_ids = None
    if region:
        region_ids = service.scope_region(session=session, principal=principal, code=region)
    stats = service.clue_stats(
        session=session,
        principal=principal,
        region_ids=region_ids,
        since=since,
        until=until,
        group_by=group_by,
        level=level,
    )
    if format == "csv":
        return Response(
            service.to_csv(stats),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="clue-stats.csv"'},
        )
    return ClueStatsRead.of(stats)


OutcomePeriod = Literal["month", "quarter", "year", "all"]


@router.get("/reminders", responses=CSV)
def reminder_outcomes(
    session: SessionDep,
    principal: StaffDep,
    date_from: Annotated[date, Query(alias="from", description="First China day")],
    date_to: Annotated[date, Query(alias="to", description="Last China day")],
    period: OutcomePeriod = "month",
    level: Annotated[
        Level | None, Query(description="Region rows at this level (default: yours)")
    ] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Outcome figures of the service reminders issued from ``from`` to ``to`` (China days,
    both included) per region and period, in your scope: reminders issued, issues in them,
    issues solved (and the share), median days to solve, issues that became violations."""
    table = outcomes.outcome_figures(
        session=session, principal=principal, first=date_from, last=date_to, period=period,
        level=level,
    )  # fmt: skip
    if format == "csv":
        return Response(
            outcomes.to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="reminder-outcomes.csv"'},
        )
    return outcomes.as_json(table)
