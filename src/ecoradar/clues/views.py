"""The clue channels over HTTP (thin: parse, call ``submit_clue``, answer).

Grid workers (multipart with photos), drones and unmanned ships (JSON, image in base64, a
``drones`` token), officers and departments (JSON), the public (multipart, no account,
rate-limited by address), and the tracking code (status, public timeline, feedback). A refusal
answers 422 naming the field (``OutsideJurisdiction`` included), 403 for a missing role or scope,
429 with ``Retry-After`` for the rate limits; nothing refused is stored. Times without an offset
are China Standard Time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import ratelimit, service
from ecoradar.clues.feedback import FeedbackIn, give_feedback
from ecoradar.clues.intake import ClueIn, ClueReceipt, Upload, submit_clue, submit_counted
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.clues.schemas import (
    ClueCreated,
    CluePageRead,
    ClueRead,
    DetectionIn,
    FeedbackBody,
    OfficerClueIn,
    TrackRead,
)
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import EcoRadarError, InputError, NotFoundError, PermissionDenied
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.schemas import Category
from ecoradar.web import json_policy
from ecoradar.web.deps import (
    ContainerDep,
    PrincipalDep,
    SessionDep,
    StaffDep,
    require_roles,
    require_scope,
)

router = APIRouter(prefix="/api/clues", tags=["clues"])

GridWorkerDep = Annotated[Principal, Depends(require_roles("grid_worker"))]
DronesDep = Annotated[Principal, Depends(require_scope("drones"))]
Code = Annotated[str, Path(min_length=1, max_length=30, description="The tracking code")]
ATTRIBUTES_HELP = 'A JSON object of the service\'s attributes, e.g. {"intensity": "4"}'
PLATFORM_NAMES = {"drone": "无人机", "unmanned_ship": "无人船"}
PUBLIC_ACTOR = "public:anonymous"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def aware_time(value: datetime | None, name: str = "observed_at") -> datetime | None:
    """A time as sent; without an offset it is China Standard Time. Refused when it cannot be
    told in UTC (the first or last day of year 1 or 9999)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise InputError(f"{name}: {value.isoformat()} is out of range") from None
    return value


def parse_attributes(text: str | None) -> dict[str, str | list[str]]:
    if not text or not text.strip():
        return {}
    value = json_policy.loads(text, "attributes")  # the rules of every JSON body
    if not isinstance(value, dict):
        raise InputError("attributes: not a JSON object")
    return value


def uploads_of(files: list[UploadFile] | None, box: Container) -> tuple[Upload, ...]:
    """The uploaded files, each read up to one byte over the image limit (which then refuses
    it as too large)."""
    if len(files or []) > box.settings.clue_max_photos:
        raise InputError(f"photos: at most {box.settings.clue_max_photos} per clue")
    limit = MediaLimits.from_settings(box.settings).max_image_bytes + 1
    return tuple(
        Upload(f.filename or f"photo-{n + 1}.jpg", f.file.read(limit))
        for n, f in enumerate(files or [])
    )


def _submit(session: SessionDep, box: Container, item: ClueIn, principal: Principal) -> ClueReceipt:
    receipt = submit_clue(
        session=session,
        settings=box.settings,
        index=box.regions.get(session),
        item=item,
        now=box.clock.now(),
        actor=principal.actor,
    )
    return receipt


# --- channels ---------------------------------------------------------------------------------


@router.post("/grid", response_model=ClueCreated, status_code=201)
def grid_clue(
    session: SessionDep,
    box: ContainerDep,
    principal: GridWorkerDep,
    category: Annotated[Category, Form()],
    lat: Annotated[float, Form(ge=-90, le=90)],
    long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    photos: Annotated[list[UploadFile] | None, File(description="At least one photo")] = None,
    observed_at: Annotated[datetime | None, Form()] = None,
    attributes: Annotated[str | None, Form(max_length=20_000, description=ATTRIBUTES_HELP)] = None,
    patrol_id: Annotated[str | None, Form(max_length=64)] = None,
    address_string: Annotated[str | None, Form(max_length=400)] = None,
    source_ref: Annotated[str | None, Form(max_length=120)] = None,
) -> ClueCreated:
    """A grid worker's clue: the phone's GPS position and at least one photo; optionally the
    patrol it was seen on."""
    assert principal.user_id is not None  # a grid worker is a user
    item = ClueIn(
        channel="grid_worker",
        category=category,
        lat=lat,
        lon=long,
        description=description,
        observed_at=aware_time(observed_at),
        attributes=parse_attributes(attributes),
        photos=uploads_of(photos, box),
        anonymous=False,
        reporter_user_id=principal.user_id,
        address_string=address_string,
        source_ref=source_ref,
        client=f"user:{principal.user_id}",
        token_id=principal.token_id,
        data={"patrol_id": patrol_id} if patrol_id else {},
    )
    return ClueCreated.of(_submit(session, box, item, principal))


