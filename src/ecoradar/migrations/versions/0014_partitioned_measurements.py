"""measurements and the raw archive partitioned by time (PostgreSQL); measurements keyed
point-first by kind and time; derived hourly values marked

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:30:00

PostgreSQL: ``measurements`` becomes a table partitioned by kind, each kind by data time
(``ecoradar.monitoring.partitions``), and ``raw_packets`` one partitioned by receive time;
partitions cover the stored data and the coming days and months, and every row is moved
(new tables, rows copied, keys and foreign keys added after the copy, old tables dropped).
The primary key of ``raw_packets`` becomes (id, received_at): a partitioned table's keys hold
its partition key. Both backends: the measurements' key becomes (point_id, kind, data_time,
factor), which serves the pages' reads (a point's newest value, its values over a time range)
and retention (a point's oldest values) from the key alone (on PostgreSQL the key's index
carries Avg, Rtd and the flag: a point's aggregates need no table reads), and a ``derived``
column marks hourly values made from minute or real-time values before those were deleted. The
archive's (mn, received_at) index grows by outcome and reason and a partial index holds the
unknown devices' packets, so the monitoring pages read indexes alone (both backends). SQLite keeps one
table of each (rebuilt for the new key). The downgrade moves every row back (derived values
stay, unmarked).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ecoradar.monitoring import partitions as parts

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = "rtd, avg, min, max, zs_rtd, zs_avg, zs_min, zs_max, cou"
OLD_COLUMNS = f"point_id, factor, kind, data_time, {VALUES}, flag, received_at"
RAW_COLUMNS = (
    "id, received_at, peer, mn, cn, qn, data_time, point_id, outcome, reason, detail, size, raw"
)
FK_MEASUREMENTS = "fk_measurements_point_id_monitoring_points"
FK_RAW = "fk_raw_packets_point_id_monitoring_points"
RAW_INDEXES = {
    "ix_raw_packets_mn_received_at": "(mn, received_at, outcome, reason)",
    "ix_raw_packets_outcome": "(outcome, reason)",
    "ix_raw_packets_point_id": "(point_id)",
    "ix_raw_packets_unknown_device": "(mn, received_at, id) WHERE outcome = 'unknown_device'",
}
"""The archive's indexes from 0014 on: the monitoring pages' counts come from them alone."""
OLD_RAW_INDEXES = {
    "ix_raw_packets_mn_received_at": "(mn, received_at)",
    "ix_raw_packets_outcome": "(outcome, reason)",
    "ix_raw_packets_point_id": "(point_id)",
}


def _measurement_columns(pg: bool, derived: bool) -> str:
    number = "double precision" if pg else "FLOAT"
    time = "timestamp with time zone" if pg else "DATETIME"
    values = ", ".join(f"{name} {number}" for name in VALUES.split(", "))
    columns = (
        f"point_id INTEGER NOT NULL, factor VARCHAR(16) NOT NULL, kind VARCHAR(8) NOT NULL, "
        f"data_time {time} NOT NULL, {values}, flag VARCHAR(4), received_at {time} NOT NULL"
    )
    if derived:
        columns += (
            ", derived BOOLEAN DEFAULT false NOT NULL"
            if pg
            else ", derived BOOLEAN DEFAULT 0 NOT NULL"
        )
    return columns


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _partition_measurements()
        _partition_raw_packets()
    else:
        _rebuild_sqlite(key="point_id, kind, data_time, factor", derived=True)
        _raw_indexes_sqlite(RAW_INDEXES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_raw_packets()
        _unpartition_measurements()
    else:
        _rebuild_sqlite(key="point_id, factor, kind, data_time", derived=False)
        _raw_indexes_sqlite(OLD_RAW_INDEXES)


# --- SQLite: one table, rebuilt for its new key ----------------------------------------------


def _rebuild_sqlite(key: str, derived: bool) -> None:
    op.execute(
        f"CREATE TABLE measurements_0013 ({_measurement_columns(False, derived)}, "
        f"CONSTRAINT pk_measurements PRIMARY KEY ({key}), "
        f"CONSTRAINT {FK_MEASUREMENTS} FOREIGN KEY(point_id) REFERENCES monitoring_points (id) "
        "ON DELETE CASCADE) WITHOUT ROWID"
    )
    op.execute(
        f"INSERT INTO measurements_0013 ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM measurements"
    )
    op.execute("DROP TABLE measurements")
    op.execute("ALTER TABLE measurements_0013 RENAME TO measurements")


def _raw_indexes_sqlite(indexes: dict[str, str]) -> None:
    op.execute("DROP INDEX ix_raw_packets_mn_received_at")
    op.execute("DROP INDEX IF EXISTS ix_raw_packets_unknown_device")
    for index, columns in indexes.items():
        if index in ("ix_raw_packets_mn_received_at", "ix_raw_packets_unknown_device"):
            op.execute(f"CREATE INDEX {index} ON raw_packets {columns}")


# --- PostgreSQL: partitions -------------------------------------------------------------------


def _create_ranges(series: parts.Series, first: datetime | None, last: datetime | None) -> None:
    now = datetime.now(UTC)
    for lower, upper, name in parts.covering(series, first, last, now):
        op.execute(
            f"CREATE TABLE {name} PARTITION OF {series.table} FOR VALUES FROM "
            f"('{lower.isoformat()}') TO ('{upper.isoformat()}')"
        )
    op.execute(f"CREATE TABLE {series.default} PARTITION OF {series.table} DEFAULT")


def _partition_measurements() -> None:
    bind = op.get_bind()
    op.execute("ALTER TABLE measurements RENAME TO measurements_0012")
    op.execute("ALTER TABLE measurements_0012 RENAME CONSTRAINT pk_measurements TO pk_m0012")
    op.execute(f"ALTER TABLE measurements_0012 RENAME CONSTRAINT {FK_MEASUREMENTS} TO fk_m0012")
    op.execute(
        f"CREATE TABLE measurements ({_measurement_columns(True, True)}) PARTITION BY LIST (kind)"
    )
    spans = {
        kind: (first, last)
        for kind, first, last in bind.execute(
            sa.text(
                "SELECT kind, min(data_time), max(data_time) FROM measurements_0012 GROUP BY kind"
            )
        )
    }
    for kind, series in parts.KIND_SERIES.items():
        op.execute(
            f"CREATE TABLE {series.table} PARTITION OF measurements FOR VALUES IN ('{kind}') "
            f"PARTITION BY RANGE ({series.column})"
        )
        _create_ranges(series, *spans.get(kind, (None, None)))
    op.execute(f"CREATE TABLE {parts.OTHER_KINDS} PARTITION OF measurements DEFAULT")
    op.execute(
        f"INSERT INTO measurements ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM measurements_0012"
    )
    op.execute(
        "ALTER TABLE measurements ADD CONSTRAINT pk_measurements "
        "PRIMARY KEY (point_id, kind, data_time, factor) INCLUDE (avg, rtd, flag)"
    )
    op.execute(
        f"ALTER TABLE measurements ADD CONSTRAINT {FK_MEASUREMENTS} FOREIGN KEY (point_id) "
        "REFERENCES monitoring_points (id) ON DELETE CASCADE"
    )
    op.execute("DROP TABLE measurements_0012")
    op.execute("ANALYZE measurements")


def _unpartition_measurements() -> None:
    op.execute("ALTER TABLE measurements RENAME TO measurements_0013")
    op.execute("ALTER TABLE measurements_0013 RENAME CONSTRAINT pk_measurements TO pk_m0013")
    op.execute(f"ALTER TABLE measurements_0013 RENAME CONSTRAINT {FK_MEASUREMENTS} TO fk_m0013")
    op.execute(f"CREATE TABLE measurements ({_measurement_columns(True, False)})")
    op.execute(
        f"INSERT INTO measurements ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM measurements_0013"
    )
    op.execute(
        "ALTER TABLE measurements ADD CONSTRAINT pk_measurements "
        "PRIMARY KEY (point_id, factor, kind, data_time)"
    )
    op.execute(
        f"ALTER TABLE measurements ADD CONSTRAINT {FK_MEASUREMENTS} FOREIGN KEY (point_id) "
        "REFERENCES monitoring_points (id) ON DELETE CASCADE"
    )
    op.execute("DROP TABLE measurements_0013")  # and its partitions
    op.execute("ANALYZE measurements")


def _raw_table(partitioned: bool) -> str:
    return (
        "CREATE TABLE raw_packets (id BIGINT DEFAULT nextval('raw_packets_id_seq') NOT NULL, "
        "received_at timestamp with time zone NOT NULL, peer VARCHAR(128) NOT NULL, "
        "mn VARCHAR(64), cn VARCHAR(8), qn VARCHAR(32), data_time timestamp with time zone, "
        "point_id INTEGER, outcome VARCHAR(16) NOT NULL, reason VARCHAR(32), "
        "detail VARCHAR(500), size INTEGER NOT NULL, raw BYTEA NOT NULL)"
        + (" PARTITION BY RANGE (received_at)" if partitioned else "")
    )


def _move_raw_packets(partitioned: bool, old: str) -> None:
    """Rename the archive to ``old``, make the new one (keys, foreign key and indexes after
    the copy), move every row, drop ``old``; the id sequence goes along."""
    bind = op.get_bind()
    op.execute(f"ALTER TABLE raw_packets RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_raw_packets TO pk_{old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {FK_RAW} TO fk_{old}")
    for index in OLD_RAW_INDEXES if partitioned else RAW_INDEXES:  # those it has
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('raw_packets', old)}")
    op.execute("ALTER SEQUENCE raw_packets_id_seq OWNED BY NONE")
    op.execute(_raw_table(partitioned))
    if partitioned:
        first, last = bind.execute(
            sa.text(f"SELECT min(received_at), max(received_at) FROM {old}")
        ).one()
        _create_ranges(parts.RAW_SERIES, first, last)
    op.execute(f"INSERT INTO raw_packets ({RAW_COLUMNS}) SELECT {RAW_COLUMNS} FROM {old}")
    key = "id, received_at" if partitioned else "id"
    op.execute(f"ALTER TABLE raw_packets ADD CONSTRAINT pk_raw_packets PRIMARY KEY ({key})")
    op.execute(
        f"ALTER TABLE raw_packets ADD CONSTRAINT {FK_RAW} FOREIGN KEY (point_id) "
        "REFERENCES monitoring_points (id) ON DELETE SET NULL"
    )
    for index, columns in (RAW_INDEXES if partitioned else OLD_RAW_INDEXES).items():
        op.execute(f"CREATE INDEX {index} ON raw_packets {columns}")
    op.execute("ALTER SEQUENCE raw_packets_id_seq OWNED BY raw_packets.id")
    op.execute(f"DROP TABLE {old}")
    op.execute("ANALYZE raw_packets")


def _partition_raw_packets() -> None:
    _move_raw_packets(partitioned=True, old="raw_packets_0012")


def _unpartition_raw_packets() -> None:
    _move_raw_packets(partitioned=False, old="raw_packets_0013")
