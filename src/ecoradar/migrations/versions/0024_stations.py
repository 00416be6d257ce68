"""ambient monitoring stations: stations, their points, the station finding channel

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 04:00:00

Ambient monitoring stations (issue 17, item 1): ``stations`` (code, name, kind air or water,
WGS84 location, region, the GB 3838 class a water station is judged against, and how far the
station rules have judged its hours). A station's data acquisition unit is a row of
``monitoring_points`` with ``station_id`` set and no outlet (``outlet_id`` becomes nullable;
a CHECK keeps exactly one of the two), so the gateway and the measurement store take its
packets unchanged. Findings get a channel of their own, ``station``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
FINDING_CHANNELS = (
    "monitoring", "public", "open311", "grid_worker", "drone", "unmanned_ship",
    "self_inspection", "department", "hotline", "media", "ngo", "referral", "linkage",
    "inspection", "third_party", "supervisor",
)  # fmt: skip
NEW_CHANNELS = ("station",)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _channels(values: Sequence[str]) -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_findings_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_findings_channel"), _in("channel", values))


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("water_class", sa.Integer(), nullable=True),
        sa.Column("evaluated_until", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('air', 'water')", name=op.f("ck_stations_kind")),
        sa.CheckConstraint(
            "(kind = 'water') = (water_class IS NOT NULL)",
            name=op.f("ck_stations_water_class_for_water"),
        ),
        sa.CheckConstraint(
            "water_class IS NULL OR water_class BETWEEN 1 AND 5",
            name=op.f("ck_stations_water_class"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_stations_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_stations_code")),
    )
    op.create_index(op.f("ix_stations_region_id"), "stations", ["region_id"], unique=False)
    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.alter_column("outlet_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("station_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_monitoring_points_station_id_stations"),
            "stations",
            ["station_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_monitoring_points_station_id"), ["station_id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_monitoring_points_one_owner"),
            "(outlet_id IS NULL) <> (station_id IS NULL)",
        )
    _channels(FINDING_CHANNELS + NEW_CHANNELS)


def downgrade() -> None:
    bind = op.get_bind()
    stations = bind.scalar(sa.text("SELECT count(*) FROM stations"))
    used = bind.scalar(sa.text("SELECT count(*) FROM findings WHERE channel = 'station'"))
    if stations or used:
        raise RuntimeError(
            f"{stations} ambient stations are registered and {used} findings came through the "
            "station channel: downgrading past 0024 would lose them (and the stations' "
            "measurements); remove them first"
        )
    _channels(FINDING_CHANNELS)
    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_monitoring_points_one_owner"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_monitoring_points_station_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_monitoring_points_station_id_stations"), type_="foreignkey"
        )
        batch_op.drop_column("station_id")
        batch_op.alter_column("outlet_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_stations_region_id"), table_name="stations")
    op.drop_table("stations")
