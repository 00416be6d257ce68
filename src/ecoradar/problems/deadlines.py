"""Deadlines and escalation (pure).

Rules (``DeadlineRules``; the defaults are the national ones, many cities accept in ``2wd``):

- acceptance decided within ``accept_within`` (15 days) of the report;
- handled within ``handle_within`` (60 days) of acceptance — or of the latest reopening, which
  starts a new handling round;
- ``max_extensions`` (1) extension of ``extension`` (30 days) each, added to the handling
  deadline (the reason is shown to the reporter; see ``workflow``).

A span counts whole China calendar days after the day of the event (the day itself does not
count, as in Article 201 of the Civil Code): ``15d`` from a report on 1 March ends on 16 March,
``2wd`` from a report on a Friday ends on the Tuesday after (working days per the
``WorkingCalendar``). A span in calendar days whose last day is not a working day ends on the
next working day instead (Civil Code Article 203; ``roll_to_working_day``). The deadline is the
end of that day in China time — 23:59:59.999999 Asia/Shanghai — returned as an aware UTC
datetime (15:59:59.999999Z; China keeps no daylight saving time). The clock does not pause (no
suspension while waiting for the reporter or another department).

Escalation: an overdue problem goes to the region one level above its responsible office, and
one level further for every further full period (``accept_within`` or ``handle_within``) it
stays overdue, up to ``MAX_ESCALATION_LEVEL``; ``DeadlineStatus.level`` says how many levels
above the responsible office it belongs now, ``should_escalate`` whether that level was
reached after the last escalation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from ecoradar.core.clock import CHINA_TZ, utc
from ecoradar.core.errors import InputError
from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.problems.workflow import OPEN_STATES, ProblemSnapshot, State

Unit = Literal["days", "working_days"]
Which = Literal["acceptance", "handling"]
SUFFIX: dict[Unit, str] = {"days": "d", "working_days": "wd"}
MAX_SPAN_DAYS = 3660
MAX_ESCALATION_LEVEL = 4
"""From a grid to the province: grid, township, county, city, province."""
_SPAN = re.compile(r"\s*(\d+)\s*(d|wd)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A number of calendar days (``15d``) or working days (``2wd``)."""

    amount: int
    unit: Unit = "days"

    def __post_init__(self) -> None:
        if self.unit not in SUFFIX:
            raise ValueError(f"unit {self.unit!r} is not one of days, working_days")
        if not 1 <= self.amount <= MAX_SPAN_DAYS:
            raise ValueError(f"a span of {self.amount} is not within 1..{MAX_SPAN_DAYS}")

    def __str__(self) -> str:
        return f"{self.amount}{SUFFIX[self.unit]}"

    def after(self, day: date, calendar: WorkingCalendar) -> date:
        """The last day of the span starting after ``day`` (not rolled to a working day)."""
        if self.unit == "working_days":
            return calendar.add_working_days(day, self.amount)
        return day + timedelta(days=self.amount)


def parse_span(text: str, field: str = "span") -> Span:
    """``"15d"`` / ``"2wd"`` as a ``Span``; ``InputError`` naming ``field`` otherwise."""
    match = _SPAN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            f"{field}: {text!r} is not a span; write days as '15d' or working days as '2wd'"
        )
    amount = int(match.group(1))
    if not 1 <= amount <= MAX_SPAN_DAYS:
        raise InputError(f"{field}: {text!r}: the number must be within 1..{MAX_SPAN_DAYS}")
    return Span(amount, "working_days" if match.group(2).lower() == "wd" else "days")


@dataclass(frozen=True)
class DeadlineRules:
    accept_within: Span = Span(15)
    handle_within: Span = Span(60)
    extension: Span = Span(30)
    max_extensions: int = 1
    roll_to_working_day: bool = True

    def __post_init__(self) -> None:
        if self.max_extensions < 0:
            raise ValueError("max_extensions must not be negative")

    @classmethod
    def parse(
        cls,
        *,
        accept_within: str = "15d",
        handle_within: str = "60d",
        extension: str = "30d",
        max_extensions: int = 1,
        roll_to_working_day: bool = True,
    ) -> DeadlineRules:
        """Rules from text (settings); errors name the setting."""
        if isinstance(max_extensions, bool) or not isinstance(max_extensions, int):
            raise InputError(f"max_extensions: {max_extensions!r} is not a whole number")
        if max_extensions < 0:
            raise InputError(f"max_extensions: {max_extensions} must not be negative")
        return cls(
            parse_span(accept_within, "accept_within"),
            parse_span(handle_within, "handle_within"),
            parse_span(extension, "extension"),
            max_extensions,
            roll_to_working_day,
        )


