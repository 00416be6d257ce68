"""how far each gateway writer's inbox has been moved into the store (issue 13)

``gateway_inbox_progress``: one row per inbox (its generation, a random id written in the inbox
file when it was made), with the batch and the item of that batch moved last. The row is
updated in the transaction that stores the items, so a writer killed between storing a slice and
deleting it from the inbox never stores it twice (``ecoradar.monitoring.inbox``).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_inbox_progress",
        sa.Column("generation", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("generation", name=op.f("pk_gateway_inbox_progress")),
    )


def downgrade() -> None:
    op.drop_table("gateway_inbox_progress")
