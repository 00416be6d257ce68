"""Time partitions of the measurements and the raw archive on PostgreSQL.

``measurements`` is partitioned by kind (LIST), each kind by data time (RANGE):
``measurements_rtd`` by China day, ``measurements_minute`` and ``measurements_hour`` by China
month, ``measurements_day`` by China year; ``raw_packets`` is partitioned by receive time, by
China day. Each range-partitioned table has a DEFAULT partition (``<table>_default``) and
``measurements_other`` takes any other kind, so no insert ever fails for want of a partition.
Partitions are named ``<table>_<YYYY|YYYYMM|YYYYMMDD>`` after the China date of their lower
bound; the migration may make coarser ones (months) for history before its day.

The scheduler creates the partitions of the coming days, months and years ahead of time
(:data:`SERIES`: ``ahead``), and moves rows that reached a DEFAULT partition into partitions of
their own. SQLite keeps one table of each: nothing here applies to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, text

from ecoradar.core.clock import CHINA_TZ

Step = Literal["day", "month", "year"]

LOCK_TIMEOUT = "2s"
"""How long a partition change waits for the table's lock before giving up (until the next
run): a change queued behind a long query would hold up every write behind it."""


@dataclass(frozen=True)
class Series:
    """A table partitioned by time: ``table`` by ``column``, one partition per ``step``."""

    table: str
    column: str
    step: Step
    ahead: int
    """Steps beyond the current one kept created."""

    @property
    def default(self) -> str:
        return f"{self.table}_default"


KIND_SERIES = {
    "rtd": Series("measurements_rtd", "data_time", "day", 7),
    "minute": Series("measurements_minute", "data_time", "month", 3),
    "hour": Series("measurements_hour", "data_time", "month", 3),
    "day": Series("measurements_day", "data_time", "year", 1),
}
"""The measurement kinds' partitioned tables (the partitions of ``measurements``)."""
RAW_SERIES = Series("raw_packets", "received_at", "day", 7)
SERIES = (*KIND_SERIES.values(), RAW_SERIES)
OTHER_KINDS = "measurements_other"
"""DEFAULT partition of ``measurements``: a kind without a table of its own."""

_NAME = re.compile(
    r"^(?:measurements_(?:rtd|minute|hour|day)(?:_(?:\d{4}|\d{6}|\d{8}|default))?"
    r"|measurements_other|raw_packets_(?:\d{4}|\d{6}|\d{8}|default))$"
)


def is_partition(name: str | None) -> bool:
    """A table this module makes (Alembic's comparison with the models leaves them out)."""
    return name is not None and _NAME.match(name) is not None


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: the partitions are made at run time, not by the models."""
    return not (type_ == "table" and is_partition(name))


# --- bounds (pure) --------------------------------------------------------------------------


def floor(when: datetime, step: Step) -> datetime:
    """The start (UTC) of the China day, month or year holding ``when``."""
    local = when.astimezone(CHINA_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if step in ("month", "year"):
        start = start.replace(day=1)
    if step == "year":
        start = start.replace(month=1)
    return start.astimezone(UTC)


def shift(start: datetime, step: Step, steps: int) -> datetime:
    """``start`` (a bound) moved by ``steps`` days, months or years (China calendar)."""
    local = start.astimezone(CHINA_TZ)
    if step == "day":
        return (local + timedelta(days=steps)).astimezone(UTC)
    months = steps * (12 if step == "year" else 1)
    index = local.year * 12 + local.month - 1 + months
    return local.replace(year=index // 12, month=index % 12 + 1).astimezone(UTC)


def label(start: datetime, step: Step) -> str:
    return start.astimezone(CHINA_TZ).strftime(
        {"day": "%Y%m%d", "month": "%Y%m", "year": "%Y"}[step]
    )


def name_of(series: Series, start: datetime, step: Step | None = None) -> str:
    return f"{series.table}_{label(start, step or series.step)}"


def ranges(series: Series, first: datetime, last: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The ``series.step`` ranges from the one holding ``first`` to the one holding ``last``."""
    lower = floor(first, series.step)
    while lower <= last:
        upper = shift(lower, series.step, 1)
        yield lower, upper
        lower = upper


def wanted(series: Series, now: datetime) -> list[tuple[datetime, datetime]]:
    """The partitions that should exist at ``now``: the current step and ``ahead`` more."""
    start = floor(now, series.step)
    return list(ranges(series, start, shift(start, series.step, series.ahead)))


# --- the catalogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    name: str
    lower: datetime | None
    upper: datetime | None
    """``None`` for both: the DEFAULT partition."""

    def overlaps(self, lower: datetime, upper: datetime) -> bool:
        if self.lower is None or self.upper is None:
            return False
        return self.lower < upper and lower < self.upper


_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


def _instant(value: str) -> datetime:
    if re.search(r"[+-]\d\d$", value):  # "+00": whole hours, as PostgreSQL writes them
        value += ":00"
    return datetime.fromisoformat(value).astimezone(UTC)


