"""Shared fixtures: databases on both backends, a container, the CLI runner, users.

Every database test runs twice, on SQLite and on PostgreSQL (``ECORADAR_TEST_BACKENDS`` narrows
it, e.g. ``sqlite``). PostgreSQL gets a throwaway template database per run, migrated once and
dropped at the end; each test gets its own copy (``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from ecoradar.auth import passwords, sessions, tokens
from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
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


_DROP_LATER = """
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    for name in sys.argv[2:]:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
"""
"""Drops the databases left at the end of a run, in a process of its own."""


class _Postgres:
    """This worker's PostgreSQL: a migrated template, and a database copied from it per test.
    A test's database is dropped by a thread of its own while the next tests run (dropping one
    with its hundred partitions costs more than copying it). What is still to drop at the end
    (under load the thread falls a minute behind) is left to a process that outlives the run."""

    def __init__(self, worker: str) -> None:
        self.admin: Engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.template = f"ecoradar_tpl_{worker}_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(_pg_url(self.template))
        migrate.upgrade(engine)
        engine.dispose()
        self._doomed: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._closing = False
        self._dropper = threading.Thread(target=self._drop_doomed, name="pg-drop", daemon=True)
        self._dropper.start()

    def _drop_doomed(self) -> None:
        while not self._closing and (name := self._doomed.get()) is not None:
            self.drop(name)

    def discard(self, name: str) -> None:
        """Drop database ``name`` later, off the tests' path."""
        self.created.remove(name)
        self._doomed.put(name)

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
        self._closing = True
        self._doomed.put(None)
        self._dropper.join()  # at most the drop under way
        left = [*self.created, self.template]
        while not self._doomed.empty():
            if (name := self._doomed.get()) is not None:
                left.append(name)
        self.admin.dispose()
        # the shell starts the drop in a session of its own and returns at once (nothing of
        # this run waits for it, and no child of ours is left unreaped)
        subprocess.run(  # noqa: S603 - our interpreter, our database names
            ["sh", "-c", 'setsid "$0" "$@" </dev/null >/dev/null 2>&1 &']  # noqa: S607
            + [sys.executable, "-c", _DROP_LATER, PG_ADMIN_URL, *left],
            check=True,
        )


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
    server.discard(url.rsplit("/", 1)[1])


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


# --- users and logins ---------------------------------------------------------------------

USER_PASSWORD = "correct-horse-battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
"""argon2id with the smallest parameters: the tests make many users, and a real hash costs a
quarter of a second. Tests of the parameters themselves set their own."""


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", FAST_HASHER)


@dataclass(frozen=True)
class Login:
    """A user made for a test, with a personal API token (scope ``api``)."""

    user_id: int
    username: str
    role: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <token>`` for this user."""
        return {"Authorization": f"Bearer {self.token}"}


class MakeUser(Protocol):
    def __call__(
        self,
        role: str = "admin",
        *,
        region: str | None = None,
        enterprise: str | None = None,
        username: str | None = None,
        password: str = USER_PASSWORD,
        display_name: str = "",
    ) -> Login: ...


def create_login(
    box: Container,
    role: str = "admin",
    *,
    region: str | None = None,
    enterprise: str | None = None,
    username: str,
    password: str = USER_PASSWORD,
    display_name: str = "",
) -> Login:
    """Create a user through the service (committed) and a personal token for it."""
    with box.transaction() as session:
        user = accounts.create_user(
            session=session,
            username=username,
            role=role,
            password=password,
            now=box.clock.now(),
            region=region,
            enterprise=enterprise,
            display_name=display_name,
        )
        issued = tokens.create_token(
            session=session,
            name=f"{username}-test",
            scopes=["api"],
            username=username,
            now=box.clock.now(),
        )
        return Login(user.id, user.username, role, password, issued.secret)


@pytest.fixture
def make_user(container: Container) -> MakeUser:
    """``make_user(role, region=CODE, enterprise=CODE)``: a committed user of that role (an
    officer needs a region, a grid worker a grid, an enterprise user an enterprise) and its
    bearer token (``.headers``)."""
    numbers = itertools.count(1)

    def make(
        role: str = "admin",
        *,
        region: str | None = None,
        enterprise: str | None = None,
        username: str | None = None,
        password: str = USER_PASSWORD,
        display_name: str = "",
    ) -> Login:
        name = username or f"{role.replace('_', '-')}-{next(numbers)}"
        return create_login(
            container,
            role,
            region=region,
            enterprise=enterprise,
            username=name,
            password=password,
            display_name=display_name,
        )

    return make


@pytest.fixture
def admin_headers(make_user: MakeUser) -> dict[str, str]:
    """The bearer header of a new administrator (sees everything)."""
    return make_user("admin", username="admin").headers


def start_browser_session(box: Container, login: Login) -> sessions.NewSession:
    """A browser session of ``login``'s user, as the login page would start it."""
    with box.transaction() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        return sessions.start_session(session=session, user=user, now=box.clock.now())


def log_in(client: Any, box: Container, login: Login) -> sessions.NewSession:
    """Give a test client (``TestClient``) the session cookie of ``login``'s user; returns the
    session, whose ``csrf_token`` changes need."""
    started = start_browser_session(box, login)
    client.cookies.set(sessions.COOKIE, started.secret)
    return started


LogIn = Callable[[Any, Login], sessions.NewSession]


@pytest.fixture
def logged_in(container: Container) -> LogIn:
    """``logged_in(client, login)``: ``log_in`` bound to the test's container."""
    return lambda client, login: log_in(client, container, login)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    """A Spark session (``local[1]``) for a module's batch job tests, stopped after the module:
    a worker that goes on with a JVM and its gateway threads alive forks children (the HJ 212
    gateway's writers) that hang on the locks those threads held."""
    from ecoradar.core.engines import close, connect

    backend = connect("spark", spark_master="local[1]")
    yield backend
    close(backend)
