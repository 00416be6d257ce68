"""problems: findings, problems, timeline, notes, attachments, links, working-day calendar

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_calendar_days_kind")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("office_region_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("match_key", sa.String(length=120), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state_times", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("acceptance_due", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handling_due", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectification_due", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("extensions_used", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extended_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_since", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalation_region_id", sa.Integer(), nullable=True),
        sa.Column("transfer_target", ecoradar.core.db.JSONType, nullable=True),
        sa.Column("has_rectification_evidence", sa.Boolean(), nullable=False),
        sa.Column("created_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('air', 'water', 'solid_waste', 'hazardous_waste', 'noise', 'odour', 'soil', 'ecological', 'other')",
            name=op.f("ck_problems_category"),
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_problems_severity")
        ),
        sa.CheckConstraint(
            "state IN ('reported', 'accepted', 'rejected', 'assigned', 'verifying', 'confirmed', 'unfounded', 'rectifying', 'rectified', 'closed', 'reopened', 'transferred')",
            name=op.f("ck_problems_state"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_problems_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_problems_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["escalation_region_id"],
            ["regions.id"],
            name=op.f("fk_problems_escalation_region_id_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["office_region_id"], ["regions.id"], name=op.f("fk_problems_office_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            name=op.f("fk_problems_point_id_monitoring_points"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_problems_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    op.create_index(op.f("ix_problems_assignee_id"), "problems", ["assignee_id"], unique=False)
    op.create_index(op.f("ix_problems_enterprise_id"), "problems", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_problems_match_key"), "problems", ["match_key"], unique=False)
    op.create_index(op.f("ix_problems_overdue_since"), "problems", ["overdue_since"], unique=False)
    op.create_index(op.f("ix_problems_region_id"), "problems", ["region_id"], unique=False)
    op.create_index("ix_problems_state_region", "problems", ["state", "region_id"], unique=False)
    op.create_index("ix_problems_category_lat", "problems", ["category", "lat"], unique=False)
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=120), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observed_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("data", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_contact", sa.String(length=200), nullable=True),
        sa.Column("attached_automatically", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "category IN ('air', 'water', 'solid_waste', 'hazardous_waste', 'noise', 'odour', 'soil', 'ecological', 'other')",
            name=op.f("ck_findings_category"),
        ),
        sa.CheckConstraint(
            "channel IN ('monitoring', 'public', 'open311', 'grid_worker', 'drone', 'unmanned_ship', 'self_inspection', 'department', 'hotline', 'media', 'ngo', 'referral', 'linkage', 'inspection')",
            name=op.f("ck_findings_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_findings_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"], ["users.id"], name=op.f("fk_findings_reporter_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("channel", "source_ref", name="uq_findings_channel_source_ref"),
    )
    op.create_index(op.f("ix_findings_problem_id"), "findings", ["problem_id"], unique=False)
    op.create_table(
        "problem_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("detail", ecoradar.core.db.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_events_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_events")),
    )
    op.create_index(
        op.f("ix_problem_events_problem_id"), "problem_events", ["problem_id"], unique=False
    )
    op.create_table(
        "problem_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "kind IN ('duplicate_of', 'related_to')", name=op.f("ck_problem_links_kind")
        ),
        sa.CheckConstraint("problem_id <> other_id", name=op.f("ck_problem_links_not_self")),
        sa.ForeignKeyConstraint(
            ["other_id"], ["problems.id"], name=op.f("fk_problem_links_other_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_links_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_links")),
        sa.UniqueConstraint("problem_id", "other_id", "kind", name="uq_problem_link"),
    )
    op.create_index(op.f("ix_problem_links_other_id"), "problem_links", ["other_id"], unique=False)
    op.create_index(
        op.f("ix_problem_links_problem_id"), "problem_links", ["problem_id"], unique=False
    )
    op.create_table(
        "problem_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "visibility IN ('internal', 'public')", name=op.f("ck_problem_notes_visibility")
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_problem_notes_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_notes_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_notes")),
    )
    op.create_index(
        op.f("ix_problem_notes_problem_id"), "problem_notes", ["problem_id"], unique=False
    )
    op.create_table(
        "problem_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("added_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('evidence', 'onsite', 'rectification', 'document')",
            name=op.f("ck_problem_attachments_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_problem_attachments_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_files.id"],
            name=op.f("fk_problem_attachments_media_id_media_files"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_attachments_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_attachments")),
        sa.UniqueConstraint("problem_id", "media_id", "purpose", name="uq_problem_attachment"),
    )
    op.create_index(
        op.f("ix_problem_attachments_problem_id"),
        "problem_attachments",
        ["problem_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_problem_attachments_problem_id"), table_name="problem_attachments")
    op.drop_table("problem_attachments")
    op.drop_index(op.f("ix_problem_notes_problem_id"), table_name="problem_notes")
    op.drop_table("problem_notes")
    op.drop_index(op.f("ix_problem_links_problem_id"), table_name="problem_links")
    op.drop_index(op.f("ix_problem_links_other_id"), table_name="problem_links")
    op.drop_table("problem_links")
    op.drop_index(op.f("ix_problem_events_problem_id"), table_name="problem_events")
    op.drop_table("problem_events")
    op.drop_index(op.f("ix_findings_problem_id"), table_name="findings")
    op.drop_table("findings")
    op.drop_index("ix_problems_category_lat", table_name="problems")
    op.drop_index("ix_problems_state_region", table_name="problems")
    op.drop_index(op.f("ix_problems_region_id"), table_name="problems")
    op.drop_index(op.f("ix_problems_overdue_since"), table_name="problems")
    op.drop_index(op.f("ix_problems_match_key"), table_name="problems")
    op.drop_index(op.f("ix_problems_enterprise_id"), table_name="problems")
    op.drop_index(op.f("ix_problems_assignee_id"), table_name="problems")
    op.drop_table("problems")
    op.drop_table("calendar_days")
