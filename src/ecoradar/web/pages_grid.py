"""A grid worker's pages, phone first: my grid on a map with my patrol schedule and the patrol
under way (``/grid``), a report on the spot with camera and GPS that waits in the browser while
offline (``/grid/report``), and the problems routed to me to verify (``/grid/clues``).

Pages only read. The browser writes through the JSON APIs: patrols through
``/api/patrols`` (``ecoradar.patrols.views``), reports through ``POST /api/clues/grid``
(channel ``grid_worker``, with a ``source_ref`` the browser makes once per report, so a report
sent twice after a lost answer is recorded once), and verification through the problem page's
action forms (``/problems/{id}/actions/...``, the workflow's on-site record).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ecoradar.auth.principal import Principal
from ecoradar.clues import catalog
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConflictError
from ecoradar.media.inspect import MediaLimits
from ecoradar.patrols import service
from ecoradar.praise import service as praise
from ecoradar.praise.rules import month_of
from ecoradar.web.deps import ContainerDep, SessionDep, page_roles
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

WorkerPage = Annotated[Principal, Depends(page_roles("grid_worker"))]
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _tiles(box: ContainerDep) -> dict[str, str]:
    return {"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution}


@router.get("/grid")
def home(
    request: Request, session: SessionDep, box: ContainerDep, principal: WorkerPage
) -> HTMLResponse:
    """My grid on a map, my schedule (periods done or due), the patrol under way, my last
    patrols and what is routed to me."""
    now = box.clock.now()
    try:
        mine = service.schedule_for(session=session, principal=principal, now=now)
    except ConflictError:
        return render(request, "grid/no_grid.html", status_code=409)
    assert principal.user_id is not None
    verify, waiting = service.routed_to(session=session, principal=principal)
    running: dict[str, Any] | None = None
    if mine.running is not None:
        running = {
            "id": mine.running.id,
            "started_at": mine.running.started_at.astimezone(CHINA_TZ).isoformat(),
            "track": [p[:2] for p in mine.running.track],
        }
    problems = [
        {"id": p.id, "lat": p.lat, "lon": p.lon, "title": p.title} for p in [*verify, *waiting]
    ]
    return render(
        request,
        "grid/home.html",
        region=mine.region,
        every_hours=mine.every_hours,
        schedule=mine.schedule,
        running=running,
        patrols=service.patrols_of(session, principal.user_id, limit=10),
        to_verify=len(verify),
        waiting=len(waiting),
        problems=problems,
        tiles=_tiles(box),
        now=now,
        standing=praise.my_standing(
            session=session,
            principal=principal,
            month=month_of(now),
            secret=box.settings.secret_key,
        ),
    )


@router.get("/grid/report")
def report(
    request: Request, session: SessionDep, box: ContainerDep, principal: WorkerPage
) -> HTMLResponse:
    """Report on the spot: kind, a few questions, description, photos, the phone's position;
    sent at once when online, else kept in this browser and sent when the connection returns."""
    running = service.open_patrol(session, principal.user_id) if principal.user_id else None
    return render(
        request,
        "grid/report.html",
        services=catalog.SERVICES,
        values={"category": "", "attributes": {}},
        limits={"string": catalog.STRING_MAX, "text": catalog.TEXT_MAX},
        max_photos=box.settings.clue_max_photos,
        max_photo_bytes=MediaLimits.from_settings(box.settings).max_image_bytes,
        image_types=IMAGE_TYPES,
        patrol_id=running.id if running else None,
        description_max=box.settings.clue_description_max_chars,
    )


@router.get("/grid/clues")
def clues(
    request: Request, session: SessionDep, box: ContainerDep, principal: WorkerPage
) -> HTMLResponse:
    """The problems assigned to me to verify (start, then confirm or mark unfounded with the
    on-site record: time, position, photos, text) and those of my grid not yet assigned."""
    verify, waiting = service.routed_to(session=session, principal=principal)
    return render(request, "grid/clues.html", verify=verify, waiting=waiting, now=box.clock.now())
