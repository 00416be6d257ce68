"""Power sub-metering pages: ``/power`` (staff: the metered enterprises in their region; an
enterprise user goes to its own page) and ``/power/{code}`` (one enterprise's production and
treatment curves over a China day, with the episodes shaded and listed).

Handlers stay thin: they read through ``ecoradar.power``; the chart is drawn by
``static/js/power.js`` from the data the page carries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import NotFoundError
from ecoradar.power import service
from ecoradar.power.curves import enterprise_curves
from ecoradar.power.models import PowerEpisode
from ecoradar.registry.models import Enterprise
from ecoradar.web.deps import ContainerDep, PageReaderDep, PageReaderSession
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

Day = Annotated[str, Query(max_length=10)]
RECENT = timedelta(days=7)


@router.get("/power", response_model=None)
def power_list(
    request: Request, session: PageReaderSession, principal: PageReaderDep, box: ContainerDep
) -> HTMLResponse | RedirectResponse:
    if principal.enterprise_id is not None:
        own = session.get(Enterprise, principal.enterprise_id)
        if own is not None:
            return RedirectResponse(f"/power/{own.code}", status_code=303)
    since = box.clock.now() - RECENT
    recent = dict(
        session.execute(
            select(PowerEpisode.enterprise_id, func.count())
            .where(PowerEpisode.end >= since, PowerEpisode.withdrawn_at.is_(None))
            .group_by(PowerEpisode.enterprise_id)
        ).all()
    )
    rows = [
        {
            "enterprise": e,
            "meters": n,
            "latest": service.latest_reading(session, e.id),
            "episodes": recent.get(e.id, 0),
        }
        for e, n in service.metered_enterprises(session=session)
    ]
    return render(request, "power/list.html", rows=rows)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/power/{code}")
def power_page(
    request: Request, session: PageReaderSession, box: ContainerDep, code: str, day: Day = ""
) -> HTMLResponse:
    try:
        enterprise = service.enterprise_in_reach(session=session, code=code)
    except NotFoundError:
        return render(request, "power/missing.html", status_code=404, code=code)
    latest = service.latest_reading(session, enterprise.id) or box.clock.now()
    chosen = _day(day) or latest.astimezone(CHINA_TZ).date()
    start = datetime.combine(chosen, time(), tzinfo=CHINA_TZ)
    drawn = enterprise_curves(
        session=session, enterprise=enterprise, start=start, end=start + timedelta(days=1)
    )
    chart: dict[str, Any] = {
        "start": int(start.timestamp()),
        "end": int((start + timedelta(days=1)).timestamp()),
        "meters": drawn.meters,
        "episodes": [
            {
                "rule": e.rule,
                "subject": e.subject,
                "start": int(e.start.timestamp()),
                "end": int(e.end.timestamp()),
            }
            for e in drawn.episodes
        ],
    }
    return render(
        request,
        "power/enterprise.html",
        enterprise=enterprise,
        day=chosen,
        previous=(chosen - timedelta(days=1)).isoformat(),
        following=(chosen + timedelta(days=1)).isoformat(),
        meters=service.meters(session=session, enterprise=enterprise.code),
        chart=chart,
        episodes=drawn.episodes,
        problem_of=drawn.problem_of,
        readings=sum(len(m["points"]) for m in drawn.meters),
    )
