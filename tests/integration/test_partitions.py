"""Measurements and raw packets in time partitions (PostgreSQL) and in one table (SQLite):
routing, writes across a boundary, retransmissions, rows waiting in a DEFAULT partition, and
migration 0014 both ways."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from ecoradar.bootstrap import Container
from ecoradar.core import migrate
from ecoradar.core.db import UTCDateTime
from ecoradar.monitoring import partitions as parts
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.retention import prune
from ecoradar.simulate.traffic import (
    CN_DAY,
    CN_HOUR,
    CN_MINUTE,
    CN_REALTIME,
    FactorProfile,
    PointProfile,
    upload,
)
from tests.factories import GAS_MN, PASSWORD, load_small_registry

GAS = PointProfile(
    GAS_MN, PASSWORD, "gas", (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6))
)
CHINA_MIDNIGHT = datetime(2026, 11, 1, 16, tzinfo=UTC)
"""2026-11-02 00:00 China time: a boundary of the real-time values' daily partitions."""
CHINA_MONTH = datetime(2026, 10, 31, 16, tzinfo=UTC)
"""2026-11-01 00:00 China time: a boundary of the minute and hourly values' partitions."""


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def is_postgres(box: Container) -> bool:
    return box.engine.dialect.name == "postgresql"


def make_partitions(box: Container, at: datetime) -> None:
    """The partitions the scheduler would have made at ``at`` (PostgreSQL)."""
    if is_postgres(box):
        with box.transaction() as session:
            for series in parts.SERIES:
                parts.ensure(session.connection(), series, at)


def frames(*uploads: tuple[str, datetime]) -> list[tuple[bytes, str]]:
    return [(upload(GAS, cn, when), "10.1.1.1:4000") for cn, when in uploads]


def stored(box: Container) -> list[tuple[Any, ...]]:
    """Every measurement with the table holding it (PostgreSQL's partition, else the table)."""
    where = "tableoid::regclass::text" if is_postgres(box) else "'measurements'"
    with box.engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT kind, factor, data_time, avg, rtd, {where} FROM measurements").columns(
                data_time=UTCDateTime()
            )
        )
        return sorted(tuple(row) for row in rows)


ACROSS = (
    (CN_REALTIME, CHINA_MIDNIGHT - timedelta(seconds=30)),
    (CN_REALTIME, CHINA_MIDNIGHT),
    (CN_HOUR, CHINA_MONTH - timedelta(hours=1)),
    (CN_HOUR, CHINA_MONTH),
    (CN_MINUTE, CHINA_MONTH - timedelta(minutes=1)),
    (CN_DAY, CHINA_MONTH - timedelta(days=1)),
)


def test_values_go_to_the_partition_of_their_kind_and_time_and_a_batch_may_cross_a_boundary(
    city: Container,
) -> None:
    make_partitions(city, CHINA_MONTH - timedelta(days=1))
    summary = Intake(city, detect=False).run(frames(*ACROSS))
    assert summary.rows_inserted == summary.rows_offered == len(stored(city)) > len(ACROSS)
    places = {(kind, when): table for kind, _, when, _, _, table in stored(city)}
    assert len(places) == len(ACROSS)
    if not is_postgres(city):
        assert set(places.values()) == {"measurements"}
        return
    assert places == {
        ("rtd", CHINA_MIDNIGHT - timedelta(seconds=30)): "measurements_rtd_20261101",
        ("rtd", CHINA_MIDNIGHT): "measurements_rtd_20261102",
        ("hour", CHINA_MONTH - timedelta(hours=1)): "measurements_hour_202610",
        ("hour", CHINA_MONTH): "measurements_hour_202611",
        ("minute", CHINA_MONTH - timedelta(minutes=1)): "measurements_minute_202610",
        ("day", CHINA_MONTH - timedelta(days=1)): "measurements_day_2026",
    }
    with city.engine.connect() as conn:
        archived = conn.scalars(text("SELECT DISTINCT tableoid::regclass::text FROM raw_packets"))
        assert set(archived) == {"raw_packets_20261102"}  # by receive time: the clock's day


def test_a_retransmitted_value_is_not_doubled_across_partitions(city: Container) -> None:
    make_partitions(city, CHINA_MONTH - timedelta(days=1))
    Intake(city, detect=False).run(frames(*ACROSS))
    before = stored(city)
    again = Intake(city, detect=False).run(frames(*ACROSS))  # all stored: the COPY meets the key
    assert again.rows_inserted == 0
    later = CHINA_MONTH + timedelta(hours=5)
    mixed = Intake(city, detect=False).run(frames(*ACROSS, (CN_HOUR, later)))  # staged path
    assert mixed.rows_inserted == len(stored(city)) - len(before) > 0
    after = stored(city)
    assert [row for row in after if row[2] != later] == before
    with city.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RawPacket)) == 3 * len(ACROSS) + 1


