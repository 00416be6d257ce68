"""One enterprise, whole: what its page shows, a section at a time, read through the services
of the domains that own each part (registry, green code, detection, monitoring,
self-inspection, problems, reminders, inspections, power).

Every function takes a session scoped to the principal (``auth.scope``) and an enterprise
that session found: ``enterprise_in_reach`` is the gate (outside the principal's reach the
enterprise does not exist). What each section lists follows its domain's visibility rules.
The merged timeline is ``registry.timeline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import NotFoundError
from ecoradar.detection.models import Alert
from ecoradar.greencode import service as greencode
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.inspections.models import Draw, Inspection
from ecoradar.inspections.service import inspections_visible
from ecoradar.monitoring import service as monitoring
from ecoradar.monitoring.schemas import TimeRange
from ecoradar.power import service as power
from ecoradar.power.curves import enterprise_curves
from ecoradar.power.models import PowerMeter
from ecoradar.privacy.mask import mask
from ecoradar.problems.models import STATES, Problem
from ecoradar.problems.service import ProblemFilter, handles, list_problems
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.regions.models import LEVELS, Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.service import visible as reminders_visible
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask

SECTIONS = (
    "registry",
    "code",
    "monitoring",
    "selfcheck",
    "problems",
    "reminders",
    "inspections",
    "power",
    "timeline",
)
"""The page's sections, in tab order."""
LISTED = 50
"""Rows a section lists at most (each links to its full list)."""
RECENT_ALERTS = 20
SERIES_DAYS = 7
SELFCHECK_DAYS = 90
OPEN_PROBLEM_STATES = tuple(sorted(str(s) for s in OPEN_STATES))


def enterprise_in_reach(*, session: Session, code: str) -> Enterprise:
    """The enterprise of ``code`` if the scoped session may see it, else ``NotFoundError``."""
    found = session.scalar(select(Enterprise).where(Enterprise.code == code.strip().upper()))
    if found is None:
        raise NotFoundError(f"enterprise {code[:40]!r} does not exist")
    return found


def region_chain(region: Region | None) -> list[Region]:
    """The region and its ancestors, top-down (city > district > township > grid)."""
    chain: list[Region] = []
    while region is not None and len(chain) < len(LEVELS):
        chain.append(region)
        region = region.parent
    return chain[::-1]


# --- the header: what needs attention, for the tabs' badges ------------------------------------


@dataclass(frozen=True)
class Summary:
    code: GreenCode | None
    open_alerts: int
    open_problems: int
    missed_tasks: int
    open_reminders: int
    metered: bool
    permit_days_left: int | None
    """Days until the permit's last valid day (negative: expired); None: no date recorded."""


def summary(
    *, session: Session, principal: Principal, enterprise: Enterprise, now: datetime
) -> Summary:
    open_alerts = session.scalar(
        select(func.count(Alert.id))
        .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .where(Outlet.enterprise_id == enterprise.id, Alert.end.is_(None))
    )
    problems = list_problems(
        session=session,
        principal=principal,
        filters=ProblemFilter(state=OPEN_PROBLEM_STATES, enterprise_id=enterprise.id),
        per_page=1,
    )
    missed = session.scalar(
        select(func.count(SelfcheckTask.id)).where(
            SelfcheckTask.enterprise_id == enterprise.id,
            SelfcheckTask.state != "submitted",
            SelfcheckTask.due_at < now,
        )
    )
    reminders = session.scalar(
        reminders_visible(select(func.count(Reminder.id)), principal).where(
            Reminder.enterprise_id == enterprise.id,
            Reminder.state.in_(("draft", "issued", "acknowledged", "answered", "escalated")),
        )
    )
    metered = session.scalar(
        select(func.count(PowerMeter.id)).where(PowerMeter.enterprise_id == enterprise.id)
    )
    days_left = None
    if enterprise.permit_valid_until is not None:
        days_left = (enterprise.permit_valid_until - now.astimezone(CHINA_TZ).date()).days
    return Summary(
        code=greencode.current(session=session, enterprise_id=enterprise.id),
        open_alerts=int(open_alerts or 0),
        open_problems=problems.total,
        missed_tasks=int(missed or 0),
        open_reminders=int(reminders or 0),
        metered=bool(metered),
        permit_days_left=days_left,
    )


# --- green code --------------------------------------------------------------------------------


def code_changes(*, session: Session, enterprise: Enterprise) -> list[GreenCodeHistory]:
    """Every colour the code took (the first computation and each change), newest first."""
    query = select(GreenCodeHistory).where(
        GreenCodeHistory.enterprise_id == enterprise.id,
        GreenCodeHistory.kind.in_(("colour", "first")),
    )
    order = (GreenCodeHistory.at.desc(), GreenCodeHistory.id.desc())
    return list(session.scalars(query.order_by(*order).limit(LISTED)))


# --- monitoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointRow:
    point: MonitoringPoint
    outlet: Outlet
    open_alerts: int


@dataclass(frozen=True)
class Monitoring:
    points: list[PointRow]
    chosen: MonitoringPoint | None
    factor: str
    factors: list[str]
    span: TimeRange | None
    alerts: list[tuple[Alert, str]]
    """The newest alerts of every point, with the point's MN."""