@router.post("/detections", response_model=ClueCreated, status_code=201)
def detection(
    body: DetectionIn, session: SessionDep, box: ContainerDep, principal: DronesDep
) -> ClueCreated:
    """A detection by a drone or unmanned ship (a token with the ``drones`` scope): image,
    place, time, detection type, confidence and platform. Send your detection id as
    ``source_ref``: a repeated detection is then recorded once."""
    description = body.description or (
        f"{PLATFORM_NAMES[body.kind]} {body.platform_id} 识别：{body.detection_type}"
        f"（置信度 {body.confidence:.0%}）"
    )
    item = ClueIn(
        channel=body.kind,
        category=body.category,
        lat=body.lat,
        lon=body.long,
        description=description,
        observed_at=aware_time(body.observed_at),
        attributes=body.attributes,
        photos=(body.image.upload("image"),),
        address_string=body.address_string,
        source_ref=body.source_ref,
        client=f"token:{principal.token_id}",
        token_id=principal.token_id,
        data={
            "platform_id": body.platform_id,
            "detection_type": body.detection_type,
            "confidence": body.confidence,
        },
    )
    receipt = _submit(session, box, item, principal)
    _check_region(session, principal, receipt)
    return ClueCreated.of(receipt)


@router.post("/officer", response_model=ClueCreated, status_code=201)
def officer_clue(
    body: OfficerClueIn, session: SessionDep, box: ContainerDep, principal: PrincipalDep
) -> ClueCreated:
    """A clue entered by an officer (hotline calls, departments, media, NGOs, cross-county
    referrals, inspections), or sent by a department's system with a ``departments`` token
    (channel ``department``). The reporter's name and contact are protected."""
    officer = principal.has_role("officer", "admin")
    department = principal.has_scope("departments") and body.channel == "department"
    if not (officer or department):
        raise PermissionDenied("entering clues needs an officer, or a departments token")
    named = bool((body.reporter_name or "").strip() or (body.reporter_contact or "").strip())
    item = ClueIn(
        channel=body.channel,
        category=body.category,
        lat=body.lat,
        lon=body.long,
        description=body.description,
        observed_at=aware_time(body.observed_at),
        attributes=body.attributes,
        photos=tuple(p.upload(f"photos[{n}]") for n, p in enumerate(body.photos)),
        anonymous=not named,
        reporter_name=body.reporter_name,
        reporter_contact=body.reporter_contact,
        address_string=body.address_string,
        source_ref=body.source_ref,
        client=f"user:{principal.user_id}" if principal.user_id else f"token:{principal.token_id}",
        token_id=principal.token_id,
    )
    receipt = _submit(session, box, item, principal)
    _check_region(session, principal, receipt)
    return ClueCreated.of(receipt)


def _check_region(session: SessionDep, principal: Principal, receipt: ClueReceipt) -> None:
    """Refuse (and so roll back) a clue about a place outside the sender's region."""
    from ecoradar.problems.models import Problem

    problem = session.get(Problem, receipt.problem_id)
    if problem is None or not principal.covers_region(problem.region_id):
        raise PermissionDenied("that place is outside your region")


