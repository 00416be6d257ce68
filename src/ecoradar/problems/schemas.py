"""What the problem API reads and returns. Nothing here carries a reporter's identity except
``ReporterRead``, which only ``GET /api/problems/{id}/reporters`` returns (and logs). Readers
who do not handle a problem get its free text ``masked``: personal data a reporter or an officer
wrote (a phone number, an e-mail address, a name) is replaced by ``privacy.mask.PLACEHOLDER``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecoradar.privacy.mask import mask, mask_data
from ecoradar.problems.models import Finding, Problem, ProblemEvent, ProblemLink, ProblemNote
from ecoradar.problems.workflow import (
    Evidence,
    OnsiteRecord,
    Payload,
    TransferKind,
    TransferTarget,
)

Category = Literal[
    "air",
    "water",
    "solid_waste",
    "hazardous_waste",
    "noise",
    "odour",
    "soil",
    "ecological",
    "other",
]
Severity = Literal["low", "medium", "high", "critical"]


class ProblemRead(BaseModel):
    """A problem as lists show it."""

    id: int
    title: str
    category: str
    severity: str
    state: str
    channel: str
    lat: float
    lon: float
    region_id: int
    office_region_id: int
    enterprise_id: int | None
    reported_at: datetime
    acceptance_due: datetime | None
    handling_due: datetime | None
    overdue: bool
    overdue_since: datetime | None
    escalation_level: int
    escalation_region_id: int | None
    assignee_id: int | None
    findings: int

    @classmethod
    def of(cls, p: Problem, *, masked: bool = False) -> ProblemRead:
        """``masked``: the reader does not handle the problem (personal data in the title
        hidden)."""
        return cls(
            id=p.id,
            title=mask(p.title) if masked else p.title,
            category=p.category,
            severity=p.severity,
            state=p.state,
            channel=p.channel,
            lat=p.lat,
            lon=p.lon,
            region_id=p.region_id,
            office_region_id=p.office_region_id,
            enterprise_id=p.enterprise_id,
            reported_at=p.reported_at,
            acceptance_due=p.acceptance_due,
            handling_due=p.handling_due,
            overdue=p.overdue_since is not None,
            overdue_since=p.overdue_since,
            escalation_level=p.escalation_level,
            escalation_region_id=p.escalation_region_id,
            assignee_id=p.assignee_id,
            findings=len(p.findings),
        )


class ProblemPageRead(BaseModel):
    items: list[ProblemRead]
    total: int
    page: int
    per_page: int


class FindingRead(BaseModel):
    """A finding without its reporter."""

    id: int
    channel: str
    category: str
    description: str
    observed_at: datetime
    received_at: datetime
    lat: float
    lon: float
    severity: str
    attached_automatically: bool
    data: dict[str, Any]

    @classmethod
    def of(cls, f: Finding, *, masked: bool = False) -> FindingRead:
        """``masked``: personal data hidden in the description and in the answers to the
        service's questions (``data["attributes"]``, free text too)."""
        data = f.data
        if masked and isinstance(data.get("attributes"), dict):
            data = {**data, "attributes": mask_data(data["attributes"])}
        return cls(
            id=f.id,
            channel=f.channel,
            category=f.category,
            description=mask(f.description) if masked else f.description,
            observed_at=f.observed_at,
            received_at=f.received_at,
            lat=f.lat,
            lon=f.lon,
            severity=f.severity,
            attached_automatically=f.attached_automatically,
            data=data,
        )


PUBLIC_LABELS = {
    "admin": "officer",
    "officer": "officer",
    "grid_worker": "officer",
    "enterprise": "enterprise",
    "public": "reporter",
    "supervisor": "supervisor",
}
"""What a reader who does not handle a problem sees of who acted: the kind, never the name."""


def actor_user_id(actor: str) -> int | None:
    """The user id an actor string names (``user:<id>:<name>``), if it names one."""
    kind, _, rest = actor.partition(":")
    number = rest.partition(":")[0]
    return int(number) if kind == "user" and number.isdigit() else None


def actor_user_ids(actors: Iterable[str]) -> set[int]:
    """The user ids named by ``actors``."""
    return {i for i in map(actor_user_id, actors) if i is not None}


def public_actor(actor: str, roles: Mapping[int, str]) -> str:
    """``actor`` (``user:7:alice``, ``token:3:drone``, ``public:clue-5``, ``system:...``) as
    such a reader sees it; ``roles``: the role of each user id among the actors."""
    if actor.startswith("system:"):
        return actor
    if actor.startswith("public:"):
        return "reporter"
    user_id = actor_user_id(actor)
    return PUBLIC_LABELS.get(roles.get(user_id, ""), "officer") if user_id else "officer"


class EventRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]

    @classmethod
    def of(
        cls, e: ProblemEvent, *, internal: bool, roles: Mapping[int, str] | None = None
    ) -> EventRead:
        """``internal``: the reader handles the problem (sees who acted and internal detail);
        otherwise ``roles`` (user id -> role) tells the kind of each actor, and the text of
        the detail (a reason, a requirement) is masked."""
        detail = dict(e.detail)
        if not internal:
            detail.pop("internal", None)
            detail = mask_data(detail)
        actor = e.actor if internal else public_actor(e.actor, roles or {})
        return cls(
            id=e.id,
            at=e.at,
            actor=actor,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            detail=detail,
        )


