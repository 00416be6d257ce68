"""The one place that builds the engine, sessions and clock. Nothing does I/O at import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from ecoradar.config import Settings
from ecoradar.core.bookkeeping import Touches
from ecoradar.core.clock import Clock, SystemClock
from ecoradar.core.db import (
    WRITES,
    make_engine,
    make_sessionmaker,
    reader_engine,
    sqlite_begin,
    writer_engine,
)
from ecoradar.core.writes import WriteBusy, WriteGate, retrying
from ecoradar.regions.service import RegionIndexCache

T = TypeVar("T")


@dataclass
class Container:
    """What a running EcoRadar process shares: settings, database, clock, caches.

    Units of work: :meth:`transaction` writes (on SQLite it queues at :attr:`gate` and takes the
    database's write lock up front), :meth:`reading` only reads, :meth:`write` runs a unit of
    work that writes again after a busy or serialization failure (``ecoradar.core.writes``).
    """

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    readers: sessionmaker[Session] | None = None
    gate: WriteGate | None = None
    """This process's writers in line, on SQLite (PostgreSQL has row locks)."""
    regions: RegionIndexCache = field(default_factory=RegionIndexCache)
    touches: Touches = field(default_factory=Touches)
    """Last-use times that reads leave to be written apart from them (``flush_touches``)."""
    session_clock: Clock | None = None
    """The clock of browser sessions' lifetimes when it is not :attr:`clock`: ``ecoradar
    demo`` gives real time here, so a login lasts as long as anywhere else while the demo's
    clock runs N times faster."""

    def session_now(self) -> datetime:
        """Now for browser sessions (started, used, ended): :attr:`session_clock`'s, else
        :attr:`clock`'s."""
        return (self.session_clock or self.clock).now()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work that writes: a session committed on success, rolled back on error.

        On SQLite, when it first reaches the database it waits its turn at :attr:`gate` (at
        most ``ECORADAR_WRITE_WAIT`` seconds, else :class:`WriteBusy`) and begins with
        ``BEGIN IMMEDIATE``; the turn ends when its connection goes back to the pool, after
        the commit or the rollback (:func:`_take_turns`)."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing_turn(self, wait: float | None = None) -> Iterator[None]:
        """This process's turn to write (a no-op on PostgreSQL): for a writer that writes
        through something else, such as the gateway's child process."""
        gate = self.gate
        if gate is None:
            yield
            return
        if not gate.acquire(self.settings.write_wait if wait is None else wait):
            raise WriteBusy()
        try:
            yield
        finally:
            gate.release()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads: it takes no write lock, and a write is refused."""
        readers = self.readers or self.sessions
        with readers() as session, session.begin():
            yield session

    def write(self, work: Callable[[Session], T], *, what: str = "the database") -> T:
        """``work(session)`` in :meth:`transaction`, run whole again after a busy or
        serialization failure until ``ECORADAR_WRITE_WAIT`` has passed (then
        :class:`WriteBusy`)."""

        def once() -> T:
            with self.transaction() as session:
                return work(session)

        return retrying(once, wait=self.settings.write_wait, what=what)

    def flush_touches(self) -> int:
        """Write the pending last-use times (``ecoradar.core.bookkeeping``)."""
        return self.touches.flush(lambda work: self.write(work, what="last-use times"))

    def close(self) -> None:
        self.engine.dispose()


_HOLDS_TURN = "ecoradar_holds_turn"


def _take_turns(container: Container) -> None:
    """Writers of ``container``'s SQLite engine queue at its gate: a connection beginning a
    unit of work that writes takes a turn first (before its ``BEGIN IMMEDIATE``), and gives it
    back when it returns to the pool — after its commit or rollback has completed, so the
    next in line finds the database's lock free. The gate is looked up each time: the gateway's
    child process has none (its parent takes the turns for it)."""

    def begin(conn: Connection) -> None:
        gate = container.gate
        if gate is None or not conn.get_execution_options().get(WRITES):
            return
        if not gate.acquire(container.settings.write_wait):
            raise WriteBusy()
        conn.connection.info[_HOLDS_TURN] = gate

    def checkin(dbapi_connection: Any, record: Any) -> None:
        info = getattr(record, "info", None)
        gate = info.pop(_HOLDS_TURN, None) if info is not None else None
        if gate is not None:
            gate.release()

    engine = container.engine
    event.remove(engine, "begin", sqlite_begin)  # the turn comes before the BEGIN
    event.listen(engine, "begin", begin)
    event.listen(engine, "begin", sqlite_begin)
    event.listen(engine, "checkin", checkin)


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    session_clock: Clock | None = None,
) -> Container:
    settings = settings or Settings()
    url = make_url(settings.resolved_database_url)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(
        settings.resolved_database_url, echo=settings.echo_sql, busy_timeout=settings.write_wait
    )
    container = Container(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(writer_engine(engine)),
        readers=make_sessionmaker(reader_engine(engine)),
        clock=clock or SystemClock(),
        gate=WriteGate() if sqlite else None,
        session_clock=session_clock,
    )
    if sqlite:
        _take_turns(container)
    return container
