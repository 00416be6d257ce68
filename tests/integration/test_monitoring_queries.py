"""The monitoring pages' reads that look for the newest row per device or point (probes of
an index, newest partitions first): the same answers as grouping everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.monitoring import service
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.registry.models import MonitoringPoint
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry

NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def packet(mn: str, when: datetime) -> RawPacket:
    return RawPacket(received_at=when, peer="p", mn=mn, outcome="stored", size=3, raw=b"##x")


def test_a_device_silent_for_days_is_silent_with_its_last_packet_and_one_never_heard_is_never(
    city: Container,
) -> None:
    long_ago = NOW - timedelta(days=40)
    with city.transaction() as session:
        session.add_all(
            [
                packet(GAS_MN, long_ago),
                packet(GAS_MN, NOW - timedelta(days=3)),  # its last: beyond the first probe
                packet(WATER_MN, NOW - timedelta(days=2)),
                packet(WATER_MN, NOW - timedelta(minutes=5)),
                packet("UNREGISTERED0000000000001", NOW),
            ]
        )
    with city.reading() as session:
        assert service.device_states(session=session, now=NOW) == {
            "online": 1,
            "silent": 1,
            "never": 1,
        }
        page = service.device_activity(session=session, now=NOW)
        last = {d.mn: d.last_packet for d in page.items}
        assert [d.mn for d in page.items] == [WATER_MN, GAS_MN, OPEN_MN]
        assert last == {
            WATER_MN: NOW - timedelta(minutes=5),
            GAS_MN: NOW - timedelta(days=3),
            OPEN_MN: None,
        }
        assert page.items[1].packets == 2
        silent = service.device_activity(session=session, now=NOW, state="silent")
        assert [d.mn for d in silent.items] == [GAS_MN]


def test_the_newest_hour_of_each_point_is_found_across_months(city: Container) -> None:
    with city.reading() as session:
        points = dict(session.execute(select(MonitoringPoint.mn, MonitoringPoint.id)).all())
    gas, water = points[GAS_MN], points[WATER_MN]
    hours = {
        gas: [datetime(2025, 3, 1, tzinfo=UTC), datetime(2026, 10, 31, 23, tzinfo=UTC)],
        water: [datetime(2024, 1, 1, 5, tzinfo=UTC)],
    }
    with city.transaction() as session:
        for point_id, times in hours.items():
            for when in times:
                session.add(
                    Measurement(
                        point_id=point_id,
                        factor="a21026",
                        kind="hour",
                        data_time=when,
                        avg=1.0,
                        received_at=when,
                    )
                )
        session.add(  # not an hour: not counted
            Measurement(
                point_id=water,
                factor="a21026",
                kind="rtd",
                data_time=NOW,
                rtd=1.0,
                received_at=NOW,
            )
        )
    with city.reading() as session:
        assert service.latest_hours(session=session) == {gas: hours[gas][1], water: hours[water][0]}
        assert service.latest_hours(session=session, point_ids=[water]) == {water: hours[water][0]}
        assert service.latest_data_time(session=session, point_id=water, kind="rtd") == NOW
