"""The one place that builds the engine, sessions and clock. Nothing does I/O at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from ecoradar.config import Settings
from ecoradar.core.clock import Clock, SystemClock
from ecoradar.core.db import make_engine, make_sessionmaker
from ecoradar.regions.service import RegionIndexCache


@dataclass
class Container:
    """What a running EcoRadar process shares: settings, database, clock, caches."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    regions: RegionIndexCache = field(default_factory=RegionIndexCache)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url, echo=settings.echo_sql)
    return Container(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock or SystemClock(),
    )
