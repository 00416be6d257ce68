"""Shared setup for the green-code tests: the small city's registry, hourly values, alerts
written through the detection store, and reading codes back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.detection.alerts import record_spans
from ecoradar.detection.engine import PointSpan
from ecoradar.detection.runs import Span
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.greencode.periodic import run_greencode
from ecoradar.monitoring.models import Measurement
from ecoradar.registry.models import MonitoringPoint
from tests.factories import uscc

HOUR = timedelta(hours=1)


def point_id(box: Container, mn: str) -> int:
    with box.reading() as session:
        found = session.scalar(select(MonitoringPoint.id).where(MonitoringPoint.mn == mn))
        assert found is not None, mn
        return found


def hours(
    box: Container,
    mn: str,
    *,
    until: datetime,
    count: int,
    values: dict[str, float] | None = None,
    flag: str | None = "N",
) -> None:
    """``count`` hourly values of each factor at ``mn``, the last one for the hour before
    ``until``."""
    pid = point_id(box, mn)
    values = values or {"a21026": 10.0, "a21002": 20.0}
    first = until.replace(minute=0, second=0, microsecond=0) - count * HOUR
    with box.transaction() as session:
        session.add_all(
            Measurement(
                point_id=pid,
                factor=factor,
                kind="hour",
                data_time=first + i * HOUR,
                avg=value,
                flag=flag,
                received_at=first + i * HOUR,
            )
            for i in range(count)
            for factor, value in values.items()
        )


def write_alert(
    box: Container,
    mn: str,
    *,
    kind: str,
    start: datetime,
    end: datetime | None = None,
    factor: str = "a21026",
) -> int:
    """An alert written through the detection store (``record_spans``): a new one, or the
    update of the one with the same point, factor, kind and overlapping time."""
    pid = point_id(box, mn)
    span = Span(kind, factor, start, end, "high", {"rule": kind})
    with box.transaction() as session:
        (alert,) = record_spans(session, {}, [PointSpan(pid, span)], box.clock.now())
        return alert.id


def code_of(box: Container, serial: int) -> GreenCode | None:
    from ecoradar.registry.models import Enterprise

    with box.reading() as session:
        found = session.scalar(
            select(GreenCode)
            .join(Enterprise, GreenCode.enterprise_id == Enterprise.id)
            .where(Enterprise.code == uscc(serial))
        )
        if found is not None:
            session.expunge(found)
        return found


def indicator(box: Container, serial: int, name: str) -> dict[str, Any]:
    code = code_of(box, serial)
    assert code is not None
    found: dict[str, Any] = code.indicators[name]
    return found


def history_of(box: Container, serial: int) -> list[GreenCodeHistory]:
    from ecoradar.registry.models import Enterprise

    with box.reading() as session:
        rows = list(
            session.scalars(
                select(GreenCodeHistory)
                .join(Enterprise, GreenCodeHistory.enterprise_id == Enterprise.id)
                .where(Enterprise.code == uscc(serial))
                .order_by(GreenCodeHistory.id)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def settle(box: Container) -> None:
    """Run the green code's pass once (the first one of a day also recomputes everyone)."""
    run_greencode(box)
