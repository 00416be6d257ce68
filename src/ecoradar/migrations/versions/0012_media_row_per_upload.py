"""media: one row per upload

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00

``media_files`` held one row per distinct stored content (``sha256`` unique), so whoever sent a
picture the bureau already held got the bureau's row back: its id, its EXIF position and time.
Now every upload is a row of its own and only the file on disk is shared: the unique constraint
on ``sha256`` becomes a plain index. Existing rows stay as they are (each one is the upload of
its first sender). On SQLite the table is rebuilt (``ecoradar.core.migrate`` runs migrations with
foreign keys off there, and checks them before committing).

Going down restores the unique constraint; it is refused while some content has several rows
(uploads made after this revision), since merging them would hand one sender's facts to another.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ecoradar.core.errors import ConflictError

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_media_files_sha256"), type_="unique")
        batch_op.create_index(batch_op.f("ix_media_files_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    shared = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT sha256 FROM media_files "
            "GROUP BY sha256 HAVING count(*) > 1) AS shared"
        )
    )
    if shared:
        raise ConflictError(
            f"media_files: {shared} stored contents have several uploads (rows); revision 0011 "
            "allows one row per content, and merging them would give one sender's EXIF facts "
            "to another: delete the extra rows first, or stay at 0012"
        )
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_files_sha256"))
        batch_op.create_unique_constraint(batch_op.f("uq_media_files_sha256"), ["sha256"])
