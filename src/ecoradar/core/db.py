"""Database plumbing: declarative base with a naming convention, engines for SQLite and
PostgreSQL, sessions, and column types that behave the same on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every backend; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy's SQLite dialect stores a DATETIME; bulk writers that bypass the ORM use it."""


def sqlite_datetime(value: datetime) -> str:
    """``value`` as ``UTCDateTime`` stores it on SQLite (UTC, no offset)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: store aware datetimes")
    return value.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)


WRITES = "ecoradar_writes"
"""Execution option of a unit of work that writes: on SQLite its transaction starts with
``BEGIN IMMEDIATE`` (the write lock up front, waiting for it up to the busy timeout), so it
never fails half-way when it first writes after reading; a deferred ``BEGIN`` that later writes
gets "database is locked" at once, whatever the busy timeout."""
READS = "ecoradar_reads"
"""Execution option of a unit of work that only reads (a GET): on SQLite the connection is
``query_only`` for it, on PostgreSQL the transaction is ``READ ONLY``; a write is refused."""
SQLITE_BUSY_TIMEOUT = 10.0
"""Seconds SQLite waits for another process's write lock by default (this process's own
writers queue at the ``WriteGate`` instead); ``bootstrap`` uses ``ECORADAR_WRITE_WAIT``."""
SQLITE_POOL = {"pool_size": 8, "max_overflow": 64, "pool_timeout": 30}
"""Connections of a SQLite engine: readers never wait for each other in WAL mode, so there is
one for each worker thread of the web app (40) and the rest of the process."""
WAL_AUTOCHECKPOINT_PAGES = 65_536
"""Pages the WAL may hold before a commit copies them back into the database file (SQLite's
default is 1,000). Every checkpoint copies each page once however often it changed since the
last one; with the default a batch of device data that dirtied more than 1,000 pages made
*every* commit a checkpoint, and the same index pages were copied again at each. With 65,536
(256 MiB of 4 KiB pages) the gateway's writer wrote 10,000 instead of 6,800 mixed packets/s in
batches of 100, and 13,000 instead of 8,800 in batches of 500 (2026-12-04)."""
WAL_SIZE_LIMIT = 256 * 1024 * 1024
"""Bytes a WAL file is cut back to after a checkpoint (it is reused from its start anyway)."""
POSTGRES_POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 30, "pool_pre_ping": True}


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # The driver's own transaction handling would defeat SAVEPOINTs; SQLAlchemy emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={max(1, round(busy_timeout * 1000))}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.close()
        connection_record.info["query_only"] = False

    return on_connect


def sqlite_begin(conn: Any) -> None:
    """Begin a SQLite transaction as its unit of work needs (:data:`WRITES`, :data:`READS`)."""
    options = conn.get_execution_options()
    query_only = bool(options.get(READS))
    info = conn.connection.info
    if info.get("query_only") != query_only:
        conn.exec_driver_sql(f"PRAGMA query_only={int(query_only)}")
        info["query_only"] = query_only
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITES) else "BEGIN")


def make_engine(
    url: str, *, echo: bool = False, busy_timeout: float = SQLITE_BUSY_TIMEOUT
) -> Engine:
    """An engine for ``url`` with the settings each backend needs (``busy_timeout``: seconds a
    SQLite connection waits for another process's write lock)."""
    if url.startswith("sqlite"):
        memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
        pool: dict[str, Any] = {} if memory else dict(SQLITE_POOL)
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine, "begin", sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, **POSTGRES_POOL)


def writer_engine(engine: Engine) -> Engine:
    """``engine`` for units of work that write (see :data:`WRITES`)."""
    return engine.execution_options(**{WRITES: True})


def reader_engine(engine: Engine) -> Engine:
    """``engine`` for units of work that only read (see :data:`READS`)."""
    options: dict[str, Any] = {READS: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
