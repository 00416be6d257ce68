"""five-step check: campaigns, records, steps; the third_party clue channel

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:00:00

The five-step check (issue 15): ``fivestep_campaigns`` (name, period, region, the industries the
enterprises were chosen by), ``fivestep_records`` (one per enterprise in a campaign) and
``fivestep_steps`` (each record's five steps: state, outcome, result). The accredited third
party's technical check is a new clue and finding channel, ``third_party``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType
CLUE_CHANNELS = (
    "public", "open311", "grid_worker", "drone", "unmanned_ship", "department", "hotline",
    "media", "ngo", "referral", "inspection",
)  # fmt: skip
FINDING_CHANNELS = (
    "monitoring", "public", "open311", "grid_worker", "drone", "unmanned_ship",
    "self_inspection", "department", "hotline", "media", "ngo", "referral", "linkage",
    "inspection",
)  # fmt: skip
NEW = ("third_party",)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _channels(table: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_channel"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_channel"), _in("channel", values))


def upgrade() -> None:
    op.create_table(
        "fivestep_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("industries", JSON, nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_fivestep_campaigns_period")),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_fivestep_campaigns_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_fivestep_campaigns_created_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fivestep_campaigns")),
    )
    op.create_index(op.f("ix_fivestep_campaigns_region_id"), "fivestep_campaigns", ["region_id"])
    op.create_table(
        "fivestep_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'in_progress', 'complete')", name=op.f("ck_fivestep_records_state")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["fivestep_campaigns.id"],
            name=op.f("fk_fivestep_records_campaign_id_fivestep_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_fivestep_records_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fivestep_records")),
        sa.UniqueConstraint(
            "campaign_id",
            "enterprise_id",
            name=op.f("uq_fivestep_records_campaign_id_enterprise_id"),
        ),
    )
    op.create_index(op.f("ix_fivestep_records_campaign_id"), "fivestep_records", ["campaign_id"])
    op.create_index("ix_fivestep_records_enterprise", "fivestep_records", ["enterprise_id"])
    op.create_table(
        "fivestep_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=True),
        sa.Column("finished_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "step IN ('self_screening', 'third_party', 'enforcement', 'monitoring_review', "
            "'follow_up')",
            name=op.f("ck_fivestep_steps_step"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'skipped')", name=op.f("ck_fivestep_steps_state")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('clean', 'findings')",
            name=op.f("ck_fivestep_steps_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["fivestep_records.id"],
            name=op.f("fk_fivestep_steps_record_id_fivestep_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fivestep_steps")),
        sa.UniqueConstraint("record_id", "step", name=op.f("uq_fivestep_steps_record_id_step")),
    )
    _channels("clues", CLUE_CHANNELS + NEW)
    _channels("findings", FINDING_CHANNELS + NEW)


def downgrade() -> None:
    used = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM findings WHERE channel = 'third_party'")
    )
    if used:
        raise RuntimeError(
            f"{used} findings came through the third_party channel: downgrading past 0018 "
            "would lose them; remove them first"
        )
    _channels("clues", CLUE_CHANNELS)
    _channels("findings", FINDING_CHANNELS)
    op.drop_table("fivestep_steps")
    op.drop_index("ix_fivestep_records_enterprise", table_name="fivestep_records")
    op.drop_index(op.f("ix_fivestep_records_campaign_id"), table_name="fivestep_records")
    op.drop_table("fivestep_records")
    op.drop_index(op.f("ix_fivestep_campaigns_region_id"), table_name="fivestep_campaigns")
    op.drop_table("fivestep_campaigns")
