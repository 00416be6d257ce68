"""The statistics page for staff: discovery across every channel, human and technical (what
``GET /api/stats/discovery`` answers, ``ecoradar.stats.channels``), then the human clues per
channel and region, what became of them, rewards paid — a table, and a bar chart per channel
(ECharts, served by EcoRadar itself; ``GET /api/stats/clues``, ``ecoradar.stats.service``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.regions.models import LEVELS
from ecoradar.stats import channels, outcomes, service
from ecoradar.stats.periods import with_periods
from ecoradar.web import problem_queue
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
    region: Annotated[str, Query(max_length=32)] = "",
    period: Annotated[str, Query(max_length=8)] = "all",
) -> HTMLResponse:
    """Discovery across every channel (``stats.channels``), then the human clues in detail
    (``stats.service``), for the same period and area."""
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
    region_ids, region_error = _area(session, principal, region)
    table = service.clue_stats(
        session=session, principal=principal, region_ids=region_ids, since=since, until=until,
        group_by=group, level=chosen or None,
    )  # fmt: skip
    by_channel = table
    if group != "channel":
        by_channel = service.clue_stats(
            session=session, principal=principal, region_ids=region_ids, since=since, until=until
        )
    discovery = channels.discovery_stats(
        session=session, principal=principal, region_ids=region_ids, since=since, until=until,
        level=chosen or None,
    )  # fmt: skip
    per = period if period in outcomes.PERIODS else "all"
    period_error = False
    if not error:
        try:
            discovery = with_periods(
                discovery, session=session, principal=principal, region_ids=region_ids,
                first=first, last=last, period=per,
            )  # fmt: skip
        except InputError:
            period_error = True
    shown_region = "" if region_error else region.strip()
    params = {"from": date_from, "to": date_to, "region": shown_region, "by": group}
    params.update(level=chosen, period=per)
    kept = (
        {"from": date_from, "to": date_to, "region": shown_region, "level": chosen}
        if not error
        else {"region": shown_region}
    )
    per_kept = {"period": per} if per != "all" and not (error or period_error) else {}
    return render(
        request,
        "stats/clues.html",
        status_code=422 if error or region_error or period_error else 200,
        error=error,
        region_error=region_error,
        period_error=period_error,
        periods=outcomes.PERIODS,
        table=table,
        channels=by_channel.rows,
        discovery=discovery,
        params=params,
        groups=service.GROUPS,
        levels=LEVELS,
        areas=[a for a in problem_queue.covered_regions(session, principal) if a.level != "grid"],
        csv_link="/api/stats/clues" + query_string(**kept, group_by=group, format="csv"),
        discovery_csv="/api/stats/discovery" + query_string(**kept, **per_kept, format="csv"),
        discovery_xlsx="/api/stats/discovery" + query_string(**kept, **per_kept, format="xlsx"),
    )


def _area(session: Session, principal: Principal, code: str) -> tuple[frozenset[int] | None, bool]:
    """The region ``code``'s subtree, and whether the code was not understood (an unknown area
    or one outside the asker's scope: no filter, and the page says so)."""
    if not code.strip():
        return None, False
    try:
        return service.scope_region(session=session, principal=principal, code=code.strip()), False
    except NotFoundError:
        return None, True


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
