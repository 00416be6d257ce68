"""grid workers' patrols: patrol plans per grid level and patrols with their GPS track

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 02:10:00

Grid workers, phone first (issue 16, item 1): ``patrol_plans`` (how often each level of area
is patrolled; a level without a row uses the default) and ``patrols`` (start, end, the browser's
GPS track as JSON, its point count and length).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
LEVELS = "level IN ('province', 'city', 'county', 'township', 'grid')"


def upgrade() -> None:
    op.create_table(
        "patrol_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(LEVELS, name=op.f("ck_patrol_plans_level")),
        sa.CheckConstraint("every_hours >= 1", name=op.f("ck_patrol_plans_every_hours")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_plans")),
        sa.UniqueConstraint("level", name=op.f("uq_patrol_plans_level")),
    )
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("ended_at", UTC(timezone=True), nullable=True),
        sa.Column("track", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_patrols_user_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_patrols_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
    )
    op.create_index("ix_patrols_user_started", "patrols", ["user_id", "started_at"])
    op.create_index(op.f("ix_patrols_region_id"), "patrols", ["region_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_patrols_region_id"), table_name="patrols")
    op.drop_index("ix_patrols_user_started", table_name="patrols")
    op.drop_table("patrols")
    op.drop_table("patrol_plans")
