"""Open311 GeoReport v2 (pure): reading what a client sends.

- W3C dates and times (``start_date``, ``end_date``) and the ``GET requests`` window: the last
  90 days by default, never more than 90 days between ``start_date`` and ``end_date``.
- The filters: ``service_request_id`` and ``status`` (comma lists), ``extensions``, the paging
  extension's ``page`` and ``page_size``.
- ``POST requests``: ``attribute[code]=value`` (``attribute[code][]=value`` for each value of a
  ``multivaluelist``), ``lat``/``long``, a description of at most 4,000 characters.

"Optional" means an empty parameter is the same as an absent one. Every refusal is an
``Open311Error`` (400) naming the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from ecoradar.clues.open311 import MAX_DESCRIPTION, MAX_IDS, WINDOW, bad_request
from ecoradar.core.clock import CHINA_TZ

# --- dates ----------------------------------------------------------------------------------

_W3 = re.compile(
    r"(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[Tt](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6})\d*)?)?"
    r"(?P<tz>[Zz]|[+\- ]\d{2}:?\d{2})?)?)?)?"
)


@dataclass(frozen=True)
class W3Time:
    """A W3C date or time as given: ``start`` is its first instant and ``until`` the first
    instant after it (``2026-11-02`` covers the whole China-time day)."""

    start: datetime
    until: datetime


YEARS = (1900, 2999)
"""The years a date parameter may name (beyond them, windows of 90 days would overflow)."""


def parse_w3(text: str, name: str) -> W3Time:
    """A W3C date/time parameter (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-MM-DDThh:mm``,
    with seconds and fractions, ``Z`` or ``±hh:mm``). A time without an offset is China time. A
    space where the ``+`` of the offset was (a client that did not URL-encode it) counts as
    ``+``."""
    found = _W3.fullmatch(text.strip())
    if found is None:
        raise bad_request(
            f"{name}: {text!r} is not a W3C date/time; write e.g. 2026-11-02T08:30:00+08:00"
        )
    part = found.groupdict()
    if not YEARS[0] <= int(part["y"]) <= YEARS[1]:
        raise bad_request(f"{name}: {text!r} lies outside the years {YEARS[0]} to {YEARS[1]}")
    try:
        day = date(int(part["y"]), int(part["mo"] or 1), int(part["d"] or 1))
        hour, minute = int(part["h"] or 0), int(part["mi"] or 0)
        second = int(part["s"] or 0)
        micro = int((part["f"] or "0").ljust(6, "0"))
        tz = CHINA_TZ if part["tz"] is None else _offset(part["tz"])
        start = datetime(
            day.year, day.month, day.day, hour, minute, second, micro, tzinfo=tz
        ).astimezone(CHINA_TZ)
    except ValueError as exc:
        raise bad_request(f"{name}: {text!r} is not a valid date/time ({exc})") from exc
    if part["mo"] is None:
        until = start.replace(year=start.year + 1)
    elif part["d"] is None:
        until = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    elif part["h"] is None:
        until = start + timedelta(days=1)
    elif part["s"] is None:
        until = start + timedelta(minutes=1)
    elif part["f"] is None:
        until = start + timedelta(seconds=1)
    else:
        until = start + timedelta(microseconds=1)
    return W3Time(start, until)


def _offset(text: str) -> tzinfo:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {text.strip()} out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def window(
    start: W3Time | None, end: W3Time | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """The ``requested_datetime`` range ``[low, high)`` of ``GET requests`` (``high`` None: up
    to now and beyond). Without dates, the last 90 days; with one, 90 days from or up to it;
    with both, at most 90 days apart."""
    if start is not None and end is not None:
        if end.until <= start.start:
            raise bad_request("end_date: lies before start_date")
        if end.start - start.start > WINDOW:
            raise bad_request("start_date, end_date: may not span more than 90 days")
        return start.start, end.until
    if start is not None:
        return start.start, start.start + WINDOW
    if end is not None:
        return end.start - WINDOW, end.until
    return now - WINDOW, None


# --- query parameters -----------------------------------------------------------------------


def optional(value: str | None) -> str | None:
    """An optional parameter: empty (or only spaces) is the same as absent."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def comma_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_ids(text: str) -> tuple[int, ...]:
    """``service_request_id=12,15``: positive integers (at most 1,000)."""
    ids: list[int] = []
    for part in comma_list(text):
        if not part.isdigit() or len(part) > 12 or int(part) < 1:
            raise bad_request(f"service_request_id: {part!r} is not a service request id")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_IDS:
        raise bad_request(f"service_request_id: at most {MAX_IDS} ids at once")
    return tuple(ids)


