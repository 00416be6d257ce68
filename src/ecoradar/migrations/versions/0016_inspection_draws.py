"""inspection draws: conflicts of interest, draws, inspections and their inspectors

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:00:00

Risk-based inspection draws ("double random, one public", issue 14): ``inspection_conflicts``
(an inspector's declared conflict of interest with an enterprise), ``inspection_draws`` (a draw
for a period and a region with its seed, rates and candidates), ``inspections`` (each drawn
enterprise: the inspectors' task and its result) and ``inspection_inspectors`` (who was drawn).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType
COLOURS = "('green', 'blue', 'yellow', 'red', 'black')"


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "inspection_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("declared_at", UTC(timezone=True), nullable=False),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column("withdrawn_at", UTC(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=120), nullable=True),
        _fk("inspection_conflicts", "inspector_id", "users", "CASCADE"),
        _fk("inspection_conflicts", "enterprise_id", "enterprises", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_conflicts")),
        sa.UniqueConstraint(
            "inspector_id",
            "enterprise_id",
            name=op.f("uq_inspection_conflicts_inspector_id_enterprise_id"),
        ),
    )
    op.create_index(
        op.f("ix_inspection_conflicts_inspector_id"), "inspection_conflicts", ["inspector_id"]
    )
    op.create_index(
        op.f("ix_inspection_conflicts_enterprise_id"), "inspection_conflicts", ["enterprise_id"]
    )
    op.create_table(
        "inspection_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=128), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("rates", JSON, nullable=False),
        sa.Column("uncoded_colour", sa.String(length=8), nullable=False),
        sa.Column("inspectors_per_inspection", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=8), nullable=False),
        sa.Column("candidates", JSON, nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            f"uncoded_colour IN {COLOURS}", name=op.f("ck_inspection_draws_uncoded_colour")
        ),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_inspection_draws_period")),
        sa.CheckConstraint(
            "inspectors_per_inspection >= 1",
            name=op.f("ck_inspection_draws_inspectors_per_inspection"),
        ),
        _fk("inspection_draws", "region_id", "regions", "RESTRICT"),
        _fk("inspection_draws", "created_by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_draws")),
    )
    op.create_index(
        "ix_inspection_draws_region_period", "inspection_draws", ["region_id", "period_start"]
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("coded", sa.Boolean(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("eligible", JSON, nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("finding_ids", JSON, nullable=True),
        sa.Column("problem_ids", JSON, nullable=True),
        sa.Column("done_at", UTC(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.Column("done_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('assigned', 'done', 'unstaffed')", name=op.f("ck_inspections_state")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('clean', 'findings', 'refused')",
            name=op.f("ck_inspections_outcome"),
        ),
        sa.CheckConstraint(f"colour IN {COLOURS}", name=op.f("ck_inspections_colour")),
        _fk("inspections", "draw_id", "inspection_draws", "CASCADE"),
        _fk("inspections", "enterprise_id", "enterprises", "CASCADE"),
        _fk("inspections", "done_by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint(
            "draw_id", "enterprise_id", name=op.f("uq_inspections_draw_id_enterprise_id")
        ),
    )
    op.create_index("ix_inspections_enterprise", "inspections", ["enterprise_id"])
    op.create_table(
        "inspection_inspectors",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("inspection_inspectors", "inspection_id", "inspections", "CASCADE"),
        _fk("inspection_inspectors", "user_id", "users"),
        sa.PrimaryKeyConstraint("inspection_id", "user_id", name=op.f("pk_inspection_inspectors")),
    )
    op.create_index(op.f("ix_inspection_inspectors_user_id"), "inspection_inspectors", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inspection_inspectors_user_id"), table_name="inspection_inspectors")
    op.drop_table("inspection_inspectors")
    op.drop_index("ix_inspections_enterprise", table_name="inspections")
    op.drop_table("inspections")
    op.drop_index("ix_inspection_draws_region_period", table_name="inspection_draws")
    op.drop_table("inspection_draws")
    op.drop_index(op.f("ix_inspection_conflicts_enterprise_id"), table_name="inspection_conflicts")
    op.drop_index(op.f("ix_inspection_conflicts_inspector_id"), table_name="inspection_conflicts")
    op.drop_table("inspection_conflicts")
