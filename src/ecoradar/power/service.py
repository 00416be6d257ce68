"""The power registry and readings as a service: import (all or nothing), lists, storing
readings once per meter and time, and reading curves back.

Writes happen in the caller's unit of work. Reads of a scoped session (``auth.scope``) see only
the enterprises in reach: every query here joins ``Enterprise``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ecoradar.core.errors import ImportRefused, InputError, NotFoundError, RowError
from ecoradar.core.tables import read_table
from ecoradar.power import rules
from ecoradar.power.importer import (
    METER_COLUMNS,
    METER_OPTIONAL,
    UNIT_COLUMNS,
    UNIT_OPTIONAL,
    MeterRecord,
    UnitRecord,
    check_meters,
    check_units,
)
from ecoradar.power.models import PowerEpisode, PowerMeter, PowerReading, PowerUnit
from ecoradar.power.payload import MAX_OVER_RATED, ReadingIn
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet


@dataclass(frozen=True)
class ImportSummary:
    units: int = 0
    meters: int = 0


def _enterprise_points(session: Session) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    rows = session.execute(
        select(Enterprise.code, MonitoringPoint.mn)
        .join(Outlet, Outlet.enterprise_id == Enterprise.id)
        .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
    )
    for code, mn in rows:
        found.setdefault(code, set()).add(mn)
    return found


def import_power(
    *, session: Session, units: Path | None, meters: Path | None, now: datetime
) -> ImportSummary:
    """Check both files completely, then write them; ``ImportRefused`` (one ``RowError`` per
    bad cell) or ``InputError`` (unreadable file) and nothing written otherwise."""
    enterprises = {e.code: e for e in session.scalars(select(Enterprise))}
    stored_units = {
        (code, unit.code): unit.kind
        for unit, code in session.execute(
            select(PowerUnit, Enterprise.code).join(
                Enterprise, PowerUnit.enterprise_id == Enterprise.id
            )
        )
    }
    errors: list[RowError] = []
    unit_records: list[UnitRecord] = []
    if units is not None:
        table = read_table(units, required=UNIT_COLUMNS, optional=UNIT_OPTIONAL)
        unit_records, found = check_units(
            table, enterprise_codes=set(enterprises), stored_units=stored_units
        )
        errors += found
    meter_records: list[MeterRecord] = []
    if meters is not None:
        table = read_table(meters, required=METER_COLUMNS, optional=METER_OPTIONAL)
        known = {**stored_units, **{(r.enterprise_code, r.code): r.kind for r in unit_records}}
        owners = dict(
            session.execute(
                select(PowerMeter.code, Enterprise.code).join(
                    Enterprise, PowerMeter.enterprise_id == Enterprise.id
                )
            ).all()
        )
        meter_records, found = check_meters(
            table, units=known, meter_owner=owners, enterprise_points=_enterprise_points(session)
        )
        errors += found
    if errors:
        raise ImportRefused(errors)
    by_key = {
        (code, unit.code): unit
        for unit, code in session.execute(
            select(PowerUnit, Enterprise.code).join(
                Enterprise, PowerUnit.enterprise_id == Enterprise.id
            )
        )
    }
    for u in unit_records:
        unit = by_key.get((u.enterprise_code, u.code))
        if unit is None:
            unit = PowerUnit(enterprise_id=enterprises[u.enterprise_code].id, code=u.code)
            session.add(unit)
            by_key[(u.enterprise_code, u.code)] = unit
        unit.name, unit.kind, unit.treats = u.name, u.kind, u.treats
        unit.serves, unit.updated_at = list(u.serves), now
    session.flush()
    stored_meters = {m.code: m for m in session.scalars(select(PowerMeter))}
    for r in meter_records:
        meter = stored_meters.get(r.code)
        if meter is None:
            meter = PowerMeter(code=r.code)
            session.add(meter)
        meter.enterprise_id = enterprises[r.enterprise_code].id
        meter.unit_id = by_key[(r.enterprise_code, r.unit_code)].id
        meter.rated_kw, meter.running_kw, meter.idle_kw = r.rated_kw, r.running_kw, r.idle_kw
        meter.interval_s, meter.points, meter.updated_at = r.interval_s, list(r.points), now
    session.flush()
    return ImportSummary(len(unit_records), len(meter_records))


# --- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterRow:
    meter: PowerMeter
    unit: PowerUnit
    enterprise_code: str
    enterprise_name: str


def meters(*, session: Session, enterprise: str | None = None) -> list[MeterRow]:
    """Meters (of one enterprise, by code), with their unit and enterprise, in id order."""
    query = (
        select(PowerMeter, PowerUnit, Enterprise.code, Enterprise.name)
        .join(PowerUnit, PowerMeter.unit_id == PowerUnit.id)
        .join(Enterprise, PowerMeter.enterprise_id == Enterprise.id)
        .order_by(Enterprise.code, PowerUnit.kind, PowerMeter.code)
    )
    if enterprise is not None:
        query = query.where(Enterprise.code == enterprise.upper())
    return [MeterRow(*row) for row in session.execute(query)]


def units(*, session: Session, enterprise: str | None = None) -> list[tuple[PowerUnit, str]]:
    """Units with their enterprise's code, by enterprise, kind and code."""
    query = (
        select(PowerUnit, Enterprise.code)
        .join(Enterprise, PowerUnit.enterprise_id == Enterprise.id)
        .order_by(Enterprise.code, PowerUnit.kind, PowerUnit.code)
    )
    if enterprise is not None:
        query = query.where(Enterprise.code == enterprise.upper())
    return [(u, code) for u, code in session.execute(query)]


