"""regions and registry

Revision ID: 0001
Revises:
Create Date: 2026-11-28 23:09:03.896149
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("geometry", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("updated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'county', 'township', 'grid')",
            name=op.f("ck_regions_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["regions.id"],
            name=op.f("fk_regions_parent_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_regions_code")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_regions_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=8), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("source_crs", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_enterprises_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("code", name=op.f("uq_enterprises_code")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_industry"), ["industry"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_region_id"), ["region_id"], unique=False)

    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_outlets_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
        sa.UniqueConstraint("enterprise_id", "code", name=op.f("uq_outlets_enterprise_id_code")),
    )
    op.create_table(
        "monitoring_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(length=64), nullable=False),
        sa.Column("password", sa.String(length=64), nullable=True),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("text_encoding", sa.String(length=16), nullable=False),
        sa.Column("accept_modbus_crc", sa.Boolean(), nullable=False),
        sa.CheckConstraint("medium IN ('gas', 'water')", name=op.f("ck_monitoring_points_medium")),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_monitoring_points_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_points")),
        sa.UniqueConstraint("mn", name=op.f("uq_monitoring_points_mn")),
    )
    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_points_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "point_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=False),
        sa.Column("limit_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("averaging", sa.String(length=4), nullable=False),
        sa.Column("o2_reference", sa.Float(), nullable=True),
        sa.Column("standard", sa.String(length=64), nullable=True),
        sa.Column("effective_limit", sa.Float(), nullable=False),
        sa.CheckConstraint("averaging IN ('hour', 'day')", name=op.f("ck_point_limits_averaging")),
        sa.CheckConstraint(
            "limit_value IS NULL OR limit_value >= 0",
            name=op.f("ck_point_limits_limit_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_point_limits_point_id_monitoring_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_limits")),
        sa.UniqueConstraint("point_id", "factor", name=op.f("uq_point_limits_point_id_factor")),
    )
    with op.batch_alter_table("point_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_limits_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("point_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_limits_point_id"))

    op.drop_table("point_limits")
    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_points_outlet_id"))

    op.drop_table("monitoring_points")
    op.drop_table("outlets")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_region_id"))
        batch_op.drop_index(batch_op.f("ix_enterprises_name"))
        batch_op.drop_index(batch_op.f("ix_enterprises_industry"))

    op.drop_table("enterprises")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_id"))
        batch_op.drop_index(batch_op.f("ix_regions_level"))

    op.drop_table("regions")
