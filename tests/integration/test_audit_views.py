"""``GET /api/audit``: the log over HTTP, for administrators.

The administrator here is written straight into the tables (not through the account service,
which records its own audit entries), so the log holds exactly the entries each test expects."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from ecoradar.auth import credentials
from ecoradar.auth.models import ApiToken, User
from ecoradar.bootstrap import Container
from tests.integration.audit_support import add_entries

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app


SECRET = "audit-views-admin-token-0123456789abcdef"


def _admin(container: Container, role: str = "admin") -> None:
    now = container.clock.now()
    with container.transaction() as session:
        user = User(username=f"{role}-reader", role=role, password_hash="!", created_at=now)
        if role == "officer":
            from ecoradar.regions.models import Region

            region = Region(
                code="R",
                name="R",
                level="city",
                geometry={},
                min_lon=0,
                min_lat=0,
                max_lon=1,
                max_lat=1,
                updated_at=now,
            )
            session.add(region)
            session.flush()
            user.region_id = region.id
        session.add(user)
        session.flush()
        session.add(
            ApiToken(
                name=f"{role}-reader",
                prefix=credentials.prefix_of(SECRET + role),
                token_hash=credentials.digest(SECRET + role),
                scopes=["api"],
                user_id=user.id,
                created_at=now,
            )
        )


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    _admin(container)
    with container.transaction() as session:
        add_entries(session, 3)
        add_entries(session, 1, actor="token:3:drone-east", entity_type="clue", entity_id="C-9")
    app = create_app(container)
    with TestClient(app, headers={"Authorization": f"Bearer {SECRET}admin"}) as test_client:
        yield test_client


def ids(client: TestClient, **params: Any) -> list[int]:
    response = client.get("/api/audit", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_list_is_newest_first_and_paged(client: TestClient) -> None:
    body = client.get("/api/audit", params={"per_page": 3}).json()
    assert [item["id"] for item in body["items"]] == [4, 3, 2]
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 2)
    assert ids(client, per_page=3, page=2) == [1]


def test_an_entry_carries_china_time_its_change_and_its_hashes(client: TestClient) -> None:
    item = client.get("/api/audit", params={"entity_type": "problem", "entity_id": "1"}).json()[
        "items"
    ][0]
    assert item["at"] == "2026-11-29T10:31:00.123456+08:00"
    assert (item["before"], item["after"]) == ({"state": "new"}, {"state": "accepted"})
    assert len(item["hash"]) == 64 and item["prev_hash"] == "0" * 64


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"entity_type": "clue"}, [4]),
        ({"actor": "user:7:alice"}, [3, 2, 1]),
        ({"action": "problem.close"}, []),
        ({"since": "2026-11-29T10:32"}, [3, 2]),
    ],
)
def test_the_list_filters(client: TestClient, params: dict[str, str], expected: list[int]) -> None:
    assert ids(client, **params) == expected


def test_a_bad_time_is_refused_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/api/audit", params={"since": "yesterday"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("since: 'yesterday' is not an ISO 8601")


def test_one_records_history_is_oldest_first(client: TestClient) -> None:
    response = client.get("/api/audit/clue/C-9")
    assert response.status_code == 200
    assert [item["actor"] for item in response.json()] == ["token:3:drone-east"]
    assert client.get("/api/audit/clue/none").json() == []


def test_only_administrators_read_the_log(container: Container) -> None:
    _admin(container, "officer")
    client = TestClient(create_app(container))
    assert client.get("/api/audit").status_code == 401
    officer = {"Authorization": f"Bearer {SECRET}officer"}
    assert client.get("/api/audit", headers=officer).status_code == 403
    assert client.get("/api/audit/clue/C-9", headers=officer).status_code == 403
