"""The problem page's forms: what they send, turned into workflow payloads; the files they
upload; how a refusal is shown; and the look-ups the page needs (who may be assigned, the region
chain, people's names).

A form sends text; ``payload`` turns the fields an action uses into a ``Payload`` (times typed in
China time, a due date meaning the end of that China day) and leaves every check of content to
the workflow, so the page and the API refuse the same things. What the form itself cannot
express (a number that is not a number) is a ``FormProblem`` naming the payload field, as the
workflow's own refusals do. ``refusal`` turns any refusal into a ``Refusal`` with a ``code`` and
``params``, which the page puts into words in its reader's language (``problems/_macros.html``,
``refusal_detail``): never the technical message, never a field path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from datetime import date, datetime
from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConflictError, InputError, PermissionDenied
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits, MediaRefused
from ecoradar.media.models import MediaFile
from ecoradar.problems import service
from ecoradar.problems.deadlines import end_of_day
from ecoradar.problems.models import Problem
from ecoradar.problems.schemas import ProblemDetail, actor_user_id
from ecoradar.problems.workflow import (
    Action,
    Evidence,
    OnsiteRecord,
    Payload,
    TransferKind,
    TransferTarget,
)
from ecoradar.regions.models import LEVELS, Region
from ecoradar.web.templating import local_time

ASSIGNEE_ROLES = ("grid_worker", "officer")
"""Who the assignee select offers: the people who go and look (administrators have no region)."""
LONG = 20_000
"""A bound on any field; the workflow applies the real limits with a message."""


class FormProblem(InputError):
    """What a form sent cannot be read: ``field`` (the payload field), ``code``, ``params``."""

    def __init__(self, field: str, code: str, message: str, **params: Any) -> None:
        self.field, self.code, self.params = field, code, params
        super().__init__(f"{field}: {message}")


class ActionForm(BaseModel):
    """Every field any action's form may send (each form sends some)."""

    model_config = ConfigDict(extra="ignore")

    reason: str = Field("", max_length=LONG)
    assignee_id: str = Field("", max_length=LONG)
    at: str = Field("", max_length=LONG)
    lat: str = Field("", max_length=LONG)
    lon: str = Field("", max_length=LONG)
    text: str = Field("", max_length=LONG)
    requirement: str = Field("", max_length=LONG)
    due: str = Field("", max_length=LONG)
    document: str = Field("", max_length=LONG)
    transfer_kind: str = Field("", max_length=LONG)
    transfer_name: str = Field("", max_length=LONG)
    note: str = Field("", max_length=LONG)
    internal_note: str = Field("", max_length=LONG)
    violation: str = Field("", max_length=LONG)
    """On confirmation: the violation found (``problems.violations``), empty for none."""

    def values(self) -> dict[str, str]:
        """The fields as sent, to fill the form in again after a refusal."""
        return {name: str(value) for name, value in self.model_dump().items()}


def payload(action: Action, form: ActionForm, stored: Sequence[MediaFile]) -> Payload:
    """The payload of ``action`` from its form; ``stored``: the files it uploaded (photos of
    an on-site record, rectification evidence). Every action takes the optional notes."""
    core = _core(action, form, stored)
    return replace(core, note=form.note or None, internal_note=form.internal_note or None)


