"""green code: codes, history, the stale queue, daily passes, repairs; violations; permits

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 08:30:00

The enterprise environmental green code (issue 14): ``greencode_codes`` (the code in force per
enterprise), ``greencode_history`` (every change of colour and one point per China day),
``greencode_stale`` (enterprises queued for recomputation by the writers of its inputs),
``greencode_passes`` (the daily full recomputation) and ``greencode_repairs`` (repair
applications). ``problems.violation`` names a veto an officer found on a confirmed problem;
``enterprises.permit_no`` and ``permit_valid_until`` hold the discharge permit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType
COLOURS = "('green', 'blue', 'yellow', 'red', 'black')"
VIOLATIONS = "('data_falsification', 'hazardous_waste_disposal', 'bypass', 'refused_inspection')"


def _enterprise_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["enterprise_id"],
        ["enterprises.id"],
        name=op.f(f"fk_{table}_enterprise_id_enterprises"),
        ondelete="CASCADE",
    )


def _code_columns() -> list[sa.Column[object]]:
    """The columns a code and a history row share."""
    return [
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("indicators", JSON, nullable=False),
        sa.Column("vetoes", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("data_as_of", UTC(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "greencode_codes",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        *_code_columns(),
        sa.Column("scheme", sa.String(length=8), nullable=False),
        sa.Column("computed_at", UTC(timezone=True), nullable=False),
        sa.Column("colour_since", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(f"colour IN {COLOURS}", name=op.f("ck_greencode_codes_colour")),
        sa.CheckConstraint("score >= 0 AND score <= 100", name=op.f("ck_greencode_codes_score")),
        _enterprise_fk("greencode_codes"),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_greencode_codes")),
    )
    op.create_index("ix_greencode_codes_colour_score", "greencode_codes", ["colour", "score"])
    op.create_index("ix_greencode_codes_score", "greencode_codes", ["score"])
    op.create_table(
        "greencode_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("previous_colour", sa.String(length=8), nullable=True),
        *_code_columns(),
        sa.CheckConstraint(f"colour IN {COLOURS}", name=op.f("ck_greencode_history_colour")),
        sa.CheckConstraint(
            "kind IN ('colour', 'daily', 'first')", name=op.f("ck_greencode_history_kind")
        ),
        sa.CheckConstraint(
            f"previous_colour IS NULL OR previous_colour IN {COLOURS}",
            name=op.f("ck_greencode_history_previous_colour"),
        ),
        _enterprise_fk("greencode_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greencode_history")),
    )
    op.create_index(
        "ix_greencode_history_enterprise_at", "greencode_history", ["enterprise_id", "at"]
    )
    op.create_table(
        "greencode_stale",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("marked_at", UTC(timezone=True), nullable=False),
        _enterprise_fk("greencode_stale"),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_greencode_stale")),
    )
    op.create_table(
        "greencode_passes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=False),
        sa.Column("enterprises", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_greencode_passes")),
    )
    op.create_table(
        "greencode_repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("covers", JSON, nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("filed_at", UTC(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=120), nullable=False),
        sa.Column("filed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_greencode_repairs_state")
        ),
        _enterprise_fk("greencode_repairs"),
        sa.ForeignKeyConstraint(
            ["filed_by_user_id"],
            ["users.id"],
            name=op.f("fk_greencode_repairs_filed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_greencode_repairs_decided_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greencode_repairs")),
    )
    op.create_index(
        "ix_greencode_repairs_enterprise_state", "greencode_repairs", ["enterprise_id", "state"]
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permit_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("permit_valid_until", sa.Date(), nullable=True))
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("violation", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_problems_violation"), f"violation IS NULL OR violation IN {VIOLATIONS}"
        )


def downgrade() -> None:
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_problems_violation"), type_="check")
        batch_op.drop_column("violation")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("permit_valid_until")
        batch_op.drop_column("permit_no")
    op.drop_index("ix_greencode_repairs_enterprise_state", table_name="greencode_repairs")
    op.drop_table("greencode_repairs")
    op.drop_table("greencode_passes")
    op.drop_table("greencode_stale")
    op.drop_index("ix_greencode_history_enterprise_at", table_name="greencode_history")
    op.drop_table("greencode_history")
    op.drop_index("ix_greencode_codes_score", table_name="greencode_codes")
    op.drop_index("ix_greencode_codes_colour_score", table_name="greencode_codes")
    op.drop_table("greencode_codes")
