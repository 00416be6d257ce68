"""Reading alerts: lists with filters and the export contract."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, true, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.db import UTCDateTime
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.core.paging import COUNT_CAP, capped_count
from ecoradar.detection.models import DEVICE_LEVEL, Alert
from ecoradar.detection.params import DEFAULTS
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit

EXPORT_FIELDS = (
    "id",
    "mn",
    "enterprise_code",
    "factor",
    "kind",
    "start",
    "end",
    "severity",
    "evidence",
)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TZ).isoformat() if value is not None else None


def alert_query(
    *,
    kind: str | None = None,
    since: datetime | None = None,
    mn: str | None = None,
    open_only: bool = False,
) -> Select[Alert, str, str]:
    """Alerts with their MN and enterprise code; ``since`` keeps alerts still going at or
    after that time (open, or ending after it)."""
    query = (
        select(Alert, MonitoringPoint.mn, Enterprise.code)
        .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
    )
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if since is not None:
        query = query.where((Alert.end.is_(None)) | (Alert.end > since))
    if mn is not None:
        query = query.where(MonitoringPoint.mn == mn)
    if open_only:
        query = query.where(Alert.end.is_(None))
    return query.order_by(Alert.start, Alert.id)


def export_record(alert: Alert, mn: str, enterprise_code: str) -> dict[str, Any]:
    """One line of ``ecoradar alerts export``."""
    return {
        "id": alert.id,
        "mn": mn,
        "enterprise_code": enterprise_code,
        "factor": alert.factor if alert.factor != DEVICE_LEVEL else None,
        "kind": alert.kind,
        "start": _iso(alert.start),
        "end": _iso(alert.end),
        "severity": alert.severity,
        "evidence": alert.evidence,
    }


def export_alerts(
    *, session: Session, kind: str | None = None, since: datetime | None = None
) -> Iterator[dict[str, Any]]:
    for alert, mn, code in session.execute(
        alert_query(kind=kind, since=since).execution_options(yield_per=1000)
    ):
        yield export_record(alert, mn, code)


# --- lists, windows, counts and changes for the API and the pages -------------------------

SEVERITIES = ("low", "medium", "high")
STATES = ("open", "closed")
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class AlertFilter:
    """What a list of alerts is narrowed to. ``query`` is part of an enterprise name or MN;
    ``since`` and ``until`` keep the alerts that overlap ``[since, until)``."""

    kind: str | None = None
    severity: str | None = None
    state: str | None = None
    mn: str | None = None
    query: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AlertRow:
    """An alert with the device, outlet and enterprise it belongs to."""

    alert: Alert
    mn: str
    enterprise_code: str
    enterprise_name: str
    outlet_code: str
    outlet_name: str


@dataclass(frozen=True)
class AlertPage:
    items: list[AlertRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def capped(self) -> bool:
        """More than ``COUNT_CAP`` alerts match: ``total`` is ``COUNT_CAP + 1``."""
        return self.total > COUNT_CAP


@dataclass(frozen=True)
class Tally:
    open: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.closed


@dataclass(frozen=True)
class AlertCounts:
    by_kind: dict[str, Tally]
    by_severity: dict[str, Tally]

    @property
    def overall(self) -> Tally:
        return Tally(
            sum(t.open for t in self.by_kind.values()),
            sum(t.closed for t in self.by_kind.values()),
        )


# The alert lists join the Core tables of an alert's point, outlet and enterprise, not the
# mapped classes: a scoped session (ecoradar.auth.scope) then restricts the alerts alone, once,
# and not each joined table again. The result is the same (an alert in scope has its point,
# outlet and enterprise in scope), but with four copies of the region filter the planner
# expected a 40th of the matching rows and sorted them all instead of walking
# ``ix_alerts_start_id`` (bench/bench_lists.py).
_points = MonitoringPoint.__table__
_outlets = Outlet.__table__
_enterprises = Enterprise.__table__


def _joined(statement: _S) -> _S:
    return (
        statement.join(_points, Alert.point_id == _points.c.id)
        .join(_outlets, _points.c.outlet_id == _outlets.c.id)
        .join(_enterprises, _outlets.c.enterprise_id == _enterprises.c.id)
    )


def _located() -> Select[Alert, str, str, str, str, str]:
    return _joined(
        select(
            Alert,
            _points.c.mn,
            _enterprises.c.code,
            _enterprises.c.name,
            _outlets.c.code,
            _outlets.c.name,
        )
    )


def _escaped(text: str) -> str:
    """``text`` for a LIKE pattern, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(statement: _S, filters: AlertFilter) -> _S:
    """``statement`` (over alerts joined to their point, outlet and enterprise) narrowed."""
    if filters.kind:
        statement = statement.where(Alert.kind == filters.kind)
    if filters.severity:
        statement = statement.where(Alert.severity == filters.severity)
    if filters.state == "open":
        statement = statement.where(Alert.end.is_(None))
    elif filters.state == "closed":
        statement = statement.where(Alert.end.is_not(None))
    if filters.mn:
        statement = statement.where(_points.c.mn == filters.mn)
    if filters.query:
        pattern = "%" + _escaped(filters.query) + "%"
        statement = statement.where(
            _points.c.mn.ilike(pattern, escape="\\")
            | _enterprises.c.name.like(pattern, escape="\\")
        )
    if filters.since is not None:
        statement = statement.where(or_(Alert.end.is_(None), Alert.end > filters.since))
    if filters.until is not None:
        statement = statement.where(Alert.start < filters.until)
    return statement


