"""The checks of a clue that need no database (pure): fields, identity, the channel's rules.

``check_clue`` refuses (``InputError`` naming the field) in the order a person would fix it:
category, description (1 to ``clue_description_max_chars`` characters), the time seen (not more
than ``FUTURE_TOLERANCE`` ahead, not older than ``MAX_AGE``), the service's attributes, the
reporter's identity (an anonymous clue carries none, a named one some), the place (WGS84), and
the channel's own rules: a grid worker's clue has the worker's account and at least one photo; a
drone's or unmanned ship's detection its image, ``platform_id``, ``detection_type`` and a
``confidence`` from 0 to 1. Text with a NUL character is refused everywhere (PostgreSQL cannot
store it).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ecoradar.clues import catalog
from ecoradar.clues.models import ADDRESS_MAX, DETECTION_CHANNELS
from ecoradar.config import Settings
from ecoradar.core.errors import InputError

if TYPE_CHECKING:
    from ecoradar.clues.intake import ClueIn

FUTURE_TOLERANCE = timedelta(minutes=10)
"""How far ahead of the server's clock ``observed_at`` may be (a phone's clock runs fast)."""
MAX_AGE = timedelta(days=366)
"""Older observations are refused: a year-old sighting is no clue to act on."""
DATA_MAX_CHARS = 16_000
"""The channel extras (``ClueIn.data``), as JSON, at most this long."""
NAME_MAX, CONTACT_MAX, SOURCE_REF_MAX, PLATFORM_MAX = 100, 200, 120, 64


@dataclass(frozen=True)
class CheckedClue:
    """A clue's fields as checked and normalised."""

    description: str
    observed_at: datetime
    attributes: dict[str, catalog.AttributeValue]
    data: dict[str, Any]
    reporter_name: str | None
    reporter_contact: str | None
    address: str | None


def clean_text(name: str, value: str, limit: int, *, required: bool = False) -> str:
    """``value`` stripped; refused when required and empty, too long, or holding NUL."""
    text = value.strip()
    if required and not text:
        raise InputError(f"{name}: required")
    if len(text) > limit:
        raise InputError(f"{name}: longer than {limit} characters")
    if "\x00" in text:
        raise InputError(f"{name}: contains a NUL character")
    return text


def optional_text(name: str, value: str | None, limit: int) -> str | None:
    return (clean_text(name, value, limit) or None) if value is not None else None


def check_clue(item: ClueIn, settings: Settings, now: datetime) -> CheckedClue:
    """Everything that needs no database, in the order a person would fix it."""
    catalog.get_service(item.category)
    description = clean_text(
        "description", item.description, settings.clue_description_max_chars, required=True
    )
    observed_at = now if item.observed_at is None else item.observed_at
    if observed_at.tzinfo is None:
        raise InputError("observed_at: needs a time zone offset")
    if observed_at > now + FUTURE_TOLERANCE:
        raise InputError("observed_at: lies in the future")
    if observed_at < now - MAX_AGE:
        raise InputError(f"observed_at: more than {MAX_AGE.days} days ago")
    attributes = catalog.validate_attributes(item.category, item.attributes)
    name = optional_text("reporter_name", item.reporter_name, NAME_MAX)
    contact = optional_text("reporter_contact", item.reporter_contact, CONTACT_MAX)
    if item.anonymous and (name or contact or item.reporter_user_id is not None):
        raise InputError(
            "anonymous: an anonymous clue carries no reporter name, contact or account"
        )
    if not item.anonymous and not (name or contact or item.reporter_user_id is not None):
        raise InputError("reporter_contact: give a name or contact, or report anonymously")
    address = optional_text("address_string", item.address_string, ADDRESS_MAX)
    if not (
        isinstance(item.lat, int | float) and math.isfinite(item.lat) and -90 <= item.lat <= 90
    ):
        raise InputError(f"lat: {item.lat!r} is not a WGS84 latitude")
    if not (
        isinstance(item.lon, int | float) and math.isfinite(item.lon) and -180 <= item.lon <= 180
    ):
        raise InputError(f"long: {item.lon!r} is not a WGS84 longitude")
    data = channel_data(item, settings)
    return CheckedClue(description, observed_at, attributes, data, name, contact, address)


THIRD_PARTY_FIELDS = ("company", "accreditation_no", "report_no")
"""What a ``third_party`` clue carries: the accredited company, its accreditation number and
the report's number (and ``report_media_id``, the report stored by the media module)."""


def channel_data(item: ClueIn, settings: Settings) -> dict[str, Any]:
    """The channel's own rules, and its extras checked and normalised."""
    try:
        encoded = json.dumps(item.data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"data: not plain JSON ({exc})") from None
    if len(encoded) > DATA_MAX_CHARS or "\\u0000" in encoded:
        raise InputError(f"data: longer than {DATA_MAX_CHARS} characters, or holds NUL")
    data = dict(item.data)
    images = len(item.photos) + len(item.media_ids)
    if images > settings.clue_max_photos:
        raise InputError(f"photos: at most {settings.clue_max_photos} per clue, got {images}")
    if item.channel == "grid_worker":
        if item.reporter_user_id is None:
            raise InputError("reporter_user_id: a grid worker's clue carries the worker's account")
        if images == 0:
            raise InputError("photos: a grid worker's clue needs at least one photo")
        if data.get("patrol_id") is not None:
            data["patrol_id"] = (
                clean_text("patrol_id", str(data["patrol_id"]), PLATFORM_MAX) or None
            )
    if item.channel in DETECTION_CHANNELS:
        if images == 0:
            raise InputError("image: a detection needs its image")
        for key in ("platform_id", "detection_type"):
            value = data.get(key)
            if not isinstance(value, str):
                raise InputError(f"{key}: required for a {item.channel} detection")
            data[key] = clean_text(key, value, PLATFORM_MAX, required=True)
        confidence = data.get("confidence")
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0.0 <= confidence <= 1.0
        ):
            raise InputError(f"confidence: {confidence!r} is not a number from 0 to 1")
        data["confidence"] = float(confidence)
    if item.channel == "third_party":
        for key in THIRD_PARTY_FIELDS:
            value = data.get(key)
            if not isinstance(value, str):
                raise InputError(f"{key}: required for a third-party technical check")
            limit = NAME_MAX if key == "company" else PLATFORM_MAX
            data[key] = clean_text(key, value, limit, required=True)
        if isinstance(data.get("report_media_id"), bool) or not isinstance(
            data.get("report_media_id"), int
        ):
            raise InputError("report_media_id: the stored report (a media file id) is required")
    return data
