"""Retention and downsampling of monitoring data (``ecoradar measurements prune``; the
scheduler runs it on every pass).

What is kept (``ECORADAR_KEEP_*``; 0 keeps for good): real-time values (CN 2011) for
``KEEP_RTD_DAYS`` China days before today, minute values (CN 2051) for ``KEEP_MINUTE_MONTHS``
China months before this one, raw packets for ``KEEP_RAW_DAYS`` days before today (by receive
time; on SQLite in arrival order, up to the first packet received after the cut); hourly and
daily values for good. Before minute values of an hour are deleted, that hour
has an hourly value: when a point's factor has minute values in an hour but no hourly value,
one is derived from them (and real-time values of an hour with neither become an hourly value
the same way) and marked ``derived`` (``ecoradar.monitoring.downsample``).

PostgreSQL: whole partitions older than the cut are dropped (``ecoradar.monitoring.partitions``);
rows are deleted only from a partition that straddles the cut and from the DEFAULT partitions.
The same pass creates the partitions of the coming days and months. SQLite: rows are deleted,
point by point, in units of work of their own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.config import Settings
from ecoradar.core.db import UTCDateTime
from ecoradar.monitoring import partitions as parts
from ecoradar.monitoring.downsample import derive_hours
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.registry.models import MonitoringPoint

POINTS_PER_UNIT = 50
"""SQLite: points pruned per unit of work (each a write turn of its own)."""
RAW_CHUNK = 20_000
"""SQLite: raw packets deleted per unit of work."""


@dataclass(frozen=True)
class Retention:
    rtd_days: int
    minute_months: int
    raw_days: int

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        return cls(settings.keep_rtd_days, settings.keep_minute_months, settings.keep_raw_days)

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """The first instant kept per ``rtd``, ``minute`` and ``raw`` (absent: kept for good):
        a China day or month boundary, so PostgreSQL drops whole partitions."""
        day = parts.floor(now, "day")
        cut = {}
        if self.rtd_days:
            cut["rtd"] = parts.shift(day, "day", -self.rtd_days)
        if self.minute_months:
            cut["minute"] = parts.shift(parts.floor(now, "month"), "month", -self.minute_months)
        if self.raw_days:
            cut["raw"] = parts.shift(day, "day", -self.raw_days)
        return cut


@dataclass
class PruneReport:
    dry_run: bool = False
    cutoffs: dict[str, datetime] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    dropped_rows: Counter[str] = field(default_factory=Counter)
    """Rows in the dropped partitions, by ``rtd``, ``minute``, ``raw``: PostgreSQL's estimate
    (its statistics), counted only for a partition never analysed."""
    deleted_rows: Counter[str] = field(default_factory=Counter)
    """Rows deleted one by one, by ``rtd``, ``minute``, ``raw``."""
    derived_hours: int = 0

    @property
    def idle(self) -> bool:
        return not (self.created or self.dropped or +self.deleted_rows or self.derived_hours)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cutoffs": {k: v.isoformat() for k, v in sorted(self.cutoffs.items())},
            "partitions_created": self.created,
            "partitions_dropped": self.dropped,
            "rows_in_dropped_partitions": dict(sorted(self.dropped_rows.items())),
            "rows_deleted": dict(sorted(self.deleted_rows.items())),
            "hours_derived": self.derived_hours,
        }

    def __str__(self) -> str:
        would = "would be " if self.dry_run else ""
        removed = self.dropped_rows + self.deleted_rows
        return (
            f"retention: {len(self.created)} partition(s) {would}created, "
            f"{len(self.dropped)} {would}dropped; {sum(removed.values())} row(s) {would}removed "
            f"({', '.join(f'{k} {v}' for k, v in sorted(removed.items())) or 'none'}); "
            f"{self.derived_hours} hourly value(s) {would}derived"
        )


def prune(box: Container, *, dry_run: bool = False) -> PruneReport:
    """One pass of retention at the clock's time (``dry_run``: only report what it would do)."""
    now = box.clock.now()
    report = PruneReport(dry_run=dry_run, cutoffs=Retention.of(box.settings).cutoffs(now))
    with box.reading() as session:
        partitioned = parts.is_partitioned(session.connection())
    if partitioned:
        _prune_partitions(box, now, report)
    else:
        _prune_rows(box, now, report)
    return report


