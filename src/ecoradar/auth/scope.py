"""What a principal may see of the registry and everything hanging off it, applied to a
database session.

``apply_scope(session, principal)`` makes every ORM query the session runs from then on
leave out enterprises (and their outlets, monitoring points, alerts, measurements and raw
packets) outside the principal's reach: an officer or grid worker sees the enterprises in
their region subtree (and every ambient station's point and data), an enterprise user its own
enterprise, an administrator everything.
The services stay unaware of who is asking; a detail outside the scope is simply not found,
so its existence does not leak. This is SQLAlchemy's documented "global criteria" pattern
(``with_loader_criteria`` from a ``do_orm_execute`` hook), registered on one session object
only: one request's, or one stream look's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, event, false, select, true, union_all
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ecoradar.auth.principal import Principal
from ecoradar.detection.models import Alert
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

SCOPE_KEY = "ecoradar.scope"
"""Where ``session.info`` records the principal a session is scoped to."""

# Core tables inside the criteria, so the criteria themselves are not criteria'd again.
_enterprises = Enterprise.__table__
_outlets = Outlet.__table__
_points = MonitoringPoint.__table__


def enterprise_criteria(principal: Principal) -> ColumnElement[bool] | None:
    """The condition on ``enterprises`` for what ``principal`` may see; ``None`` for all."""
    if principal.unrestricted:
        return None
    if principal.enterprise_id is not None:
        return _enterprises.c.id == principal.enterprise_id
    if principal.region_ids:
        return _enterprises.c.region_id.in_(sorted(principal.region_ids))
    return false()


def _visible_enterprise_ids(condition: ColumnElement[bool]) -> Select[tuple[int]]:
    return select(_enterprises.c.id).where(condition)


def _visible_point_ids(condition: ColumnElement[bool], stations: bool) -> Any:
    # UNION ALL: only ever read by IN (...), where a duplicate changes nothing; no dedupe.
    enterprises = (
        select(_points.c.id)
        .join(_outlets, _points.c.outlet_id == _outlets.c.id)
        .join(_enterprises, _outlets.c.enterprise_id == _enterprises.c.id)
        .where(condition)
    )
    if not stations:
        return enterprises
    return union_all(enterprises, select(_points.c.id).where(_points.c.station_id.is_not(None)))


def _visible_mns(condition: ColumnElement[bool], stations: bool) -> Any:
    enterprises = (
        select(_points.c.mn)
        .join(_outlets, _points.c.outlet_id == _outlets.c.id)
        .join(_enterprises, _outlets.c.enterprise_id == _enterprises.c.id)
        .where(condition)
    )
    if not stations:
        return enterprises
    return union_all(enterprises, select(_points.c.mn).where(_points.c.station_id.is_not(None)))


def apply_scope(session: Session, principal: Principal) -> Session:
    """Scope ``session`` to ``principal`` (for the rest of its life) and return it. An
    unrestricted principal (an administrator) changes nothing."""
    session.info[SCOPE_KEY] = principal
    condition = enterprise_criteria(principal)
    if condition is None:
        return session
    enterprise_ids = _visible_enterprise_ids(condition)
    # Ambient stations' data is the region's, not an enterprise's: every principal but an
    # enterprise sees it (ecoradar.stations).
    stations = principal.enterprise_id is None
    point_ids = _visible_point_ids(condition, stations)
    options = (
        with_loader_criteria(Enterprise, Enterprise.id.in_(enterprise_ids), include_aliases=True),
        with_loader_criteria(
            Outlet, Outlet.enterprise_id.in_(enterprise_ids), include_aliases=True
        ),
        with_loader_criteria(
            MonitoringPoint, MonitoringPoint.id.in_(point_ids), include_aliases=True
        ),
        # ``IS TRUE``: PostgreSQL then keeps the test as a filter over a hashed set of the
        # points in scope (computed once) instead of a semi-join, so the alert list can walk
        # ``ix_alerts_start_id`` and stop after a page (a join forgets the index's order and
        # sorts every alert in the region: bench/bench_lists.py). Same rows either way.
        with_loader_criteria(
            Alert, Alert.point_id.in_(point_ids).is_(true()), include_aliases=True
        ),
        with_loader_criteria(Measurement, Measurement.point_id.in_(point_ids)),
        with_loader_criteria(RawPacket, RawPacket.mn.in_(_visible_mns(condition, stations))),
    )

    def scoped(state: ORMExecuteState) -> None:
        if state.is_select and not state.is_column_load and not state.is_relationship_load:
            state.statement = state.statement.options(*options)

    event.listen(session, "do_orm_execute", scoped)
    return session


def scope_of(session: Session) -> Principal | None:
    """The principal ``session`` was scoped to, if any."""
    found = session.info.get(SCOPE_KEY)
    return found if isinstance(found, Principal) else None