def metered_enterprises(*, session: Session) -> list[tuple[Enterprise, int]]:
    """Enterprises with meters (in reach) and how many meters each has."""
    counts: dict[int, int] = {}
    found: dict[int, Enterprise] = {}
    for enterprise in session.scalars(
        select(Enterprise).join(PowerMeter, PowerMeter.enterprise_id == Enterprise.id)
    ):
        counts[enterprise.id] = counts.get(enterprise.id, 0) + 1
        found[enterprise.id] = enterprise
    return sorted(((e, counts[e.id]) for e in found.values()), key=lambda x: x[0].code)


def enterprise_in_reach(*, session: Session, code: str) -> Enterprise:
    """The enterprise of ``code`` if the session may see it (else ``NotFoundError``)."""
    found = session.scalar(select(Enterprise).where(Enterprise.code == code.upper()))
    if found is None:
        raise NotFoundError(f"no enterprise {code}")
    return found


# --- readings ---------------------------------------------------------------------------------


@dataclass
class Stored:
    """What a batch of readings did: stored and already-known counts, and for each enterprise
    the time range its new readings cover (what detection must look at again)."""

    stored: int = 0
    duplicates: int = 0
    ranges: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)


def meters_by_code(session: Session, codes: set[str]) -> dict[str, tuple[PowerMeter, str, int]]:
    """meter id -> (meter, enterprise code, enterprise region id or -1)."""
    if not codes:
        return {}
    rows = session.execute(
        select(PowerMeter, Enterprise.code, Enterprise.region_id)
        .join(Enterprise, PowerMeter.enterprise_id == Enterprise.id)
        .where(PowerMeter.code.in_(sorted(codes)))
    )
    return {m.code: (m, code, region if region is not None else -1) for m, code, region in rows}


def check_readings(
    session: Session,
    items: Sequence[ReadingIn],
    *,
    enterprise: str | None = None,
    where: str = "readings",
    regions: frozenset[int] | None = None,
) -> dict[str, PowerMeter]:
    """The meters of ``items``; refused (``InputError`` naming the item) when a meter is
    unknown, of another enterprise than ``enterprise`` (the topic's), outside ``regions``, or
    a value is impossible for it."""
    found = meters_by_code(session, {i.meter for i in items})
    for n, item in enumerate(items):
        place = where if enterprise is not None else f"{where}[{n}]"
        hit = found.get(item.meter)
        if hit is None or (regions is not None and hit[2] not in regions):
            raise InputError(f"{place}: meter: unknown meter {item.meter!r}")
        meter, code, _ = hit
        if enterprise is not None and code != enterprise:
            raise InputError(f"{place}: meter {item.meter} belongs to another enterprise")
        if item.kw > meter.rated_kw * MAX_OVER_RATED:
            raise InputError(
                f"{place}: kw: {item.kw:g} is over {MAX_OVER_RATED:g} times the rated "
                f"{meter.rated_kw:g} kW of meter {item.meter}"
            )
    return {code: hit[0] for code, hit in found.items()}


