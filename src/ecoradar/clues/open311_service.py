"""Open311 GeoReport v2 use cases: the catalogue as services, the published requests (queries
batched per answer), tokens, the public photos, and turning a ``POST requests`` form into a
clue through ``submit_clue``.

What is published of a clue and its problem (``open311.PUBLIC_CHANNELS`` only): the service,
the description with contact details hidden (``open311.public_text``), the place (the reporter's
address text and the region names), the status and its public reason, the responsible office,
the handling deadline, public photos, and the public timeline (events and notes). Never a
reporter's name, contact or account, an internal note or reason, or who acted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ecoradar.clues import catalog, open311, tracking
from ecoradar.clues import open311_words as words
from ecoradar.clues.models import Clue
from ecoradar.clues.service import PUBLIC_DETAIL, final_since
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import Finding, Problem, ProblemAttachment, ProblemEvent, ProblemNote
from ecoradar.regions.models import Region

MAX_ID = 2**31 - 1
"""No stored id is larger (an ``INTEGER`` key); larger ones are simply not found."""
PHOTO_PATH = "/open311/v2/requests/{request_id}/photos/{media_id}.jpg"
"""Where a public photo of a request's problem can be fetched by anyone."""


# --- services ---------------------------------------------------------------------------------


def to_service(service: catalog.Service, locale: str) -> open311.Service:
    return open311.Service(
        code=service.code,
        name=service.name(locale),
        description=service.description(locale),
        group=service.group(locale),
        keywords=service.keywords,
        attributes=tuple(
            open311.Attribute(
                code=a.code,
                datatype=a.datatype,
                required=a.required,
                description=a.description(locale),
                order=a.order,
                values=tuple((v.key, v.name(locale)) for v in a.values),
                datatype_description=a.datatype_description(locale) or None,
                variable=a.variable,
            )
            for a in service.attributes
        ),
    )


def services(locale: str) -> list[open311.Service]:
    return [to_service(s, locale) for s in catalog.SERVICES]


def catalog_service(code: str) -> catalog.Service:
    """The catalogue's service ``code``; 404 (as the specification says) when unknown."""
    for service in catalog.SERVICES:
        if service.code == code:
            return service
    raise open311.not_found(
        f"service_code: {code!r} is not a service here; GET services lists them "
        f"({', '.join(catalog.service_codes())})"
    )


def check_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Service codes of a filter, each one known (400 otherwise: the filter is wrong)."""
    known = catalog.service_codes()
    for code in codes:
        if code not in known:
            raise open311.bad_request(
                f"service_code: {code!r} is not a service here ({', '.join(known)})"
            )
    return tuple(dict.fromkeys(codes))


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every answer about requests needs besides the database."""

    locale: str
    base_url: str
    """``http://host:port`` (no trailing slash): photo URLs are absolute."""
    accept_within: str
    handle_within: str


