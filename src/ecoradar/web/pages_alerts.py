"""Alert pages: the list (filters, counts per kind, paging, live updates), one alert with its
evidence, and the alerts listed under a point's chart.

Handlers stay thin: parse, read through ``ecoradar.detection.service``, render. The list keeps
itself current from ``/api/alerts/stream`` and the evidence chart is drawn by
``static/js/alerts.js``; kinds are named by ``_alerts_macros.html``, for the API too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ecoradar.analysers.evidence import TamperingEvidence
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.detection import service
from ecoradar.detection.cards import kind_cards
from ecoradar.detection.models import KINDS, Kind
from ecoradar.detection.schemas import (
    AlertLabels,
    Evidence,
    Severity,
    State,
    day_span,
    duration,
    filter_of,
)
from ecoradar.detection.service import SEVERITIES, AlertFilter, AlertRow
from ecoradar.hj212.codes import factor as factor_info
from ecoradar.monitoring import service as monitoring
from ecoradar.monitoring.schemas import china
from ecoradar.web.deps import ContainerDep, LocaleDep, PageReaderSession
from ecoradar.web.i18n import LOCALES
from ecoradar.web.templating import environment, query_string, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
POINT_ALERTS = 10
"""Alerts listed under a point's chart (the newest in its range)."""
LONGEST_LINK = timedelta(days=365)
"""A point page shows at most a year: a link to a longer alert shows its last year."""
SearchText = Annotated[str, Query(max_length=100)]
MnText = Annotated[str, Query(max_length=64)]
DayText = Annotated[str | None, Query(max_length=10)]
InstantText = Annotated[str | None, Query(max_length=40)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@lru_cache(maxsize=len(LOCALES))
def alert_labels(locale: str) -> AlertLabels:
    """Kind and factor names in ``locale``, from the templates' own macros and globals."""
    env = environment(locale)
    macros: Any = env.get_template("_alerts_macros.html").module
    kinds = {kind: str(macros.kind_label(kind)).strip() for kind in KINDS}
    return AlertLabels(kinds, env.globals["factor_name"])  # type: ignore[arg-type]


def get_labels(locale: LocaleDep) -> AlertLabels:
    return alert_labels(locale)


LabelsDep = Annotated[AlertLabels, Depends(get_labels)]


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as the page's form sends them (days, not instants)."""

    kind: str | None = None
    severity: str | None = None
    state: str | None = None
    mn: str = ""
    q: str = ""
    start: str | None = None
    end: str | None = None
    page: int = 1

    def params(self, **changes: object) -> dict[str, object]:
        """The query parameters of this list (without the page), with ``changes``."""
        values: dict[str, object] = {
            "kind": self.kind,
            "severity": self.severity,
            "state": self.state,
            "mn": self.mn,
            "q": self.q,
            "start": self.start,
            "end": self.end,
        }
        values.update(changes)
        return values


def list_query(
    kind: Annotated[Kind | Literal[""] | None, Query()] = None,
    severity: Annotated[Severity | Literal[""] | None, Query()] = None,
    state: Annotated[State | Literal[""] | None, Query()] = None,
    mn: MnText = "",
    q: SearchText = "",
    start: DayText = None,
    end: DayText = None,
    page: PageNumber = 1,
) -> ListQuery:
    """The form sends every field; an empty one means "any"."""
    return ListQuery(
        kind or None, severity or None, state or None, mn.strip(), q.strip(), start, end, page
    )


ListDep = Annotated[ListQuery, Depends(list_query)]


@router.get("/alerts")
def alerts_page(
    request: Request, session: PageReaderSession, box: ContainerDep, query: ListDep
) -> HTMLResponse:
    context = _results(session, query, box.clock.now())
    return render(
        request,
        "alerts.html",
        status_code=422 if context["error"] else 200,
        **context,
    )


@router.get("/alerts/rows")
def alerts_rows(
    request: Request, session: PageReaderSession, box: ContainerDep, query: ListDep
) -> HTMLResponse:
    """The results part of ``/alerts`` (cards, table, pager), for htmx and the live refresh."""
    context = _results(session, query, box.clock.now())
    headers = {}
    if request.headers.get("hx-request") == "true" and not context["error"]:
        shown = context["result"].page
        headers["HX-Push-Url"] = "/alerts" + query_string(
            **query.params(page=shown if shown > 1 else None)
        )
    return render(request, "_alerts_results.html", headers=headers, **context)


@router.get("/alerts/point/{mn}")
def point_alerts(
    request: Request,
    session: PageReaderSession,
    box: ContainerDep,
    mn: str,
    since: InstantText = None,
    until: InstantText = None,
) -> HTMLResponse:
    """The newest alerts of a point in a range: the list under the point page's chart."""
    try:
        filters = filter_of(mn=mn, since=since, until=until)
    except InputError:
        filters = AlertFilter(mn=mn)
    result = service.search_alerts(session=session, filters=filters, per_page=POINT_ALERTS)
    now = box.clock.now()
    return render(
        request,
        "_alerts_point.html",
        mn=mn,
        result=result,
        durations={row.alert.id: duration(row.alert, now) for row in result.items},
        more="/alerts" + query_string(mn=mn),
    )


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request, session: PageReaderSession, box: ContainerDep, alert_id: str
) -> HTMLResponse:
    try:
        number = int(alert_id) if alert_id.isdigit() and len(alert_id) < 10 else 0
        row = service.alert_by_id(session=session, alert_id=number)
    except NotFoundError:
        return render(request, "alerts_404.html", status_code=404, alert_id=alert_id)
    alert = row.alert
    point = monitoring.point_by_mn(session=session, mn=row.mn)
    limit = next((x for x in point.limits if x.factor == alert.factor), None)
    known = factor_info(alert.factor) if alert.factor else None
    unit = limit.unit if limit is not None else (known.unit if known else None)
    evidence = Evidence.of(alert.evidence, alert.kind)
    tampering = (
        TamperingEvidence.of(alert.evidence) if alert.kind == "parameter_tampering" else None
    )
    return render(
        request,
        "alerts_detail.html",
        row=row,
        alert=alert,
        evidence=evidence,
        chart={**evidence.chart(unit), **(tampering.chart() if tampering else {})},
        tampering=tampering,
        unit=unit,
        o2_reference=limit.o2_reference if limit is not None else None,
        duration=duration(alert, box.clock.now()),
        point_link=point_link(row, evidence),
    )


