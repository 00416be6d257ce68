"""``INSERT ... ON CONFLICT DO NOTHING`` of many rows, past the ORM's per-row cost.

SQLite: one prepared statement, ``executemany`` (values written the way the column types store
them: dates ``YYYY-MM-DD``, ``UTCDateTime`` as ``core.db.sqlite_datetime``). PostgreSQL: one
statement per batch over ``unnest`` of one array per column. Both count the rows inserted;
a row whose key exists already is skipped. Generating 50,000 tasks this way takes a second or
two instead of most of a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecoradar.core.db import sqlite_datetime

BATCH = 5000


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return sqlite_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def insert_ignoring(
    session: Session,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``: ``(name, PostgreSQL type)``) into
    ``table``, skipping rows whose ``conflict`` columns exist; returns how many were inserted.
    Names come from the code, never from input."""
    if not rows:
        return 0
    names = ", ".join(name for name, _ in columns)
    keys = ", ".join(conflict)
    connection = session.connection()
    inserted = 0
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        sql = (
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({keys}) DO NOTHING"
        )
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            params = tuple([row[i] for row in batch] for i in range(len(columns)))
            inserted += connection.exec_driver_sql(sql, params).rowcount
        return inserted
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({keys}) DO NOTHING"
    converted: dict[Any, Any] = {}  # dates and times repeat: format each once

    def value(item: Any) -> Any:
        if not isinstance(item, date | bool):
            return item
        known = converted.get(item)
        if known is None:
            known = converted[item] = _sqlite_value(item)
        return known

    for start in range(0, len(rows), BATCH):
        batch = [tuple(map(value, row)) for row in rows[start : start + BATCH]]
        inserted += connection.exec_driver_sql(sql, batch).rowcount
    return inserted
