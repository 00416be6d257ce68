"""The rules a control point's fields obey (pure), in one place for the file import
(``importer.check_rows``) and the web forms (``setup``): each check returns the reason a
value is refused, or ``None``.
"""

from __future__ import annotations

import math
import re

from ecoradar.core.coords import CRS_NAMES
from ecoradar.core.errors import InputError
from ecoradar.selfcheck.schedule import Schedule, ScheduleError, check_schedule, parse_schedule

POINT_CODE = re.compile(r"^[0-9A-Za-z_\-.]{1,64}$")
NAME_MAX = 200
YES = {"yes", "y", "true", "1", "是"}
NO = {"", "no", "n", "false", "0", "否"}


def number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def point_code_problem(code: str) -> str | None:
    if not POINT_CODE.match(code):
        return f"{code!r} is not a code (1-64 letters, digits, _ - .)"
    return None


def name_problem(name: str) -> str | None:
    if not name or len(name) > NAME_MAX:
        return f"required, at most {NAME_MAX} characters"
    return None


def type_problem(type_code: str, type_codes: set[str]) -> str | None:
    if type_code not in type_codes:
        return f"unknown type {type_code!r}; use {', '.join(sorted(type_codes))}"
    return None


def crs_problem(crs: str) -> str | None:
    if crs not in CRS_NAMES:
        return f"unknown coordinate system {crs!r}; use wgs84, gcj02 or bd09"
    return None


def longitude_of(text: str) -> tuple[float | None, str | None]:
    """The longitude in ``text`` and ``None``, or ``None`` and the reason."""
    value = number(text)
    if value is None or not -180 <= value <= 180:
        return None, f"{text!r} is not a longitude"
    return value, None


def latitude_of(text: str) -> tuple[float | None, str | None]:
    value = number(text)
    if value is None or not -90 <= value <= 90:
        return None, f"{text!r} is not a latitude"
    return value, None


def flag_problem(flag: str) -> str | None:
    if flag not in YES | NO:
        return f"{flag!r} is not yes or no"
    return None


def schedule_of(text: str, *, working_days_only: bool) -> tuple[Schedule | None, str | None]:
    """The schedule column of an import (``daily``, ``weekly``, ``monthly`` or cron)."""
    try:
        return parse_schedule(text, working_days_only=working_days_only), None
    except ScheduleError as exc:
        return None, str(exc)


def form_schedule(
    kind: str, expression: str, *, working_days_only: bool
) -> tuple[Schedule | None, str | None]:
    """A schedule from its parts (a form, the API): weekly with an ISO weekday, monthly with
    a day of the month, or cron with five fields; the same rules as the import."""
    if kind == "cron":
        return schedule_of(expression, working_days_only=working_days_only)
    schedule = Schedule(kind, expression.strip(), working_days_only)
    try:
        check_schedule(schedule)
    except ScheduleError as exc:
        return None, str(exc)
    return schedule, None


class FormRefused(InputError):
    """A web form refused; ``errors`` maps each field's name to its reason (nothing is
    written)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
