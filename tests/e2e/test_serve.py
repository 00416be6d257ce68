"""``ecoradar serve --load-sample`` as the quick start runs it: a real process on a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("serve-home")
    port = free_port()
    env = {**os.environ, "ECORADAR_HOME": str(home), "ECORADAR_ENVIRONMENT": "development"}
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_serve_answers_health_on_the_default_sqlite_file(server: str) -> None:
    body = httpx.get(server + "/health").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"


def test_serve_loaded_the_sample_city(server: str) -> None:
    page = httpx.get(server + "/api/enterprises", params={"per_page": 1}).json()
    assert page["total"] == 500
    regions = httpx.get(server + "/api/regions", params={"level": "county"}).json()
    assert len(regions["features"]) == 4


def test_serve_publishes_its_openapi_document(server: str) -> None:
    assert httpx.get(server + "/api/openapi.json").json()["info"]["title"] == "EcoRadar"


def test_the_sqlite_file_is_under_the_home(
    server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    homes = list(Path(tmp_path_factory.getbasetemp()).glob("serve-home*/ecoradar.db"))
    assert homes and homes[0].stat().st_size > 0
