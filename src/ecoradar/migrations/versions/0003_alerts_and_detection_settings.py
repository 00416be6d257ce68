"""alerts and detection settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:49:14.751403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("start", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column(
            "evidence",
            ecoradar.core.db.JSONType,
            nullable=False,
        ),
        sa.Column("raised_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_alerts_point_id_monitoring_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_kind_start", ["kind", "start"], unique=False)
        batch_op.create_index("ix_alerts_open", ["point_id", "factor", "kind", "end"], unique=False)
        batch_op.create_index(
            "uq_alerts_natural", ["point_id", "factor", "kind", "start"], unique=True
        )

    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "detection",
                ecoradar.core.db.JSONType,
                nullable=True,
            )
        )

    with op.batch_alter_table("point_limits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "detection",
                ecoradar.core.db.JSONType,
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("point_limits", schema=None) as batch_op:
        batch_op.drop_column("detection")

    with op.batch_alter_table("monitoring_points", schema=None) as batch_op:
        batch_op.drop_column("detection")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_alerts_natural")
        batch_op.drop_index("ix_alerts_open")
        batch_op.drop_index("ix_alerts_kind_start")

    op.drop_table("alerts")
