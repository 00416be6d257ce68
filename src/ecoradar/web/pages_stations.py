"""Ambient station pages for staff: ``/stations`` (a map and a table of every station) and
``/stations/{code}`` (its newest readings with the wind, its findings, its place on a map).

Handlers stay thin: they read through ``ecoradar.stations.service``. The map draws the stations
from ``/api/stations`` (``static/js/stations.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecoradar.core.errors import NotFoundError
from ecoradar.stations import service
from ecoradar.stations.standards import ROMAN, UNITS, AmbientLimit, limits_for
from ecoradar.stations.wind import WIND_DIRECTION, WIND_SPEED, compass_point
from ecoradar.web.deps import ContainerDep, PageStaffSession
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)


def _tiles(box: ContainerDep) -> dict[str, str]:
    return {"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution}


@router.get("/stations")
def stations_page(request: Request, session: PageStaffSession, box: ContainerDep) -> HTMLResponse:
    rows = service.list_stations(session=session)
    return render(request, "stations/list.html", rows=rows, tiles=_tiles(box), roman=ROMAN)


@router.get("/stations/{code}")
def station_page(
    request: Request, session: PageStaffSession, box: ContainerDep, code: str
) -> HTMLResponse:
    try:
        station = service.get_station(session=session, code=code)
    except NotFoundError:
        return render(request, "stations/missing.html", status_code=404, code=code)
    newest, readings = service.latest_readings(session=session, station=station)
    values = {r.factor: r.value for r in readings if r.valid}
    speed, direction = values.get(WIND_SPEED), values.get(WIND_DIRECTION)
    wind = None
    if speed is not None and direction is not None:
        wind = {"speed": speed, "direction": direction % 360, "compass": compass_point(direction)}
    limits: dict[str, list[AmbientLimit]] = {}
    for limit in limits_for(station.kind, station.water_class):
        limits.setdefault(limit.factor, []).append(limit)
    hour_limits = {f: x for f, found in limits.items() for x in found if x.averaging == "hour"}
    return render(
        request,
        "stations/detail.html",
        station=station,
        newest=newest,
        readings=[r for r in readings if r.factor not in (WIND_SPEED, WIND_DIRECTION)],
        wind=wind,
        limits=limits,
        hour_limits=hour_limits,
        units=UNITS,
        findings=service.station_findings(session=session, station=station),
        tiles=_tiles(box),
        roman=ROMAN,
    )
