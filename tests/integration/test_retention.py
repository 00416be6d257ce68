"""Retention and downsampling (``ecoradar measurements prune``, the scheduler's pass) on both
backends: exactly what is older than the settings goes, hourly and daily values stay, hours
with minute (or only real-time) values and no hourly value get a derived one first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.cli import app
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.monitoring import partitions as parts
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.retention import prune
from ecoradar.problems.scheduler import run_once
from ecoradar.registry.models import MonitoringPoint
from tests.factories import GAS_MN, load_small_registry

NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
"""2026-11-02 09:00 China time (the test clock's start)."""
RTD_CUT = datetime(2026, 10, 30, 16, tzinfo=UTC)
"""Two China days before today: 2026-10-31 00:00 China."""
MINUTE_CUT = datetime(2026, 9, 30, 16, tzinfo=UTC)
"""One China month before this one: 2026-10-01 00:00 China."""
RAW_CUT = datetime(2026, 10, 29, 16, tzinfo=UTC)
"""Three China days before today."""
TINY = timedelta(microseconds=1)
KEEP = {"keep_rtd_days": 2, "keep_minute_months": 1, "keep_raw_days": 3}


@pytest.fixture
def box(settings: Settings, clock: FakeClock, tmp_path: Path) -> Any:
    container = bootstrap(settings.model_copy(update=KEEP), clock=clock)
    load_small_registry(container, tmp_path)
    yield container
    container.close()


def point_id(box: Container) -> int:
    with box.reading() as session:
        found = session.scalar(select(MonitoringPoint.id).where(MonitoringPoint.mn == GAS_MN))
        assert found is not None
        return found


def value(pid: int, kind: str, when: datetime, **fields: Any) -> Measurement:
    fields.setdefault("factor", "a21026")
    fields.setdefault("flag", "N")
    if kind == "rtd":
        fields.setdefault("rtd", 1.0)
    else:
        fields.setdefault("avg", 1.0)
    return Measurement(point_id=pid, kind=kind, data_time=when, received_at=when, **fields)


def packet(when: datetime) -> RawPacket:
    return RawPacket(
        received_at=when, peer="p", mn=GAS_MN, cn="2061", outcome="stored", size=3, raw=b"##x"
    )


def add(box: Container, *rows: Any) -> None:
    with box.transaction() as session:
        session.add_all(rows)


def values(box: Container, **where: Any) -> dict[tuple[str, datetime, str], Measurement]:
    with box.reading() as session:
        found = session.scalars(select(Measurement).filter_by(**where))
        return {(m.kind, m.data_time, m.factor): m for m in found}


def archive(box: Container) -> list[datetime]:
    with box.reading() as session:
        return sorted(session.scalars(select(RawPacket.received_at)))


def old_partitions(box: Container) -> None:
    """On PostgreSQL, the partitions a scheduler running for the past weeks would have made
    (so retention drops whole ones) — rows outside them wait in the DEFAULT partitions."""
    if box.engine.dialect.name != "postgresql":
        return
    with box.transaction() as session:
        for series in parts.SERIES:
            parts.ensure(session.connection(), series, RAW_CUT - timedelta(days=3))


def test_retention_removes_exactly_what_is_older_than_the_settings_and_keeps_hours_and_days(
    box: Container,
) -> None:
    pid = point_id(box)
    old_partitions(box)
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    add(
        box,
        *[value(pid, "rtd", when) for when in (RTD_CUT - timedelta(days=2), RTD_CUT - TINY)],
        *[value(pid, "rtd", when) for when in (RTD_CUT, NOW)],
        *[value(pid, "minute", when) for when in (long_ago, MINUTE_CUT - TINY)],
        *[value(pid, "minute", when) for when in (MINUTE_CUT, NOW)],
        *[value(pid, "hour", when) for when in (long_ago, RTD_CUT - timedelta(hours=30))],
        *[value(pid, "day", when) for when in (long_ago, MINUTE_CUT - timedelta(days=40))],
        *[packet(when) for when in (RAW_CUT - timedelta(days=5), RAW_CUT - TINY, RAW_CUT, NOW)],
    )
    hours_before = values(box, kind="hour")

    report = prune(box)

    assert report.cutoffs == {"rtd": RTD_CUT, "minute": MINUTE_CUT, "raw": RAW_CUT}
    assert {when for _, when, _ in values(box, kind="rtd")} == {RTD_CUT, NOW}
    assert {when for _, when, _ in values(box, kind="minute")} == {MINUTE_CUT, NOW}
    assert archive(box) == [RAW_CUT, NOW]
    assert {when for _, when, _ in values(box, kind="day")} == {
        long_ago,
        MINUTE_CUT - timedelta(days=40),
    }
    hours = values(box, kind="hour")
    assert {k: v.avg for k, v in hours.items() if k in hours_before} == {
        k: v.avg for k, v in hours_before.items()
    }
    derived = {when for (_, when, _), m in hours.items() if m.derived}
    assert derived == {  # not long_ago: its minute value had an hourly value sent
        RTD_CUT - timedelta(days=2),  # real-time values only: their hours
        RTD_CUT - timedelta(hours=1),
        MINUTE_CUT - timedelta(hours=1),
    }
    removed = report.dropped_rows + report.deleted_rows
    assert dict(removed) == {"rtd": 2, "minute": 2, "raw": 2}
    if box.engine.dialect.name == "sqlite":
        assert report.dropped == []
    else:  # whole partitions where the rows were in one; deleted from the DEFAULT ones
        assert {"measurements_rtd_20261028", "measurements_rtd_20261030"} <= set(report.dropped)
        assert "raw_packets_20261029" in report.dropped
        assert dict(report.deleted_rows) == {"minute": 2, "raw": 1}
    assert report.derived_hours == 3

    again = prune(box)
    assert again.idle


def test_an_hour_of_minute_values_becomes_a_derived_hourly_value_of_its_valid_minutes(
    box: Container,
) -> None:
    pid = point_id(box)
    hour = MINUTE_CUT - timedelta(hours=5)
    maintenance = hour + timedelta(hours=1)
    add(
        box,
        value(pid, "minute", hour, avg=10.0, min=9.0, max=11.0, zs_avg=20.0, cou=1.5),
        value(pid, "minute", hour + timedelta(minutes=1), avg=20.0, min=15.0, max=30.0, cou=2.5),
        value(pid, "minute", hour + timedelta(minutes=2), avg=30.0, flag=None),
        value(pid, "minute", hour + timedelta(minutes=3), avg=999.0, min=0.0, flag="M"),
        value(pid, "minute", maintenance, avg=4.0, flag="M"),
        value(pid, "minute", maintenance + timedelta(minutes=1), avg=8.0, flag="M"),
        value(pid, "minute", maintenance + timedelta(minutes=2), avg=90.0, flag="C"),
        value(pid, "minute", hour, factor="a21002", avg=7.0),
        value(pid, "hour", hour, factor="a21002", avg=6.5),  # sent by the device: it stands
    )
    prune(box)
    hours = values(box, kind="hour")
    first = hours[("hour", hour, "a21026")]
    assert (first.avg, first.min, first.max, first.flag, first.derived) == (
        20.0,
        9.0,
        30.0,
        "N",
        True,
    )
    assert (first.zs_avg, first.cou, first.rtd) == (20.0, 4.0, None)
    second = hours[("hour", maintenance, "a21026")]
    assert (second.avg, second.min, second.max, second.flag) == (34.0, 4.0, 90.0, "M")
    sent = hours[("hour", hour, "a21002")]
    assert (sent.avg, sent.derived) == (6.5, False)
    assert values(box, kind="minute") == {}


def test_real_time_values_of_an_hour_with_minute_values_wait_for_those(box: Container) -> None:
    pid = point_id(box)
    hour = RTD_CUT - timedelta(hours=3)
    add(
        box,
        value(pid, "rtd", hour + timedelta(seconds=30), rtd=5.0),
        value(pid, "rtd", hour + timedelta(seconds=60), rtd=7.0),
        value(pid, "minute", hour + timedelta(minutes=1), avg=6.0),
    )
    report = prune(box)
    assert report.derived_hours == 0
    assert values(box, kind="hour") == {} and values(box, kind="rtd") == {}
    assert len(values(box, kind="minute")) == 1  # kept a month: the hour comes from it later


def test_a_dry_run_reports_what_would_go_and_changes_nothing(
    box: Container, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = point_id(box)
    add(
        box,
        value(pid, "rtd", RTD_CUT - timedelta(hours=1)),
        value(pid, "minute", MINUTE_CUT - timedelta(hours=1)),
        packet(RAW_CUT - timedelta(hours=1)),
    )
    dry = prune(box, dry_run=True)
    assert dry.dry_run and dry.derived_hours == 2
    assert sum((dry.deleted_rows + dry.dropped_rows).values()) == 3
    assert len(values(box)) == 2 and len(archive(box)) == 1
    for name, setting in KEEP.items():
        monkeypatch.setenv(f"ECORADAR_{name.upper()}", str(setting))
    result = CliRunner().invoke(app, ["measurements", "prune", "--dry-run", "--json"])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["dry_run"] is True and shown["hours_derived"] == 2
    assert len(values(box)) == 2
    result = CliRunner().invoke(app, ["measurements", "prune"])  # the real clock: all is old
    assert result.exit_code == 0, result.stderr
    assert "2 hourly value(s) derived" in result.stdout
    assert [m.kind for m in values(box).values()] == ["hour", "hour"] and archive(box) == []


def test_zero_keeps_for_good(settings: Settings, clock: FakeClock, tmp_path: Path) -> None:
    forever = settings.model_copy(
        update={"keep_rtd_days": 0, "keep_minute_months": 0, "keep_raw_days": 0}
    )
    container = bootstrap(forever, clock=clock)
    try:
        load_small_registry(container, tmp_path)
        pid = point_id(container)
        long_ago = datetime(2001, 1, 1, tzinfo=UTC)
        add(
            container, value(pid, "rtd", long_ago), value(pid, "minute", long_ago), packet(long_ago)
        )
        report = prune(container)
        assert report.cutoffs == {} and report.derived_hours == 0
        assert len(values(container)) == 2 and archive(container) == [long_ago]
    finally:
        container.close()


def test_the_scheduler_pass_runs_retention(box: Container) -> None:
    pid = point_id(box)
    add(box, value(pid, "rtd", RTD_CUT - timedelta(hours=1)))
    report = run_once(box)
    assert "retention:" in str(report) and "1 hourly value(s) derived" in report.retention
    with box.reading() as session:
        assert session.scalar(select(func.count()).select_from(Measurement)) == 1
