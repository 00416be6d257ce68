"""Bookkeeping that a read must not write: times of last use, coalesced in memory and written
apart from the requests that caused them.

A GET is a unit of work that only reads (``Container.reading``), yet it marks its browser
session or API token as used. :class:`Touches` keeps the latest such time per row and writes
them all in one short transaction of its own every few seconds (``flush``; the web app runs it
in the background and when it stops), instead of every request taking the write lock for it.
A touch not yet written is still seen by this process (``pending``); a process that dies loses
at most the last few seconds of "last used" times, never data.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, bindparam, or_, update
from sqlalchemy.orm import InstrumentedAttribute, Session

FLUSH_EVERY = 5.0
"""Seconds between two writes of the pending touches in a serving process."""

Key = tuple[str, str]
"""(table name, time column name)."""


class Touches:
    """The latest time of use per row and time column, waiting to be written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[Key, dict[Any, datetime]] = defaultdict(dict)
        self._columns: dict[Key, Column[Any]] = {}
        self.written = 0
        """Rows written by :meth:`flush` so far."""

    def touch(self, column: InstrumentedAttribute[Any], key: object, at: datetime) -> None:
        """Row ``key`` (its primary key) was used at ``at``: set ``column`` to it, unless the
        stored or a pending time is later."""
        table_column = column.property.columns[0]
        name = (table_column.table.name, table_column.name)
        with self._lock:
            self._columns.setdefault(name, table_column)
            rows = self._pending[name]
            current = rows.get(key)
            if current is None or current < at:
                rows[key] = at

    def pending(self, column: InstrumentedAttribute[Any], key: object) -> datetime | None:
        """The time waiting to be written for row ``key``, if any."""
        table_column = column.property.columns[0]
        name = (table_column.table.name, table_column.name)
        with self._lock:
            return self._pending.get(name, {}).get(key)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._pending.values())

    def flush(self, write: Callable[[Callable[[Session], int]], int]) -> int:
        """Write every pending time with ``write`` (``Container.write``: one unit of work that
        is retried when busy); returns the rows written. What fails to be written is kept for
        the next flush."""
        with self._lock:
            taken = {name: rows for name, rows in self._pending.items() if rows}
            self._pending = defaultdict(dict)
            columns = dict(self._columns)
        if not taken:
            return 0
        try:
            count = write(lambda session: _write(session, taken, columns))
        except BaseException:
            with self._lock:  # put back what was not written, keeping later touches
                for name, rows in taken.items():
                    pending = self._pending[name]
                    for key, at in rows.items():
                        if key not in pending or pending[key] < at:
                            pending[key] = at
            raise
        self.written += count
        return count


def _write(
    session: Session, taken: dict[Key, dict[Any, datetime]], columns: dict[Key, Column[Any]]
) -> int:
    count = 0
    for name, rows in taken.items():
        column = columns[name]
        table = column.table
        assert isinstance(table, Table)
        (primary,) = table.primary_key.columns
        statement = (
            update(table)
            .where(primary == bindparam("row_key"))
            .where(or_(column.is_(None), column < bindparam("used_at")))
            .values({column.name: bindparam("used_at")})
        )
        session.connection().execute(
            statement, [{"row_key": key, "used_at": at} for key, at in sorted(rows.items())]
        )
        count += len(rows)
    return count
