"""analyser parameters (CN=3020) and their history (issue 20)

``analyser_parameters``: what a device's analysers report of themselves (range i13001, last
calibration i13006, intercept i13007, slope i13008, every i13xxx item as sent), one row per
point, factor (PolId) and data time.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ecoradar.core.db import JSONType, UTCDateTime

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analyser_parameters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(16), nullable=False),
        sa.Column("data_time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("range_value", sa.Float(), nullable=True),
        sa.Column("calibrated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("intercept", sa.Float(), nullable=True),
        sa.Column("slope", sa.Float(), nullable=True),
        sa.Column("info", JSONType, nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_analyser_parameters_point_id_monitoring_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyser_parameters")),
        sa.UniqueConstraint(
            "point_id",
            "factor",
            "data_time",
            name=op.f("uq_analyser_parameters_point_id_factor_data_time"),
        ),
    )
    op.create_index(op.f("ix_analyser_parameters_point_id"), "analyser_parameters", ["point_id"])


def downgrade() -> None:
    op.drop_index("ix_analyser_parameters_point_id", table_name="analyser_parameters")
    op.drop_table("analyser_parameters")
