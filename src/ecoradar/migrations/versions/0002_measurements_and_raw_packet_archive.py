"""measurements and raw packet archive

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:29:45.060076
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "measurements",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("data_time", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rtd", sa.Float(), nullable=True),
        sa.Column("avg", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("zs_rtd", sa.Float(), nullable=True),
        sa.Column("zs_avg", sa.Float(), nullable=True),
        sa.Column("zs_min", sa.Float(), nullable=True),
        sa.Column("zs_max", sa.Float(), nullable=True),
        sa.Column("cou", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(length=4), nullable=True),
        sa.Column("received_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_measurements_point_id_monitoring_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "point_id", "factor", "kind", "data_time", name=op.f("pk_measurements")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "raw_packets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("peer", sa.String(length=128), nullable=False),
        sa.Column("mn", sa.String(length=64), nullable=True),
        sa.Column("cn", sa.String(length=8), nullable=True),
        sa.Column("qn", sa.String(length=32), nullable=True),
        sa.Column("data_time", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_raw_packets_point_id_monitoring_points"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_packets")),
    )
    with op.batch_alter_table("raw_packets", schema=None) as batch_op:
        batch_op.create_index("ix_raw_packets_mn_received_at", ["mn", "received_at"], unique=False)
        batch_op.create_index("ix_raw_packets_outcome", ["outcome", "reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_raw_packets_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("raw_packets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_packets_point_id"))
        batch_op.drop_index("ix_raw_packets_outcome")
        batch_op.drop_index("ix_raw_packets_mn_received_at")

    op.drop_table("raw_packets")
    op.drop_table("measurements")