def point_link(row: AlertRow, evidence: Evidence) -> str:
    """The point page on the alert's days, a day either side (the factor's tab for a factor's
    alert)."""
    alert = row.alert
    last = alert.end
    if last is None and evidence.window is not None:
        last = evidence.window[1]
    if last is None and evidence.values:
        last = evidence.values[-1][0] + timedelta(hours=1)
    if last is None or last <= alert.start:
        last = alert.start + timedelta(hours=1)
    first_day = china(max(alert.start, last - LONGEST_LINK)).date() - timedelta(days=1)
    last_day = china(last - timedelta(microseconds=1)).date() + timedelta(days=1)
    return f"/monitoring/{row.mn}" + query_string(
        factor=alert.factor or None, start=first_day.isoformat(), end=last_day.isoformat()
    )


def _results(session: Session, query: ListQuery, now: datetime) -> dict[str, Any]:
    error = None
    try:
        since, until = day_span(query.start, query.end)
    except InputError as exc:
        since, until, error = None, None, str(exc)
    filters = AlertFilter(
        query.kind, query.severity, query.state, query.mn or None, query.q, since, until
    )
    result = service.search_alerts(
        session=session, filters=filters, page=query.page, per_page=PER_PAGE
    )
    if result.page > result.pages:  # past the end (e.g. an old link): show the last page
        result = service.search_alerts(
            session=session, filters=filters, page=result.pages, per_page=PER_PAGE
        )
    page = result.page if result.page > 1 else None
    return {
        "query": query,
        "result": result,
        "counts": kind_cards(session=session, filters=replace(filters, kind=None)),
        "durations": {row.alert.id: duration(row.alert, now) for row in result.items},
        "error": error,
        "kinds": KINDS,
        "severities": SEVERITIES,
        "stream_url": "/api/alerts/stream"
        + query_string(kind=query.kind, severity=query.severity, mn=query.mn, q=query.q),
        "rows_url": "/alerts/rows" + query_string(**query.params(page=page)),
    }
