"""What the public tracking page shows about one clue (``/track/{code}``), read in one go.

Built on ``clues.service.track`` (public events and public notes only, no actor, no internal
detail) plus what the page adds: the deadline that runs now (acceptance, handling) as the problem
register computes it, the rectification due date while it runs, the public reason of an
extension, and the photos an officer made public. Never a name, a contact or anything internal;
free text is masked (``privacy.mask``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.clues import catalog
from ecoradar.clues.models import Clue
from ecoradar.clues.service import Tracked, track
from ecoradar.clues.tracking import display_code
from ecoradar.config import Settings
from ecoradar.core.errors import NotFoundError
from ecoradar.media.models import MediaFile
from ecoradar.privacy.mask import mask_optional
from ecoradar.problems import timeline
from ecoradar.problems.deadlines import DeadlineStatus, deadline_state
from ecoradar.problems.models import ProblemAttachment
from ecoradar.problems.policy import load_policy
from ecoradar.problems.workflow import State

OFFICIAL_ACTIONS = frozenset(
    {
        "accept",
        "reject",
        "assign",
        "reassign",
        "start_verification",
        "confirm",
        "mark_unfounded",
        "order_rectification",
        "close",
        "transfer",
        "extend_deadline",
    }
)
"""Timeline entries only the bureau's people make: the page says "the bureau" did them (never
who). Reopening (the reporter, the system or an officer) and reporting rectification (perhaps
the enterprise) name nobody."""


@dataclass(frozen=True)
class PublicPhoto:
    media_id: int
    width: int | None
    height: int | None


@dataclass(frozen=True)
class TrackView:
    code: str
    """``ABCDE-FGHJK``."""
    tracked: Tracked
    service: catalog.Service
    deadline: DeadlineStatus
    rectification_due: datetime | None
    """While rectification runs."""
    extension_reason: str | None
    photos: list[PublicPhoto]
    can_confirm: bool
    """Closed and within the feedback period: fixed or still not fixed may be answered."""
    can_rate: bool
    """In a final state and within the feedback period: the satisfaction question."""

    @property
    def state(self) -> str:
        return self.tracked.problem.state


def public_photos(session: Session, problem_id: int) -> list[MediaFile]:
    """The images of a problem an officer made public (re-encoded, without EXIF)."""
    rows = session.scalars(
        select(MediaFile)
        .join(ProblemAttachment, ProblemAttachment.media_id == MediaFile.id)
        .where(
            ProblemAttachment.problem_id == problem_id,
            ProblemAttachment.public.is_(True),
            MediaFile.public_safe.is_(True),
            MediaFile.kind == "image",
        )
        .order_by(ProblemAttachment.id)
    )
    found: dict[int, MediaFile] = {}
    for media in rows:
        found.setdefault(media.id, media)
    return list(found.values())


def public_photo(session: Session, clue: Clue, media_id: int) -> MediaFile:
    """One public image of the clue's problem; ``NotFoundError`` otherwise."""
    for media in public_photos(session, clue.problem_id):
        if media.id == media_id:
            return media
    raise NotFoundError(f"no public photo {media_id} for this tracking code")


def track_view(*, session: Session, settings: Settings, clue: Clue, now: datetime) -> TrackView:
    tracked = track(session=session, clue=clue, now=now, feedback_days=settings.clue_feedback_days)
    problem = tracked.problem
    policy = load_policy(session=session, settings=settings)
    status = deadline_state(
        timeline.snapshot(problem), now, rules=policy.rules, calendar=policy.calendar
    )
    open_period = tracked.feedback_until is not None
    return TrackView(
        code=display_code(clue.tracking_code),
        tracked=tracked,
        service=catalog.get_service(clue.service_code),
        deadline=status,
        rectification_due=problem.rectification_due if problem.state == State.RECTIFYING else None,
        extension_reason=mask_optional(problem.extension_reason)
        if problem.extensions_used
        else None,
        photos=[PublicPhoto(m.id, m.width, m.height) for m in public_photos(session, problem.id)],
        can_confirm=open_period and problem.state == State.CLOSED,
        can_rate=open_period,
    )
