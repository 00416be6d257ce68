"""ingest tuning (raw packet archive indexes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:00:00

Reserved for the ingest performance work: fill this file rather than adding another 0008.
An empty step until then keeps the chain whole.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