def partitions(conn: Connection, table: str) -> list[Partition]:
    """The partitions of ``table`` in the order of their bounds (the DEFAULT one last)."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": table},
    )
    found = []
    for name, bound in rows:
        match = _BOUND.search(bound)
        if match is None:
            found.append(Partition(name, None, None))
        else:
            found.append(Partition(name, _instant(match[1]), _instant(match[2])))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: p.lower or far)


def is_partitioned(conn: Connection, table: str = "measurements") -> bool:
    """Whether ``table`` is a partitioned table (PostgreSQL after migration 0014)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.scalar(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    )
    return bool(kind == "p")


def _quote(when: datetime) -> str:
    return "'" + when.astimezone(UTC).isoformat() + "'"


def create(conn: Connection, series: Series, lower: datetime, upper: datetime, name: str) -> int:
    """Make partition ``name`` of ``series`` for ``[lower, upper)``; rows of that range in the
    DEFAULT partition move into it. Returns the rows moved.

    The table is made apart and attached, which locks the partitioned table only against
    other changes of its structure (SHARE UPDATE EXCLUSIVE), not against writes; ``CREATE
    TABLE ... PARTITION OF`` would lock out every insert meanwhile. Only the DEFAULT
    partition is locked, first and for the whole move: a row written into it between the move
    and the attachment would fail the attachment (its rows are checked), and taking the lock
    only at the attachment, after the move's own lower one, could deadlock with a writer."""
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text(f"LOCK TABLE {series.default} IN ACCESS EXCLUSIVE MODE"))
    bounds = f"FOR VALUES FROM ({_quote(lower)}) TO ({_quote(upper)})"
    within = f"{series.column} >= {_quote(lower)} AND {series.column} < {_quote(upper)}"
    conn.execute(text(f"CREATE TABLE {name} (LIKE {series.table} INCLUDING DEFAULTS)"))
    conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds CHECK ({within})"))
    moved = conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {series.default} WHERE {within} RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        )
    ).rowcount
    conn.execute(text(f"ALTER TABLE {series.table} ATTACH PARTITION {name} {bounds}"))
    conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds"))
    return int(moved)


def drop(conn: Connection, name: str) -> None:
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text(f"DROP TABLE {name}"))


def missing(
    conn: Connection, series: Series, now: datetime, keep_from: datetime | None = None
) -> list[tuple[datetime, datetime]]:
    """Ranges of ``series`` to create at ``now``: the wanted ones not yet made, and those of
    rows waiting in the DEFAULT partition (from ``keep_from`` on: older rows are deleted by
    retention rather than given partitions)."""
    existing = [p for p in partitions(conn, series.table) if p.lower is not None]
    needed = set(wanted(series, now))
    needed.update(waiting(conn, series, keep_from))
    return sorted(r for r in needed if not any(p.overlaps(*r) for p in existing))


def waiting(
    conn: Connection, series: Series, keep_from: datetime | None = None
) -> list[tuple[datetime, datetime]]:
    """The ``series.step`` ranges of the rows in the DEFAULT partition (from ``keep_from``)."""
    if not conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {series.default})")):
        return []
    local = f"{series.column} AT TIME ZONE 'UTC' + interval '8 hours'"  # China time, no DST
    since = "" if keep_from is None else f"WHERE {series.column} >= {_quote(keep_from)}"
    buckets = conn.scalars(
        text(f"SELECT DISTINCT date_trunc('{series.step}', {local}) FROM {series.default} {since}")
    )
    found = []
    for bucket in buckets:
        lower = bucket.replace(tzinfo=CHINA_TZ).astimezone(UTC)
        found.append((lower, shift(lower, series.step, 1)))
    return found


def ensure(
    conn: Connection, series: Series, now: datetime, keep_from: datetime | None = None
) -> list[str]:
    """Create what :func:`missing` names (rows waiting in the DEFAULT partition move into
    theirs); returns the names created."""
    made = []
    for lower, upper in missing(conn, series, now, keep_from):
        name = name_of(series, lower)
        create(conn, series, lower, upper, name)
        made.append(name)
    return made


def covering(
    series: Series, first: datetime | None, last: datetime | None, now: datetime
) -> list[tuple[datetime, datetime, str]]:
    """Ranges and names of partitions for stored data from ``first`` to ``last`` and those
    wanted at ``now`` (the migration to partitions): a daily series' history before the
    current month goes in monthly partitions, so years of it make tens of tables, not
    thousands."""
    made: dict[tuple[datetime, datetime], str] = {}
    coarse: Step = "month" if series.step == "day" else series.step
    recent = floor(now, coarse)
    if first is not None and last is not None:
        if first < recent:
            older = Series(series.table, series.column, coarse, 0)
            for lower, upper in ranges(older, first, min(last, recent - timedelta(seconds=1))):
                made[(lower, upper)] = name_of(series, lower, coarse)
        if last >= recent:
            for lower, upper in ranges(series, max(first, recent), last):
                made[(lower, upper)] = name_of(series, lower)
    for lower, upper in wanted(series, now):
        if not any(lo < upper and lower < up for lo, up in made):
            made[(lower, upper)] = name_of(series, lower)
    return sorted((lower, upper, name) for (lower, upper), name in made.items())
