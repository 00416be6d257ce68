"""bus partitions: the last message written per partition of the NATS stream

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00

``ecoradar worker`` writes batches it consumes from NATS JetStream; this row per partition,
updated in the batch's own transaction, makes a redelivered message a no-op (see
``ecoradar.bus.claims``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bus_partitions",
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("partition_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.String(length=40), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("updated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream", "partition_no", name=op.f("pk_bus_partitions")),
    )


def downgrade() -> None:
    op.drop_table("bus_partitions")
