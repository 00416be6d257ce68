"""Suspects for a clue, from the database: the enterprises within the radius with their
permitted factors and the anomalies of their own data around the clue's time, the wind at the
clue's place from the nearest ambient stations, ranked by ``suspects_rules``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoradar.core.errors import InputError
from ecoradar.core.geo import bounding_box
from ecoradar.detection.models import Alert
from ecoradar.linkage import suspects_rules as rules
from ecoradar.linkage.suspects_rules import Anomaly, Candidate, Clue, Suspect
from ecoradar.problems.models import CATEGORIES, Finding, Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.stations.service import wind_near
from ecoradar.stations.wind import Wind

WindLookup = Callable[[float, float, datetime], Wind | None]
"""The wind at a place and time (``None``: nothing known)."""

POWER_CHANNELS = ("power",)
"""Finding channels of power sub-metering."""


def no_wind(lat: float, lon: float, at: datetime) -> Wind | None:
    return None


def wind_from(session: Session) -> WindLookup:
    """The wind interpolated from the ambient air stations' hourly readings
    (``ecoradar.stations``)."""

    def lookup(lat: float, lon: float, at: datetime) -> Wind | None:
        return wind_near(session=session, lat=lat, lon=lon, at=at)

    return lookup


def check_clue(clue: Clue) -> None:
    """Refuse a clue the ranking cannot use, naming the field."""
    if clue.category not in CATEGORIES:
        raise InputError(f"category: {clue.category!r} is not one of {', '.join(CATEGORIES)}")
    if not (-90 <= clue.lat <= 90):
        raise InputError(f"lat: {clue.lat} is not a latitude (-90 to 90)")
    if not (-180 <= clue.lon <= 180):
        raise InputError(f"long: {clue.lon} is not a longitude (-180 to 180)")
    if not (0 < clue.radius_m <= rules.MAX_RADIUS_M):
        raise InputError(f"radius-m: {clue.radius_m} is not between 0 and {rules.MAX_RADIUS_M:g}")
    if clue.at.tzinfo is None:
        raise InputError("at: give the time with its offset (2026-12-05T08:00:00+08:00)")


def suspects(*, session: Session, clue: Clue, wind: WindLookup = no_wind) -> list[Suspect]:
    """The enterprises that could have caused ``clue``, best first."""
    check_clue(clue)
    winds = [(weight, wind(clue.lat, clue.lon, clue.at - lag)) for lag, weight in rules.WIND_LAGS]
    return rules.rank(clue, candidates(session=session, clue=clue), winds)


def candidates(*, session: Session, clue: Clue) -> list[Candidate]:
    """The enterprises in the clue's bounding box (``rank`` applies the exact radius)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(clue.lat, clue.lon, clue.radius_m)
    rows = session.execute(
        select(
            Enterprise.id,
            Enterprise.code,
            Enterprise.name,
            Enterprise.industry,
            Enterprise.latitude,
            Enterprise.longitude,
        ).where(
            Enterprise.latitude.between(min_lat, max_lat),
            Enterprise.longitude.between(min_lon, max_lon),
        )
    ).all()
    ids = [row.id for row in rows]
    factors = _factors(session, ids)
    anomalies = _anomalies(session, ids, clue.at)
    return [
        Candidate(
            code=row.code,
            name=row.name,
            industry=row.industry,
            lat=row.latitude,
            lon=row.longitude,
            factors=frozenset(factors.get(row.id, ())),
            anomalies=tuple(anomalies.get(row.id, ())),
            enterprise_id=row.id,
        )
        for row in rows
    ]


def _factors(session: Session, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return found
    rows = session.execute(
        select(Outlet.enterprise_id, PointLimit.factor)
        .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
        .join(PointLimit, PointLimit.point_id == MonitoringPoint.id)
        .where(Outlet.enterprise_id.in_(ids))
        .distinct()
    )
    for enterprise_id, factor in rows:
        found[enterprise_id].add(factor)
    return found


def _anomalies(session: Session, ids: list[int], at: datetime) -> dict[int, list[Anomaly]]:
    found: dict[int, list[Anomaly]] = defaultdict(list)
    if not ids:
        return found
    first, last = at - rules.ANOMALY_BEFORE, at + rules.ANOMALY_AFTER
    alerts = session.execute(
        select(Outlet.enterprise_id, Alert.kind, Alert.factor, Alert.start, Alert.end)
        .join(MonitoringPoint, MonitoringPoint.id == Alert.point_id)
        .join(Outlet, Outlet.id == MonitoringPoint.outlet_id)
        .where(
            Outlet.enterprise_id.in_(ids),
            Alert.start <= last,
            or_(Alert.end.is_(None), Alert.end >= first),
        )
        .order_by(Alert.start)
    )
    for enterprise_id, kind, factor, start, _ in alerts:
        found[enterprise_id].append(Anomaly("alert", kind, max(start, first), factor or None))
    power = session.execute(
        select(Problem.enterprise_id, Finding.data, Finding.observed_at)
        .join(Problem, Problem.id == Finding.problem_id)
        .where(
            Problem.enterprise_id.in_(ids),
            Finding.channel.in_(POWER_CHANNELS),
            Finding.observed_at.between(first, last),
        )
        .order_by(Finding.observed_at)
    )
    for enterprise_id, data, observed_at in power:
        kind = str((data or {}).get("rule") or "power")  # treatment_idle, monitoring_offline
        found[enterprise_id].append(Anomaly("power", kind, observed_at))
    return found


def as_record(suspect: Suspect) -> dict[str, object]:
    """The command line's line for a suspect (issue 17's contract): ``enterprise_code``,
    ``score``, ``distance_m``, ``reasons`` (texts), then the rest."""
    return {
        "enterprise_code": suspect.candidate.code,
        "score": suspect.score,
        "distance_m": round(suspect.distance_m, 1),
        "reasons": [rules.reason_text(r) for r in suspect.reasons],
        "enterprise_name": suspect.candidate.name,
        "industry": suspect.candidate.industry,
        "bearing_degrees": round(suspect.bearing, 1),
        "parts": {name: round(value, 3) for name, value in suspect.parts.items()},
    }
