"""self-inspection: control points, templates, schedules, tasks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType


def upgrade() -> None:
    op.create_table(
        "selfcheck_point_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_point_types")),
        sa.UniqueConstraint("code", name=op.f("uq_selfcheck_point_types_code")),
    )
    op.create_table(
        "selfcheck_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_type_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_type_id"],
            ["selfcheck_point_types.id"],
            name=op.f("fk_selfcheck_templates_point_type_id_selfcheck_point_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_templates")),
        sa.UniqueConstraint("point_type_id", name=op.f("uq_selfcheck_templates_point_type_id")),
    )
    op.create_table(
        "selfcheck_template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["selfcheck_templates.id"],
            name=op.f("fk_selfcheck_template_versions_template_id_selfcheck_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_template_versions")),
        sa.UniqueConstraint(
            "template_id",
            "version",
            name=op.f("uq_selfcheck_template_versions_template_id_version"),
        ),
    )
    op.create_index(
        op.f("ix_selfcheck_template_versions_template_id"),
        "selfcheck_template_versions",
        ["template_id"],
    )
    op.create_table(
        "selfcheck_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("source_crs", sa.String(length=8), nullable=False),
        sa.Column("schedule_kind", sa.String(length=8), nullable=False),
        sa.Column("schedule_expression", sa.String(length=100), nullable=False),
        sa.Column("working_days_only", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("generated_until", sa.Date(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "schedule_kind IN ('daily', 'weekly', 'monthly', 'cron')",
            name=op.f("ck_selfcheck_points_schedule_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_selfcheck_points_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["selfcheck_point_types.id"],
            name=op.f("fk_selfcheck_points_type_id_selfcheck_point_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_points")),
        sa.UniqueConstraint(
            "enterprise_id", "code", name=op.f("uq_selfcheck_points_enterprise_id_code")
        ),
    )
    op.create_index(
        op.f("ix_selfcheck_points_enterprise_id"), "selfcheck_points", ["enterprise_id"]
    )
    op.create_index(op.f("ix_selfcheck_points_type_id"), "selfcheck_points", ["type_id"])
    op.create_table(
        "selfcheck_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("template_version_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("answers", JSON, nullable=True),
        sa.Column("photos", JSON, nullable=True),
        sa.Column("warnings", JSON, nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("failed_items", JSON, nullable=True),
        sa.Column("finding_ids", JSON, nullable=True),
        sa.Column("submitted_at", UTC(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=120), nullable=True),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'submitted', 'overdue')", name=op.f("ck_selfcheck_tasks_state")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_selfcheck_tasks_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["selfcheck_points.id"],
            name=op.f("fk_selfcheck_tasks_point_id_selfcheck_points"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["users.id"],
            name=op.f("fk_selfcheck_tasks_submitted_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["selfcheck_template_versions.id"],
            name=op.f("fk_selfcheck_tasks_template_version_id_selfcheck_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_tasks")),
        sa.UniqueConstraint(
            "point_id", "period_key", name=op.f("uq_selfcheck_tasks_point_id_period_key")
        ),
    )
    op.create_index(op.f("ix_selfcheck_tasks_due_date"), "selfcheck_tasks", ["due_date"])
    op.create_index(
        "ix_selfcheck_tasks_enterprise_due", "selfcheck_tasks", ["enterprise_id", "due_date"]
    )
    op.create_index("ix_selfcheck_tasks_state_due_at", "selfcheck_tasks", ["state", "due_at"])
    op.create_table(
        "selfcheck_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("read_at", UTC(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('due_soon', 'overdue')", name=op.f("ck_selfcheck_notifications_kind")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_selfcheck_notifications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["selfcheck_tasks.id"],
            name=op.f("fk_selfcheck_notifications_task_id_selfcheck_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfcheck_notifications")),
        sa.UniqueConstraint(
            "task_id", "kind", name=op.f("uq_selfcheck_notifications_task_id_kind")
        ),
    )
    op.create_index(
        op.f("ix_selfcheck_notifications_enterprise_id"),
        "selfcheck_notifications",
        ["enterprise_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_selfcheck_notifications_enterprise_id"), table_name="selfcheck_notifications"
    )
    op.drop_table("selfcheck_notifications")
    op.drop_index("ix_selfcheck_tasks_state_due_at", table_name="selfcheck_tasks")
    op.drop_index("ix_selfcheck_tasks_enterprise_due", table_name="selfcheck_tasks")
    op.drop_index(op.f("ix_selfcheck_tasks_due_date"), table_name="selfcheck_tasks")
    op.drop_table("selfcheck_tasks")
    op.drop_index(op.f("ix_selfcheck_points_type_id"), table_name="selfcheck_points")
    op.drop_index(op.f("ix_selfcheck_points_enterprise_id"), table_name="selfcheck_points")
    op.drop_table("selfcheck_points")
    op.drop_index(
        op.f("ix_selfcheck_template_versions_template_id"),
        table_name="selfcheck_template_versions",
    )
    op.drop_table("selfcheck_template_versions")
    op.drop_table("selfcheck_templates")
    op.drop_table("selfcheck_point_types")
