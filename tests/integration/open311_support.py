"""Shared setup for the Open311 tests: the small city's regions, an Open311 API key, a client,
posting a request, and the people who handle it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from ecoradar.auth import tokens
from ecoradar.bootstrap import Container
from ecoradar.clues.models import Clue
from ecoradar.problems.models import Finding
from ecoradar.regions import service as regions
from tests.conftest import Login, create_login
from tests.factories import CITY_ORIGIN, china_city, write_json
from tests.integration.problem_support import create_app_for

X0, Y0 = CITY_ORIGIN
IN_G1 = {"lat": str(Y0 + 0.5), "long": str(X0 + 0.25)}
"""A place in grid G1 (township A1, county A, city C)."""
OUTSIDE = {"lat": str(Y0 + 5), "long": str(X0 + 5)}
"""A place outside every region of the bureau."""
W3 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00")
"""A date and time as every answer writes it."""
REPORTER = {
    "first_name": "举报",
    "last_name": "欧阳",
    "email": "ouyang.reporter@example.com",
    "phone": "13987654321",
    "account_id": "app-user-4711",
    "device_id": "device-0815-xyz",
}
"""Who sends the identified request: none of it may ever appear in a GET answer."""
ODOUR = {"service_code": "odour", "attribute[intensity]": "4", **IN_G1}


def load_regions(box: Container, tmp_path: Path) -> None:
    """The small city's regions (no registry: Open311 needs places only)."""
    features = regions.read_regions_file(write_json(tmp_path / "city.geojson", china_city()))
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=box.clock.now()
        )


def make_key(box: Container, name: str = "city-app", scope: str = "open311", **extra: Any) -> str:
    with box.transaction() as session:
        issued = tokens.create_token(
            session=session, name=name, scopes=[scope], now=box.clock.now(), **extra
        )
        return issued.secret


@dataclass
class City:
    box: Container
    client: TestClient
    key: str

    def post(self, fmt: str = "json", *, key: str | None = None, **fields: str) -> Response:
        """``POST requests.{fmt}`` form-encoded with the city's key (``key=""``: none)."""
        body = dict(fields)
        chosen = self.key if key is None else key
        if chosen:
            body.setdefault("api_key", chosen)
        return self.client.post(f"/open311/v2/requests.{fmt}", data=body)

    def create(self, base: dict[str, str] | None = None, **fields: str) -> int:
        """A new request (``base``: an odour in G1 by default); its service_request_id."""
        response = self.post(**{**(ODOUR if base is None else base), **fields})
        assert response.status_code == 200, response.text
        return int(response.json()[0]["service_request_id"])

    def problem_of(self, request_id: int) -> int:
        with self.box.transaction() as session:
            found = session.scalar(
                select(Finding.problem_id)
                .join(Clue, Clue.finding_id == Finding.id)
                .where(Clue.id == request_id)
            )
            assert found is not None
            return found

    def counts(self) -> tuple[int, int]:
        """Clues and findings stored."""
        with self.box.transaction() as session:
            return (
                session.scalar(select(func.count(Clue.id))) or 0,
                session.scalar(select(func.count(Finding.id))) or 0,
            )


@pytest.fixture
def city(container: Container, tmp_path: Path) -> City:
    load_regions(container, tmp_path)
    return City(container, TestClient(create_app_for(container)), make_key(container))


@dataclass(frozen=True)
class Staff:
    officer: Login
    worker: Login


def make_staff(box: Container) -> Staff:
    return Staff(
        officer=create_login(box, "officer", region="A", username="officer-a"),
        worker=create_login(box, "grid_worker", region="G1", username="worker-g1"),
    )