def parse_statuses(text: str) -> frozenset[str]:
    """``status=open,closed`` (either case)."""
    statuses = set()
    for part in comma_list(text):
        if part.lower() not in ("open", "closed"):
            raise bad_request(f"status: {part!r} is not open or closed")
        statuses.add(part.lower())
    return frozenset(statuses)


def parse_flag(text: str | None, name: str) -> bool:
    """``extensions=true``: true/false, 1/0 (absent or empty: false)."""
    value = (optional(text) or "false").lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise bad_request(f"{name}: {text!r} is not true or false")


def parse_positive(text: str | None, name: str, default: int, maximum: int) -> int:
    value = optional(text)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value[:12]) <= maximum:
        raise bad_request(f"{name}: {text!r} is not a whole number from 1 to {maximum}")
    return int(value)


# --- POST requests: attributes, location, description ---------------------------------------

_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def parse_attributes(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """The ``attribute[code]=value`` fields of a form. ``attribute[code][]=value`` (or the same
    ``attribute[code]`` repeated) gives a list, for a ``multivaluelist``. Empty values count as
    not sent. Other field names are ignored."""
    values: dict[str, list[str]] = {}
    lists: set[str] = set()
    for key, value in pairs:
        if not key.startswith("attribute"):
            continue
        found = _ATTRIBUTE.fullmatch(key)
        if found is None:
            raise bad_request(
                f"{key}: not an attribute field; write attribute[code]=value "
                "(attribute[code][]=value for each value of a list)"
            )
        code = found.group(1).strip()
        if found.group(2):
            lists.add(code)
        values.setdefault(code, [])
        if value.strip():
            values[code].append(value.strip())
    parsed: dict[str, str | list[str]] = {}
    for code, given in values.items():
        if not given:
            continue
        parsed[code] = given if code in lists or len(given) > 1 else given[0]
    return parsed


def parse_location(
    lat: str | None, lon: str | None, *, address_string: str | None, address_id: str | None
) -> tuple[float, float]:
    """``lat`` and ``long`` (WGS84 degrees), both or neither. The specification also allows
    ``address_string`` or ``address_id`` alone, but this jurisdiction has no geocoder: such a
    request is refused (400) saying that coordinates are needed."""
    lat, lon = optional(lat), optional(lon)
    if lat is None and lon is None:
        if optional(address_string) or optional(address_id):
            raise bad_request(
                "lat, long: required. This jurisdiction places a report by its coordinates "
                "and has no geocoder, so address_string or address_id alone cannot be placed; "
                "send lat and long (WGS84) as well"
            )
        raise bad_request("lat, long: a location is required (lat and long, WGS84)")
    if lat is None or lon is None:
        missing = "lat" if lat is None else "long"
        raise bad_request(f"{missing}: lat and long are sent together; {missing} is missing")
    return _degrees(lat, "lat", 90.0), _degrees(lon, "long", 180.0)


def _degrees(text: str, name: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise bad_request(f"{name}: {text!r} is not a number of degrees") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise bad_request(f"{name}: {text!r} is outside -{limit:g}..{limit:g} degrees")
    return value


def check_description(text: str | None) -> str:
    """The description, at most 4,000 characters."""
    value = (text or "").strip()
    if len(value) > MAX_DESCRIPTION:
        raise bad_request(
            f"description: {len(value):,} characters; at most {MAX_DESCRIPTION:,} are allowed"
        )
    return value
