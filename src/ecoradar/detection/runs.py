"""Runs of consecutive hours, the building block of most rules (pure)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

HOUR = timedelta(hours=1)
EVIDENCE_VALUES = 48
"""At most this many (time, value) pairs are kept as an alert's evidence."""


@dataclass(frozen=True)
class Span:
    """An alert as the detectors see it: ``end`` is None while the condition lasts."""

    kind: str
    factor: str
    start: datetime
    end: datetime | None
    severity: str
    evidence: dict[str, Any]


@dataclass
class Run:
    """Consecutive hours meeting a condition; ``alerted`` once long enough to be an alert."""

    start: datetime
    last: datetime
    values: list[float] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    alerted: bool = False

    @property
    def length(self) -> int:
        return len(self.values)

    def add(self, when: datetime, value: float) -> None:
        self.last = when
        self.values.append(value)
        self.times.append(when)


@dataclass
class RunTracker:
    """Follows one rule's current run at one point and factor."""

    run: Run | None = None

    def step(
        self,
        when: datetime,
        member: bool,
        value: float,
        continues: Callable[[Run, float], bool] | None = None,
    ) -> Run | None:
        """Advance to hour ``when``; returns the run that ended if it was alerted (the caller
        closes its alert). A run continues only into the very next hour."""
        run = self.run
        if (
            run is not None
            and member
            and when - run.last == HOUR
            and (continues is None or continues(run, value))
        ):
            run.add(when, value)
            return None
        ended = run if run is not None and run.alerted else None
        if not member:
            self.run = None
        elif run is None or ended is not None:
            self.run = Run(when, when, [value], [when])
        else:  # an unalerted run ended: reuse it for the new one (this is the hot path)
            run.start = run.last = when
            run.values.clear()
            run.times.clear()
            run.add(when, value)
        return ended

    def gap(self, when: datetime) -> Run | None:
        """Hour ``when`` arrived; a run whose next hour was skipped has ended."""
        run = self.run
        if run is not None and when - run.last > HOUR:
            self.run = None
            return run if run.alerted else None
        return None


def pairs(times: list[datetime], values: list[float]) -> list[list[Any]]:
    """The evidence values: ``[[iso time, value], ...]``, the last ``EVIDENCE_VALUES`` of them."""
    return [
        [t.isoformat(), v]
        for t, v in zip(times[-EVIDENCE_VALUES:], values[-EVIDENCE_VALUES:], strict=True)
    ]


def run_span(
    kind: str,
    factor: str,
    run: Run,
    *,
    start: datetime | None = None,
    closed: bool,
    severity: str,
    evidence: dict[str, Any],
) -> Span:
    """The span of ``run`` from ``start`` (default: its first hour): open (end None) while the
    condition lasts, or closed after its last hour."""
    begin = start or run.start
    first = bisect_left(run.times, begin)
    times, values = run.times[first:], run.values[first:]
    body = {
        **evidence,
        "window": {"start": begin.isoformat(), "end": (run.last + HOUR).isoformat()},
        "hours": len(values),
        "values": pairs(times, values),
    }
    return Span(kind, factor, begin, run.last + HOUR if closed else None, severity, body)


def same_value(run: Run, value: float) -> bool:
    return value == run.values[-1]


def high(run: Run) -> str:
    return "high"


def medium(run: Run) -> str:
    return "medium"


Evidence = Callable[[], dict[str, object]]


def restarts(run: Run, when: datetime, value: float, min_hours: int) -> bool:
    """Whether a member hour ends ``run`` (not alerted) and starts a new one that is no alert
    yet: what ``RunTracker.step`` does then is :func:`restart`, and the rule says nothing."""
    return (
        not run.alerted and min_hours > 1 and (when - run.last != HOUR or value != run.values[-1])
    )


def restart(run: Run, when: datetime, value: float) -> None:
    run.start = run.last = when
    run.values.clear()
    run.times.clear()
    run.values.append(value)
    run.times.append(when)


def run_rule(
    tracker: RunTracker,
    kind: str,
    factor: str,
    when: datetime,
    member: bool,
    value: float,
    min_hours: int,
    evidence: Evidence,
    *,
    continues: Callable[[Run, float], bool] | None = None,
    severity: Callable[[Run], str] = high,
) -> list[Span]:
    """One run-based rule for hour ``when``: the span of the run that ended (when it was an
    alert) and of the run going on (once ``min_hours`` long); ``evidence`` is built only then."""
    ended = tracker.step(when, member, value, continues)
    run = tracker.run
    alerting = run is not None and run.length >= min_hours
    if ended is None and not alerting:
        return []
    spans: list[Span] = []
    if ended is not None:
        spans.append(
            run_span(
                kind, factor, ended, closed=True, severity=severity(ended), evidence=evidence()
            )
        )
    if alerting:
        assert run is not None
        run.alerted = True
        spans.append(
            run_span(kind, factor, run, closed=False, severity=severity(run), evidence=evidence())
        )
    return spans
