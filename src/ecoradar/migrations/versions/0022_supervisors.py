"""supervisors: the supervisor role, its kinds, followed problems and questions to the bureau

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 04:00:00

Supervisors (issue 16): a new account role ``supervisor`` (region-scoped, like officers and
grid workers) with its kind and organisation in ``supervisors``; the problems a supervisor
follows or raised (``supervised_problems``); their questions ("问政") and the bureau's answers
with a deadline (``supervision_questions``); and a new clue and finding channel,
``supervisor``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
CLUE_CHANNELS = (
    "public", "open311", "grid_worker", "drone", "unmanned_ship", "department", "hotline",
    "media", "ngo", "referral", "inspection", "third_party",
)  # fmt: skip
FINDING_CHANNELS = (
    "monitoring", "public", "open311", "grid_worker", "drone", "unmanned_ship",
    "self_inspection", "department", "hotline", "media", "ngo", "referral", "linkage",
    "inspection", "third_party",
)  # fmt: skip
NEW_CHANNELS = ("supervisor",)
ROLES = ("admin", "officer", "grid_worker", "enterprise", "public")
REGION_ROLES = ("officer", "grid_worker")
NEW_ROLES = ("supervisor",)
KINDS = "kind IN ('deputy', 'cppcc', 'media', 'discipline')"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _channels(table: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_channel"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_channel"), _in("channel", values))


def _roles(roles: Sequence[str], region_roles: Sequence[str]) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_region_scope"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), _in("role", roles))
        batch_op.create_check_constraint(
            op.f("ck_users_region_scope"),
            f"({_in('role', region_roles)}) = (region_id IS NOT NULL)",
        )


def upgrade() -> None:
    _roles(ROLES + NEW_ROLES, REGION_ROLES + NEW_ROLES)
    op.create_table(
        "supervisors",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_supervisors_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_supervisors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_supervisors")),
    )
    op.create_table(
        "supervised_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("followed_at", UTC(timezone=True), nullable=False),
        sa.Column("raised_at", UTC(timezone=True), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f("ck_supervised_problems_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_supervised_problems_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_supervised_problems_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_supervised_problems_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_supervised_problems_finding_id_findings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervised_problems")),
        sa.UniqueConstraint(
            "user_id", "problem_id", name=op.f("uq_supervised_problems_user_id_problem_id")
        ),
    )
    op.create_index(op.f("ix_supervised_problems_user_id"), "supervised_problems", ["user_id"])
    op.create_index(
        op.f("ix_supervised_problems_problem_id"), "supervised_problems", ["problem_id"]
    )
    op.create_index(op.f("ix_supervised_problems_region_id"), "supervised_problems", ["region_id"])
    op.create_index(op.f("ix_supervised_problems_raised_at"), "supervised_problems", ["raised_at"])
    op.create_table(
        "supervision_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("asker_user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", UTC(timezone=True), nullable=False),
        sa.Column("due_at", UTC(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.Column("answerer_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f("ck_supervision_questions_kind")),
        sa.CheckConstraint(
            "(answer IS NULL) = (answered_at IS NULL)",
            name=op.f("ck_supervision_questions_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_supervision_questions_problem_id_problems"),
        ),
        sa.ForeignKeyConstraint(
            ["asker_user_id"],
            ["users.id"],
            name=op.f("fk_supervision_questions_asker_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_supervision_questions_region_id_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["answerer_user_id"],
            ["users.id"],
            name=op.f("fk_supervision_questions_answerer_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_questions")),
    )
    for column in ("problem_id", "asker_user_id", "region_id", "asked_at", "due_at"):
        op.create_index(
            op.f(f"ix_supervision_questions_{column}"), "supervision_questions", [column]
        )
    _channels("clues", CLUE_CHANNELS + NEW_CHANNELS)
    _channels("findings", FINDING_CHANNELS + NEW_CHANNELS)


def downgrade() -> None:
    bind = op.get_bind()
    used = bind.scalar(sa.text("SELECT count(*) FROM findings WHERE channel = 'supervisor'"))
    people = bind.scalar(sa.text("SELECT count(*) FROM users WHERE role = 'supervisor'"))
    if used or people:
        raise RuntimeError(
            f"{used} findings came through the supervisor channel and {people} users are "
            "supervisors: downgrading past 0022 would lose them; remove them first"
        )
    _channels("clues", CLUE_CHANNELS)
    _channels("findings", FINDING_CHANNELS)
    for column in ("problem_id", "asker_user_id", "region_id", "asked_at", "due_at"):
        op.drop_index(
            op.f(f"ix_supervision_questions_{column}"), table_name="supervision_questions"
        )
    op.drop_table("supervision_questions")
    for column in ("user_id", "problem_id", "region_id", "raised_at"):
        op.drop_index(op.f(f"ix_supervised_problems_{column}"), table_name="supervised_problems")
    op.drop_table("supervised_problems")
    op.drop_table("supervisors")
    _roles(ROLES, REGION_ROLES)
