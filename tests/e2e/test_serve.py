"""``ecoradar serve --load-sample``: a real process on a real port,
with the demo accounts it prints in development."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecoradar.simulate.served import Server, server_env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("serve-home")
    server = Server(home, server_env(home))  # free ports: each xdist worker may serve this
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(served: Server) -> str:
    return served.url


def test_serve_answers_health_on_the_default_sqlite_file(server: str) -> None:
    body = httpx.get(server + "/health").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"


def test_serve_loaded_the_sample_city(served: Server) -> None:
    admin = served.headers("admin")
    page = httpx.get(served.url + "/api/enterprises", params={"per_page": 1}, headers=admin)
    assert page.json()["total"] == 500
    regions = httpx.get(served.url + "/api/regions", params={"level": "county"}, headers=admin)
    assert len(regions.json()["features"]) == 4


def test_serve_prints_four_demo_accounts_that_can_log_in_within_their_scope(
    served: Server,
) -> None:
    assert set(served.passwords()) == {
        "admin",
        "officer",
        "gridworker",
        "enterprise",
        "deputy",
        "citizen",
    }
    assert "log in at http://127.0.0.1:" in served.log.read_text()
    officer = httpx.get(served.url + "/api/auth/me", headers=served.headers("officer")).json()
    assert officer["role"] == "officer" and officer["region_code"]
    grid = served.headers("gridworker")
    mine = httpx.get(served.url + "/api/enterprises", params={"per_page": 1}, headers=grid)
    assert 0 < mine.json()["total"] < 500, "a grid worker sees the enterprises of one grid"
    company = served.headers("enterprise")
    assert httpx.get(served.url + "/api/enterprises", headers=company).status_code == 403


def test_without_logging_in_the_api_answers_401_and_a_page_sends_to_the_login(
    server: str,
) -> None:
    assert httpx.get(server + "/api/enterprises").status_code == 401
    page = httpx.get(server + "/registry")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fregistry"
    assert httpx.get(server + "/login").status_code == 200


def test_serve_publishes_its_openapi_document(server: str) -> None:
    assert httpx.get(server + "/api/openapi.json").json()["info"]["title"] == "EcoRadar"


def test_the_sqlite_file_is_under_the_home(
    server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    homes = list(Path(tmp_path_factory.getbasetemp()).glob("serve-home*/ecoradar.db"))
    assert homes and homes[0].stat().st_size > 0


def test_serve_anchors_the_audit_log_in_a_checkpoint_under_the_home(served: Server) -> None:
    assert "audit log anchored: checkpoint of " in served.log.read_text()
    lines = (served.log.parent / "audit-checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 1 and '"count":' in lines[0] and '"mac":' in lines[0]