def _rows(result: Any) -> list[AlertRow]:
    return [AlertRow(*row) for row in result]


def _narrowed(statement: _S, filters: AlertFilter) -> _S:
    """``statement`` over alerts (alone) narrowed to the ones the lists show: ``filters``,
    and only enterprises' points (an ambient station's point has no outlet, so the lists'
    inner joins leave its alerts out). The joins themselves only when a filter needs them:
    without them a deep page skips alerts without looking up their point, outlet and
    enterprise."""
    if filters.mn or filters.query:
        return _filtered(_joined(statement), filters)
    with_outlet = select(_points.c.id).where(_points.c.outlet_id.is_not(None))
    return _filtered(statement.where(Alert.point_id.in_(with_outlet).is_(true())), filters)


def _places(session: Session, point_ids: set[int]) -> dict[int, tuple[str, str, str, str, str]]:
    """The MN, enterprise code and name, outlet code and name of each of ``point_ids`` (the
    points of alerts already read through the session's scope)."""
    if not point_ids:
        return {}
    statement = select(
        _points.c.id,
        _points.c.mn,
        _enterprises.c.code,
        _enterprises.c.name,
        _outlets.c.code,
        _outlets.c.name,
    ).select_from(
        _points.join(_outlets, _points.c.outlet_id == _outlets.c.id).join(
            _enterprises, _outlets.c.enterprise_id == _enterprises.c.id
        )
    )
    rows = session.execute(statement.where(_points.c.id.in_(sorted(point_ids))))
    return {row[0]: tuple(row[1:]) for row in rows}


