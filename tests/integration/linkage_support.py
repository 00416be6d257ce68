"""Shared setup for the linkage tests: a town with three chemical works around a place, an
air station whose wind blows from the north at the clue's time, problems and a seeded cluster."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.registry.models import MonitoringPoint
from ecoradar.stations.models import Station
from tests.conftest import create_login
from tests.factories import (
    ENTERPRISE_HEADER,
    POINT_HEADER,
    china_city,
    enterprise_row,
    uscc,
    write_csv,
    write_json,
)

runner = CliRunner()
CLUE_LAT, CLUE_LON = 30.25, 120.25  # inside china_city's district
M_PER_DEG = 111_195.0
AT = datetime(2026, 11, 1, 2, 30, tzinfo=UTC)  # 10:30 China time, before the test clock


def place(north_m: float, east_m: float) -> tuple[float, float]:
    lon_m = M_PER_DEG * math.cos(math.radians(CLUE_LAT))
    return CLUE_LAT + north_m / M_PER_DEG, CLUE_LON + east_m / lon_m


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def town(cli_env: dict[str, str], container: Container, tmp_path: Path) -> Container:
    """china_city with three chemical works — 1.5 km north, 400 m south, 10 km east of the
    clue — and an air station 2 km west whose wind blows from the north at the clue's time."""
    regions = write_json(tmp_path / "city.geojson", china_city())
    assert ecoradar("regions", "import", str(regions))[0] == 0
    north, south, far = place(1500, 0), place(-400, 0), place(0, 10_000)
    enterprises = write_csv(
        tmp_path / "e.csv",
        ENTERPRISE_HEADER,
        [
            enterprise_row(1, north[1], north[0], industry="2614"),
            enterprise_row(2, south[1], south[0], industry="2614"),
            enterprise_row(3, far[1], far[0], industry="2614"),
        ],
    )
    points = write_csv(
        tmp_path / "p.csv",
        POINT_HEADER,
        [[uscc(1), "DA001", "废气排口", "MN0000000000000000000001", "gas", "a21001", 10,
          "mg/m3", "hour", ""]],
    )  # fmt: skip
    code, _, err = ecoradar("registry", "import", "--enterprises", str(enterprises),
                            "--points", str(points))  # fmt: skip
    assert code == 0, err
    west = place(0, -2000)
    stations = write_csv(
        tmp_path / "stations.csv",
        ["code", "name", "kind", "mn", "longitude", "latitude", "password"],
        [["AQ001", "城西站", "air", "AQ00000000000000000000001", west[1], west[0], "123456"]],
    )
    code, _, err = ecoradar("stations", "import", str(stations))
    assert code == 0, err
    with container.transaction() as session:
        point_id = session.scalar(
            select(MonitoringPoint.id)
            .join(Station, MonitoringPoint.station_id == Station.id)
            .where(Station.code == "AQ001")
        )
        hour = AT.replace(minute=0)
        for lag in range(3):
            for factor, value in (("a01007", 3.2), ("a01008", 0.0)):
                session.add(
                    Measurement(point_id=point_id, factor=factor, kind="hour",
                                data_time=hour - timedelta(hours=lag), avg=value,
                                received_at=AT)
                )  # fmt: skip
    return container


def make_problem(box: Container, lat: float, lon: float, category: str, at: datetime) -> int:
    with box.transaction() as session:
        done = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn("public", category, lat, lon, at, description="很臭的味道"),
            now=box.clock.now(),
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        return done.problem.id


@pytest.fixture
def client(town: Container) -> Iterator[TestClient]:
    from ecoradar.web.app import create_app

    with TestClient(create_app(town)) as c:
        yield c


@pytest.fixture
def officer_headers(town: Container) -> dict[str, str]:
    return create_login(town, "officer", region="A", username="officer-a").headers


def seed_cluster(box: Container, now: datetime) -> None:
    rng = random.Random(4)
    with box.transaction() as session:
        index = box.regions.get(session)
        policy = load_policy(session=session, settings=box.settings)
        for i in range(8):
            lat, lon = place(rng.uniform(-150, 150) - 3000, rng.uniform(-150, 150))
            at = now - timedelta(hours=6 * i + 1)
            record_finding(
                session=session,
                index=index,
                item=FindingIn("grid_worker", "water", lat, lon, at, source_ref=f"t{i}"),
                now=now,
                actor="system:test",
                policy=policy,
            )