@router.post("/public", response_model=ClueCreated, status_code=201)
def public_clue(
    request: Request,
    box: ContainerDep,
    category: Annotated[Category, Form()],
    lat: Annotated[float, Form(ge=-90, le=90)],
    long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    photos: Annotated[list[UploadFile] | None, File()] = None,
    observed_at: Annotated[datetime | None, Form()] = None,
    attributes: Annotated[str | None, Form(max_length=20_000, description=ATTRIBUTES_HELP)] = None,
    address_string: Annotated[str | None, Form(max_length=400)] = None,
    reporter_name: Annotated[str | None, Form(max_length=100)] = None,
    reporter_contact: Annotated[str | None, Form(max_length=200)] = None,
) -> ClueCreated:
    """A report by a member of the public, no account needed (multipart form). Anonymous
    unless a name or contact is given (only the officers handling it see them). Answers the
    tracking code and a secret, shown once. Rate-limited per address: 429 with Retry-After."""
    named = bool((reporter_name or "").strip() or (reporter_contact or "").strip())
    client = f"ip:{_client_ip(request)}"
    try:
        item = ClueIn(
            channel="public",
            category=category,
            lat=lat,
            lon=long,
            description=description,
            observed_at=aware_time(observed_at),
            attributes=parse_attributes(attributes),
            photos=uploads_of(photos, box),
            anonymous=not named,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
            address_string=address_string,
            client=client,
        )
    except InputError:
        _count_refusal(box, client, box.clock.now(), kind="public")
        raise
    return ClueCreated.of(submit_counted(container=box, item=item, actor=PUBLIC_ACTOR))


# --- the tracking code ------------------------------------------------------------------------


@router.get("/track/{code}", response_model=TrackRead)
def track(code: Code, request: Request, box: ContainerDep) -> TrackRead:
    """The status of a clue, its problem's public timeline and public notes (no names).
    Unknown codes count against a rate limit per address (429 with Retry-After)."""
    client = f"ip:{_client_ip(request)}"
    now = box.clock.now()
    settings = box.settings
    with box.reading() as session:
        ratelimit.check_tracking(
            session=session,
            client=client,
            limit=settings.clue_tracking_rate_limit_per_hour,
            now=now,
        )
        try:
            clue = service.clue_by_code(session=session, code=code)
        except NotFoundError as exc:
            refused: NotFoundError | None = exc
        else:
            refused = None
            tracked = service.track(
                session=session, clue=clue, now=now, feedback_days=settings.clue_feedback_days
            )
            answer = TrackRead.of(tracked)
    if refused is not None:
        _count_refusal(box, client, now)
        raise refused
    return answer


@router.post("/track/{code}/feedback", response_model=TrackRead)
def feedback(code: Code, body: FeedbackBody, request: Request, box: ContainerDep) -> TrackRead:
    """After closure: confirm it is fixed, or dispute it with what is still wrong (which
    reopens the problem), and rate the handling from 1 to 5, within the feedback period
    (``ECORADAR_CLUE_FEEDBACK_DAYS``). Rate-limited per address."""
    ip = _client_ip(request)
    client = f"ip:{ip}"
    now = box.clock.now()
    settings = box.settings
    try:
        with box.transaction() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
            clue = service.clue_by_code(session=session, code=code)
            give_feedback(
                session=session,
                settings=settings,
                clue=clue,
                answer=FeedbackIn(body.feedback, body.text, body.satisfaction),
                now=now,
                ip=ip[:64],
            )
            ratelimit.record(session=session, client=client, kind=ratelimit.TRACKING, now=now)
            tracked = service.track(
                session=session, clue=clue, now=now, feedback_days=settings.clue_feedback_days
            )
            return TrackRead.of(tracked)
    except RateLimited:
        raise
    except EcoRadarError:
        _count_refusal(box, client, now)
        raise


def _count_refusal(
    box: Container, client: str, now: datetime, kind: str = ratelimit.TRACKING
) -> None:
    """Count a refused use against ``client`` (in a transaction of its own)."""
    with box.transaction() as session:
        ratelimit.record_refused(session=session, client=client, kind=kind, now=now)


# --- officers ---------------------------------------------------------------------------------


@router.get("", response_model=CluePageRead)
def list_clues(
    session: SessionDep,
    principal: StaffDep,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    category: Category | None = None,
    since: datetime | None = None,
    duplicate: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CluePageRead:
    """The clues of the problems you may see, newest first (no reporter identities)."""
    found = service.list_clues(
        session=session,
        principal=principal,
        channel=channel,
        category=category,
        since=aware_time(since, "since"),
        duplicate=duplicate,
        page=page,
        per_page=per_page,
    )
    return CluePageRead(
        items=[ClueRead.of(c) for c in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/{clue_id}", response_model=ClueRead)
def get_clue(
    clue_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, principal: StaffDep
) -> ClueRead:
    """One clue with what deduplication suggested (uncertain matches and their reasons)."""
    return ClueRead.of(service.get_clue(session=session, principal=principal, clue_id=clue_id))