class NoteRead(BaseModel):
    id: int
    at: datetime
    author: str
    visibility: str
    text: str

    @classmethod
    def of(
        cls, n: ProblemNote, *, internal: bool, roles: Mapping[int, str] | None = None
    ) -> NoteRead:
        author = n.author if internal else public_actor(n.author, roles or {})
        text = n.text if internal else mask(n.text)
        return cls(id=n.id, at=n.at, author=author, visibility=n.visibility, text=text)


class AttachmentRead(BaseModel):
    media_id: int
    purpose: str
    public: bool
    kind: str
    content_type: str
    width: int | None
    height: int | None
    url: str
    thumbnail_url: str | None


class LinkRead(BaseModel):
    problem_id: int
    other_id: int
    kind: str

    @classmethod
    def of(cls, link: ProblemLink) -> LinkRead:
        return cls(problem_id=link.problem_id, other_id=link.other_id, kind=link.kind)


class DeadlineRead(BaseModel):
    which: str | None
    due: datetime | None
    overdue: bool
    days_overdue: int
    level: int


class ProblemDetail(ProblemRead):
    description: str
    point_id: int | None
    state_times: dict[str, Any]
    rectification_due: datetime | None
    extension_reason: str | None
    extensions_used: int
    transfer_target: dict[str, Any] | None
    deadline: DeadlineRead
    finding_list: list[FindingRead]
    events: list[EventRead]
    notes: list[NoteRead]
    attachments: list[AttachmentRead]
    links: list[LinkRead]
    actions: list[str]
    handles: bool
    """Whether the reader is one of the officers handling it (sees internal notes, reporters)."""


class ReporterRead(BaseModel):
    finding_id: int
    name: str | None
    contact: str | None
    user_id: int | None


# --- in ------------------------------------------------------------------------------------


MAX_ID = 2**31 - 1
"""Ids are 32-bit on PostgreSQL: a larger one is refused as input, not sent to the database."""
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    """Input: unknown fields refused; no text with NUL characters (PostgreSQL cannot store
    them) and no time that cannot be expressed in UTC (year 1 at +14:00)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, datetime) and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError("is outside the range of representable times") from None
        return value


class OnsiteIn(_In):
    at: datetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    photo_ids: list[Id] = Field(max_length=50)
    text: str = Field(max_length=10_000)


class EvidenceIn(_In):
    text: str = Field(max_length=10_000)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=50)
    document: str | None = Field(default=None, max_length=200)


class TransferIn(_In):
    kind: Literal["department", "public_security"]
    name: str | None = Field(default=None, max_length=200)


class ActionIn(_In):
    """What a workflow action carries; each action uses some fields (see the README table)."""

    reason: str | None = Field(default=None, max_length=2000)
    assignee_id: Id | None = None
    onsite: OnsiteIn | None = None
    requirement: str | None = Field(default=None, max_length=10_000)
    rectification_due: datetime | None = None
    evidence: EvidenceIn | None = None
    transfer: TransferIn | None = None
    finding_id: Id | None = None
    note: str | None = Field(default=None, max_length=10_000)
    internal_note: str | None = Field(default=None, max_length=10_000)

    def payload(self) -> Payload:
        onsite = self.onsite
        evidence = self.evidence
        return Payload(
            reason=self.reason,
            assignee_id=self.assignee_id,
            onsite=None
            if onsite is None
            else OnsiteRecord(
                onsite.at, onsite.lat, onsite.lon, tuple(onsite.photo_ids), onsite.text
            ),
            requirement=self.requirement,
            rectification_due=self.rectification_due,
            evidence=None
            if evidence is None
            else Evidence(evidence.text, tuple(evidence.attachment_ids), evidence.document),
            transfer=None
            if self.transfer is None
            else TransferTarget(TransferKind(self.transfer.kind), self.transfer.name),
            finding_id=self.finding_id,
            note=self.note,
            internal_note=self.internal_note,
        )


class NoteIn(_In):
    text: str = Field(min_length=1, max_length=10_000)
    visibility: Literal["internal", "public"] = "internal"


class LinkIn(_In):
    other_id: Id
    kind: Literal["duplicate_of", "related_to"]


class RegionMoveIn(_In):
    region_code: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=2000)


class FindingIn(_In):
    """A finding entered by an officer (hotline, department, media, NGO, referral, inspection)
    or sent by a department's system."""

    channel: Literal["hotline", "department", "media", "ngo", "referral", "inspection"]
    category: Category
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    observed_at: datetime
    description: str = Field(min_length=1, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    severity: Severity = "medium"
    source_ref: str | None = Field(default=None, max_length=120)
    enterprise_code: str | None = Field(default=None, max_length=18)
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_contact: str | None = Field(default=None, max_length=200)


class FindingCreated(BaseModel):
    finding_id: int
    problem_id: int
    opened: bool
    reopened: bool
    already_known: bool
