"""Durable writes of received packets: the raw archive and normalized measurements, in batches.

SQLite: the driver's ``executemany`` over ready rows, in the caller's transaction. PostgreSQL:
binary ``COPY`` into the archive and into the measurements (through a staging table and ``INSERT
... SELECT ... ON CONFLICT DO NOTHING`` when the batch repeats stored values). A retransmission
(same point, factor, kind and data time) never doubles a value; the first stored value stands and
every copy stays in the raw archive.
The rows are made by ``prepared.prepare_batch`` (possibly in another process).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from ecoradar.analysers.service import store_parameters
from ecoradar.hj212.packet import DecodeOptions
from ecoradar.monitoring.intake import MEASUREMENT_COLUMNS, Device
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.prepared import (
    MAX_RAW_BYTES,
    RAW_COLUMNS,
    PreparedBatch,
    Received,
    Row,
    prepare_batch,
)
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

__all__ = [
    "REFUSED_DATA",
    "MAX_RAW_BYTES",
    "RAW_COLUMNS",
    "BatchResult",
    "Received",
    "load_directory",
    "write_batch",
    "write_prepared",
]


REFUSED_DATA: tuple[type[Exception], ...] = (
    IntegrityError,
    DataError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
    psycopg.IntegrityError,
    psycopg.DataError,
)
"""The database refused the *data* of a batch (not the batch's turn or the connection): through
SQLAlchemy, or from the driver's cursor the writes here use directly. Such a batch is written
again item by item, so one bad packet does not cost the others."""


@dataclass
class BatchResult:
    packets: int = 0
    rows_offered: int = 0
    rows_inserted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def load_directory(session: Session) -> dict[str, Device]:
    """Every registered device by MN, with its decode options: enterprises' points and ambient
    stations' (``enterprise_code`` empty)."""
    rows = session.execute(
        select(
            MonitoringPoint.id,
            MonitoringPoint.mn,
            MonitoringPoint.password,
            MonitoringPoint.text_encoding,
            MonitoringPoint.accept_modbus_crc,
            Enterprise.code,
        )
        .outerjoin(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .outerjoin(Enterprise, Outlet.enterprise_id == Enterprise.id)
    )
    options: dict[tuple[str, bool], DecodeOptions] = {}
    directory: dict[str, Device] = {}
    for point_id, mn, password, encoding, modbus, enterprise_code in rows:
        opts = options.setdefault(
            (encoding, modbus), DecodeOptions(encoding=encoding, accept_modbus_crc=modbus)
        )
        directory[mn] = Device(point_id, mn, password or None, opts, enterprise_code or "")
    return directory


def write_batch(session: Session, batch: Sequence[Received]) -> BatchResult:
    """Archive every frame of ``batch`` and store its measurements, in the caller's transaction."""
    return write_prepared(session, prepare_batch(batch, session.connection().dialect.name))


def write_prepared(session: Session, prepared: PreparedBatch) -> BatchResult:
    """Write ``prepared`` (made for this session's backend) in the caller's transaction."""
    result = BatchResult(packets=len(prepared), outcomes=+prepared.outcomes)
    if not prepared.raws:
        return result
    if prepared.parameters:  # CN=3020 analyser parameters (ecoradar.analysers)
        store_parameters(session=session, rows=prepared.parameters)
    rows = prepared.stored_rows()
    result.rows_offered = len(rows)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect != prepared.dialect:
        raise ValueError(f"rows made for {prepared.dialect} cannot be written to {dialect}")
    if dialect == "postgresql":
        result.rows_inserted = _copy_rows(connection, prepared.raws, rows)
    elif dialect == "sqlite":
        result.rows_inserted = _sqlite_rows(connection, prepared.raws, rows)
    else:  # any other backend SQLAlchemy knows: portable, slower
        connection.execute(
            insert(RawPacket), [dict(zip(RAW_COLUMNS, raw, strict=True)) for raw in prepared.raws]
        )
        if rows:
            connection.execute(
                insert(Measurement),
                [dict(zip(MEASUREMENT_COLUMNS, row, strict=True)) for row in rows],
            )
        result.rows_inserted = len(rows)
    return result


_SQLITE_RAW = (
    f"INSERT INTO raw_packets ({', '.join(RAW_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in RAW_COLUMNS)})"
)
_SQLITE_MEASUREMENTS = (
    f"INSERT INTO measurements ({', '.join(MEASUREMENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in MEASUREMENT_COLUMNS)}) "
    "ON CONFLICT (point_id, factor, kind, data_time) DO NOTHING"
)


def _sqlite_rows(connection: Connection, raws: list[Row], rows: list[Row]) -> int:
    """The DB-API cursor directly (the ORM's per-value processing costs more than the write);
    returns the measurement rows inserted."""
    driver = connection.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SQLITE_RAW, raws)
        if not rows:
            return 0
        before: int = driver.total_changes  # type: ignore[union-attr]
        cursor.executemany(_SQLITE_MEASUREMENTS, rows)
        return driver.total_changes - before  # type: ignore[union-attr,no-any-return]
    finally:
        cursor.close()


RAW_TYPES = (
    "timestamptz",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "timestamptz",
    "int4",
    "varchar",
    "varchar",
    "varchar",
    "int4",
    "bytea",
)
MEASUREMENT_TYPES = (
    "int4",
    "varchar",
    "varchar",
    "timestamptz",
    *["float8"] * 9,
    "varchar",
    "timestamptz",
)
"""PostgreSQL types of :data:`RAW_COLUMNS` and ``MEASUREMENT_COLUMNS``: the rows go in COPY's
binary format, which the driver makes in C (about 3 µs a row against 9 µs in the text format,
whose float and timestamp formatting is Python)."""
STAGED_AFTER_CONFLICT = 8
"""Batches written through the staging table after one whose direct COPY met a stored value."""

_COPY_RAW = f"COPY raw_packets ({', '.join(RAW_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_COPY_MEASUREMENTS = (
    f"COPY measurements ({', '.join(MEASUREMENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)
_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS measurements_stage ON COMMIT DELETE ROWS AS "
    f"SELECT {', '.join(MEASUREMENT_COLUMNS)} FROM measurements WITH NO DATA"
)
_COPY_STAGE = (
    f"COPY measurements_stage ({', '.join(MEASUREMENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)
_FROM_STAGE = (
    f"INSERT INTO measurements ({', '.join(MEASUREMENT_COLUMNS)}) "
    f"SELECT {', '.join(MEASUREMENT_COLUMNS)} FROM measurements_stage "
    "ON CONFLICT (point_id, factor, kind, data_time) DO NOTHING"
)
_STAGED_LEFT = "ecoradar_staged_left"
"""Key in the pooled connection's ``info``: batches still to write through the staging table."""


def _copy_rows(connection: Connection, raws: list[Row], rows: list[Row]) -> int:
    """COPY the archive rows, then the measurements: straight into the table under a savepoint
    (the server's cheapest path, about half the work of the staging path), or, when a value is
    already stored (a retransmission), through a staging table and ``INSERT ... ON CONFLICT DO
    NOTHING``. After a conflict the next :data:`STAGED_AFTER_CONFLICT` batches go staged, so a
    replay of stored data does not try and fail every batch."""
    pooled = connection.connection
    cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
    _copy(cursor, _COPY_RAW, RAW_TYPES, raws)
    if not rows:
        return 0
    staged_left: int = pooled.info.get(_STAGED_LEFT, 0)
    if staged_left:
        pooled.info[_STAGED_LEFT] = staged_left - 1
    else:
        cursor.execute("SAVEPOINT measurements_copy")
        try:
            _copy(cursor, _COPY_MEASUREMENTS, MEASUREMENT_TYPES, rows)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT measurements_copy")
            pooled.info[_STAGED_LEFT] = STAGED_AFTER_CONFLICT
        else:
            return len(rows)
    cursor.execute(_STAGE)
    _copy(cursor, _COPY_STAGE, MEASUREMENT_TYPES, rows)
    cursor.execute(_FROM_STAGE)
    inserted: int = cursor.rowcount
    return inserted


def _copy(
    cursor: psycopg.Cursor[Any], statement: str, types: Sequence[str], rows: list[Row]
) -> None:
    with cursor.copy(statement) as copy:
        copy.set_types(types)
        write_row = copy.write_row
        for row in rows:
            write_row(row)