def search_alerts(
    *, session: Session, filters: AlertFilter, page: int = 1, per_page: int = 50
) -> AlertPage:
    """One page of the alerts matching ``filters``, newest start first.

    The page's alerts are read alone (walking ``ix_alerts_start_id`` backwards), then their
    points' names for those alerts only."""
    page = max(1, page)
    per_page = min(max(1, per_page), 500)
    total = capped_count(session, _narrowed(select(Alert.id), filters))
    alerts = session.scalars(
        _narrowed(select(Alert), filters)
        .order_by(Alert.start.desc(), Alert.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    places = _places(session, {alert.point_id for alert in alerts})
    items = [AlertRow(alert, *places[alert.point_id]) for alert in alerts]
    return AlertPage(items, total, page, per_page)


def alert_by_id(*, session: Session, alert_id: int) -> AlertRow:
    row = session.execute(_located().where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"no alert with id {alert_id}")
    return AlertRow(*row)


def alert_windows(
    *,
    session: Session,
    mn: str,
    factor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Alert]:
    """The alerts of the point ``mn`` overlapping ``[since, until)``, oldest first; with a
    ``factor``, that factor's alerts and the device-level ones (offline, time anomalies)."""
    point_id = session.scalar(select(MonitoringPoint.id).where(MonitoringPoint.mn == mn))
    if point_id is None:
        raise NotFoundError(f"no monitoring point with MN {mn!r}")
    statement = select(Alert).where(Alert.point_id == point_id)
    if factor:
        statement = statement.where(Alert.factor.in_([factor, DEVICE_LEVEL]))
    if since is not None:
        statement = statement.where(or_(Alert.end.is_(None), Alert.end > since))
    if until is not None:
        statement = statement.where(Alert.start < until)
    return list(session.scalars(statement.order_by(Alert.start, Alert.id)))


def count_alerts(*, session: Session, filters: AlertFilter) -> AlertCounts:
    """Alerts matching ``filters`` by kind and by severity, open and closed."""
    is_open = Alert.end.is_(None)
    statement = _narrowed(
        select(Alert.kind, Alert.severity, is_open, func.count()).select_from(Alert), filters
    ).group_by(Alert.kind, Alert.severity, is_open)
    kinds: dict[str, list[int]] = {}
    severities: dict[str, list[int]] = {}
    for kind, severity, still_open, count in session.execute(statement):
        slot = 0 if still_open else 1
        kinds.setdefault(kind, [0, 0])[slot] += count
        severities.setdefault(severity, [0, 0])[slot] += count
    return AlertCounts(
        {k: Tally(*v) for k, v in kinds.items()}, {s: Tally(*v) for s, v in severities.items()}
    )


WATCH_LOOKBACK = timedelta(seconds=10)
"""How far before the newest change seen a watch looks again: another writer's transaction may
commit a little after a later one, with an earlier ``updated_at``."""


@dataclass
class AlertWatch:
    """Which alerts were raised or changed since the last look (the live stream's cursor).

    New alerts are found by id (whatever their writer's clock says), changed ones by
    ``updated_at`` from a little before the newest change seen; what was already reported,
    unchanged, is not reported again. Each look is one query; the caller opens a short session
    per look, so no transaction stays open in between.
    """

    filters: AlertFilter = field(default_factory=AlertFilter)
    last_id: int = 0
    since: datetime | None = None
    seen: dict[int, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def token(self) -> str:
        """Where this watch stands (an SSE event id): ``<last id>:<microseconds since 1970>``."""
        micros = int(self.since.timestamp() * 1_000_000) if self.since is not None else 0
        return f"{self.last_id}:{micros}"

    def resume(self, token: str | None) -> bool:
        """Continue from ``token`` (a previous watch's); false when it is not one."""
        parts = (token or "").strip().split(":")
        if len(parts) != 2 or not all(p.isdigit() and len(p) <= 19 for p in parts):
            return False
        self.last_id = int(parts[0])
        micros = int(parts[1])
        self.since = datetime.fromtimestamp(micros / 1_000_000, CHINA_TZ) if micros else None
        return True

    def start(self, session: Session) -> None:
        """Begin at what is stored now: only later raises and changes will be reported."""
        newest = type_coerce(func.max(Alert.updated_at), UTCDateTime())
        last_id, since = session.execute(select(func.max(Alert.id), newest)).one()
        self.last_id = last_id or 0
        self.since = since
        self.look(session)

    def look(self, session: Session, limit: int = 1000) -> list[AlertRow]:
        """The alerts raised or changed since the last look, oldest change first."""
        found = Alert.id > self.last_id
        if self.since is not None:
            found = or_(found, Alert.updated_at >= self.since - WATCH_LOOKBACK)
        rows = _rows(
            session.execute(
                _filtered(_located(), self.filters)
                .where(found)
                .order_by(Alert.updated_at, Alert.id)
                .limit(limit)
            )
        )
        changed = []
        for row in rows:
            alert = row.alert
            state = (alert.updated_at, alert.start, alert.end, alert.severity)
            if self.seen.get(alert.id) != state:
                self.seen[alert.id] = state
                changed.append(row)
            self.last_id = max(self.last_id, alert.id)
            if self.since is None or alert.updated_at > self.since:
                self.since = alert.updated_at
        if self.since is not None:
            horizon = self.since - WATCH_LOOKBACK
            for alert_id in [i for i, s in self.seen.items() if s[0] < horizon]:
                del self.seen[alert_id]
        return changed


def tune(
    *, session: Session, mn: str, factor: str | None, settings: dict[str, str]
) -> dict[str, Any]:
    """Override detection thresholds for a point (or one of its factors); an empty value
    restores the default. Returns the overrides now in force there. Unknown names, values of
    the wrong type and factors without a limit are refused, and nothing changes."""
    point = session.scalar(select(MonitoringPoint).where(MonitoringPoint.mn == mn))
    if point is None:
        raise NotFoundError(f"no monitoring point with MN {mn!r}")
    owner: MonitoringPoint | PointLimit = point
    if factor is not None:
        limit = next((x for x in point.limits if x.factor == factor), None)
        if limit is None:
            raise InputError(f"MN {mn} has no limit for factor {factor!r}")
        owner = limit
    current = dict(owner.detection or {})
    for name, value in settings.items():
        if value == "":
            current.pop(name, None)
        else:
            current[name] = value
    try:
        checked = DEFAULTS.merged(current)
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc)) from exc
    owner.detection = {name: getattr(checked, name) for name in current} or None
    session.flush()
    return dict(owner.detection or {})
