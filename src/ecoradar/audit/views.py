"""The audit log over HTTP (read-only): a filtered, paged list and one record's history.

Not included in the app yet: it must sit behind the admin-only dependency of
``ecoradar.web.deps`` (``router.dependencies``) before ``create_app`` includes it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ecoradar.audit import service
from ecoradar.audit.schemas import AuditEntryRead, AuditPageRead
from ecoradar.audit.service import AuditFilter
from ecoradar.monitoring.schemas import parse_instant
from ecoradar.web.deps import SessionDep

router = APIRouter(prefix="/api/audit", tags=["audit"])

Name = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get("")
def entries(
    session: SessionDep,
    entity_type: Name = None,
    entity_id: Name = None,
    actor: Name = None,
    action: Name = None,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            description="ISO 8601 date or date-time; without an offset, China Standard Time.",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPageRead:
    """One page of entries matching every filter given, newest first."""
    filters = AuditFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        action=action,
        since=parse_instant(since, "since"),
    )
    result = service.search(session=session, filters=filters, page=page, per_page=per_page)
    return AuditPageRead(
        items=[AuditEntryRead.of(entry) for entry in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get("/{entity_type}/{entity_id}")
def entity_history(
    session: SessionDep,
    entity_type: Annotated[str, Path(max_length=64)],
    entity_id: Annotated[str, Path(max_length=128)],
) -> list[AuditEntryRead]:
    """Every entry about one record, oldest first."""
    found = service.history(session=session, entity_type=entity_type, entity_id=entity_id)
    return [AuditEntryRead.of(entry) for entry in found]
