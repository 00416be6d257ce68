"""Audit entries as the API and exports give them.

``at`` goes out as ISO 8601 in China Standard Time (``2026-11-01T08:00:00+08:00``), like every
other time of the API; ``before`` and ``after`` exactly as stored (plain JSON).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer

from ecoradar.audit.models import AuditEntry
from ecoradar.core.clock import CHINA_TZ


class AuditEntryRead(BaseModel):
    """One entry of the log, with its place in the chain."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    reason: str | None
    ip: str | None
    prev_hash: str
    hash: str

    @field_serializer("at")
    def _china(self, value: datetime) -> str:
        return value.astimezone(CHINA_TZ).isoformat()

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls.model_validate(entry)


class AuditPageRead(BaseModel):
    """One page of entries, newest first."""

    items: list[AuditEntryRead]
    total: int
    page: int
    per_page: int
    pages: int
