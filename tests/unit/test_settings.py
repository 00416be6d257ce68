"""Settings read from the environment, refusing default secrets outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ecoradar.config import DEFAULT_SECRET, Settings


def test_the_default_database_is_a_sqlite_file_under_the_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'ecoradar.db'}"


def test_settings_come_from_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECORADAR_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("ECORADAR_HTTP_PORT", "8123")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.http_port == 8123


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="development default"):
        Settings(environment="production", secret_key=DEFAULT_SECRET)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="short")


@pytest.mark.parametrize("environment", ["test", "staging"])
def test_every_environment_but_development_refuses_the_default_secret(environment: str) -> None:
    with pytest.raises(ValidationError, match="development default"):
        Settings(environment=environment, secret_key=DEFAULT_SECRET)  # type: ignore[arg-type]


def test_production_accepts_a_real_secret() -> None:
    assert Settings(environment="production", secret_key="x" * 40).environment == "production"


def test_development_runs_with_the_default_secret() -> None:
    assert Settings(environment="development").secret_key == DEFAULT_SECRET
