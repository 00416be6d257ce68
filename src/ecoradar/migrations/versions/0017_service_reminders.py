"""service reminders: reminders, their issues, number counters, upcoming standards, campaigns

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 01:00:00

Enterprise environment service reminders (issue 15): ``reminders`` (one numbered document per
enterprise and period), ``reminder_issues`` (a trigger due for a subject, with evidence, the
enterprise's answer and the officer's decision), ``reminder_counters`` (the numbers' sequences),
``reminder_standards`` (stricter standards taking effect per industry), ``reminder_campaigns``
(seasonal campaigns) and ``reminder_passes`` (the scheduler's generation, once a China day).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType
REMINDER_STATES = "('draft', 'issued', 'acknowledged', 'answered', 'resolved', 'escalated')"
ISSUE_STATES = "('open', 'answered', 'accepted', 'returned')"


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
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("as_of", UTC(timezone=True), nullable=False),
        sa.Column("bureau_name", sa.String(length=200), nullable=False),
        sa.Column("bureau_name_en", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("issued_at", UTC(timezone=True), nullable=True),
        sa.Column("issued_by", sa.String(length=120), nullable=True),
        sa.Column("answer_due", UTC(timezone=True), nullable=True),
        sa.Column("acknowledged_at", UTC(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("escalated_at", UTC(timezone=True), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("deliveries", JSON, nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN {REMINDER_STATES}", name=op.f("ck_reminders_state")),
        _fk("reminders", "enterprise_id", "enterprises"),
        _fk("reminders", "region_id", "regions"),
        _fk("reminders", "problem_id", "problems"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("number", name=op.f("uq_reminders_number")),
        sa.UniqueConstraint(
            "enterprise_id", "period_key", name=op.f("uq_reminders_enterprise_id_period_key")
        ),
    )
    op.create_index(op.f("ix_reminders_enterprise_id"), "reminders", ["enterprise_id"])
    op.create_index(op.f("ix_reminders_region_id"), "reminders", ["region_id"])
    op.create_index(op.f("ix_reminders_issued_at"), "reminders", ["issued_at"])
    op.create_index("ix_reminders_state_due", "reminders", ["state", "answer_due"])
    op.create_table(
        "reminder_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_media_ids", JSON, nullable=False),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN {ISSUE_STATES}", name=op.f("ck_reminder_issues_state")),
        _fk("reminder_issues", "reminder_id", "reminders", "CASCADE"),
        _fk("reminder_issues", "enterprise_id", "enterprises"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_issues")),
        sa.UniqueConstraint(
            "reminder_id",
            "trigger",
            "subject",
            name=op.f("uq_reminder_issues_reminder_id_trigger_subject"),
        ),
    )
    op.create_index(
        "ix_reminder_issues_cooldown",
        "reminder_issues",
        ["enterprise_id", "trigger", "subject", "created_at"],
    )
    op.create_table(
        "reminder_counters",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_reminder_counters")),
    )
    op.create_table(
        "reminder_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("industry", sa.String(length=8), nullable=False),
        sa.Column("standard", sa.String(length=120), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("changes_en", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_standards")),
        sa.UniqueConstraint(
            "industry",
            "standard",
            "effective",
            name=op.f("uq_reminder_standards_industry_standard_effective"),
        ),
    )
    op.create_table(
        "reminder_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("industries", JSON, nullable=False),
        sa.Column("region_ids", JSON, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_campaigns")),
    )
    op.create_table(
        "reminder_passes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("as_of", UTC(timezone=True), nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_reminder_passes")),
    )


def downgrade() -> None:
    op.drop_table("reminder_passes")
    op.drop_table("reminder_campaigns")
    op.drop_table("reminder_standards")
    op.drop_table("reminder_counters")
    op.drop_index("ix_reminder_issues_cooldown", table_name="reminder_issues")
    op.drop_table("reminder_issues")
    op.drop_index("ix_reminders_state_due", table_name="reminders")
    op.drop_index(op.f("ix_reminders_issued_at"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_region_id"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_enterprise_id"), table_name="reminders")
    op.drop_table("reminders")
