"""``ecoradar demo`` refuses what it cannot run on, with what to do instead, and changes
nothing: a port in use, a database that is not a demo's, a damaged demo state."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.simulate.demo import STATE_FILE
from tests.factories import load_small_registry

runner = CliRunner()


@pytest.fixture(autouse=True)
def development(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECORADAR_ENVIRONMENT", "development")


def test_the_demo_runs_in_development_only(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ECORADAR_ENVIRONMENT", "production")
    result = runner.invoke(app, ["demo", "--port", str(_free_port())])
    assert result.exit_code == 3
    assert "ECORADAR_ENVIRONMENT=development only, not production" in result.output
    assert not (tmp_path / "home" / STATE_FILE).exists()


def test_a_port_in_use_is_named_with_the_way_out(cli_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 3
    assert f"port {port} on 127.0.0.1 for the web app is in use" in result.output
    assert "--port" in result.output
    assert not (tmp_path / "home" / STATE_FILE).exists()


def test_a_database_that_is_not_a_demo_s_is_refused(
    cli_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    load_small_registry(container, tmp_path)
    (tmp_path / "home").mkdir(exist_ok=True)
    result = runner.invoke(app, ["demo", "--port", str(_free_port())])
    assert result.exit_code != 0
    assert "is not a demo's" in result.output and "another ECORADAR_HOME" in result.output
    assert not (tmp_path / "home" / STATE_FILE).exists()


def test_a_damaged_demo_state_names_its_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / STATE_FILE).write_text("{not json")
    result = runner.invoke(app, ["demo", "--port", str(_free_port())])
    assert result.exit_code != 0
    assert f"{home / STATE_FILE}: not a demo's state" in result.output.replace("\n", "")
    assert (home / STATE_FILE).read_text() == "{not json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
