"""ambient stations: when the late-hour check last looked (issue 17)

``stations.late_checked_at``: the station pass's late-hour check has looked at the packets
received up to this time; hours received after it for a time already judged
(``evaluated_until``) are judged again (``stations.rejudge``).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(
            sa.Column("late_checked_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("late_checked_at")
