"""power episodes re-judged on late readings (issue 17)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 22:00:00

Readings that arrive late re-judge the time they cover: an episode may be split, shortened or
withdrawn. A withdrawn episode stays (``withdrawn_at``, ``withdrawn_reason``; its finding is
marked withdrawn too), and a piece split off an episode names it (``split_from``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime


def upgrade() -> None:
    op.add_column("power_episodes", sa.Column("withdrawn_at", UTC(timezone=True), nullable=True))
    op.add_column("power_episodes", sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    op.add_column("power_episodes", sa.Column("split_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("power_episodes", schema=None) as batch_op:
        batch_op.drop_column("split_from")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
