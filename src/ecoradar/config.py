"""Settings: one pydantic-settings class, environment prefix ``ECORADAR_``.

The default database is a SQLite file under ``ECORADAR_HOME``; production sets
``ECORADAR_DATABASE_URL=postgresql+psycopg://...``. Outside development the class refuses the
default secret key (and secrets under 32 characters), so a deployment cannot run with a secret
everybody knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"  # noqa: S105 - the value that is refused in production

Environment = Literal["development", "test", "staging", "production"]


class Settings(BaseSettings):
    """Everything EcoRadar reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="ECORADAR_", env_file=None, extra="ignore")

    environment: Environment = "development"
    home: Path = Field(default_factory=lambda: Path.home() / ".ecoradar")
    database_url: str | None = None
    secret_key: str = DEFAULT_SECRET
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=9212, ge=1, le=65535)
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    tile_url: str | None = None
    tile_attribution: str = ""
    echo_sql: bool = False

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.environment == "development":
            return self
        if self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "ECORADAR_SECRET_KEY is the development default; set a secret of your own "
                f"before running with ECORADAR_ENVIRONMENT={self.environment}"
            )
        if len(self.secret_key) < 32:
            raise ValueError(
                "ECORADAR_SECRET_KEY must be at least 32 characters outside development"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The configured database, or the default SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ecoradar.db'}"
