"""Alerts over HTTP (read-only): a filtered list, one alert, the windows a chart shades, counts,
and a Server-Sent Events stream of alerts as they are raised or change.

Staff see the alerts of the points in their region subtree (administrators all of them), an
enterprise user those of its own points; another's alert is not found."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecoradar.auth import sessions as auth_sessions
from ecoradar.auth import tokens as auth_tokens
from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope
from ecoradar.bootstrap import Container
from ecoradar.detection import service
from ecoradar.detection.models import Kind
from ecoradar.detection.schemas import (
    AlertLabels,
    AlertPageRead,
    AlertRead,
    CountsRead,
    Severity,
    State,
    WindowRead,
    filter_of,
)
from ecoradar.detection.service import AlertFilter, AlertWatch
from ecoradar.web.deps import ContainerDep, ReaderSession, StreamReaderDep
from ecoradar.web.pages_alerts import LabelsDep

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

STREAM_POLL = 0.5
"""Seconds between two looks for raised or changed alerts."""
STREAM_LIFE = 300.0
"""Seconds a stream stays open; then it ends and EventSource reconnects by itself."""
STREAM_KEEPALIVE = 15.0
"""Seconds without events after which a comment line is sent (keeps proxies from closing)."""
STREAM_RETRY_MS = 1000
"""How soon the browser reconnects after a stream ended."""
STREAM_RECHECK = 10.0
"""Seconds between two checks that the stream's session or token still works (a logout, a
disabled user or a revoked token ends the stream within this time)."""

Instant = Annotated[
    str | None,
    Query(
        max_length=40,
        description="ISO 8601 date or date-time; without an offset, China Standard Time.",
    ),
]
MnText = Annotated[str | None, Query(max_length=64, description="A device MN (exact)")]
SearchText = Annotated[str, Query(max_length=100, description="Part of an enterprise name or MN")]
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def alert_filter(
    kind: Kind | None = None,
    severity: Severity | None = None,
    state: Annotated[State | None, Query(description="open: still going; closed: ended")] = None,
    mn: MnText = None,
    q: SearchText = "",
    since: Instant = None,
    until: Instant = None,
) -> AlertFilter:
    """Alerts of this kind and severity, open or closed, at this device, of an enterprise or MN
    containing ``q``, overlapping ``[since, until)``."""
    return filter_of(
        kind=kind, severity=severity, state=state, mn=mn, q=q, since=since, until=until
    )


def stream_filter(
    kind: Kind | None = None,
    severity: Severity | None = None,
    mn: MnText = None,
    q: SearchText = "",
) -> AlertFilter:
    return filter_of(kind=kind, severity=severity, mn=mn, q=q)


FilterDep = Annotated[AlertFilter, Depends(alert_filter)]


@router.get("")
def alerts(
    session: ReaderSession,
    box: ContainerDep,
    labels: LabelsDep,
    filters: FilterDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPageRead:
    """One page of alerts, newest start first."""
    result = service.search_alerts(session=session, filters=filters, page=page, per_page=per_page)
    now = box.clock.now()
    return AlertPageRead(
        items=[AlertRead.of(row, now=now, labels=labels) for row in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get("/counts")
def counts(session: ReaderSession, filters: FilterDep) -> CountsRead:
    """Alerts matching the filters by kind and by severity, open and closed."""
    return CountsRead.of(service.count_alerts(session=session, filters=filters))


@router.get("/windows")
def windows(
    session: ReaderSession,
    box: ContainerDep,
    labels: LabelsDep,
    mn: Annotated[str, Query(min_length=1, max_length=64, description="The device MN")],
    factor: Annotated[str | None, Query(max_length=16)] = None,
    since: Instant = None,
    until: Instant = None,
) -> list[WindowRead]:
    """The point's alerts overlapping the range, as ``[{start, end, label}]`` for a chart; with
    a ``factor``, that factor's alerts and the device-level ones (they concern every factor).
    An open alert reaches ``until`` (or now)."""
    return _windows(session, box, labels, mn, factor, since, until)


@router.get("/windows/{mn}")
def point_windows(
    session: ReaderSession,
    box: ContainerDep,
    labels: LabelsDep,
    mn: Annotated[str, Path(max_length=64)],
    factor: Annotated[str | None, Query(max_length=16)] = None,
    since: Instant = None,
    until: Instant = None,
) -> list[WindowRead]:
    """As ``/windows?mn=``, with the MN in the path (a chart appends its own query)."""
    return _windows(session, box, labels, mn, factor, since, until)


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    box: ContainerDep,
    principal: StreamReaderDep,
    labels: LabelsDep,
    filters: Annotated[AlertFilter, Depends(stream_filter)],
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """Server-Sent Events: each alert raised or changed from now on (matching the filters) as
    an ``alert`` event whose data is the alert as ``GET /api/alerts/{id}`` gives it. Looks
    every half second; ends after five minutes (EventSource reconnects and resumes from its
    ``Last-Event-ID``)."""
    watch = AlertWatch(filters)
    return StreamingResponse(
        _events(request, box, principal, labels, watch, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{alert_id}")
def alert(
    session: ReaderSession, box: ContainerDep, labels: LabelsDep, alert_id: AlertId
) -> AlertRead:
    """One alert with its evidence."""
    row = service.alert_by_id(session=session, alert_id=alert_id)
    return AlertRead.of(row, now=box.clock.now(), labels=labels)


def _windows(
    session: Session,
    box: Container,
    labels: AlertLabels,
    mn: str,
    factor: str | None,
    since: str | None,
    until: str | None,
) -> list[WindowRead]:
    span = filter_of(since=since, until=until)
    found = service.alert_windows(
        session=session, mn=mn, factor=factor or None, since=span.since, until=span.until
    )
    reach = span.until or box.clock.now()
    return [WindowRead.of(a, reach=reach, labels=labels) for a in found]


async def _events(
    request: Request,
    box: Container,
    principal: Principal,
    labels: AlertLabels,
    watch: AlertWatch,
    resume: str | None,
) -> AsyncIterator[str]:
    """The stream's body. Every look is a short transaction of its own, in a worker thread,
    limited to what ``principal`` may see; the loop ends when the client goes, the server
    stops, the principal's session or token stops working, or the stream has lived its time."""

    def begin() -> None:
        if not watch.resume(resume):
            with box.reading() as session:
                watch.start(apply_scope(session, principal))

    def look() -> list[AlertRead]:
        with box.reading() as session:
            rows = watch.look(apply_scope(session, principal))
        now = box.clock.now()
        return [AlertRead.of(row, now=now, labels=labels) for row in rows]

    def still_allowed() -> bool:
        with box.reading() as session:
            return credential_is_live(session, box, principal)

    await run_in_threadpool(begin)
    yield f"retry: {STREAM_RETRY_MS}\n: watching from {watch.token}\n\n"
    deadline = time.monotonic() + STREAM_LIFE
    quiet = checked = time.monotonic()
    while time.monotonic() < deadline:
        if await request.is_disconnected() or server_stopping():
            return
        if time.monotonic() - checked >= STREAM_RECHECK:
            if not await run_in_threadpool(still_allowed):
                return
            checked = time.monotonic()
        changed = await run_in_threadpool(look)
        if changed:
            token = watch.token
            yield "".join(
                f"id: {token}\nevent: alert\ndata: {a.model_dump_json()}\n\n" for a in changed
            )
            quiet = time.monotonic()
        elif time.monotonic() - quiet >= STREAM_KEEPALIVE:
            yield ": keep-alive\n\n"
            quiet = time.monotonic()
        await anyio.sleep(STREAM_POLL)


def credential_is_live(session: Session, box: Container, principal: Principal) -> bool:
    """Whether the session or token ``principal`` came with still works."""
    now = box.clock.now()
    if principal.token_id is not None:
        return auth_tokens.token_is_live(session=session, token_id=principal.token_id, now=now)
    if principal.session_id is not None:
        return auth_sessions.session_is_live(
            session=session, session_id=principal.session_id, now=box.session_now()
        )
    return False


def server_stopping() -> bool:
    """Whether uvicorn, serving from the main thread (as ``ecoradar serve`` does), was asked to
    stop. uvicorn waits for open responses before it stops and does not tell a streaming one,
    so a stream looks at the signal handler uvicorn installed (its ``Server.handle_exit``)."""
    handler = signal.getsignal(signal.SIGINT)
    server = getattr(handler, "__self__", None)
    return bool(getattr(server, "should_exit", False))
