"""The statistics page for staff: clues per channel and region, what became of them, rewards
paid — a table, and a bar chart per channel (ECharts, served by EcoRadar itself). The page
calls what ``GET /api/stats/clues`` calls (``ecoradar.stats.service``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ecoradar.core.errors import InputError
from ecoradar.regions.models import LEVELS
from ecoradar.stats import service
from ecoradar.web.deps import PageStaffDep, SessionDep
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/stats")
def stats_page(
    request: Request,
    session: SessionDep,
    principal: PageStaffDep,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    by: Annotated[str, Query(max_length=16)] = "channel",
    level: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    group = by if by in service.GROUPS else "channel"
    chosen = level if level in LEVELS else ""
    first, last = _day(date_from), _day(date_to)
    error = bool((date_from and first is None) or (date_to and last is None))
    since = until = None
    if not error:
        try:
            since, until = service.day_bounds(first, last)
        except InputError:
            error = True
    table = service.clue_stats(
        session=session,
        principal=principal,
        since=since,
        until=until,
        group_by=group,
        level=chosen or None,
    )
    channels = (
        table
        if group == "channel"
        else service.clue_stats(session=session, principal=principal, since=since, until=until)
    )
    params = {"from": date_from, "to": date_to, "by": group, "level": chosen}
    csv_params = {"from": date_from, "to": date_to, "group_by": group, "level": chosen}
    return render(
        request,
        "stats/clues.html",
        status_code=422 if error else 200,
        error=error,
        table=table,
        channels=channels.rows,
        params=params,
        groups=service.GROUPS,
        levels=LEVELS,
        csv_link="/api/stats/clues"
        + query_string(**(csv_params if not error else {"group_by": group}), format="csv"),
    )
