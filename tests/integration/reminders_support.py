"""Shared setup for the service reminders' tests: the small registry, hand-built hourly
values, and the reminders' configuration without delivery."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.monitoring.models import Measurement
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.reminders.config import Config, load
from ecoradar.reminders.generate import GenerationReport, generate
from ecoradar.reminders.notify import FakeNotifier
from tests.factories import GAS_MN, load_small_registry, uscc

AS_OF = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
"""Midnight of 21 November, China time."""
SO2, O2 = "a21026", "a19001"
"""The gas point's SO2 has an hourly limit of 35 mg/m3 at 6 % reference O2."""


def config(**triggers: dict[str, object]) -> Config:
    return load(overrides={"triggers": triggers} if triggers else None)


def world(box: Container, tmp_path: Path) -> None:
    load_small_registry(box, tmp_path)


def enterprise_id(box: Container, serial: int) -> int:
    with box.reading() as session:
        found = session.scalar(select(Enterprise.id).where(Enterprise.code == uscc(serial)))
    assert found is not None
    return found


def point_id(box: Container, mn: str = GAS_MN) -> int:
    with box.reading() as session:
        found = session.scalar(select(MonitoringPoint.id).where(MonitoringPoint.mn == mn))
    assert found is not None
    return found


def set_permit(box: Container, serial: int, until: date | None, number: str = "91330502P") -> None:
    with box.transaction() as session:
        e = session.get(Enterprise, enterprise_id(box, serial))
        assert e is not None
        e.permit_no, e.permit_valid_until = number, until


def hours(
    box: Container,
    point: int,
    values: Iterable[tuple[datetime, str, float | None, str | None]],
    *,
    zs: bool = False,
) -> None:
    """Store hourly values ``(data time, factor, avg, flag)`` (ZsAvg instead where ``zs``)."""
    with box.transaction() as session:
        for at, factor, value, flag in values:
            session.merge(
                Measurement(
                    point_id=point,
                    factor=factor,
                    kind="hour",
                    data_time=at,
                    avg=None if zs else value,
                    zs_avg=value if zs else None,
                    flag=flag,
                    received_at=at,
                    derived=False,
                )
            )


def day_hours(days_back: int, hour: int = 2) -> datetime:
    """``hour`` o'clock UTC ``days_back`` days before ``AS_OF``'s China day."""
    base = datetime(2026, 11, 20, hour, 0, tzinfo=UTC)
    return base - timedelta(days=days_back)


def run(
    box: Container,
    cfg: Config | None = None,
    as_of: datetime = AS_OF,
    notifier: FakeNotifier | None = None,
) -> GenerationReport:
    with box.transaction() as session:
        return generate(
            session=session,
            config=cfg or config(),
            as_of=as_of,
            now=box.clock.now(),
            actor="cli:test",
            notifier=notifier,
        )
