"""Shared fixtures: databases on both backends, a container, the CLI runner.

Every database test runs twice, on SQLite and on PostgreSQL (``ECORADAR_TEST_BACKENDS`` narrows
it, e.g. ``sqlite``). PostgreSQL gets a throwaway template database per run, migrated once and
dropped at the end; each test gets its own copy (``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.core.db import make_engine

PG_ADMIN_URL = os.environ.get(
    "ECORADAR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    b.strip() for b in os.environ.get("ECORADAR_TEST_BACKENDS", "sqlite,postgresql").split(",")
]
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TEST_SECRET = "test-secret-not-for-any-deployment-0123456789"


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


class _Postgres:
    def __init__(self, worker: str) -> None:
        self.admin: Engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.template = f"ecoradar_tpl_{worker}_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(_pg_url(self.template))
        migrate.upgrade(engine)
        engine.dispose()

    def fresh(self) -> str:
        name = f"ecoradar_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return _pg_url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres(worker_id: str) -> Iterator[_Postgres]:
    server = _Postgres(worker_id)
    yield server
    server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A fresh, migrated, empty database of each backend, dropped after the test."""
    if request.param == "sqlite":
        path = tmp_path / "ecoradar.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server: _Postgres = request.getfixturevalue("postgres")
    url = server.fresh()
    yield url
    server.drop(url.rsplit("/", 1)[1])
    server.created.remove(url.rsplit("/", 1)[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        secret_key=TEST_SECRET,
        home=tmp_path / "home",
        database_url=database_url,
    )


@pytest.fixture
def container(settings: Settings, clock: FakeClock) -> Iterator[Container]:
    box = bootstrap(settings, clock=clock)
    yield box
    box.close()


@pytest.fixture
def session(container: Container) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    with container.engine.connect() as conn:
        transaction = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as db:
            yield db
        transaction.rollback()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> dict[str, str]:
    """Point the ``ecoradar`` command at the test's database."""
    env = {
        "ECORADAR_DATABASE_URL": database_url,
        "ECORADAR_HOME": str(tmp_path / "home"),
        "ECORADAR_ENVIRONMENT": "test",
        "ECORADAR_SECRET_KEY": TEST_SECRET,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
