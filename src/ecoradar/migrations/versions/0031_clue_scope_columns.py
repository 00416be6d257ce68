"""the clue's problem and region on the clue (issue 18)

``clues.problem_id`` (the finding's problem) and ``clues.region_id`` (that problem's region),
filled from ``findings`` and ``problems``: an officer's clue lists apply their scope (region
subtree, or assigned to them) on the clue's own columns instead of joining every clue to its
finding and problem (``bench/bench_lists.py``: the capped count and the desk's map).

``ix_clues_region_received_id`` on ``clues (region_id, received_at, id)``: a region's clues,
newest first, and the capped count of an officer's clues read from the index alone;
``ix_clues_channel_region`` on ``clues (channel, region_id)``: the same count for one channel
(an officer's public clues: 184 ms to 2 ms, SQL); ``ix_clues_problem_id``: the clues of the
problems assigned to an officer, and of a problem moved to another region.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
UPDATE clues SET
    problem_id = (SELECT findings.problem_id FROM findings WHERE findings.id = clues.finding_id),
    region_id = (SELECT problems.region_id FROM findings
                 JOIN problems ON problems.id = findings.problem_id
                 WHERE findings.id = clues.finding_id)
"""
"""One pass over the clues (400,000 in ``bench/bench_lists.py``), on both databases."""


def upgrade() -> None:
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.alter_column("problem_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("region_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_clues_problem_id_problems"), "problems", ["problem_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_clues_region_id_regions"), "regions", ["region_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_clues_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(
            "ix_clues_region_received_id", ["region_id", "received_at", "id"], unique=False
        )
        batch_op.create_index("ix_clues_channel_region", ["channel", "region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.drop_index("ix_clues_channel_region")
        batch_op.drop_index("ix_clues_region_received_id")
        batch_op.drop_index(batch_op.f("ix_clues_problem_id"))
        batch_op.drop_constraint(batch_op.f("fk_clues_region_id_regions"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_clues_problem_id_problems"), type_="foreignkey")
        batch_op.drop_column("region_id")
        batch_op.drop_column("problem_id")