# --- PostgreSQL: partitions -------------------------------------------------------------------


def _prune_partitions(box: Container, now: datetime, report: PruneReport) -> None:
    cut = report.cutoffs
    for key, series in (*parts.KIND_SERIES.items(), ("raw", parts.RAW_SERIES)):
        _ensure(box, now, report, series, cut.get(key))
    for key in ("rtd", "minute", "raw"):
        if key in cut:
            series = parts.RAW_SERIES if key == "raw" else parts.KIND_SERIES[key]
            _prune_series(box, now, report, key, series, cut[key])
    if report.derived_hours and not report.dry_run:  # they may have reached a DEFAULT partition
        _ensure(box, now, report, parts.KIND_SERIES["hour"], None)


def _ensure(
    box: Container,
    now: datetime,
    report: PruneReport,
    series: parts.Series,
    keep_from: datetime | None,
) -> None:
    with box.reading() as session:  # most passes find everything made: no write at all
        ranges = parts.missing(session.connection(), series, now, keep_from)
    if report.dry_run or not ranges:
        report.created += [parts.name_of(series, lower) for lower, _ in ranges]
        return

    def create(session: Session) -> list[str]:
        return parts.ensure(session.connection(), series, now, keep_from)

    report.created += box.write(create, what=f"retention (partitions of {series.table})")


@dataclass
class _Done:
    derived: int = 0
    dropped: str | None = None
    rows: int = 0


def _prune_series(
    box: Container,
    now: datetime,
    report: PruneReport,
    key: str,
    series: parts.Series,
    cutoff: datetime,
) -> None:
    """Drop ``series``' partitions wholly before ``cutoff``, delete older rows from the others
    (the DEFAULT one, one straddling the cut), hourly values derived first."""
    with box.reading() as session:
        found = parts.partitions(session.connection(), series.table)
    for partition in found:
        whole = partition.upper is not None and partition.upper <= cutoff
        if not whole and partition.lower is not None and partition.lower >= cutoff:
            continue
        if not whole:  # the DEFAULT partition, or one straddling the cut: rows older than it?
            probe = f"SELECT EXISTS (SELECT 1 FROM {partition.name} WHERE {series.column} < :cut)"
            with box.reading() as session:
                if not session.scalar(text(probe), {"cut": cutoff}):
                    continue

        def work(session: Session, p: parts.Partition = partition, whole: bool = whole) -> _Done:
            conn = session.connection()
            done = _Done()
            if key != "raw":
                done.derived = derive_hours(
                    conn, kind=key, upper=cutoff, now=now, table=p.name, apply=not report.dry_run
                )
            if whole:
                done.dropped = p.name
                estimate = int(conn.scalar(_ESTIMATE, {"name": p.name}))
                if estimate < 0:  # never analysed (a small or a young table): count
                    estimate = int(conn.scalar(text(f"SELECT count(*) FROM {p.name}")) or 0)
                done.rows = estimate
                if not report.dry_run:
                    parts.drop(conn, p.name)
                return done
            old = f"FROM {p.name} WHERE {series.column} < :cut"
            if report.dry_run:
                done.rows = int(conn.scalar(text("SELECT count(*) " + old), {"cut": cutoff}) or 0)
            else:
                done.rows = _rowcount(conn.execute(text("DELETE " + old), {"cut": cutoff}))
            return done

        if report.dry_run:
            with box.reading() as session:
                done = work(session)
        else:
            done = box.write(work, what=f"retention ({partition.name})")
        report.derived_hours += done.derived
        if done.dropped:
            report.dropped.append(done.dropped)
            report.dropped_rows[key] += done.rows
        else:
            report.deleted_rows[key] += done.rows


