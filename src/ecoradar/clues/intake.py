"""``submit_clue``: the one path every channel's clue takes into the problem register.

Checks first, then writes, all inside the caller's transaction (in a savepoint of its own, so a
refusal leaves no row behind even if the caller goes on): the rate limit of the anonymous
channels, the fields (category, description, time, place, identity), the service's attributes
(``catalog.validate_attributes``), the channel's own rules (a grid worker's photo, a drone's
image, platform, detection type and confidence), the jurisdiction; then the photos are stored
(``media.store_upload``: re-encoded, EXIF position kept as evidence), deduplication is asked
(``dedupe_service.find_duplicates``), the finding is recorded and routed
(``problems.intake.record_finding``, attached to the problem deduplication chose), the photos are
attached to the problem as evidence (not public), and the clue, its tracking code and its audit
entry (``clue.submit``) are written. The same ``(channel, source_ref)`` again returns the first
clue's receipt and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.clues import dedupe_service, ratelimit, rules, tracking
from ecoradar.clues.dedupe import Suggestion
from ecoradar.clues.models import ANONYMOUS_CHANNELS, CLUE_CHANNELS, REWARD_CHANNELS, Clue
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.config import Settings
from ecoradar.core.errors import ConflictError, InputError, NotFoundError
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits, sniff
from ecoradar.media.models import MediaFile
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding, ProblemAttachment
from ecoradar.problems.policy import load_policy
from ecoradar.regions.index import RegionIndex
from ecoradar.regions.service import smallest_region

if TYPE_CHECKING:
    from ecoradar.bootstrap import Container

__all__ = [
    "ClueIn",
    "ClueReceipt",
    "OutsideJurisdiction",
    "RateLimited",
    "Upload",
    "submit_clue",
    "submit_counted",
]


class OutsideJurisdiction(InputError):
    """The place lies outside every area of this bureau."""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class ClueIn:
    """A clue as a channel hands it over.

    ``anonymous`` means no identity at all: an anonymous clue with a reporter name, contact or
    account is refused rather than silently stripped. ``client`` is the rate-limit key of the
    anonymous channels (``ip:1.2.3.4``, ``token:5``, ``user:7``). ``data`` holds the channel's
    extras (``platform_id``, ``detection_type``, ``confidence``, ``patrol_id``...); it is kept
    on the finding, which the problem's readers see, so it must hold no one's identity.
    """

    channel: str
    category: str
    lat: float
    lon: float
    description: str
    observed_at: datetime | None = None
    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    photos: tuple[Upload, ...] = ()
    media_ids: tuple[int, ...] = ()
    anonymous: bool = True
    reporter_name: str | None = None
    reporter_contact: str | None = None
    reporter_user_id: int | None = None
    address_string: str | None = None
    source_ref: str | None = None
    client: str = ""
    token_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    enterprise_id: int | None = None
    """The enterprise the clue is about, when the channel knows it (``third_party``)."""


@dataclass(frozen=True)
class ClueReceipt:
    clue_id: int
    problem_id: int
    tracking_code: str
    secret: str | None
    """Shown once, for collecting a reward anonymously (None when sent before, or not due)."""
    duplicate: bool
    """Attached automatically to an existing problem."""
    already_known: bool
    """The same ``(channel, source_ref)`` was sent before; nothing changed."""


def submit_clue(
    *,
    session: Session,
    settings: Settings,
    index: RegionIndex,
    item: ClueIn,
    now: datetime,
    actor: str,
) -> ClueReceipt:
    """Check, store and route one clue (see the module's docstring); the caller commits.

    Raises ``InputError`` (naming the field; ``OutsideJurisdiction`` for the place,
    ``AttributeRefused`` for an attribute, ``MediaRefused`` for a photo), ``RateLimited``, or
    ``ConflictError`` when ``(channel, source_ref)`` names a finding recorded without a clue.
    """
    if item.channel not in CLUE_CHANNELS:
        raise InputError(f"channel: {item.channel!r} is not one of {', '.join(CLUE_CHANNELS)}")
    source_ref = rules.optional_text("source_ref", item.source_ref, rules.SOURCE_REF_MAX)
    if source_ref != item.source_ref:
        item = replace(item, source_ref=source_ref)
    if source_ref is not None:
        known = _known(session, item, source_ref)
        if known is not None:
            return known
    with session.begin_nested():
        return _submit(session, settings, index, item, now, actor)


def _submit(
    session: Session,
    settings: Settings,
    index: RegionIndex,
    item: ClueIn,
    now: datetime,
    actor: str,
) -> ClueReceipt:
    anonymous_channel = item.channel in ANONYMOUS_CHANNELS
    if anonymous_channel:
        ratelimit.check_clue(
            session=session,
            client=item.client,
            limit=settings.clue_rate_limit_per_hour,
            now=now,
        )
    checked = rules.check_clue(item, settings, now)
    _check_place(session, index, item.lat, item.lon)
    stored = _stored_media(session, item, actor)
    stored += _store_photos(session, settings, item, now, actor)
    media_ids = list(dict.fromkeys(m.id for m in stored))
    decision = dedupe_service.find_duplicates(
        session=session,
        category=item.category,
        lat=item.lat,
        lon=item.lon,
        at=checked.observed_at,
        text=checked.description,
        phashes=tuple(m.phash for m in stored if m.phash),
        settings=settings,
    )
    recorded = record_finding(
        session=session,
        index=index,
        item=FindingIn(
            channel=item.channel,
            category=item.category,
            lat=item.lat,
            lon=item.lon,
            observed_at=checked.observed_at,
            description=checked.description,
            source_ref=item.source_ref,
            attach_to=decision.attach_to,
            data={**checked.data, "attributes": checked.attributes},
            reporter_user_id=item.reporter_user_id,
            reporter_name=checked.reporter_name,
            reporter_contact=checked.reporter_contact,
            enterprise_id=item.enterprise_id,
        ),
        now=now,
        actor=actor,
        policy=load_policy(session=session, settings=settings),
    )
    if recorded.already_known:
        raise ConflictError(
            f"source_ref: {item.source_ref!r} on channel {item.channel} is finding "
            f"{recorded.finding.id}, recorded without a clue"
        )
    problem, finding = recorded.problem, recorded.finding
    for media_id in media_ids:
        _attach(session, problem.id, finding.id, media_id, now, actor)
    secret = None
    if item.reporter_user_id is None and item.channel in REWARD_CHANNELS:
        secret = tracking.new_secret()
    duplicate = decision.attach_to is not None and not recorded.opened
    clue = Clue(
        finding_id=finding.id,
        problem_id=problem.id,
        region_id=problem.region_id,
        channel=item.channel,
        service_code=item.category,
        tracking_code=_unused_code(session),
        secret_hash=tracking.hash_secret(secret) if secret is not None else None,
        anonymous=item.anonymous,
        attributes=checked.attributes,
        address_string=checked.address,
        media_ids=media_ids,
        token_id=item.token_id,
        received_at=now,
        lat=item.lat,
        lon=item.lon,
        duplicate=duplicate,
        dedupe_score=decision.score,
        suggestions=[_suggestion(s) for s in decision.suggestions],
    )
    session.add(clue)
    session.flush()
    audit(
        session=session,
        at=now,
        actor=actor,
        action="clue.submit",
        entity_type="clue",
        entity_id=clue.id,
        after={
            "channel": item.channel,
            "service_code": item.category,
            "finding_id": finding.id,
            "problem_id": problem.id,
            "opened": recorded.opened,
            "duplicate": duplicate,
            "dedupe_score": decision.score,
            "dedupe_reasons": list(decision.reasons),
            "media_ids": media_ids,
            "source_ref": item.source_ref,
        },
    )
    if anonymous_channel:
        ratelimit.record(session=session, client=item.client, kind=item.channel, now=now)
    return ClueReceipt(
        clue_id=clue.id,
        problem_id=problem.id,
        tracking_code=clue.tracking_code,
        secret=secret,
        duplicate=duplicate,
        already_known=False,
    )


def _check_place(session: Session, index: RegionIndex, lat: float, lon: float) -> None:
    try:
        smallest_region(session=session, index=index, lon=lon, lat=lat)
    except NotFoundError:
        raise OutsideJurisdiction(
            f"location: ({lat:.6f}, {lon:.6f}) is outside this bureau's jurisdiction; "
            "please report it to the bureau of that place"
        ) from None


# --- photos ---------------------------------------------------------------------------------


def _stored_media(session: Session, item: ClueIn, actor: str) -> list[MediaFile]:
    """Files stored already: each must be an image the same sender uploaded (any other id gets
    the same refusal, see ``media.own_upload``)."""
    found = []
    for number, media_id in enumerate(item.media_ids):
        place = f"media_ids[{number}]"
        row = media.own_upload(session=session, actor=actor, media_id=media_id, field=place)
        if row.kind != "image":
            raise InputError(f"media_ids[{number}]: file {media_id} is not an image")
        found.append(row)
    return found


def _store_photos(
    session: Session, settings: Settings, item: ClueIn, now: datetime, actor: str
) -> list[MediaFile]:
    for number, photo in enumerate(item.photos):
        if sniff(photo.data) == "PDF":
            raise InputError(
                f"photos[{number}] ({photo.filename[:80]}): a photo must be a JPEG, PNG or "
                "WebP image, not a PDF"
            )
    limits = MediaLimits.from_settings(settings)
    return [
        media.store_upload(
            session=session,
            home=settings.home,
            data=photo.data,
            filename=photo.filename or f"photo-{number + 1}.jpg",
            now=now,
            uploaded_by=actor,
            limits=limits,
        )
        for number, photo in enumerate(item.photos)
    ]


def _attach(
    session: Session, problem_id: int, finding_id: int, media_id: int, now: datetime, actor: str
) -> None:
    exists = session.scalar(
        select(ProblemAttachment.id).where(
            ProblemAttachment.problem_id == problem_id,
            ProblemAttachment.media_id == media_id,
            ProblemAttachment.purpose == "evidence",
        )
    )
    if exists is None:
        session.add(
            ProblemAttachment(
                problem_id=problem_id,
                media_id=media_id,
                finding_id=finding_id,
                purpose="evidence",
                public=False,
                added_at=now,
                added_by=actor,
            )
        )


# --- the rest -------------------------------------------------------------------------------


def _known(session: Session, item: ClueIn, source_ref: str) -> ClueReceipt | None:
    """The receipt of the clue ``(channel, source_ref)`` names, for its own submitter again
    (the same account, or the same API token); anyone else is refused: a receipt carries the
    clue's tracking code."""
    channel = item.channel
    finding = session.scalar(
        select(Finding).where(Finding.channel == channel, Finding.source_ref == source_ref)
    )
    if finding is None:
        return None
    clue = session.scalar(select(Clue).where(Clue.finding_id == finding.id))
    if clue is None:
        raise ConflictError(
            f"source_ref: {source_ref!r} on channel {channel} is finding {finding.id}, "
            "recorded without a clue"
        )
    if item.reporter_user_id is not None or finding.reporter_user_id is not None:
        same = item.reporter_user_id == finding.reporter_user_id
    else:
        same = item.token_id == clue.token_id
    if not same:
        raise ConflictError(
            f"source_ref: {source_ref!r} on channel {channel} was sent by another submitter"
        )
    return ClueReceipt(
        clue_id=clue.id,
        problem_id=finding.problem_id,
        tracking_code=clue.tracking_code,
        secret=None,
        duplicate=clue.duplicate,
        already_known=True,
    )


def _unused_code(session: Session) -> str:
    for _ in range(8):
        code = tracking.new_tracking_code()
        if session.scalar(select(Clue.id).where(Clue.tracking_code == code)) is None:
            return code
    raise ConflictError("tracking_code: no unused code found; try again")  # 2**-400 odds


def _suggestion(s: Suggestion) -> dict[str, Any]:
    return {
        "problem_id": s.problem_id,
        "score": round(s.score, 4),
        "distance_m": round(s.distance_m, 1),
        "reasons": list(s.reasons),
    }


def submit_counted(*, container: Container, item: ClueIn, actor: str) -> ClueReceipt:
    """``submit_clue`` for an anonymous channel, in a transaction of its own (committed): a
    clue refused for its content (``InputError``) still counts against the client's rate limit,
    written in a second transaction after the first has rolled back."""
    now = container.clock.now()
    try:
        with container.transaction() as session:
            return submit_clue(
                session=session,
                settings=container.settings,
                index=container.regions.get(session),
                item=item,
                now=now,
                actor=actor,
            )
    except RateLimited:
        raise
    except InputError:
        if item.channel not in ANONYMOUS_CHANNELS:
            raise
        with container.transaction() as session:
            ratelimit.record_refused(
                session=session, client=item.client, kind=item.channel, now=now
            )
        raise
