"""``ecoradar serve --load-sample`` as the quick start runs it: a real process on a real port,
with the demo accounts it prints in development."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    url: str
    log: Path

    def passwords(self) -> dict[str, str]:
        """The demo accounts' passwords, as printed: ``  NAME ROLE SCOPE PASSWORD``."""
        text = self.log.read_text()
        assert "demo accounts (development only" in text, text
        return dict(re.findall(r"^  (\S+) +\S+ +\S+ +(\S+)$", text, re.M))

    def headers(self, username: str = "admin") -> dict[str, str]:
        """Log in through the API (``POST /api/auth/token``): the bearer header."""
        answer = httpx.post(
            self.url + "/api/auth/token",
            json={"username": username, "password": self.passwords()[username]},
        )
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("serve-home")
    port = free_port()
    env = {
        **os.environ,
        "ECORADAR_HOME": str(home),
        "ECORADAR_ENVIRONMENT": "development",
        # each xdist worker may serve this module: the default 9212 would be taken twice
        "ECORADAR_GATEWAY_PORT": str(free_port()),
    }
    env.pop("ECORADAR_DATABASE_URL", None)
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ecoradar", "serve", "--load-sample", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"ecoradar serve exited: {(home / 'serve.log').read_text()}")
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"ecoradar serve did not answer: {(home / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield Served(base, home / "serve.log")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    return served.url


def test_serve_answers_health_on_the_default_sqlite_file(server: str) -> None:
    body = httpx.get(server + "/health").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"


def test_serve_loaded_the_sample_city(served: Served) -> None:
    admin = served.headers("admin")
    page = httpx.get(served.url + "/api/enterprises", params={"per_page": 1}, headers=admin)
    assert page.json()["total"] == 500
    regions = httpx.get(served.url + "/api/regions", params={"level": "county"}, headers=admin)
    assert len(regions.json()["features"]) == 4


def test_serve_prints_four_demo_accounts_that_can_log_in_within_their_scope(
    served: Served,
) -> None:
    assert set(served.passwords()) == {"admin", "officer", "gridworker", "enterprise"}
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
