"""What the scoring model knows of one enterprise (pure dataclasses, no I/O): gathered by
``greencode.gather``, scored by ``greencode.scoring``. Every fact carries what is needed to
name the event behind it (ids, outlet codes, times)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class AlertFact:
    """A monitoring alert at one of the enterprise's points, overlapping the window."""

    id: int
    kind: str
    factor: str
    """HJ 212 code; empty for device-level alerts."""
    outlet: str
    """The outlet's code (``DA001``)."""
    start: datetime
    end: datetime | None
    severity: str


@dataclass(frozen=True)
class FactorHours:
    """One factor at one point over the monitoring window: valid hourly values (flag N or
    none) and the hours inside exceedance alerts of that factor there."""

    point_id: int
    outlet: str
    factor: str
    valid_hours: int
    exceedances: tuple[AlertFact, ...] = ()


@dataclass(frozen=True)
class PointHours:
    """One monitoring point over the data-quality window: hours it should have sent (from the
    window's start, or its first value, to the data's "as of") and hours it did."""

    point_id: int
    outlet: str
    expected_hours: int
    hours_with_data: int


@dataclass(frozen=True)
class TaskFact:
    """A self-inspection task due in the window (its due time passed)."""

    id: int
    point: str
    """The control point's code."""
    due_date: date
    on_time: bool
    submitted: bool
    failed_items: int


@dataclass(frozen=True)
class ProblemFact:
    """A problem registered against the enterprise that was confirmed (or transferred to
    public security), and is not unfounded or rejected."""

    id: int
    severity: str
    category: str
    state: str
    confirmed_at: datetime
    """When it was confirmed (or transferred)."""
    final_at: datetime | None = None
    """When it was closed (or transferred): rectification finished."""
    overdue_since: datetime | None = None
    """Its rectification (or handling) deadline passed while it is still open."""
    violation: str | None = None
    """The violation an officer named (a veto rule), if any."""
    public_security: bool = False
    """Transferred to public security (by outcome or by the transfer itself)."""


@dataclass(frozen=True)
class OutcomeFact:
    """An enforcement outcome recorded for one of the enterprise's problems."""

    problem_id: int
    kind: str
    fine_amount: Decimal | None
    recorded_at: datetime


@dataclass(frozen=True)
class PermitFact:
    permit_no: str | None
    valid_until: date | None


@dataclass(frozen=True)
class RemindersFacts:
    """Service reminders sent in the window and those answered in time (issue 15)."""

    sent: int
    answered_on_time: int
    late_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class EnterpriseFacts:
    enterprise_id: int
    code: str
    now: datetime
    """The clock: the windows of problems, tasks, outcomes and permits end here."""
    data_as_of: datetime | None
    """The end of the newest stored hour (replayed data may be old): the monitoring windows
    end here. None: no monitoring data at all."""
    factors: tuple[FactorHours, ...] = ()
    points: tuple[PointHours, ...] = ()
    alerts: tuple[AlertFact, ...] = ()
    """Data-quality alerts (falsification and device kinds) overlapping the window."""
    tasks: tuple[TaskFact, ...] = ()
    problems: tuple[ProblemFact, ...] = ()
    outcomes: tuple[OutcomeFact, ...] = ()
    permit: PermitFact | None = None
    reminders: RemindersFacts | None = None
    """Reminders issued in the window whose answer was due (``reminders.service``); None:
    none, which is "no data"."""
    lifted: frozenset[str] = field(default_factory=frozenset)
    """Veto keys lifted by approved repair applications."""
