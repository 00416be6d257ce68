"""Online monitoring over HTTP (read-only): a point's series and aggregates, device activity,
unknown devices and the packet counters.

Staff see the points of their region subtree (administrators all, including unknown devices);
an enterprise user sees its own points' series and aggregates only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ecoradar.hj212.codes import factor as known_factor
from ecoradar.monitoring import service
from ecoradar.monitoring.schemas import (
    MAX_VALUES,
    AggregatesRead,
    CountersRead,
    DevicePageRead,
    DeviceRead,
    DeviceState,
    Kind,
    SeriesRead,
    TimeRange,
    UnknownDeviceRead,
)
from ecoradar.web.deps import ContainerDep, ReaderSession, StaffSession

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])

Instant = Annotated[
    str | None,
    Query(
        max_length=40,
        description="ISO 8601 date or date-time; without an offset, China Standard Time.",
    ),
]


@router.get("/points/{mn}/series")
def point_series(
    session: ReaderSession,
    box: ContainerDep,
    mn: str,
    factor: Annotated[str, Query(min_length=1, max_length=16)],
    kind: Kind = "hour",
    since: Instant = None,
    until: Instant = None,
) -> SeriesRead:
    """One factor's values in time order (``since`` inclusive, ``until`` exclusive) with the
    limit that applies. Without a range: the week up to the newest stored value."""
    point = service.point_by_mn(session=session, mn=mn)
    latest = service.latest_data_time(session=session, point_id=point.id, kind=kind)
    span = TimeRange.of_query(since, until, kind=kind, latest=latest, now=box.clock.now())
    values = service.series_values(
        session=session,
        point_id=point.id,
        factor=factor,
        kind=kind,
        since=span.since,
        until=span.until,
        limit=MAX_VALUES + 1,
    )
    limit = next((x for x in point.limits if x.factor == factor), None)
    known = known_factor(factor)
    return SeriesRead.of(
        mn=point.mn,
        factor=factor,
        kind=kind,
        span=span,
        unit=known.unit if known else None,
        limit=limit,
        values=values,
    )


@router.get("/points/{mn}/aggregates")
def point_aggregates(
    session: ReaderSession, box: ContainerDep, mn: str, since: Instant = None, until: Instant = None
) -> AggregatesRead:
    """Per factor and kind: counts, valid (flag N) count, mean, minimum and maximum of Avg (Rtd
    for real-time values), first and last data time. Without a range: the week up to the
    newest hourly value."""
    point = service.point_by_mn(session=session, mn=mn)
    latest = service.latest_data_time(session=session, point_id=point.id, kind="hour")
    span = TimeRange.of_query(since, until, kind="hour", latest=latest, now=box.clock.now())
    items = service.aggregates(session=session, mn=mn, since=span.since, until=span.until)
    return AggregatesRead.of(point.mn, span, items)


@router.get("/devices")
def devices(
    session: StaffSession,
    box: ContainerDep,
    q: Annotated[str, Query(max_length=100, description="Part of an MN or name")] = "",
    state: Annotated[
        DeviceState | None,
        Query(description="online: a packet within 2 hours; silent: none since; never: none"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DevicePageRead:
    """Registered devices with their packets by outcome, refusals by reason and last packet."""
    now = box.clock.now()
    result = service.device_activity(
        session=session, now=now, query=q.strip(), state=state, page=page, per_page=per_page
    )
    return DevicePageRead(
        items=[DeviceRead.of(d, now) for d in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get("/unknown-devices")
def unknown_devices(session: StaffSession) -> list[UnknownDeviceRead]:
    """MNs that sent packets but are not in the registry, most recent first (at most 200)."""
    return [UnknownDeviceRead.of(d) for d in service.recent_unknown_devices(session=session)]


@router.get("/counters")
def counters(session: StaffSession) -> CountersRead:
    """Packets by outcome and refusal reason, overall and per device (MN)."""
    return CountersRead(**service.counters(session=session))
