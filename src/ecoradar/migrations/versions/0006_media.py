"""media: stored attachments (images and documents)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("taken_at_local", sa.String(length=32), nullable=True),
        sa.Column("camera", sa.String(length=200), nullable=True),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("public_safe", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", ecoradar.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint("kind IN ('image', 'document')", name=op.f("ck_media_files_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_media_files_sha256")),
    )
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_files_phash"), ["phash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_files_phash"))

    op.drop_table("media_files")
