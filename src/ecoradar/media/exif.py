"""Facts read from a photo's EXIF for evidence: GPS position, time taken, camera.

Pure: a Pillow ``Image.Exif`` in, an ``ExifFacts`` out. EXIF is written by whatever the sender
used and is never trusted: anything malformed or implausible (a zero denominator, minutes of 75,
a latitude of 95, a reference other than N/S/E/W, the 0/0 a camera writes without a fix, a date
of month 13) quietly gives ``None`` for that fact.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import ExifTags, Image

MAX_CAMERA_LENGTH = 200

_DATETIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


@dataclass(frozen=True)
class ExifFacts:
    gps: tuple[float, float] | None
    """(latitude, longitude), signed decimal degrees (south and west negative)."""
    taken_at_local: str | None
    """DateTimeOriginal as ISO 8601 local time, with OffsetTimeOriginal appended when present:
    ``2026-11-02T09:30:00`` or ``2026-11-02T09:30:00+08:00``."""
    camera: str | None
    """Make and model, e.g. ``Canon EOS 5D`` (the make once when the model repeats it)."""


def read_exif(exif: Image.Exif) -> ExifFacts:
    """The facts of one image's EXIF; missing or malformed facts are ``None``."""
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    return ExifFacts(
        gps=gps_position(gps_ifd),
        taken_at_local=taken_at(
            exif_ifd.get(ExifTags.Base.DateTimeOriginal),
            exif_ifd.get(ExifTags.Base.OffsetTimeOriginal),
        ),
        camera=camera_name(exif.get(ExifTags.Base.Make), exif.get(ExifTags.Base.Model)),
    )


def gps_position(gps: Mapping[int, object]) -> tuple[float, float] | None:
    """(latitude, longitude) from a GPS IFD, or None when absent or nonsense."""
    lat_ref = _text(gps.get(ExifTags.GPS.GPSLatitudeRef))
    lon_ref = _text(gps.get(ExifTags.GPS.GPSLongitudeRef))
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), 90.0)
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), 180.0)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None
    return (
        round(-lat if lat_ref == "S" else lat, 7),
        round(-lon if lon_ref == "W" else lon, 7),
    )


def _degrees(value: object, limit: float) -> float | None:
    """Degrees, minutes, seconds (rationals; one or two parts allowed) as decimal degrees."""
    parts = tuple(value) if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers_: list[float] = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, numbers.Real):
            return None
        try:
            number = float(part)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if not math.isfinite(number) or number < 0:
            return None
        numbers_.append(number)
    degrees, minutes, seconds = (*numbers_, 0.0, 0.0)[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    return total if total <= limit else None


def taken_at(original: object, offset: object) -> str | None:
    """DateTimeOriginal (``YYYY:MM:DD HH:MM:SS``) as ISO 8601, with its offset if valid."""
    text = _text(original)
    match = _DATETIME.fullmatch(text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if year < 1900:
        return None
    local = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    zone = _OFFSET.fullmatch(_text(offset) or "")
    if zone is not None and int(zone.group(2)) <= 14 and int(zone.group(3)) < 60:
        local += zone.group(0)
    return local


def camera_name(make: object, model: object) -> str | None:
    """``Make Model`` cleaned of control characters, or None when neither is readable."""
    make_text = _clean(make)
    model_text = _clean(model)
    if make_text and model_text:
        name = (
            model_text
            if model_text.lower().startswith(make_text.lower())
            else f"{make_text} {model_text}"
        )
    else:
        name = make_text or model_text
    return name[:MAX_CAMERA_LENGTH] if name else None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 \t\r\n").upper() if len(value) <= 64 else None


def _clean(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    kept = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in value[:1000])
    return " ".join(kept.split())
