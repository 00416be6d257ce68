"""Open311 API keys' own clue limits

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 09:00:00

``open311_key_limits``: one row per Open311 API key that has limits of its own, clues an hour
of the key and of one relayed reporter within it (issue 16). Keys made before have no row and
keep the anonymous limit until ``ecoradar open311 keys limit`` gives them one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "open311_key_limits",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("clues_per_hour", sa.Integer(), nullable=False),
        sa.Column("per_reporter_per_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "clues_per_hour >= 1", name=op.f("ck_open311_key_limits_clues_per_hour")
        ),
        sa.CheckConstraint(
            "per_reporter_per_hour >= 1", name=op.f("ck_open311_key_limits_per_reporter_per_hour")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_open311_key_limits_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_open311_key_limits")),
    )


def downgrade() -> None:
    op.drop_table("open311_key_limits")