NATIONAL_RULES = DeadlineRules()


def china_day(at: datetime) -> date:
    """The China calendar day of an aware instant."""
    return utc(at).astimezone(CHINA_TZ).date()


def end_of_day(day: date) -> datetime:
    """23:59:59.999999 China time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time.max, CHINA_TZ).astimezone(UTC)


def _finish(day: date, rules: DeadlineRules, calendar: WorkingCalendar) -> datetime:
    if rules.roll_to_working_day:
        day = calendar.next_working_day(day)
    return end_of_day(day)


def acceptance_due(
    reported_at: datetime, rules: DeadlineRules, calendar: WorkingCalendar
) -> datetime:
    """When acceptance (accept or reject) must be decided."""
    return _finish(_acceptance_day(reported_at, rules, calendar), rules, calendar)


def handling_due(
    accepted_at: datetime, rules: DeadlineRules, calendar: WorkingCalendar, extensions: int = 0
) -> datetime:
    """When a problem accepted (or reopened) at ``accepted_at`` must be handled.

    ``extensions``: extensions granted in this round; each adds ``rules.extension`` to the last
    day before it is rolled to a working day. Granted extensions count even above
    ``max_extensions`` (the limit is the workflow's to enforce).
    """
    return _finish(_handling_day(accepted_at, rules, calendar, extensions), rules, calendar)


def _acceptance_day(reported_at: datetime, rules: DeadlineRules, calendar: WorkingCalendar) -> date:
    return rules.accept_within.after(china_day(reported_at), calendar)


def _handling_day(
    start: datetime, rules: DeadlineRules, calendar: WorkingCalendar, extensions: int
) -> date:
    if extensions < 0:
        raise ValueError("extensions must not be negative")
    day = rules.handle_within.after(china_day(start), calendar)
    for _ in range(extensions):
        day = rules.extension.after(day, calendar)
    return day


@dataclass(frozen=True)
class DeadlineStatus:
    due: datetime | None
    """The deadline that runs now (None once the problem is final)."""
    overdue: bool
    which: Which | None
    days_overdue: int
    """China calendar days since the due day (1 on the day after it); 0 when not overdue."""
    level: int = 0
    """Regions above the responsible office the problem belongs to now (0 while in time)."""
    level_since: datetime | None = None
    """When ``level`` was reached (the end of the day that made it due)."""


IN_TIME = DeadlineStatus(None, False, None, 0)


def deadline_state(
    snapshot: ProblemSnapshot,
    now: datetime,
    *,
    rules: DeadlineRules = NATIONAL_RULES,
    calendar: WorkingCalendar,
) -> DeadlineStatus:
    """The deadline that applies to ``snapshot`` at ``now`` and how far past it the problem is.

    ``reported``: acceptance; the other open states: handling, from the latest reopening if
    any, else from acceptance; final states: none.
    """
    now = utc(now)
    if snapshot.state not in OPEN_STATES:
        return IN_TIME
    which: Which
    if snapshot.state is State.REPORTED:
        which, period = "acceptance", rules.accept_within
        day = _acceptance_day(snapshot.reported_at, rules, calendar)
    else:
        which, period = "handling", rules.handle_within
        start = snapshot.accepted_at
        if snapshot.reopened_at is not None and (start is None or snapshot.reopened_at > start):
            start = snapshot.reopened_at
        if start is None:
            raise ValueError(f"a problem that is {snapshot.state} needs accepted_at")
        day = _handling_day(start, rules, calendar, snapshot.extensions_used)
    due = _finish(day, rules, calendar)
    if now <= due:
        return DeadlineStatus(due, False, which, 0)
    level, since = 1, due
    while level < MAX_ESCALATION_LEVEL:
        day = period.after(day, calendar)
        threshold = _finish(day, rules, calendar)
        if now <= threshold:
            break
        level, since = level + 1, threshold
    days = (china_day(now) - china_day(due)).days
    return DeadlineStatus(due, True, which, days, level, since)


def should_escalate(status: DeadlineStatus, last_escalated_at: datetime | None) -> bool:
    """Whether the problem reached its current escalation level after its last escalation.

    The caller then escalates it to ``status.level`` regions above the responsible office
    (stopping at the top region). A new deadline (acceptance, then handling, then a reopened
    round) escalates afresh once overdue.
    """
    if status.level == 0 or status.level_since is None:
        return False
    return last_escalated_at is None or utc(last_escalated_at) <= status.level_since