def _core(action: Action, form: ActionForm, stored: Sequence[MediaFile]) -> Payload:
    ids = tuple(m.id for m in stored)
    if action in (Action.REJECT, Action.REOPEN, Action.EXTEND_DEADLINE):
        return Payload(reason=form.reason)
    if action is Action.ASSIGN:
        return Payload(assignee_id=_ident("assignee_id", form.assignee_id))
    if action is Action.REASSIGN:
        assignee = _ident("assignee_id", form.assignee_id)
        return Payload(assignee_id=assignee, reason=form.reason)
    if action in (Action.CONFIRM, Action.MARK_UNFOUNDED):
        for item in stored:
            if item.kind != "image":
                name = item.original_name
                raise FormProblem(
                    "onsite.photo_ids", "not_photo", f"{name} is not a photo", name=name
                )
        onsite = OnsiteRecord(
            _local_time("onsite.at", form.at),
            _coordinate("onsite.lat", form.lat),
            _coordinate("onsite.lon", form.lon),
            ids,
            form.text,
        )
        return Payload(onsite=onsite)
    if action is Action.ORDER_RECTIFICATION:
        due = _due("rectification_due", form.due)
        return Payload(requirement=form.requirement, rectification_due=due)
    if action is Action.REPORT_RECTIFIED:
        evidence = Evidence(form.text, ids, form.document.strip() or None)
        return Payload(evidence=evidence)
    if action is Action.TRANSFER:
        kinds = {k.value: k for k in TransferKind}
        if form.transfer_kind not in kinds:
            raise FormProblem(
                "transfer.kind", "unknown_kind", "choose a department or public security"
            )
        target = TransferTarget(kinds[form.transfer_kind], form.transfer_name.strip() or None)
        return Payload(transfer=target, reason=form.reason)
    return Payload()


def _ident(field: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise FormProblem(field, "not_id", f"{text!r} is not an id")
    return int(text)


def _local_time(field: str, text: str) -> datetime:
    """A ``datetime-local`` value (China time) or an ISO 8601 time with an offset."""
    text = text.strip()
    if not text:
        raise FormProblem(field, "required", "required")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FormProblem(field, "not_time", f"{text!r} is not a date and time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def _coordinate(field: str, text: str) -> float:
    text = text.strip()
    if not text:
        raise FormProblem(field, "position_required", "required (allow the position, or type it)")
    try:
        value = float(text)
    except ValueError:
        raise FormProblem(field, "not_number", f"{text!r} is not a number") from None
    return value if math.isfinite(value) else math.nan


def _due(field: str, text: str) -> datetime | None:
    """A date: the end of that China day (as deadlines are)."""
    text = text.strip()
    if not text:
        return None
    try:
        return end_of_day(date.fromisoformat(text))
    except ValueError:
        raise FormProblem(field, "not_date", f"{text!r} is not a date") from None


# --- look-ups -------------------------------------------------------------------------------


def region_chain(session: Session, region_id: int | None) -> list[Region]:
    """The region and its ancestors, top-down."""
    chain: list[Region] = []
    region = session.get(Region, region_id) if region_id is not None else None
    while region is not None and len(chain) < len(LEVELS):
        chain.append(region)
        region = session.get(Region, region.parent_id) if region.parent_id is not None else None
    return chain[::-1]


def assignees(session: Session, problem: Problem) -> list[tuple[User, Region]]:
    """Active grid workers and officers whose region covers the problem's region (its own
    region or one above it), the nearest first."""
    chain = region_chain(session, problem.region_id)
    depth = {region.id: i for i, region in enumerate(chain)}
    rows = session.execute(
        select(User, Region)
        .join(Region, User.region_id == Region.id)
        .where(
            User.is_active.is_(True),
            User.role.in_(ASSIGNEE_ROLES),
            User.region_id.in_(sorted(depth)),
        )
        .order_by(User.username)
    ).all()
    found = [(user, region) for user, region in rows]
    return sorted(found, key=lambda pair: (-depth[pair[1].id], pair[0].role, pair[0].username))


def people(session: Session, detail: ProblemDetail) -> dict[str | int, str]:
    """Names of the users a handler's view of a problem mentions, by actor string
    (``user:7:alice``) and by user id: who acted, who wrote, who was assigned."""
    actors = {e.actor for e in detail.events} | {n.author for n in detail.notes}
    ids = {actor_user_id(a) for a in actors} | {detail.assignee_id}
    for e in detail.events:
        internal = e.detail.get("internal")
        if isinstance(internal, dict) and isinstance(internal.get("assignee_id"), int):
            ids.add(internal["assignee_id"])
    known = sorted(i for i in ids if i is not None)
    if not known:
        return {}
    names: dict[str | int, str] = {
        u.id: u.display_name or u.username
        for u in session.scalars(select(User).where(User.id.in_(known)))
    }
    for actor in actors:
        user = actor_user_id(actor)
        if user is not None and user in names:
            names[actor] = names[user]
    return names


# --- uploads, refusals, display --------------------------------------------------------------


def store_files(
    session: Session, box: Container, actor: str, files: Sequence[UploadFile]
) -> list[MediaFile]:
    """Store the chosen files (an empty file input sends one nameless, empty part: skipped)."""
    limits = MediaLimits.from_settings(box.settings)
    largest = max(limits.max_image_bytes, limits.max_document_bytes) + 1
    stored = []
    for upload in files:
        data = upload.file.read(largest)
        if not upload.filename and not data:
            continue
        stored.append(
            media.store_upload(
                session=session,
                home=box.settings.home,
                data=data,
                filename=upload.filename or "upload",
                now=box.clock.now(),
                uploaded_by=actor,
                limits=limits,
            )
        )
    return stored


@dataclass(frozen=True)
class Refusal:
    """Why a change was refused: the technical message (for logs, never shown), its HTTP
    status, the form field it names, and ``code`` with ``params`` for the page's sentence (an
    empty code: the page says only what kind of refusal it is)."""

    message: str
    status: int
    field: str | None
    code: str = ""
    params: dict[str, Any] = _field(default_factory=dict)


FIELD = re.compile(r"[a-z_]+(\.[a-z_]+)?")
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (PermissionDenied, 403),
    (ConflictError, 409),
    (InputError, 422),
)
KNOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"assignee_id: no active user (?P<id>\d+)"), "no_user"),
    (re.compile(r"assignee_id: an? (?P<role>\w+) cannot be assigned"), "not_assignable"),
    (re.compile(r"assignee_id: (?P<name>.+) is scoped to another region"), "assignee_elsewhere"),
    (re.compile(r"text: empty"), "required"),
    (re.compile(r"text: longer than (?P<limit>\d+) characters"), "too_long"),
    (re.compile(r"(?:visibility|purpose): must be"), "bad_choice"),
    (re.compile(r"public: documents are never shown publicly"), "document_not_public"),
    (re.compile(r"[a-z_.]+: no (?:uploaded )?file \d+"), "no_file"),
)
"""The refusals of the register's service (``problems.service``) by their message: the code
each is shown as; a message not here is shown by its kind only."""


