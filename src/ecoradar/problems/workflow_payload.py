"""What workflow actions carry (pure): payload types and their validation.

``clean`` checks the fields an action uses and returns them normalised (text stripped, ids
de-duplicated, times in UTC); it raises ``PayloadProblem`` naming the field, with a ``code``
and ``params`` a page can put into words in its reader's language (``CODES``), which
``workflow.decide`` turns into ``Missing`` or ``Invalid``. The limits are named constants.

Times a person types are compared to the minute, the precision of the forms: an on-site check
in the very minute the problem was reported (or in the current minute) is accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from ecoradar.core.clock import utc

MAX_REASON = 2000
MAX_TEXT = 10_000
MAX_NAME = 200
MAX_IDS = 50
NOTES = frozenset({"note", "internal_note"})
"""Every action takes an optional public note and an optional internal note."""


class TransferKind(StrEnum):
    DEPARTMENT = "department"
    PUBLIC_SECURITY = "public_security"


@dataclass(frozen=True)
class OnsiteRecord:
    """A verification on site: when, where (WGS84), photos and what was found."""

    at: datetime
    lat: float
    lon: float
    photo_ids: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class Evidence:
    """Rectification evidence: text and at least one attachment or a document."""

    text: str
    attachment_ids: tuple[int, ...] = ()
    document: str | None = None
    """A reference to a rectification document (number or title)."""


@dataclass(frozen=True)
class TransferTarget:
    kind: TransferKind
    name: str | None = None
    """The receiving department (required) or public security bureau (optional)."""


@dataclass(frozen=True)
class Payload:
    """Everything an action may carry; each action uses some fields (see ``workflow.TABLE``)."""

    reason: str | None = None
    assignee_id: int | None = None
    onsite: OnsiteRecord | None = None
    requirement: str | None = None
    rectification_due: datetime | None = None
    evidence: Evidence | None = None
    transfer: TransferTarget | None = None
    finding_id: int | None = None
    note: str | None = None
    internal_note: str | None = None


PAYLOAD_FIELDS = tuple(f.name for f in fields(Payload))
TEXT_LIMITS = {
    "reason": MAX_REASON,
    "requirement": MAX_TEXT,
    "note": MAX_TEXT,
    "internal_note": MAX_TEXT,
}


CODES = frozenset(
    {
        "required",
        "not_used",
        "not_text",
        "too_long",
        "not_id",
        "not_list",
        "too_many",
        "already_assignee",
        "not_time",
        "not_future",
        "not_coordinate",
        "future",
        "before_report",
        "photo_required",
        "not_record",
        "evidence_required",
        "unknown_kind",
        "department_required",
    }
)
"""What ``PayloadProblem.code`` may be (each with its ``params``, see the raising code)."""


class PayloadProblem(Exception):
    """A payload field is missing (``missing``) or unacceptable; ``field`` names it, ``code``
    (one of ``CODES``) and ``params`` say why, for a reader in any language."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        missing: bool = False,
        code: str = "required",
        **params: Any,
    ) -> None:
        self.field, self.message, self.missing = field, message, missing
        self.code, self.params = code, params
        super().__init__(f"{field}: {message}")


def to_minute(moment: datetime) -> datetime:
    """``moment`` without its seconds: the precision at which people give times."""
    return moment.replace(second=0, microsecond=0)


def clean(
    payload: Payload,
    *,
    needs: frozenset[str],
    optional: frozenset[str],
    reported_at: datetime,
    now: datetime,
    not_assignee: int | None = None,
) -> Payload:
    """The fields in ``needs`` (required) and ``optional``, plus notes, checked and normalised.

    Empty text in a field that is not required counts as absent; any other field given is
    refused (``not used``), so a caller's mistake shows. ``not_assignee``: the assignee the new
    ``assignee_id`` must differ from (a reassignment).
    """
    used = needs | optional | NOTES
    out: dict[str, object] = {}
    for name in PAYLOAD_FIELDS:
        value = getattr(payload, name)
        if isinstance(value, str) and not value.strip() and name not in needs:
            value = None
        if value is None:
            if name in needs:
                raise PayloadProblem(name, "required", missing=True)
            continue
        if name not in used:
            raise PayloadProblem(name, "not used by this action", code="not_used")
        if name in TEXT_LIMITS:
            out[name] = _text(name, value, TEXT_LIMITS[name])
        elif name in ("assignee_id", "finding_id"):
            out[name] = _ident(name, value)
            if name == "assignee_id" and not_assignee is not None and value == not_assignee:
                raise PayloadProblem(
                    name, f"{value} is already the assignee", code="already_assignee", id=value
                )
        elif name == "rectification_due":
            due = _when(name, value)
            if due <= now:
                raise PayloadProblem(
                    name, f"{due.isoformat()} is not in the future", code="not_future", at=due
                )
            out[name] = due
        elif name == "onsite":
            out[name] = _onsite(value, utc(reported_at), now)
        elif name == "evidence":
            out[name] = _evidence(value)
        else:
            out[name] = _transfer(value)
    return Payload(**out)  # type: ignore[arg-type]


