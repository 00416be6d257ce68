"""praise notices: an officer praises a grid worker or a reporter for a month

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 04:00:00

Praise and incentives (issue 16, item 4): ``praise_notices`` (表扬通报), numbered per year,
with the month, the person praised (the ranking's key, their user if they have one, the name on
the certificate), the region whose ranking it came from, the reason, the figures it was issued
on and who issued it. Rankings and figures are computed from the existing tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "praise_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("person_kind", sa.String(length=16), nullable=False),
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("metrics", ecoradar.core.db.JSONType, nullable=False),
        sa.Column("bureau_name", sa.String(length=200), nullable=False),
        sa.Column("bureau_name_en", sa.String(length=200), nullable=False),
        sa.Column("issued_at", UTC(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "person_kind IN ('grid_worker', 'reporter')",
            name=op.f("ck_praise_notices_person_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_praise_notices_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_praise_notices_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["users.id"],
            name=op.f("fk_praise_notices_issued_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_praise_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_praise_notices_number")),
        sa.UniqueConstraint("year", "sequence", name="uq_praise_notices_year_sequence"),
    )
    op.create_index(
        "ix_praise_notices_region_month", "praise_notices", ["region_id", "month"], unique=False
    )
    op.create_index(op.f("ix_praise_notices_user_id"), "praise_notices", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_praise_notices_issued_at"), "praise_notices", ["issued_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_praise_notices_issued_at"), table_name="praise_notices")
    op.drop_index(op.f("ix_praise_notices_user_id"), table_name="praise_notices")
    op.drop_index("ix_praise_notices_region_month", table_name="praise_notices")
    op.drop_table("praise_notices")
