"""Statistics over HTTP (thin), for staff within their scope: ``GET /api/stats/clues``,
``/api/stats/reminders``, ``/api/stats/discovery`` (every channel) and ``GET /api/attention``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ecoradar.stats import attention, channels, outcomes, service
from ecoradar.stats.periods import with_periods
from ecoradar.stats.schemas import ClueStatsRead
from ecoradar.web.deps import ContainerDep, SessionDep, StaffDep, StaffSession

router = APIRouter(prefix="/api/stats", tags=["statistics"])

GroupBy = Literal["channel", "region", "channel_region"]
Level = Literal["province", "city", "county", "township", "grid"]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX_TYPE: {}}, "description": "XLSX with format=xlsx"}
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


@router.get("/discovery", responses=CSV | XLSX)
def discovery_stats(
    session: SessionDep,
    principal: StaffDep,
    date_from: Annotated[date | None, Query(alias="from", description="First China day")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last China day")] = None,
    level: Annotated[
        Level | None, Query(description="Region rows roll up to this level (default: yours)")
    ] = None,
    region: Annotated[str | None, Query(max_length=32, description="Region code")] = None,
    period: Annotated[
        OutcomePeriod, Query(description="Also each month, quarter or year's total (from, to)")
    ] = "all",
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """Discovery across every channel, human and technical, from ``from`` to ``to`` (China
    days, both included) in your scope: clues received and problems found per channel, problems
    closed, self-inspection tasks sent and completed, service reminders issued and issues
    solved; per channel, per region (rolled up to ``level``) and in total; with ``period``
    (month, quarter, year) also each period's total."""
    since, until = service.day_bounds(date_from, date_to)
    region_ids = None
    if region:
        region_ids = service.scope_region(session=session, principal=principal, code=region)
    stats = channels.discovery_stats(
        session=session,
        principal=principal,
        region_ids=region_ids,
        since=since,
        until=until,
        level=level,
    )
    stats = with_periods(
        stats, session=session, principal=principal, region_ids=region_ids, first=date_from,
        last=date_to, period=period,
    )  # fmt: skip
    if format == "csv":
        return Response(
            channels.to_csv(stats),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="discovery-stats.csv"'},
        )
    if format == "xlsx":
        return Response(
            channels.to_xlsx(stats),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": 'attachment; filename="discovery-stats.xlsx"'},
        )
    return channels.as_json(stats)


attention_router = APIRouter(prefix="/api", tags=["statistics"])


@attention_router.get("/attention")
def attention_figures(session: StaffSession, principal: StaffDep, box: ContainerDep) -> Any:
    """What needs attention now in your region (an administrator: everywhere), for officers and
    administrators: new clues, problems near or past their deadline, open alerts by severity,
    codes that turned red this week, reminders and answers to review, supervisors' questions
    open and overdue — each a count and the link of the list page that shows them."""
    found = attention.attention(session=session, principal=principal, now=box.clock.now())
    return attention.as_json(found)