def refusal(exc: Exception) -> Refusal:
    """A refusal to show: 403, 409 or 422, the field it names (``reason: required``) and the
    code and parameters of its sentence."""
    status = next(code for kind, code in STATUS if isinstance(exc, kind))
    message = str(exc)
    name = message.partition(":")[0]
    field = name if FIELD.fullmatch(name) else None
    if isinstance(exc, MediaRefused):
        return Refusal(message, status, "files", f"media_{exc.reason}", {"name": exc.filename})
    code = getattr(exc, "code", "")
    if isinstance(code, str) and code:
        params = dict(getattr(exc, "params", {}))
        return Refusal(message, status, getattr(exc, "field", field), code, params)
    for pattern, known in KNOWN:
        found = pattern.match(message)
        if found:
            return Refusal(message, status, field, known, found.groupdict())
    return Refusal(message, status, field)


def iso_local(text: object) -> str:
    """An ISO 8601 time kept in a timeline entry or a finding, as China time to the minute."""
    if not isinstance(text, str):
        return ""
    try:
        return local_time(datetime.fromisoformat(text))
    except ValueError:
        return text


def own(session: Session, principal: Principal, problem: Problem) -> tuple[set[int], set[int]]:
    """The timeline events and the notes of ``problem`` that ``principal`` wrote ("you")."""
    events = service.events(session=session, principal=principal, problem=problem)
    notes = service.notes(session=session, principal=principal, problem=problem)
    return (
        {e.id for e in events if e.actor == principal.actor},
        {n.id for n in notes if n.author == principal.actor},
    )
