"""big exposure: entries of confirmed violations proposed, reviewed and published

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 02:00:00

Big exposure (issue 16, item 3): ``exposure_entries``, one per proposal of a confirmed violation
for the public page, with the review policy in force when it was proposed (four eyes, also a
database check; the earliest approval), its publication and expiry, and its end (rejected,
withdrawn).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
T = "exposure_entries"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("four_eyes", sa.Boolean(), nullable=False),
        sa.Column("review_after", UTC(timezone=True), nullable=False),
        sa.Column("proposed_at", UTC(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTC(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("published_at", UTC(timezone=True), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("ended_at", UTC(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=120), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('proposed', 'published', 'rejected', 'withdrawn')",
            name=op.f(f"ck_{T}_state"),
        ),
        sa.CheckConstraint("expiry_days > 0", name=op.f(f"ck_{T}_expiry_days")),
        sa.CheckConstraint(
            "NOT four_eyes OR approved_by_user_id IS NULL "
            "OR approved_by_user_id <> proposed_by_user_id",
            name=op.f(f"ck_{T}_four_eyes"),
        ),
        sa.CheckConstraint(
            "state <> 'published' OR (published_at IS NOT NULL AND expires_at IS NOT NULL)",
            name=op.f(f"ck_{T}_published"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f(f"fk_{T}_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f(f"fk_{T}_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"], ["users.id"], name=op.f(f"fk_{T}_proposed_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"], ["users.id"], name=op.f(f"fk_{T}_approved_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{T}")),
    )
    op.create_index(op.f(f"ix_{T}_problem_id"), T, ["problem_id"])
    op.create_index(op.f(f"ix_{T}_enterprise_id"), T, ["enterprise_id"])
    op.create_index(f"ix_{T}_state_expires_at", T, ["state", "expires_at"])


def downgrade() -> None:
    op.drop_index(f"ix_{T}_state_expires_at", table_name=T)
    op.drop_index(op.f(f"ix_{T}_enterprise_id"), table_name=T)
    op.drop_index(op.f(f"ix_{T}_problem_id"), table_name=T)
    op.drop_table(T)
