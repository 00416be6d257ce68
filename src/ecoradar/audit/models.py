"""The audit log table: one row per change (or read of protected data), hash-chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime

ACTOR_LENGTH = 200
ACTION_LENGTH = 64
ENTITY_TYPE_LENGTH = 64
ENTITY_ID_LENGTH = 128
IP_LENGTH = 64


class AuditEntry(Base):
    """One entry: ``actor`` did ``action`` to ``entity_type``/``entity_id`` at ``at``, changing
    it from ``before`` to ``after``, because ``reason``.

    ``id`` is assigned by ``ecoradar.audit.service.record`` (the previous id + 1, under the
    append lock), so ids are the chain order and have no gaps. ``hash`` covers every column but
    itself and ``prev_hash`` (see ``ecoradar.audit.chain``). The database refuses UPDATE and
    DELETE on this table (triggers of migration 0005). ``actor_user_id`` has no foreign key on
    purpose: nothing deleted elsewhere may ever break the log.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_actor", "actor"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    entity_id: Mapped[str] = mapped_column(String(ENTITY_ID_LENGTH))
    before: Mapped[Any] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any] = mapped_column(JSONType, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(IP_LENGTH))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return (
            f"AuditEntry(id={self.id}, action={self.action!r}, "
            f"entity={self.entity_type}:{self.entity_id})"
        )
