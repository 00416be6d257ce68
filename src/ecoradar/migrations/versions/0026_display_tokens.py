"""the big screens' display tokens (issue 18)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 22:00:00

``display_tokens``: a wall display's secret (its sha256 stored, and the first characters to
tell tokens apart) that shows the three big screens of one region, who made it and when, and
when and by whom it was revoked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "display_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_display_tokens_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_display_tokens_digest")),
    )
    op.create_index(
        op.f("ix_display_tokens_region_id"), "display_tokens", ["region_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_display_tokens_region_id"), table_name="display_tokens")
    op.drop_table("display_tokens")