def monitoring_section(
    *, session: Session, enterprise: Enterprise, now: datetime, mn: str = "", factor: str = ""
) -> Monitoring:
    """The enterprise's points with their open alerts, the newest alerts, and the point and
    factor whose hourly series the page draws (the first point and its first limit unless
    asked): ``static/js/series.js`` loads it, with its alert windows shaded."""
    open_by_point = dict(
        session.execute(
            select(Alert.point_id, func.count(Alert.id))
            .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id == enterprise.id, Alert.end.is_(None))
            .group_by(Alert.point_id)
        ).all()
    )
    rows = [
        PointRow(point, outlet, int(open_by_point.get(point.id, 0)))
        for outlet in enterprise.outlets
        for point in outlet.points
    ]
    chosen = next((r.point for r in rows if r.point.mn == mn), rows[0].point if rows else None)
    factors: list[str] = []
    span = None
    if chosen is not None:
        factors = [limit.factor for limit in chosen.limits]
        latest = monitoring.latest_data_time(session=session, point_id=chosen.id, kind="hour")
        span = TimeRange.ending_at(latest, now, "hour", timedelta(days=SERIES_DAYS))
    recent = session.execute(
        select(Alert, MonitoringPoint.mn)
        .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .where(Outlet.enterprise_id == enterprise.id)
        .order_by(Alert.start.desc(), Alert.id.desc())
        .limit(RECENT_ALERTS)
    )
    return Monitoring(
        points=rows,
        chosen=chosen,
        factor=factor if factor in factors else (factors[0] if factors else ""),
        factors=factors,
        span=span,
        alerts=[(alert, point_mn) for alert, point_mn in recent],
    )


# --- self-inspection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Selfcheck:
    points: list[ControlPoint]
    since: date
    figures: dict[str, int]
    """``done`` (on time), ``late``, ``failed`` (submitted with failed items), ``missed``
    (past due, not submitted), ``pending`` (not yet due), ``total``, over the last days."""
    tasks: list[SelfcheckTask]


def selfcheck_section(*, session: Session, enterprise: Enterprise, now: datetime) -> Selfcheck:
    since = (now - timedelta(days=SELFCHECK_DAYS)).astimezone(CHINA_TZ).date()
    points = list(
        session.scalars(
            select(ControlPoint)
            .where(ControlPoint.enterprise_id == enterprise.id, ControlPoint.active.is_(True))
            .order_by(ControlPoint.code)
        )
    )
    tasks = list(
        session.scalars(
            select(SelfcheckTask)
            .where(SelfcheckTask.enterprise_id == enterprise.id, SelfcheckTask.due_date >= since)
            .order_by(SelfcheckTask.due_date.desc(), SelfcheckTask.id.desc())
        )
    )
    figures = dict.fromkeys(("done", "late", "failed", "missed", "pending"), 0)
    for task in tasks:
        figures[task_outcome(task, now)] += 1
    figures["total"] = len(tasks)
    return Selfcheck(points, since, figures, tasks[:LISTED])


def task_outcome(task: SelfcheckTask, now: datetime) -> str:
    """``done``, ``late``, ``failed``, ``missed`` or ``pending`` (pure)."""
    if task.submitted_at is None:
        return "missed" if task.due_at < now else "pending"
    if task.failed:
        return "failed"
    return "done" if task.submitted_at <= task.due_at else "late"


# --- problems, reminders, inspections ----------------------------------------------------------


@dataclass(frozen=True)
class Problems:
    open: list[Problem]
    open_total: int
    closed: list[Problem]
    closed_total: int
    titles: dict[int, str]
    """What the reader is shown of each title: masked unless they handle the problem."""


def problems_section(*, session: Session, principal: Principal, enterprise: Enterprise) -> Problems:
    def page(states: tuple[str, ...]) -> Any:
        return list_problems(
            session=session,
            principal=principal,
            filters=ProblemFilter(state=states, enterprise_id=enterprise.id),
            per_page=LISTED,
        )

    closed_states = tuple(sorted(s for s in STATES if s not in OPEN_PROBLEM_STATES))
    opened, closed = page(OPEN_PROBLEM_STATES), page(closed_states)
    titles = {
        p.id: p.title if handles(principal, p) else mask(p.title)
        for p in [*opened.items, *closed.items]
    }
    return Problems(opened.items, opened.total, closed.items, closed.total, titles)


def reminders_section(
    *, session: Session, principal: Principal, enterprise: Enterprise
) -> list[Reminder]:
    query = reminders_visible(select(Reminder), principal).where(
        Reminder.enterprise_id == enterprise.id
    )
    order = (Reminder.created_at.desc(), Reminder.id.desc())
    return list(session.scalars(query.order_by(*order).limit(LISTED)))


def inspections_section(
    *, session: Session, principal: Principal, enterprise: Enterprise
) -> list[tuple[Inspection, Draw]]:
    """The enterprise's inspections (staff only: an enterprise sees none), newest draw first."""
    rows = session.execute(
        select(Inspection, Draw)
        .join(Draw, Inspection.draw_id == Draw.id)
        .where(Inspection.enterprise_id == enterprise.id, inspections_visible(principal))
        .order_by(Draw.period_start.desc(), Inspection.id.desc())
        .limit(LISTED)
    )
    return [(inspection, draw) for inspection, draw in rows]


# --- power -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Power:
    day: date
    meters: list[Any]
    chart: dict[str, Any]
    episodes: list[Any]
    problem_of: dict[int, int]
    readings: int


def power_section(*, session: Session, enterprise: Enterprise, now: datetime) -> Power | None:
    """The curves of the newest China day with readings (``power.curves``); None when the
    enterprise has no meter."""
    meters = power.meters(session=session, enterprise=enterprise.code)
    if not meters:
        return None
    latest = power.latest_reading(session, enterprise.id) or now
    day = latest.astimezone(CHINA_TZ).date()
    start = datetime.combine(day, time(), tzinfo=CHINA_TZ)
    end = start + timedelta(days=1)
    drawn = enterprise_curves(session=session, enterprise=enterprise, start=start, end=end)
    chart = {
        "start": int(start.timestamp()),
        "end": int(end.timestamp()),
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
    readings = sum(len(m["points"]) for m in drawn.meters)
    return Power(day, meters, chart, drawn.episodes, drawn.problem_of, readings)