def _text(field: str, value: object, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise PayloadProblem(field, "must be text", code="not_text")
    value = value.strip()
    if not value:
        raise PayloadProblem(field, "must not be empty", missing=True)
    if len(value) > limit:
        raise PayloadProblem(
            field,
            f"{len(value)} characters, at most {limit}",
            code="too_long",
            count=len(value),
            limit=limit,
        )
    return value


def _ident(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PayloadProblem(
            field, f"{value!r} is not an id (a positive integer)", code="not_id", value=value
        )
    return value


def _ids(field: str, values: object) -> tuple[int, ...]:
    if not isinstance(values, tuple | list):
        raise PayloadProblem(field, "must be a list of ids", code="not_list")
    ids = tuple(dict.fromkeys(_ident(field, v) for v in values))
    if len(ids) > MAX_IDS:
        raise PayloadProblem(
            field,
            f"{len(ids)} ids, at most {MAX_IDS}",
            code="too_many",
            count=len(ids),
            limit=MAX_IDS,
        )
    return ids


def _when(field: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PayloadProblem(field, "must be a date and time with a UTC offset", code="not_time")
    return utc(value)


def _coordinate(field: str, value: object, bound: int) -> float:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or abs(number) > bound:
        raise PayloadProblem(
            field,
            f"{value!r} is not a coordinate within -{bound}..{bound}",
            code="not_coordinate",
            bound=bound,
        )
    return float(number)


def _onsite(value: object, reported_at: datetime, now: datetime) -> OnsiteRecord:
    if not isinstance(value, OnsiteRecord):
        raise PayloadProblem("onsite", "must be an on-site record", code="not_record")
    at = _when("onsite.at", value.at)
    if to_minute(at) > to_minute(now):
        raise PayloadProblem(
            "onsite.at", f"{at.isoformat()} is in the future", code="future", at=at
        )
    if to_minute(at) < to_minute(reported_at):
        raise PayloadProblem(
            "onsite.at",
            f"{at.isoformat()} is before the problem was reported",
            code="before_report",
            at=at,
            reported_at=reported_at,
        )
    lat = _coordinate("onsite.lat", value.lat, 90)
    lon = _coordinate("onsite.lon", value.lon, 180)
    photos = _ids("onsite.photo_ids", value.photo_ids)
    if not photos:
        raise PayloadProblem(
            "onsite.photo_ids",
            "at least one photo is required",
            missing=True,
            code="photo_required",
        )
    return OnsiteRecord(at, lat, lon, photos, _text("onsite.text", value.text))


def _evidence(value: object) -> Evidence:
    if not isinstance(value, Evidence):
        raise PayloadProblem("evidence", "must be rectification evidence", code="not_record")
    ids = _ids("evidence.attachment_ids", value.attachment_ids)
    document = None
    if value.document is not None and (
        not isinstance(value.document, str) or value.document.strip()
    ):
        document = _text("evidence.document", value.document, MAX_NAME)
    if not ids and document is None:
        raise PayloadProblem(
            "evidence.attachment_ids",
            "at least one attachment or a document",
            missing=True,
            code="evidence_required",
        )
    return Evidence(_text("evidence.text", value.text), ids, document)


def _transfer(value: object) -> TransferTarget:
    if not isinstance(value, TransferTarget):
        raise PayloadProblem("transfer", "must be a transfer target", code="not_record")
    if value.kind not in set(TransferKind):
        kinds = ", ".join(TransferKind)
        raise PayloadProblem(
            "transfer.kind", f"{value.kind!r} is not one of {kinds}", code="unknown_kind"
        )
    kind = TransferKind(value.kind)
    name = None
    if value.name is not None and (not isinstance(value.name, str) or value.name.strip()):
        name = _text("transfer.name", value.name, MAX_NAME)
    if kind is TransferKind.DEPARTMENT and name is None:
        raise PayloadProblem(
            "transfer.name",
            "the receiving department is required",
            missing=True,
            code="department_required",
        )
    return TransferTarget(kind, name)