@dataclass(frozen=True)
class RequestQuery:
    """``GET requests``: ``ids`` override everything else; ``statuses`` empty means both."""

    ids: tuple[int, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    low: datetime | None = None
    high: datetime | None = None
    page: int = 1
    page_size: int = open311.MAX_REQUESTS


def _published() -> ColumnElement[bool]:
    return Clue.channel.in_(open311.PUBLIC_CHANNELS)


def find_requests(
    *, session: Session, query: RequestQuery, context: Context, extensions: bool
) -> list[open311.Request]:
    """The requests ``query`` selects, newest first."""
    statement = (
        select(Clue, Finding, Problem)
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .where(_published())
    )
    if query.ids:
        statement = statement.where(Clue.id.in_([i for i in query.ids if i <= MAX_ID]))
    else:
        if query.codes:
            statement = statement.where(Clue.service_code.in_(query.codes))
        closed = sorted(open311.CLOSED_STATES)
        if query.statuses == {"open"}:
            statement = statement.where(Problem.state.not_in(closed))
        elif query.statuses == {"closed"}:
            statement = statement.where(Problem.state.in_(closed))
        if query.low is not None:
            statement = statement.where(Clue.received_at >= query.low)
        if query.high is not None:
            statement = statement.where(Clue.received_at < query.high)
    statement = (
        statement.order_by(Clue.received_at.desc(), Clue.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(min(query.page_size, open311.MAX_REQUESTS))
    )
    rows = [(c, f, p) for c, f, p in session.execute(statement).all()]
    return _build(session, rows, context, extensions)


def get_request(
    *, session: Session, request_id: int, context: Context, extensions: bool
) -> open311.Request:
    """One published request; 404 for any other id."""
    found = find_requests(
        session=session,
        query=RequestQuery(ids=(request_id,)),
        context=context,
        extensions=extensions,
    )
    if not found:
        raise open311.not_found(f"service_request_id: no service request {request_id}")
    return found[0]


def request_of_token(*, session: Session, token: str) -> int:
    """The service request id behind a token: the tracking code of a published clue (every
    service is ``realtime``, so tokens are never handed out by ``POST requests``; a tracking
    code from the web form serves as one)."""
    normal = tracking.normalize_tracking_code(token)
    found = (
        session.scalar(select(Clue.id).where(Clue.tracking_code == normal, _published()))
        if normal is not None
        else None
    )
    if found is None:
        raise open311.not_found(f"token: no service request with the token {token[:40]!r}")
    return found


def public_photo(*, session: Session, request_id: int, media_id: int) -> MediaFile:
    """A public image of a published request's problem; 404 otherwise."""
    problem_id = session.scalar(
        select(Finding.problem_id)
        .join(Clue, Clue.finding_id == Finding.id)
        .where(Clue.id == min(request_id, MAX_ID + 1), _published())
    )
    media = None
    if problem_id is not None and media_id <= MAX_ID:
        media = session.scalar(
            select(MediaFile)
            .join(ProblemAttachment, ProblemAttachment.media_id == MediaFile.id)
            .where(*_public_image(), ProblemAttachment.problem_id == problem_id)
            .where(MediaFile.id == media_id)
            .limit(1)
        )
    if media is None:
        raise open311.not_found(f"no public photo {media_id} of service request {request_id}")
    return media


def _public_image() -> tuple[ColumnElement[bool], ...]:
    return (
        ProblemAttachment.public.is_(True),
        MediaFile.public_safe.is_(True),
        MediaFile.kind == "image",
    )


def _build(
    session: Session,
    rows: Sequence[tuple[Clue, Finding, Problem]],
    context: Context,
    extensions: bool,
) -> list[open311.Request]:
    problem_ids = sorted({p.id for _, _, p in rows})
    regions = _region_paths(session, {p.region_id for _, _, p in rows})
    offices = _region_names(session, {p.office_region_id for _, _, p in rows})
    events = _events(session, problem_ids)
    notes = _notes(session, problem_ids)
    photos = _photos(session, problem_ids)
    locale = context.locale
    general = words.service_notice(
        locale, accept_within=context.accept_within, handle_within=context.handle_within
    )
    built = []
    for clue, finding, problem in rows:
        service = catalog.get_service(clue.service_code)
        timeline = _timeline(events.get(problem.id, []), notes.get(problem.id, []), locale)
        public_times = [n.at for n in timeline]
        address = [open311.public_text(clue.address_string)] if clue.address_string else []
        office = offices.get(problem.office_region_id)
        place = regions.get(problem.region_id, _Place(None, []))
        built.append(
            open311.Request(
                id=clue.id,
                state=problem.state,
                service_code=clue.service_code,
                service_name=service.name(locale),
                description=open311.public_text(finding.description),
                requested_at=clue.received_at,
                updated_at=_updated(clue, problem, public_times),
                lat=clue.lat,
                lon=clue.lon,
                channel=clue.channel,
                status_notes=_status_notes(problem, events.get(problem.id, []), locale),
                agency_responsible=words.agency(locale, office) if office else None,
                service_notice=words.duplicate_notice(locale) if clue.duplicate else general,
                expected_at=problem.handling_due,
                address=", ".join(address + place.names) or None,
                address_id=place.code,
                photos=tuple(
                    open311.Photo(
                        url=context.base_url
                        + PHOTO_PATH.format(request_id=clue.id, media_id=media.id),
                        at=added_at,
                        width=media.width,
                        height=media.height,
                    )
                    for media, added_at in photos.get(problem.id, [])
                ),
                notes=tuple(timeline) if extensions else (),
            )
        )
    return built


def _updated(clue: Clue, problem: Problem, public_times: list[datetime]) -> datetime:
    """For a closed request, when it was closed; otherwise its latest public change (never
    before it was made)."""
    final = final_since(problem)
    if final is not None:
        return max(final, clue.received_at)
    return max([clue.received_at, *public_times])


def _status_notes(problem: Problem, events: list[ProblemEvent], locale: str) -> str:
    """The state's name, and the public reason of the change into it (a rejection's reason, a
    transfer's target kind, a reopening's reason)."""
    label = words.state_name(locale, problem.state)
    into = [e for e in events if e.to_state == problem.state and e.from_state != e.to_state]
    if not into:
        return label
    reason = _public_reason(into[-1], locale)
    return f"{label}: {reason}" if reason else label


def _public_reason(event: ProblemEvent, locale: str) -> str:
    detail = {k: v for k, v in (event.detail or {}).items() if k in PUBLIC_DETAIL}
    parts = []
    transfer = detail.get("transfer")
    if isinstance(transfer, str):
        parts.append(words.transfer_name(locale, transfer))
    reason = detail.get("reason")
    if isinstance(reason, str) and reason.strip():
        parts.append(open311.public_text(reason.strip()))
    return "; ".join(parts)


def _timeline(
    events: list[ProblemEvent], notes: list[ProblemNote], locale: str
) -> list[open311.Note]:
    entries = []
    for event in events:
        label = words.event_name(locale, event.action)
        reason = _public_reason(event, locale)
        entries.append(
            open311.Note(event.at, event.action, f"{label}: {reason}" if reason else label)
        )
    for note in notes:
        entries.append(open311.Note(note.at, "note", open311.public_text(note.text)))
    return sorted(entries, key=lambda n: n.at)


def _events(session: Session, problem_ids: list[int]) -> dict[int, list[ProblemEvent]]:
    found: dict[int, list[ProblemEvent]] = defaultdict(list)
    for chunk in _chunks(problem_ids):
        for event in session.scalars(
            select(ProblemEvent)
            .where(ProblemEvent.problem_id.in_(chunk), ProblemEvent.public.is_(True))
            .order_by(ProblemEvent.at, ProblemEvent.id)
        ):
            found[event.problem_id].append(event)
    return found


def _notes(session: Session, problem_ids: list[int]) -> dict[int, list[ProblemNote]]:
    found: dict[int, list[ProblemNote]] = defaultdict(list)
    for chunk in _chunks(problem_ids):
        for note in session.scalars(
            select(ProblemNote)
            .where(ProblemNote.problem_id.in_(chunk), ProblemNote.visibility == "public")
            .order_by(ProblemNote.at, ProblemNote.id)
        ):
            found[note.problem_id].append(note)
    return found


def _photos(session: Session, problem_ids: list[int]) -> dict[int, list[tuple[MediaFile, Any]]]:
    found: dict[int, list[tuple[MediaFile, Any]]] = defaultdict(list)
    for chunk in _chunks(problem_ids):
        rows = session.execute(
            select(ProblemAttachment.problem_id, MediaFile, ProblemAttachment.added_at)
            .join(MediaFile, ProblemAttachment.media_id == MediaFile.id)
            .where(ProblemAttachment.problem_id.in_(chunk), *_public_image())
            .order_by(ProblemAttachment.id)
        )
        for problem_id, media, added_at in rows:
            if all(m.id != media.id for m, _ in found[problem_id]):
                found[problem_id].append((media, added_at))
    return found


def _region_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(select(Region.id, Region.name).where(Region.id.in_(sorted(ids)))).all()
    )


@dataclass(frozen=True)
class _Place:
    code: str | None
    names: list[str]
    """From the region up to the top: most specific first, as Open311 wants an address."""


def _region_paths(session: Session, ids: set[int]) -> dict[int, _Place]:
    """Each region's code and the names from it up to the top of the tree."""
    known: dict[int, tuple[str, str, int | None]] = {}
    wanted = set(ids)
    for _ in range(10):  # province > city > county > township > grid: five levels at most
        wanted -= set(known)
        if not wanted:
            break
        for rid, code, name, parent in session.execute(
            select(Region.id, Region.code, Region.name, Region.parent_id).where(
                Region.id.in_(sorted(wanted))
            )
        ):
            known[rid] = (code, name, parent)
        wanted = {parent for _, _, parent in known.values() if parent is not None}
    places: dict[int, _Place] = {}
    for rid in ids:
        names: list[str] = []
        seen: set[int] = set()
        current: int | None = rid
        while current is not None and current in known and current not in seen:
            seen.add(current)
            names.append(known[current][1])
            current = known[current][2]
        places[rid] = _Place(known[rid][0] if rid in known else None, names)
    return places


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
