"""The problem register over HTTP: lists, details, workflow actions, notes, attachments, links,
findings entered by officers and departments, and the (logged) reporter identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits, sniff
from ecoradar.privacy.mask import mask, mask_optional
from ecoradar.problems import service, timeline
from ecoradar.problems.deadlines import deadline_state
from ecoradar.problems.intake import FindingIn as FindingData
from ecoradar.problems.intake import record_finding
from ecoradar.problems.models import Problem, ProblemAttachment
from ecoradar.problems.policy import Policy, load_policy
from ecoradar.problems.schemas import (
    ActionIn,
    AttachmentRead,
    Category,
    DeadlineRead,
    EventRead,
    FindingCreated,
    FindingIn,
    FindingRead,
    LinkIn,
    LinkRead,
    NoteIn,
    NoteRead,
    ProblemDetail,
    ProblemPageRead,
    ProblemRead,
    RegionMoveIn,
    ReporterRead,
    actor_user_ids,
)
from ecoradar.problems.workflow import Action
from ecoradar.regions.service import region_by_code, subtree_ids
from ecoradar.registry.models import Enterprise
from ecoradar.web.deps import ContainerDep, PrincipalDep, SessionDep, writes

router = APIRouter(prefix="/api", tags=["problems"])

ProblemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_policy(session: SessionDep, box: ContainerDep) -> Policy:
    return load_policy(session=session, settings=box.settings)


PolicyDep = Annotated[Policy, Depends(get_policy)]


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/problems", response_model=ProblemPageRead)
def list_problems(
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[list[str] | None, Query(max_length=12)] = None,
    category: Category | None = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    region: Annotated[str | None, Query(max_length=32, description="Region code")] = None,
    enterprise: Annotated[str | None, Query(max_length=18, description="Credit code")] = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProblemPageRead:
    """The problems you may see, overdue first; filter by state, category, channel, region
    (and its sub-regions), enterprise, overdue, text."""
    for name, value in (("region", region), ("enterprise", enterprise), ("q", q)):
        if value is not None and "\x00" in value:
            raise InputError(f"{name}: must not contain NUL characters")
    region_ids = None
    if region:
        found = region_by_code(session=session, code=region)
        region_ids = subtree_ids(session=session, region_id=found.id)
    enterprise_id = None
    if enterprise:
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.code == enterprise))
        if enterprise_id is None:
            raise NotFoundError(f"enterprise: no enterprise {enterprise!r}")
    filters = service.ProblemFilter(
        state=tuple(state or ()),
        category=category,
        channel=channel,
        enterprise_id=enterprise_id,
        overdue=overdue,
        q=q,
    )
    found_page = service.list_problems(
        session=session,
        principal=principal,
        filters=filters,
        page=page,
        per_page=per_page,
        region_ids=region_ids,
    )
    return ProblemPageRead(
        items=[
            ProblemRead.of(p, masked=not service.handles(principal, p)) for p in found_page.items
        ],
        total=found_page.total,
        page=found_page.page,
        per_page=found_page.per_page,
    )


def _attachment(
    problem_id: int,
    row: ProblemAttachment,
    kind: str,
    content_type: str,
    width: int | None,
    height: int | None,
) -> AttachmentRead:
    base = f"/api/problems/{problem_id}/attachments/{row.media_id}"
    return AttachmentRead(
        media_id=row.media_id,
        purpose=row.purpose,
        public=row.public,
        kind=kind,
        content_type=content_type,
        width=width,
        height=height,
        url=base,
        thumbnail_url=base + "?thumbnail=true" if kind == "image" else None,
    )


def problem_detail(
    *, session: Session, principal: Principal, problem: Problem, policy: Policy, box: ContainerDep
) -> ProblemDetail:
    """Everything about one problem that ``principal`` may see (shared by the API and pages);
    free text masked unless ``principal`` handles it."""
    now = box.clock.now()
    internal = service.handles(principal, problem)
    events = service.events(session=session, principal=principal, problem=problem)
    notes = service.notes(session=session, principal=principal, problem=problem)
    actors = [e.actor for e in events] + [n.author for n in notes]
    roles = {} if internal else service.user_roles(session=session, user_ids=actor_user_ids(actors))
    status = deadline_state(
        timeline.snapshot(problem), now, rules=policy.rules, calendar=policy.calendar
    )
    base = ProblemRead.of(problem, masked=not internal)
    return ProblemDetail(
        **base.model_dump(),
        description=problem.description if internal else mask(problem.description),
        point_id=problem.point_id,
        state_times=problem.state_times,
        rectification_due=problem.rectification_due,
        extension_reason=problem.extension_reason
        if internal
        else mask_optional(problem.extension_reason),
        extensions_used=problem.extensions_used,
        transfer_target=problem.transfer_target if internal else None,
        deadline=DeadlineRead(
            which=status.which,
            due=status.due,
            overdue=status.overdue,
            days_overdue=status.days_overdue,
            level=status.level,
        ),
        finding_list=[FindingRead.of(f, masked=not internal) for f in problem.findings],
        events=[EventRead.of(e, internal=internal, roles=roles) for e in events],
        notes=[NoteRead.of(n, internal=internal, roles=roles) for n in notes],
        attachments=[
            _attachment(problem.id, a, m.kind, m.content_type, m.width, m.height)
            for a, m in service.attachments(session=session, principal=principal, problem=problem)
        ],
        links=[LinkRead.of(link) for link in service.links(session=session, problem=problem)],
        actions=[
            a.value
            for a in service.actions_for(
                session=session, principal=principal, problem=problem, now=now, policy=policy
            )
        ],
        handles=internal,
    )


@router.get("/problems/{problem_id}", response_model=ProblemDetail)
def get_problem(
    problem_id: ProblemId,
    session: SessionDep,
    principal: PrincipalDep,
    policy: PolicyDep,
    box: ContainerDep,
) -> ProblemDetail:
    """One problem with its findings, timeline, notes, attachments, links, deadline and the
    actions you may take. Reporter identities are not here (see ``/reporters``)."""
    problem = service.get_problem(session=session, principal=principal, problem_id=problem_id)
    return problem_detail(
        session=session, principal=principal, problem=problem, policy=policy, box=box
    )


@router.post("/problems/{problem_id}/actions/{action}", response_model=EventRead)
def take_action(
    problem_id: ProblemId,
    action: Action,
    body: ActionIn,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    policy: PolicyDep,
    box: ContainerDep,
) -> EventRead:
    """Take a workflow action (see the README's transition table for what each needs)."""
    event = service.take_action(
        session=session,
        principal=principal,
        problem_id=problem_id,
        action=action,
        payload=body.payload(),
        now=box.clock.now(),
        policy=policy,
        ip=_client_ip(request),
    )
    return EventRead.of(event, internal=True)


@router.post("/problems/{problem_id}/notes", response_model=NoteRead, status_code=201)
def add_note(
    problem_id: ProblemId,
    body: NoteIn,
    session: SessionDep,
    principal: PrincipalDep,
    box: ContainerDep,
) -> NoteRead:
    note = service.add_note(
        session=session,
        principal=principal,
        problem_id=problem_id,
        text=body.text,
        visibility_=body.visibility,
        now=box.clock.now(),
    )
    return NoteRead.of(note, internal=True)


@router.get("/problems/{problem_id}/reporters", response_model=list[ReporterRead])
@writes  # each read of a reporter's contact is audited
def reporters(
    problem_id: ProblemId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    box: ContainerDep,
) -> list[ReporterRead]:
    """Who reported it: only for the officers handling the problem; every read is logged."""
    found = service.reporter_identities(
        session=session,
        principal=principal,
        problem_id=problem_id,
        now=box.clock.now(),
        ip=_client_ip(request),
    )
    return [
        ReporterRead(finding_id=r.finding_id, name=r.name, contact=r.contact, user_id=r.user_id)
        for r in found
    ]


@router.post("/problems/{problem_id}/attachments", response_model=AttachmentRead, status_code=201)
async def upload_attachment(
    problem_id: ProblemId,
    session: SessionDep,
    principal: PrincipalDep,
    box: ContainerDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or PDF")],
    purpose: Annotated[str, Form(max_length=16)] = "evidence",
    public: Annotated[bool, Form()] = False,
) -> AttachmentRead:
    """Upload a file and attach it: images are re-encoded without metadata (the EXIF position
    is kept as evidence, never shown publicly); documents are never public."""
    problem = service.get_problem(session=session, principal=principal, problem_id=problem_id)
    service.check_attach(principal=principal, problem=problem, purpose=purpose)
    limits = MediaLimits.from_settings(box.settings)
    data = await file.read(max(limits.max_image_bytes, limits.max_document_bytes) + 1)
    if public and sniff(data) == "PDF":
        raise InputError("public: documents are never shown publicly; attach an image")
    stored = media.store_upload(
        session=session,
        home=box.settings.home,
        data=data,
        filename=file.filename or "upload",
        now=box.clock.now(),
        uploaded_by=principal.actor,
        limits=limits,
    )
    row = service.attach(
        session=session,
        principal=principal,
        problem_id=problem_id,
        media_id=stored.id,
        purpose=purpose,
        public=public,
        now=box.clock.now(),
    )
    return _attachment(
        problem_id, row, stored.kind, stored.content_type, stored.width, stored.height
    )


@router.get("/problems/{problem_id}/attachments/{media_id}", response_class=FileResponse)
def get_attachment(
    problem_id: ProblemId,
    media_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: PrincipalDep,
    box: ContainerDep,
    thumbnail: bool = False,
) -> FileResponse:
    """A file attached to a problem you may see (public ones only, unless you handle it)."""
    problem = service.get_problem(session=session, principal=principal, problem_id=problem_id)
    allowed = {
        m.id for _, m in service.attachments(session=session, principal=principal, problem=problem)
    }
    if media_id not in allowed:
        raise NotFoundError(f"no attachment {media_id} on problem {problem_id}")
    found, path = media.open_media(
        session=session, home=box.settings.home, media_id=media_id, thumbnail=thumbnail
    )
    return media.file_response(found, path)


@router.post("/problems/{problem_id}/links", response_model=LinkRead, status_code=201)
def add_link(
    problem_id: ProblemId,
    body: LinkIn,
    session: SessionDep,
    principal: PrincipalDep,
    box: ContainerDep,
) -> LinkRead:
    row = service.link(
        session=session,
        principal=principal,
        problem_id=problem_id,
        other_id=body.other_id,
        kind=body.kind,
        now=box.clock.now(),
    )
    return LinkRead.of(row)


@router.post("/problems/{problem_id}/region", response_model=ProblemRead)
def move_region(
    problem_id: ProblemId,
    body: RegionMoveIn,
    session: SessionDep,
    principal: PrincipalDep,
    policy: PolicyDep,
    box: ContainerDep,
) -> ProblemRead:
    """Move a problem to another region (explicit, audited; you must cover both)."""
    region = region_by_code(session=session, code=body.region_code)
    problem = service.reassign_region(
        session=session,
        principal=principal,
        problem_id=problem_id,
        region_id=region.id,
        reason=body.reason,
        now=box.clock.now(),
        policy=policy,
    )
    return ProblemRead.of(problem)


@router.post("/findings", response_model=FindingCreated, status_code=201)
def enter_finding(
    body: FindingIn,
    session: SessionDep,
    principal: PrincipalDep,
    policy: PolicyDep,
    box: ContainerDep,
) -> FindingCreated:
    """A finding entered by an officer (hotline calls, departments, media, NGOs, referrals,
    inspections), or sent by a department's system with a ``departments`` token."""
    officer = principal.has_role("officer", "admin")
    department = principal.has_scope("departments") and body.channel == "department"
    if not (officer or department):
        raise PermissionDenied("entering findings needs an officer, or a departments token")
    enterprise_id = None
    if body.enterprise_code:
        enterprise_id = session.scalar(
            select(Enterprise.id).where(Enterprise.code == body.enterprise_code)
        )
        if enterprise_id is None:
            raise InputError(f"enterprise_code: no enterprise {body.enterprise_code!r}")
    index = box.regions.get(session)
    result = record_finding(
        session=session,
        index=index,
        item=FindingData(
            channel=body.channel,
            category=body.category,
            lat=body.lat,
            lon=body.lon,
            observed_at=body.observed_at,
            description=body.description,
            title=body.title,
            severity=body.severity,
            source_ref=body.source_ref,
            enterprise_id=enterprise_id,
            reporter_name=body.reporter_name,
            reporter_contact=body.reporter_contact,
        ),
        now=box.clock.now(),
        actor=principal.actor,
        policy=policy,
    )
    if not principal.unrestricted and not principal.covers_region(result.problem.region_id):
        raise PermissionDenied("that place is outside your region")
    return FindingCreated(
        finding_id=result.finding.id,
        problem_id=result.problem.id,
        opened=result.opened,
        reopened=result.reopened,
        already_known=result.already_known,
    )
