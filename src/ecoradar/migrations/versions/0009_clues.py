"""clues: intake records, tracking codes, rate limits

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 03:00:00

The clue intake: ``clues`` (one per report, beside the finding it became, with its tracking
code, the hash of the reward secret, deduplication results and the reporter's follow-up) and
``clue_intake_attempts`` (what the rate limits of the anonymous channels count).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clue_intake_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('public', 'open311', 'tracking')",
            name=op.f("ck_clue_intake_attempts_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clue_intake_attempts")),
    )
    op.create_index(
        op.f("ix_clue_intake_attempts_at"), "clue_intake_attempts", ["at"], unique=False
    )
    op.create_index(
        "ix_clue_intake_attempts_client_kind_at",
        "clue_intake_attempts",
        ["client", "kind", "at"],
        unique=False,
    )
    op.create_table(
        "clues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("service_code", sa.String(length=24), nullable=False),
        sa.Column("tracking_code", sa.String(length=10), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("attributes", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("address_string", sa.String(length=400), nullable=True),
        sa.Column("media_ids", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("received_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("dedupe_score", sa.Float(), nullable=True),
        sa.Column("suggestions", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.Column("feedback_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_text", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("satisfaction_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('public', 'open311', 'grid_worker', 'drone', 'unmanned_ship', 'department', 'hotline', 'media', 'ngo', 'referral', 'inspection')",
            name=op.f("ck_clues_channel"),
        ),
        sa.CheckConstraint(
            "feedback IS NULL OR feedback IN ('confirmed', 'disputed')",
            name=op.f("ck_clues_feedback"),
        ),
        sa.CheckConstraint(
            "service_code IN ('air', 'water', 'solid_waste', 'hazardous_waste', 'noise', 'odour', 'soil', 'ecological', 'other')",
            name=op.f("ck_clues_service_code"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
            name=op.f("ck_clues_satisfaction"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_clues_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_clues_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clues")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_clues_finding_id")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_clues_tracking_code")),
    )
    op.create_index(op.f("ix_clues_received_at"), "clues", ["received_at"], unique=False)
    op.create_index(op.f("ix_clues_token_id"), "clues", ["token_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_clues_token_id"), table_name="clues")
    op.drop_index(op.f("ix_clues_received_at"), table_name="clues")
    op.drop_table("clues")
    op.drop_index("ix_clue_intake_attempts_client_kind_at", table_name="clue_intake_attempts")
    op.drop_index(op.f("ix_clue_intake_attempts_at"), table_name="clue_intake_attempts")
    op.drop_table("clue_intake_attempts")
