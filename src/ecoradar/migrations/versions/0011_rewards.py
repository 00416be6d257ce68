"""rewards: rule sets and tiers, enforcement outcomes, the reward ledger

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 06:00:00

Rewards for reporters: ``reward_rule_sets`` and ``reward_tiers`` (versioned rules imported by
``ecoradar rewards rules import``), ``problem_outcomes`` (the enforcement outcome of a problem)
and ``rewards`` (the ledger: one per problem, four eyes between proposer and approver).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
OUTCOMES = "('warning', 'order_to_correct', 'fine', 'public_security')"


def upgrade() -> None:
    op.create_table(
        "reward_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("max_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("min_description_chars", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint("max_amount > 0", name=op.f("ck_reward_rule_sets_max_amount")),
        sa.CheckConstraint(
            "min_description_chars >= 0",
            name=op.f("ck_reward_rule_sets_min_description_chars"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_rule_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_reward_rule_sets_version")),
    )
    op.create_table(
        "reward_tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("fine_from", sa.Numeric(14, 2), nullable=True),
        sa.Column("fine_below", sa.Numeric(14, 2), nullable=True),
        sa.Column("fixed_amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("percent", sa.Numeric(7, 4), nullable=True),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}", name=op.f("ck_reward_tiers_outcome")),
        sa.CheckConstraint(
            "(fixed_amount IS NULL) <> (percent IS NULL)",
            name=op.f("ck_reward_tiers_fixed_or_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["reward_rule_sets.id"],
            name=op.f("fk_reward_tiers_rule_set_id_reward_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_tiers")),
        sa.UniqueConstraint("rule_set_id", "code", name="uq_reward_tiers_rule_set_code"),
    )
    op.create_index(
        op.f("ix_reward_tiers_rule_set_id"), "reward_tiers", ["rule_set_id"], unique=False
    )
    op.create_table(
        "problem_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("fine_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("decision_ref", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN {OUTCOMES}", name=op.f("ck_problem_outcomes_kind")),
        sa.CheckConstraint(
            "(kind = 'fine' AND fine_amount IS NOT NULL AND fine_amount > 0) OR "
            "(kind <> 'fine' AND fine_amount IS NULL)",
            name=op.f("ck_problem_outcomes_fine_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_outcomes_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_problem_outcomes_recorded_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_outcomes")),
        sa.UniqueConstraint("problem_id", name=op.f("uq_problem_outcomes_problem_id")),
    )
    op.create_table(
        "rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("clue_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("fine_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claim_reference", sa.String(length=10), nullable=False),
        sa.Column("proposed_at", UTC(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", UTC(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", UTC(timezone=True), nullable=True),
        sa.Column("rejected_by", sa.String(length=120), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", UTC(timezone=True), nullable=True),
        sa.Column("paid_by", sa.String(length=120), nullable=True),
        sa.Column("payout_reference", sa.String(length=120), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('proposed', 'approved', 'paid', 'rejected')", name=op.f("ck_rewards_state")
        ),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}", name=op.f("ck_rewards_outcome")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_rewards_amount")),
        sa.CheckConstraint(
            "approved_by_user_id IS NULL OR approved_by_user_id <> proposed_by_user_id",
            name=op.f("ck_rewards_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_rewards_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(["clue_id"], ["clues.id"], name=op.f("fk_rewards_clue_id_clues")),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_rewards_proposed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["users.id"],
            name=op.f("fk_rewards_approved_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("problem_id", name=op.f("uq_rewards_problem_id")),
        sa.UniqueConstraint("claim_reference", name=op.f("uq_rewards_claim_reference")),
    )
    op.create_index(op.f("ix_rewards_clue_id"), "rewards", ["clue_id"], unique=False)
    op.create_index(op.f("ix_rewards_state"), "rewards", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rewards_state"), table_name="rewards")
    op.drop_index(op.f("ix_rewards_clue_id"), table_name="rewards")
    op.drop_table("rewards")
    op.drop_table("problem_outcomes")
    op.drop_index(op.f("ix_reward_tiers_rule_set_id"), table_name="reward_tiers")
    op.drop_table("reward_tiers")
    op.drop_table("reward_rule_sets")
