"""The green code over HTTP (thin): codes (scoped: an enterprise its own, an officer the
region subtree), history, the public-safe view (no login), repair applications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ecoradar.core.errors import NotFoundError, PermissionDenied
from ecoradar.greencode import repair, service
from ecoradar.greencode.schemas import (
    CodePageRead,
    CodeRead,
    Colour,
    DecisionIn,
    EligibilityRead,
    HistoryRead,
    PublicCodeRead,
    RepairIn,
    RepairRead,
)
from ecoradar.registry.models import Enterprise
from ecoradar.web.deps import ContainerDep, ReaderDep, SessionDep

router = APIRouter(prefix="/api/greencode", tags=["green code"])

EnterpriseCode = Annotated[str, Path(min_length=1, max_length=18, pattern=r"^[0-9A-Za-z]+$")]
RepairId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Order(StrEnum):
    score = "score"
    best = "-score"


class RepairState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


@router.get("/codes", response_model=CodePageRead)
def list_codes(
    session: SessionDep,
    principal: ReaderDep,
    colour: Colour | None = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    order: Order = Order.score,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CodePageRead:
    """Codes in reach, by score (``score``: worst first; ``-score``: best first), optionally
    of one colour and one region (with the regions below it); ``colours`` counts them all."""
    page = service.list_codes(
        session=session,
        principal=principal,
        colour=colour,
        region_code=region,
        order=order.value,
        limit=limit,
        offset=offset,
    )
    return CodePageRead.of(page, service.colour_counts(session=session, principal=principal))


@router.get("/codes/{enterprise_code}", response_model=CodeRead)
def get_code(
    enterprise_code: EnterpriseCode, session: SessionDep, principal: ReaderDep
) -> CodeRead:
    """The code in force: score, colour, each indicator with its contributing events, vetoes
    and reasons."""
    code = service.current_for(
        session=session, principal=principal, enterprise_code=enterprise_code
    )
    return CodeRead.of(enterprise_code.upper(), code)


@router.get("/codes/{enterprise_code}/history", response_model=list[HistoryRead])
def code_history(
    enterprise_code: EnterpriseCode,
    session: SessionDep,
    principal: ReaderDep,
    since: datetime | None = None,
) -> list[HistoryRead]:
    """Every change of colour and one point per China day, oldest first."""
    rows = service.history(
        session=session, principal=principal, enterprise_code=enterprise_code, since=since
    )
    return [HistoryRead.of(r) for r in rows]


@router.get("/public/{enterprise_code}", response_model=PublicCodeRead)
def public_code(enterprise_code: EnterpriseCode, session: SessionDep) -> PublicCodeRead:
    """Anyone: colour, dates and public-safe reasons (no ids, no personal data)."""
    found = service.public_view(session=session, enterprise_code=enterprise_code)
    if found is None:
        raise NotFoundError(f"enterprise {enterprise_code!r} has no green code")
    return PublicCodeRead.of(found)


@router.get("/repairs", response_model=list[RepairRead])
def list_repairs(
    session: SessionDep, principal: ReaderDep, state: RepairState | None = None
) -> list[RepairRead]:
    rows = repair.list_repairs(
        session=session, principal=principal, state=state.value if state else None
    )
    return [RepairRead.of(r) for r in rows]


@router.get("/repairs/eligibility", response_model=EligibilityRead)
def repair_eligibility(
    session: SessionDep, box: ContainerDep, principal: ReaderDep
) -> EligibilityRead:
    """Whether the enterprise user's own enterprise may file a repair application now."""
    if principal.enterprise_id is None:
        raise PermissionDenied("only an enterprise user has an enterprise of its own")
    if session.get(Enterprise, principal.enterprise_id) is None:
        raise NotFoundError("the enterprise does not exist")
    found = repair.eligibility(
        session=session,
        enterprise_id=principal.enterprise_id,
        now=box.clock.now(),
        model=service.model_for(box.settings),
    )
    return EligibilityRead.of(found)


@router.post("/repairs", response_model=RepairRead, status_code=201)
def file_repair(
    body: RepairIn, session: SessionDep, box: ContainerDep, principal: ReaderDep
) -> RepairRead:
    """The enterprise files a repair application for its red code (after rectification and
    the waiting period)."""
    row = repair.file_repair(
        session=session,
        principal=principal,
        statement=body.statement,
        now=box.clock.now(),
        model=service.model_for(box.settings),
    )
    return RepairRead.of(row)


def _decide(
    repair_id: int,
    approve: bool,
    body: DecisionIn,
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
) -> RepairRead:
    row = repair.decide_repair(
        session=session,
        principal=principal,
        repair_id=repair_id,
        approve=approve,
        reason=body.reason,
        now=box.clock.now(),
        model=service.model_for(box.settings),
    )
    return RepairRead.of(row)


@router.post("/repairs/{repair_id}/approve", response_model=RepairRead)
def approve_repair(
    repair_id: RepairId,
    body: DecisionIn,
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
) -> RepairRead:
    """An officer in scope approves: the vetoes it covers are lifted, the code recomputed."""
    return _decide(repair_id, True, body, session, box, principal)


@router.post("/repairs/{repair_id}/reject", response_model=RepairRead)
def reject_repair(
    repair_id: RepairId,
    body: DecisionIn,
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
) -> RepairRead:
    """An officer in scope rejects, with a reason."""
    return _decide(repair_id, False, body, session, box, principal)
