"""Big exposure over HTTP. Officers and administrators (their scope): propose, approve, reject,
withdraw, list. Anyone: the published, unexpired entries (``/api/public/exposure``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ecoradar.auth.principal import Principal
from ecoradar.exposure import public, service
from ecoradar.exposure.models import STATES
from ecoradar.exposure.schemas import EntryRead, ProposalIn, PublicEntryRead, ReasonIn
from ecoradar.exposure.settings import ExposureSettings
from ecoradar.problems.models import CATEGORIES
from ecoradar.web.deps import ContainerDep, SessionDep, require_roles

router = APIRouter(prefix="/api/exposure", tags=["exposure"])
public_router = APIRouter(prefix="/api/public/exposure", tags=["exposure"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
OfficerDep = Annotated[Principal, Depends(require_roles(*service.OFFICER_ROLES))]


def exposure_settings() -> ExposureSettings:
    return ExposureSettings()


SettingsDep = Annotated[ExposureSettings, Depends(exposure_settings)]


def _ip(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


@router.get("", response_model=list[EntryRead])
def list_entries(
    session: SessionDep,
    principal: OfficerDep,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$")] = None,
) -> list[EntryRead]:
    """The entries of problems in your scope, waiting reviews first."""
    rows = service.list_entries(session=session, principal=principal, state=state)
    return [EntryRead.of(row) for row in rows]


@router.post("", response_model=EntryRead, status_code=201)
def propose(
    body: ProposalIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
    settings: SettingsDep,
) -> EntryRead:
    """Propose a confirmed violation of an enterprise for the public page (409 when the problem
    is not a confirmed violation of an enterprise, or has an entry already)."""
    row = service.propose(
        session=session,
        principal=principal,
        problem_id=body.problem_id,
        text=body.text,
        settings=settings,
        now=box.clock.now(),
        expiry_days=body.expiry_days,
        ip=_ip(request),
    )
    return EntryRead.of(row)


@router.get("/{entry_id}", response_model=EntryRead)
def get_entry(entry_id: Id, session: SessionDep, principal: OfficerDep) -> EntryRead:
    return EntryRead.of(service.get_entry(session=session, principal=principal, entry_id=entry_id))


@router.post("/{entry_id}/approve", response_model=EntryRead)
def approve(
    entry_id: Id, request: Request, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> EntryRead:
    """Publish: another officer than the proposer where four eyes apply (403), after the
    waiting period (409)."""
    row = service.approve(
        session=session,
        principal=principal,
        entry_id=entry_id,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return EntryRead.of(row)


@router.post("/{entry_id}/reject", response_model=EntryRead)
def reject(
    entry_id: Id,
    body: ReasonIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> EntryRead:
    row = service.reject(
        session=session,
        principal=principal,
        entry_id=entry_id,
        reason=body.reason,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return EntryRead.of(row)


@router.post("/{entry_id}/withdraw", response_model=EntryRead)
def withdraw(
    entry_id: Id,
    body: ReasonIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> EntryRead:
    row = service.withdraw(
        session=session,
        principal=principal,
        entry_id=entry_id,
        reason=body.reason,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return EntryRead.of(row)


@public_router.get("", response_model=list[PublicEntryRead])
def public_entries(
    session: SessionDep,
    box: ContainerDep,
    region: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(pattern="^(" + "|".join(CATEGORIES) + ")$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> list[PublicEntryRead]:
    """The published, unexpired entries, newest first, 20 a page: no reporter, no officer."""
    found = public.public_page(
        session=session,
        now=box.clock.now(),
        filters=public.PublicFilter(region=region, category=category, year=year),
        page=page,
    )
    return [PublicEntryRead.of(e) for e in found.items]