def test_values_outside_every_partition_wait_in_the_default_one_and_move_when_it_is_made(
    city: Container,
) -> None:
    old = datetime(2024, 3, 5, 2, tzinfo=UTC)
    Intake(city, detect=False).run(frames((CN_HOUR, old), (CN_HOUR, CHINA_MONTH)))
    if not is_postgres(city):
        assert {when for _, _, when, _, _, _ in stored(city)} == {old, CHINA_MONTH}
        return
    tables = {when: table for _, _, when, _, _, table in stored(city)}
    assert tables[old] == "measurements_hour_default"
    report = prune(city)
    assert "measurements_hour_202403" in report.created
    tables = {when: table for _, _, when, _, _, table in stored(city)}
    assert tables == {old: "measurements_hour_202403", CHINA_MONTH: "measurements_hour_202611"}
    with city.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM measurements_hour_default")) == 0


def test_a_value_written_while_its_partition_is_being_made_waits_and_lands_in_it(
    city: Container,
) -> None:
    """A device's value for a month without a partition, sent while the scheduler moves that
    month's waiting rows out of the DEFAULT partition, neither fails the move (the DEFAULT
    partition is locked from the start) nor is lost: it waits, then goes to the new one."""
    if not is_postgres(city):
        pytest.skip("SQLite keeps one table of measurements: there is no partition to make")
    old = datetime(2024, 3, 5, 2, tzinfo=UTC)
    Intake(city, detect=False).run(frames((CN_HOUR, old)))
    late = Intake(city, detect=False)
    outcome: list[object] = []
    writer = threading.Thread(
        target=lambda: outcome.append(late.run(frames((CN_HOUR, old + timedelta(hours=1)))))
    )

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "ATTACH PARTITION measurements_hour_202403" in statement and not writer.is_alive():
            writer.start()  # the late value arrives between the move and the attachment
            while writer.is_alive() and not _waits_for_a_lock(city):
                time.sleep(0.02)

    event.listen(city.engine, "before_cursor_execute", before)
    try:
        report = prune(city)
    finally:
        event.remove(city.engine, "before_cursor_execute", before)
        writer.join(30)
    assert "measurements_hour_202403" in report.created
    assert len(outcome) == 1
    tables = {when: table for kind, _, when, _, _, table in stored(city) if kind == "hour"}
    assert tables == {
        old: "measurements_hour_202403",
        old + timedelta(hours=1): "measurements_hour_202403",
    }


def _waits_for_a_lock(box: Container) -> bool:
    with box.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )


def test_the_scheduler_makes_the_coming_partitions_ahead_of_time(city: Container) -> None:
    report = prune(city)
    if not is_postgres(city):
        assert report.created == []
        return
    with city.engine.connect() as conn:
        names = {p.name for s in parts.SERIES for p in parts.partitions(conn, s.table)}
    assert {
        "measurements_rtd_20261109",  # today (China) and 7 days ahead
        "measurements_minute_202702",  # this month and 3 ahead
        "measurements_hour_202702",
        "measurements_day_2027",  # this year and the next
        "raw_packets_20261109",
    } <= names
    assert prune(city).created == []  # made once


def test_migration_0014_keeps_the_values_and_the_archive_down_and_up(city: Container) -> None:
    far = datetime(2019, 6, 1, 8, tzinfo=UTC)
    Intake(city, detect=False).run(
        frames(*ACROSS, (CN_HOUR, far), (CN_HOUR, datetime(2031, 1, 1, tzinfo=UTC)))
    )
    values, archive = _contents(city)
    assert len({(row[2], row[3]) for row in values}) == len(ACROSS) + 2  # kind, data time
    migrate.downgrade(city.engine, "0013")
    assert _contents(city) == (values, archive)
    assert not _partitioned(city)
    migrate.upgrade(city.engine)
    assert _contents(city) == (values, archive)
    assert _partitioned(city) == is_postgres(city)
    Intake(city, detect=False).run(frames((CN_HOUR, far + timedelta(hours=1))))  # ids go on
    with city.transaction() as session:
        ids = list(session.scalars(select(RawPacket.id).order_by(RawPacket.id)))
    assert len(set(ids)) == len(ids) == len(archive) + 1


def _partitioned(box: Container) -> bool:
    with box.engine.connect() as conn:
        return parts.is_partitioned(conn) and parts.is_partitioned(conn, "raw_packets")


def _contents(box: Container) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with box.transaction() as session:
        columns = [c for c in Measurement.__table__.columns if c.name != "derived"]
        values = sorted(tuple(row) for row in session.execute(select(*columns)))
        archive = sorted(
            tuple(row)
            for row in session.execute(
                select(RawPacket.id, RawPacket.received_at, RawPacket.mn, RawPacket.raw)
            )
        )
    return values, archive
