"""Online monitoring pages: the device list (with unknown devices) and a point's page (chart of
hourly values with its limit, aggregates per factor).

Handlers stay thin: parse, read through ``ecoradar.monitoring.service``, render. The chart
loads its values from ``/api/monitoring/points/{mn}/series`` (``static/js/series.js``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from ecoradar.analysers import service as analysers
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.hj212.codes import factor as factor_info
from ecoradar.monitoring import service
from ecoradar.monitoring.schemas import DeviceState, TimeRange, state_of
from ecoradar.stations.service import station_by_point
from ecoradar.web.deps import ContainerDep, PageReaderSession, PageStaffSession
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
PRESET_DAYS = (1, 7, 30)
DEFAULT_DAYS = 7
FLAGS = ("N", "F", "M", "S", "D", "C", "T", "B", "P")
"""HJ 212-2017 data flags (table 8), P from HJ/T 212-2005: the chart's tooltip names them."""
SearchText = Annotated[str, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
DayText = Annotated[str | None, Query(max_length=10)]
StateChoice = Annotated[
    DeviceState | None,
    BeforeValidator(lambda value: value or None),  # "All states" sends state=
    Query(),
]


@dataclass(frozen=True)
class Silence:
    """How long ago a device's last packet arrived, in whole days, hours and minutes."""

    days: int
    hours: int
    minutes: int

    @classmethod
    def since(cls, last: datetime, now: datetime) -> Silence:
        minutes = max(0, int((now - last) / timedelta(minutes=1)))
        return cls(minutes // 1440, minutes % 1440 // 60, minutes % 60)


@router.get("/monitoring")
def devices_page(
    request: Request,
    session: PageStaffSession,
    box: ContainerDep,
    q: SearchText = "",
    state: StateChoice = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    now = box.clock.now()
    return render(
        request,
        "monitoring_devices.html",
        states=service.device_states(session=session, now=now),
        counters=service.counters(session=session, per_device=False),
        unknown=service.recent_unknown_devices(session=session),
        **_device_rows(session, q, state, page, now),
    )


@router.get("/monitoring/rows")
def device_rows(
    request: Request,
    session: PageStaffSession,
    box: ContainerDep,
    q: SearchText = "",
    state: StateChoice = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    """The results part of ``/monitoring`` (table and pager), for htmx to swap in."""
    context = _device_rows(session, q, state, page, box.clock.now())
    headers = {}
    if request.headers.get("hx-request") == "true":
        shown = context["result"].page
        headers["HX-Push-Url"] = "/monitoring" + query_string(
            q=context["q"], state=state, page=shown if shown > 1 else None
        )
    return render(request, "_monitoring_devices.html", headers=headers, **context)


POINT_PARAMETERS = 30
"""Analyser parameter records (CN=3020) shown on a point's page, newest first."""


@router.get("/monitoring/{mn}", response_model=None)
def point_page(
    request: Request,
    session: PageReaderSession,
    box: ContainerDep,
    mn: str,
    factor: Annotated[str, Query(max_length=16)] = "",
    start: DayText = None,
    end: DayText = None,
    days: Annotated[int | None, Query(ge=1, le=366)] = None,
) -> HTMLResponse | RedirectResponse:
    try:
        point = service.point_by_mn(session=session, mn=mn)
    except NotFoundError:
        return render(request, "monitoring_404.html", status_code=404, mn=mn)
    if point.station_id is not None:  # an ambient station's device: its station's page
        station = station_by_point(session=session, point_id=point.id)
        if station is not None:
            return RedirectResponse(f"/stations/{quote(station.code)}", status_code=303)
    latest = service.latest_data_time(session=session, point_id=point.id, kind="hour")
    error = None
    try:
        span = TimeRange.of_days(start, end)
    except InputError as exc:
        span, error = None, str(exc)
    preset = None
    if span is None:  # the last days up to the newest value (replayed data may be old)
        preset = days or DEFAULT_DAYS
        span = TimeRange.ending_at(latest, box.clock.now(), "hour", timedelta(days=preset))
    aggregates = service.aggregates(
        session=session, mn=point.mn, since=span.since, until=span.until
    )
    factors = [x.factor for x in point.limits]
    factors += sorted({a.factor for a in aggregates if a.factor not in factors})
    chosen = factor if factor in factors else (factors[0] if factors else "")
    return render(
        request,
        "monitoring_point.html",
        status_code=422 if error else 200,
        point=point,
        enterprise=point.outlet.enterprise,
        limits={x.factor: x for x in point.limits},
        factors=factors,
        factor=chosen,
        span=span,
        latest=latest,
        preset=preset,
        presets=PRESET_DAYS,
        aggregates=aggregates,
        error=error,
        flags=FLAGS,
        units={code: known.unit if (known := factor_info(code)) else "" for code in factors},
        parameters=analysers.history(session=session, point_id=point.id, limit=POINT_PARAMETERS),
    )


def _device_rows(
    session: Session, q: str, state: str | None, page: int, now: datetime
) -> dict[str, Any]:
    q = q.strip()
    result = service.device_activity(
        session=session, now=now, query=q, state=state, page=page, per_page=PER_PAGE
    )
    if result.page > result.pages:  # past the end (e.g. an old link): show the last page
        result = service.device_activity(
            session=session, now=now, query=q, state=state, page=result.pages, per_page=PER_PAGE
        )
    status = {d.mn: state_of(d.last_packet, now) for d in result.items}
    silence = {
        d.mn: Silence.since(d.last_packet, now) for d in result.items if d.last_packet is not None
    }
    return {"q": q, "state": state, "result": result, "status": status, "silence": silence}
