"""Power sub-metering over HTTP (thin): a gateway's batch of readings (a token with the
``power`` scope), and the meters, curves and episodes for staff (their region) and enterprise
users (their own). Refusals: 422 naming the item and field, 403 without the scope; an
enterprise out of reach is 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.power import service
from ecoradar.power.curves import enterprise_curves
from ecoradar.power.ingest import Batch, ingest
from ecoradar.power.payload import METER_ID, ReadingIn, parse_item
from ecoradar.power.schemas import (
    CurvesRead,
    EpisodeRead,
    MeterRead,
    ReadingsIn,
    ReadingsResult,
)
from ecoradar.web.deps import ContainerDep, ReaderSession, SessionDep, require_scope

router = APIRouter(prefix="/api/power", tags=["power"])

PowerDep = Annotated[Principal, Depends(require_scope("power"))]
Code = Annotated[str | None, Query(max_length=18)]
MAX_SPAN = timedelta(days=7)


@router.post("/readings")
def post_readings(
    body: ReadingsIn, session: SessionDep, box: ContainerDep, principal: PowerDep
) -> ReadingsResult:
    """Store a batch of readings (all or nothing) and run the rules over the time they cover.
    A reading already stored (same meter and time) is counted as a duplicate."""
    now = box.clock.now()
    items: list[ReadingIn] = []
    for i, raw in enumerate(body.readings):
        where = f"readings[{i}]"
        meter = raw.get("meter")
        if not isinstance(meter, str) or not METER_ID.match(meter):
            raise InputError(f"{where}: meter: {meter!r} is not a meter id")
        items.append(parse_item(raw, where=where, meter=meter, now=now))
    result = ingest(
        session=session,
        settings=box.settings,
        regions=box.regions,
        batches=[Batch("readings", items)],
        source="http",
        now=now,
        region_ids=None if principal.unrestricted else principal.region_ids,
    )
    if result.refused:
        raise InputError(result.refused[0])
    return ReadingsResult(
        stored=result.stored,
        duplicates=result.duplicates,
        episodes=result.report.new,
        findings=result.report.findings,
        revised=result.report.revised,
        withdrawn=result.report.withdrawn,
    )


@router.get("/meters")
def list_meters(session: ReaderSession, enterprise: Code = None) -> list[MeterRead]:
    """The meters in reach (of one enterprise), with their unit and thresholds."""
    return [MeterRead.of(row) for row in service.meters(session=session, enterprise=enterprise)]


@router.get("/enterprises/{code}/curves")
def curves(
    code: str,
    session: ReaderSession,
    box: ContainerDep,
    start: datetime | None = None,
    end: datetime | None = None,
) -> CurvesRead:
    """An enterprise's curves over [start, end) (at most 7 days; default the 24 hours up to
    its latest reading) and the episodes in that time."""
    enterprise = service.enterprise_in_reach(session=session, code=code)
    if (start and not start.tzinfo) or (end and not end.tzinfo):
        raise InputError("start, end: give an offset (+08:00 or Z)")
    try:
        if end is None:
            end = service.latest_reading(session, enterprise.id) or box.clock.now()
            end = end + timedelta(minutes=1)
        start = start or end - timedelta(days=1)
        span = end - start
    except OverflowError:
        raise InputError("start, end: out of range") from None
    if not timedelta(0) < span <= MAX_SPAN:
        raise InputError("start, end: end after start, at most 7 days apart")
    drawn = enterprise_curves(session=session, enterprise=enterprise, start=start, end=end)
    return CurvesRead(
        enterprise_code=enterprise.code,
        start=start,
        end=end,
        meters=drawn.meters,
        episodes=[
            EpisodeRead.of(e, drawn.problem_of.get(e.finding_id or 0)) for e in drawn.episodes
        ],
    )
