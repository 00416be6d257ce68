"""The statistics page for staff: clues per channel and region, what became of them, rewards
paid — a table, and a bar chart per channel (ECharts, served by EcoRadar itself). The page
calls what ``GET /api/stats/clues`` calls (``ecoradar.stats.service``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.regions.models import LEVELS
from ecoradar.stats import outcomes, service
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
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


@router.get("/stats/reminders")
def outcomes_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    period: Annotated[str, Query(max_length=8)] = "quarter",
    level: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """The service reminders' outcome figures per region and period, with a chart (what
    ``GET /api/stats/reminders`` answers)."""
    today = box.clock.now().astimezone(CHINA_TZ).date()
    default_first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    first = _day(date_from) if date_from else default_first
    last = _day(date_to) if date_to else today
    chosen = period if period in outcomes.PERIODS else "quarter"
    error = first is None or last is None
    table = None
    if first is not None and last is not None:
        try:
            table = outcomes.outcome_figures(
                session=session, principal=principal, first=first, last=last, period=chosen,
                level=level if level in LEVELS else None,
            )  # fmt: skip
        except InputError:
            error = True
    params = {
        "from": first.isoformat() if first else date_from,
        "to": last.isoformat() if last else date_to,
        "period": chosen,
        "level": level if level in LEVELS else "",
    }
    return render(
        request,
        "stats/reminders.html",
        status_code=422 if error else 200,
        error=error,
        table=table,
        params=params,
        periods=outcomes.PERIODS,
        levels=LEVELS,
        csv_link="/api/stats/reminders" + query_string(**params, format="csv"),
    )
