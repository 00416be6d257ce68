"""Shared setup for the self-inspection tests: the small registry with control points."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.problems.policy import stored_calendar
from ecoradar.selfcheck.generator import GenerationReport, generate_tasks
from ecoradar.selfcheck.importer import COLUMNS, import_points
from ecoradar.selfcheck.models import ControlPoint
from tests.factories import load_small_registry, uscc, write_csv

E1_LON, E1_LAT = 120.25, 30.5
"""Where enterprise 1 of the small registry is (grid G1)."""


def point_row(
    serial: int,
    code: str,
    kind: str = "wastewater_treatment",
    schedule: str = "daily",
    lon: float | None = None,
    lat: float | None = None,
) -> list[object]:
    lon = E1_LON + 0.0002 if lon is None else lon
    lat = E1_LAT + 0.0001 if lat is None else lat
    return [uscc(serial), code, kind, f"点位{code}", lon, lat, schedule]


def write_points(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    return write_csv(path, list(COLUMNS), rows)


def load_points(box: Container, tmp_path: Path, rows: Sequence[Sequence[object]]) -> None:
    path = write_points(tmp_path / "points.csv", rows)
    with box.transaction() as session:
        import_points(session=session, path=path, now=box.clock.now(), actor="cli:test")


def world(box: Container, tmp_path: Path) -> None:
    """The small registry; enterprise 1 has a daily wastewater plant (CP01) and a weekly
    outfall (CP02); enterprise 2 a daily outfall (CP01)."""
    load_small_registry(box, tmp_path)
    load_points(
        box,
        tmp_path,
        [
            point_row(1, "CP01"),
            point_row(1, "CP02", "outfall", "weekly"),
            point_row(2, "CP01", "outfall", "daily", 120.75, 30.5),
        ],
    )


def generate(box: Container, until: date) -> GenerationReport:
    with box.transaction() as session:
        return generate_tasks(
            session=session, until=until, now=box.clock.now(), calendar=stored_calendar(session)
        )


def point_id(box: Container, serial: int, code: str) -> int:
    from ecoradar.registry.models import Enterprise

    with box.reading() as session:
        found = session.scalar(
            select(ControlPoint.id)
            .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
            .where(Enterprise.code == uscc(serial), ControlPoint.code == code)
        )
    assert found is not None
    return found
