"""indexes for list pages at province scale (issue 18)

``ix_alerts_start_id`` on ``alerts (start, id)``: the alert list's order (newest start first,
then id) read backwards from an index, so a page of 50 is the first 50 rows of a walk instead
of a sort of every alert that matches (500,000 in ``bench/bench_lists.py``).

``ix_alerts_updated_id`` on ``alerts (updated_at, id)``: the newest change, read from the index
(the alert page's kind cards are reused while it is unchanged: ``detection/cards.py``), and
the live stream's look for changes since a time.

``ix_clues_channel_received_id`` on ``clues (channel, received_at, id)``: the clue desk's map
points and pages filtered by channel walk that channel's clues, newest first, instead of every
clue (an officer's hotline map: 284 ms to 110 ms, SQL under load).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alerts_start_id", "alerts", ["start", "id"])
    op.create_index("ix_alerts_updated_id", "alerts", ["updated_at", "id"])
    op.create_index("ix_clues_channel_received_id", "clues", ["channel", "received_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_clues_channel_received_id", table_name="clues")
    op.drop_index("ix_alerts_updated_id", table_name="alerts")
    op.drop_index("ix_alerts_start_id", table_name="alerts")
