"""What the clue APIs read and return. No response carries a reporter's name or contact, and
the tracking code is only ever returned to the one who sent the clue."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.clues.intake import ClueReceipt, Upload
from ecoradar.clues.models import Clue
from ecoradar.clues.service import Tracked
from ecoradar.clues.tracking import display_code
from ecoradar.core.errors import InputError
from ecoradar.problems.schemas import Category

BASE64_MAX = 28 * 1024 * 1024
"""A base64 image at most this long (about 21 MiB decoded; the image limit applies after)."""
Attributes = dict[str, str | list[str]]
OfficerChannel = Literal["hotline", "department", "media", "ngo", "referral", "inspection"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhotoIn(_In):
    """An image sent inside JSON: its name and its bytes in base64."""

    filename: str = Field(default="photo.jpg", max_length=200)
    content_base64: str = Field(min_length=1, max_length=BASE64_MAX)

    def upload(self, field: str) -> Upload:
        try:
            data = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{field}.content_base64: not valid base64") from None
        return Upload(self.filename, data)


class _Place(_In):
    category: Category
    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)
    attributes: Attributes = Field(default_factory=dict)
    address_string: str | None = Field(default=None, max_length=400)
    source_ref: str | None = Field(
        default=None, max_length=120, description="Your own id: sending it again changes nothing"
    )


class DetectionIn(_Place):
    """A detection by a drone or an unmanned ship."""

    kind: Literal["drone", "unmanned_ship"]
    platform_id: str = Field(min_length=1, max_length=64)
    detection_type: str = Field(
        min_length=1, max_length=64, description="What the model saw, e.g. black_water, smoke"
    )
    confidence: float = Field(ge=0, le=1)
    observed_at: datetime
    description: str | None = Field(default=None, max_length=4000)
    image: PhotoIn


class OfficerClueIn(_Place):
    """A clue entered by an officer (or sent by a department's system)."""

    channel: OfficerChannel
    observed_at: datetime
    description: str = Field(min_length=1, max_length=4000)
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_contact: str | None = Field(default=None, max_length=200)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=9)


class FeedbackBody(_In):
    feedback: Literal["confirmed", "disputed"] | None = Field(
        default=None, description="After closure: confirmed (fixed) or disputed (still not fixed)"
    )
    text: str | None = Field(default=None, max_length=2000, description="Needed to dispute")
    satisfaction: int | None = Field(default=None, ge=1, le=5)


# --- out ------------------------------------------------------------------------------------


class ClueCreated(BaseModel):
    clue_id: int
    problem_id: int
    tracking_code: str
    """``ABCDE-FGHJK``: opens the tracking page."""
    secret: str | None
    """Shown once: with the tracking code, it collects a reward anonymously."""
    duplicate: bool
    """The clue joined a problem already reported: you now follow that one."""
    already_known: bool

    @classmethod
    def of(cls, receipt: ClueReceipt) -> ClueCreated:
        return cls(
            clue_id=receipt.clue_id,
            problem_id=receipt.problem_id,
            tracking_code=display_code(receipt.tracking_code),
            secret=receipt.secret,
            duplicate=receipt.duplicate,
            already_known=receipt.already_known,
        )


class ClueRead(BaseModel):
    """A clue as the officers handling its problem see it (no reporter identity; that is on
    ``GET /api/problems/{id}/reporters``, logged)."""

    id: int
    problem_id: int
    finding_id: int
    channel: str
    category: str
    anonymous: bool
    attributes: dict[str, Any]
    address_string: str | None
    media_ids: list[int]
    received_at: datetime
    lat: float
    long: float
    duplicate: bool
    dedupe_score: float | None
    suggestions: list[dict[str, Any]]
    feedback: str | None
    feedback_at: datetime | None
    feedback_text: str | None
    satisfaction: int | None

    @classmethod
    def of(cls, clue: Clue) -> ClueRead:
        return cls(
            id=clue.id,
            problem_id=clue.problem_id,
            finding_id=clue.finding_id,
            channel=clue.channel,
            category=clue.service_code,
            anonymous=clue.anonymous,
            attributes=clue.attributes,
            address_string=clue.address_string,
            media_ids=clue.media_ids,
            received_at=clue.received_at,
            lat=clue.lat,
            long=clue.lon,
            duplicate=clue.duplicate,
            dedupe_score=clue.dedupe_score,
            suggestions=clue.suggestions,
            feedback=clue.feedback,
            feedback_at=clue.feedback_at,
            feedback_text=clue.feedback_text,
            satisfaction=clue.satisfaction,
        )


class CluePageRead(BaseModel):
    items: list[ClueRead]
    total: int
    page: int
    per_page: int


class PublicEventRead(BaseModel):
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


class PublicNoteRead(BaseModel):
    at: datetime
    text: str


class TrackRead(BaseModel):
    """What a tracking code shows: the status, the public timeline and notes, no names."""

    tracking_code: str
    category: str
    received_at: datetime
    status: Literal["open", "closed"]
    state: str
    duplicate: bool
    events: list[PublicEventRead]
    notes: list[PublicNoteRead]
    feedback: str | None
    satisfaction: int | None
    feedback_until: datetime | None
    """Until when the closure may be confirmed or disputed (None: not now)."""

    @classmethod
    def of(cls, tracked: Tracked) -> TrackRead:
        clue = tracked.clue
        return cls(
            tracking_code=display_code(clue.tracking_code),
            category=clue.service_code,
            received_at=clue.received_at,
            status="closed" if tracked.status == "closed" else "open",
            state=tracked.problem.state,
            duplicate=clue.duplicate,
            events=[
                PublicEventRead(
                    at=e.at,
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    detail=e.detail,
                )
                for e in tracked.events
            ],
            notes=[PublicNoteRead(at=n.at, text=n.text) for n in tracked.notes],
            feedback=clue.feedback,
            satisfaction=clue.satisfaction,
            feedback_until=tracked.feedback_until,
        )
