"""Durable writes of received packets: the raw archive and normalized measurements, in batches.

SQLite: one multi-row ``INSERT ... ON CONFLICT DO NOTHING`` per batch. PostgreSQL: ``COPY`` into
a temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``. A
retransmission (same point, factor, kind and data time) never doubles a value; the first stored
value stands and every copy stays in the raw archive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from ecoradar.core.db import sqlite_datetime
from ecoradar.hj212.packet import DecodeOptions
from ecoradar.monitoring.intake import Device, MeasurementRow, Verdict
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

MEASUREMENT_COLUMNS = MeasurementRow._fields
RAW_COLUMNS = (
    "received_at",
    "peer",
    "mn",
    "cn",
    "qn",
    "data_time",
    "point_id",
    "outcome",
    "reason",
    "detail",
    "size",
    "raw",
)
MAX_RAW_BYTES = 16_384


@dataclass(frozen=True)
class Received:
    """One frame as it arrived, with the verdict on it."""

    frame: bytes
    peer: str
    received_at: datetime
    verdict: Verdict


@dataclass
class BatchResult:
    packets: int = 0
    rows_offered: int = 0
    rows_inserted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def load_directory(session: Session) -> dict[str, Device]:
    """Every registered device by MN, with its decode options."""
    rows = session.execute(
        select(
            MonitoringPoint.id,
            MonitoringPoint.mn,
            MonitoringPoint.password,
            MonitoringPoint.text_encoding,
            MonitoringPoint.accept_modbus_crc,
            Enterprise.code,
        )
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
    )
    options: dict[tuple[str, bool], DecodeOptions] = {}
    directory: dict[str, Device] = {}
    for point_id, mn, password, encoding, modbus, enterprise_code in rows:
        opts = options.setdefault(
            (encoding, modbus), DecodeOptions(encoding=encoding, accept_modbus_crc=modbus)
        )
        directory[mn] = Device(point_id, mn, password or None, opts, enterprise_code)
    return directory


def _raw_row(item: Received) -> dict[str, Any]:
    verdict = item.verdict
    packet = verdict.packet
    return {
        "received_at": item.received_at,
        "peer": item.peer[:128],
        "mn": verdict.mn[:64] if verdict.mn else None,
        "cn": packet.cn[:8] if packet else None,
        "qn": packet.qn[:32] if packet and packet.qn else None,
        "data_time": packet.data_time if packet else None,
        "point_id": verdict.device.point_id if verdict.device else None,
        "outcome": verdict.outcome,
        "reason": verdict.reason,
        "detail": verdict.detail[:500] if verdict.detail else None,
        "size": len(item.frame),
        "raw": item.frame[:MAX_RAW_BYTES],
    }


def write_batch(session: Session, batch: Sequence[Received]) -> BatchResult:
    """Archive every frame of ``batch`` and store its measurements, in the caller's transaction."""
    result = BatchResult(packets=len(batch))
    if not batch:
        return result
    raw_rows = [_raw_row(item) for item in batch]
    rows = [row for item in batch for row in item.verdict.rows]
    result.outcomes.update(item.verdict.outcome for item in batch)
    result.rows_offered = len(rows)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, raw_rows, rows, result)
    elif connection.dialect.name == "sqlite":
        _sqlite_rows(connection, raw_rows, rows, result)
    else:  # any other backend SQLAlchemy knows: portable, slower
        connection.execute(insert(RawPacket), raw_rows)
        if rows:
            connection.execute(insert(Measurement), [row._asdict() for row in rows])
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


def _sqlite_rows(
    connection: Connection,
    raw_rows: list[dict[str, Any]],
    rows: list[MeasurementRow],
    result: BatchResult,
) -> None:
    """The DB-API cursor directly: the ORM's per-value processing costs more than the write."""
    texts: dict[datetime, str] = {}  # a batch shares few distinct times: convert each once

    def value(item: Any) -> Any:
        if isinstance(item, datetime):
            text = texts.get(item)
            if text is None:
                text = texts[item] = sqlite_datetime(item)
            return text
        return item

    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(_SQLITE_RAW, [[value(raw[c]) for c in RAW_COLUMNS] for raw in raw_rows])
    if rows:
        before = connection.connection.driver_connection.total_changes  # type: ignore[union-attr]
        cursor.executemany(
            _SQLITE_MEASUREMENTS,
            [(*row[:3], value(row[3]), *row[4:14], value(row[14])) for row in rows],
        )
        after = connection.connection.driver_connection.total_changes  # type: ignore[union-attr]
        result.rows_inserted = after - before
    cursor.close()


def _copy_rows(
    connection: Connection,
    raw_rows: list[dict[str, Any]],
    rows: list[MeasurementRow],
    result: BatchResult,
) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY raw_packets ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:
        for raw in raw_rows:
            copy.write_row([raw[c] for c in RAW_COLUMNS])
    if not rows:
        return
    columns = ", ".join(MEASUREMENT_COLUMNS)
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS measurements_stage ON COMMIT DELETE ROWS AS "
        f"SELECT {columns} FROM measurements WITH NO DATA"
    )
    with cursor.copy(
        f"COPY measurements_stage ({', '.join(MEASUREMENT_COLUMNS)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO measurements ({columns}) SELECT {columns} FROM measurements_stage "
        "ON CONFLICT (point_id, factor, kind, data_time) DO NOTHING"
    )
    result.rows_inserted = cursor.rowcount
