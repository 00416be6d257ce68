"""Hostile addresses: a NUL character in the path or the query is refused with 422 on both
databases (PostgreSQL cannot store or compare it), never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from ecoradar.web.app import create_app
from tests.conftest import MakeUser


@pytest.mark.parametrize(
    "address",
    [
        "/api/audit/problem/%00",
        "/api/audit?action=%00",
        "/api/enterprises?q=%00",
        "/api/enterprises/%00",
        "/api/alerts?mn=%00",
        "/api/problems?q=a%00b",
        "/registry?q=%00",
    ],
)
def test_a_nul_character_in_the_address_is_refused_not_a_server_error(
    container: Container, make_user: MakeUser, address: str
) -> None:
    client = TestClient(create_app(container), raise_server_exceptions=False)
    response = client.get(address, headers=make_user("admin").headers)
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