def store_readings(
    *,
    session: Session,
    items: Sequence[ReadingIn],
    meters: dict[str, PowerMeter],
    source: str,
    now: datetime,
) -> Stored:
    """Store checked readings; a (meter, time) already stored, or twice in ``items``, is kept
    once with its first value."""
    result = Stored()
    fresh: dict[tuple[int, datetime], ReadingIn] = {}
    for item in items:
        fresh.setdefault((meters[item.meter].id, item.at), item)
    result.duplicates = len(items) - len(fresh)
    if not fresh:
        return result
    known = set(
        session.execute(
            select(PowerReading.meter_id, PowerReading.at).where(
                tuple_(PowerReading.meter_id, PowerReading.at).in_(list(fresh))
            )
        )
    )
    rows = [
        {
            "meter_id": key[0],
            "at": key[1],
            "kw": item.kw,
            "kwh": item.kwh,
            "source": source,
            "received_at": now,
        }
        for key, item in fresh.items()
        if key not in known
    ]
    result.duplicates += len(fresh) - len(rows)
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(PowerReading).on_conflict_do_nothing(), rows)
    result.stored = len(rows)
    owner = {m.id: m.enterprise_id for m in meters.values()}
    for meter_id, at in (key for key in fresh if key not in known):
        enterprise_id = owner[meter_id]
        low, high = result.ranges.get(enterprise_id, (at, at))
        result.ranges[enterprise_id] = (min(low, at), max(high, at))
    return result


def samples(
    session: Session, meter_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[rules.Sample]]:
    """Each meter's readings in [start, end), time order."""
    found: dict[int, list[rules.Sample]] = {i: [] for i in meter_ids}
    if not meter_ids:
        return found
    rows = session.execute(
        select(PowerReading.meter_id, PowerReading.at, PowerReading.kw)
        .where(
            PowerReading.meter_id.in_(list(meter_ids)),
            PowerReading.at >= start,
            PowerReading.at < end,
        )
        .order_by(PowerReading.meter_id, PowerReading.at)
    )
    for meter_id, at, kw in rows:
        found[meter_id].append(rules.Sample(at, kw))
    return found


def as_rule_meter(meter: PowerMeter) -> rules.Meter:
    return rules.Meter(
        meter.code,
        meter.unit.code,
        meter.unit.kind,
        meter.rated_kw,
        meter.running_kw,
        meter.idle_kw,
        timedelta(seconds=meter.interval_s),
    )


def latest_reading(session: Session, enterprise_id: int) -> datetime | None:
    """The newest reading time of the enterprise's meters."""
    return session.scalar(
        select(PowerReading.at)
        .join(PowerMeter, PowerReading.meter_id == PowerMeter.id)
        .where(PowerMeter.enterprise_id == enterprise_id)
        .order_by(PowerReading.at.desc())
        .limit(1)
    )


def episodes(
    *, session: Session, enterprise_id: int, start: datetime, end: datetime
) -> list[PowerEpisode]:
    """The enterprise's episodes overlapping [start, end), oldest first (not the withdrawn)."""
    return list(
        session.scalars(
            select(PowerEpisode)
            .join(Enterprise, PowerEpisode.enterprise_id == Enterprise.id)
            .where(
                PowerEpisode.enterprise_id == enterprise_id,
                PowerEpisode.withdrawn_at.is_(None),
                PowerEpisode.start < end,
                PowerEpisode.end > start,
            )
            .order_by(PowerEpisode.start, PowerEpisode.id)
        )
    )