_ESTIMATE = text("SELECT reltuples::bigint FROM pg_class WHERE relname = :name")
"""Rows of a partition about to be dropped, as the statistics have it (counting would read
the whole partition); -1 when it was never analysed."""


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


# --- SQLite (and PostgreSQL before partitions): rows --------------------------------------------


def _prune_rows(box: Container, now: datetime, report: PruneReport) -> None:
    cut = report.cutoffs
    for kind in ("rtd", "minute"):
        if kind not in cut:
            continue
        with box.reading() as session:
            points = list(
                session.scalars(
                    select(MonitoringPoint.id)
                    .where(
                        select(Measurement.point_id)
                        .where(
                            Measurement.point_id == MonitoringPoint.id,
                            Measurement.kind == kind,
                            Measurement.data_time < cut[kind],
                        )
                        .exists()
                    )
                    .order_by(MonitoringPoint.id)
                )
            )
        for start in range(0, len(points), POINTS_PER_UNIT):
            chunk = points[start : start + POINTS_PER_UNIT]

            def work(session: Session, chunk: list[int] = chunk, kind: str = kind) -> _Done:
                return _prune_points(
                    session.connection(), now, report.dry_run, kind, cut[kind], chunk
                )

            if report.dry_run:
                with box.reading() as session:
                    done = work(session)
            else:
                done = box.write(work, what=f"retention ({kind} values)")
            report.derived_hours += done.derived
            report.deleted_rows[kind] += done.rows
    if "raw" in cut:
        _prune_raw_rows(box, report, cut["raw"])


_OLD = "FROM measurements WHERE point_id = :point AND kind = :kind AND data_time < :cut"


def _prune_points(
    conn: Connection, now: datetime, dry_run: bool, kind: str, cutoff: datetime, points: list[int]
) -> _Done:
    done = _Done()
    cut = bindparam("cut", type_=UTCDateTime())
    for point_id in points:
        done.derived += derive_hours(
            conn, kind=kind, upper=cutoff, now=now, point_id=point_id, apply=not dry_run
        )
        values = {"point": point_id, "kind": kind, "cut": cutoff}
        if dry_run:
            done.rows += int(
                conn.scalar(text("SELECT count(*) " + _OLD).bindparams(cut), values) or 0
            )
        else:
            done.rows += _rowcount(conn.execute(text("DELETE " + _OLD).bindparams(cut), values))
    return done


def _prune_raw_rows(box: Container, report: PruneReport, cutoff: datetime) -> None:
    """The archive in arrival order (id), from the first packet up to the first one received
    at or after ``cutoff``: each step reads only what it deletes, where a search by receive
    time would read the whole table on every pass (the time is not indexed)."""
    cut = {"cut": cutoff}
    typed = (bindparam("cut", type_=UTCDateTime()),)
    with box.reading() as session:
        first = session.execute(
            select(RawPacket.received_at).order_by(RawPacket.id).limit(1)
        ).scalar()
        if first is None or first >= cutoff:
            return
        boundary = session.scalar(
            text(
                "SELECT id FROM raw_packets WHERE received_at >= :cut ORDER BY id LIMIT 1"
            ).bindparams(*typed),
            cut,
        )
    below = "" if boundary is None else f"id < {int(boundary)} AND "
    old = f"FROM raw_packets WHERE {below}received_at < :cut"
    if report.dry_run:
        with box.reading() as session:
            count = session.scalar(text("SELECT count(*) " + old).bindparams(*typed), cut)
            report.deleted_rows["raw"] += count or 0
        return
    chunk = text(
        f"DELETE FROM raw_packets WHERE id IN (SELECT id {old} ORDER BY id LIMIT {RAW_CHUNK})"
    ).bindparams(*typed)

    def work(session: Session) -> int:
        return _rowcount(session.execute(chunk, cut))

    while True:
        deleted = box.write(work, what="retention (raw packets)")
        report.deleted_rows["raw"] += deleted
        if deleted < RAW_CHUNK:
            break
