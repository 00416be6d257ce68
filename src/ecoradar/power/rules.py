"""The power rules (pure, no I/O): what a reading says about its unit, a meter's curve as
spans of known state, and the episodes found by aligning curves in time.

A reading at ``t`` stands for its unit until the meter's next reading, if that comes within
``GAP_FACTOR`` reporting intervals; otherwise for one interval. Time no reading stands for is
*unknown*: a meter that drops out is never taken for one that is off, and an unknown stretch
ends an episode (it can neither raise nor lengthen one).

- ``treatment_idle``: some production meter the facility serves is running while every meter
  of the treatment facility is off or idling, for ``MIN_EPISODE`` or more.
- ``monitoring_offline``: production is running while the monitoring point sent no data
  (``MONITORING_COVER`` per kind of value), for ``MIN_EPISODE`` or more. Only time up to
  ``MONITORING_SETTLE`` before now is judged: an hourly value arrives after its hour.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

OFF_SHARE = 0.02
"""Below this share of the rated power (and below the idle threshold) a unit is off."""
GAP_FACTOR = 3
"""A reading stands until the next one if that comes within this many reporting intervals."""
MIN_EPISODE = timedelta(minutes=30)
"""An episode is reported when the condition held this long without a break (30 min: yes)."""
MARGIN = timedelta(minutes=15)
"""The evidence shows the curves this long before and after an episode."""
LOOKBACK = timedelta(hours=3)
"""Arriving readings are judged with this much history before the earliest of them."""
MONITORING_COVER = {
    "rtd": timedelta(minutes=10),
    "minute": timedelta(minutes=20),
    "hour": timedelta(minutes=70),
}
"""How long after its data time a monitoring value shows the point was sending."""
MONITORING_SETTLE = timedelta(minutes=75)
"""Monitoring silence is judged only this long after the fact (an hour's value comes late)."""
MAX_CURVE_POINTS = 360
"""A curve in the evidence has at most this many points (averaged in equal time buckets)."""

STATES = ("off", "idle", "partial", "running")
LOW = frozenset({"off", "idle"})


@dataclass(frozen=True)
class Meter:
    """A meter as the rules see it (thresholds in kW, the reporting interval)."""

    code: str
    unit: str
    role: str
    """``production`` or ``treatment``."""
    rated_kw: float
    running_kw: float
    idle_kw: float
    interval: timedelta = timedelta(minutes=1)

    @property
    def off_kw(self) -> float:
        return min(self.idle_kw, OFF_SHARE * self.rated_kw)

    @property
    def hold(self) -> timedelta:
        return self.interval * GAP_FACTOR

    def state(self, kw: float) -> str:
        """``off``, ``idle``, ``running``, or ``partial`` (between idle and running)."""
        if kw < self.off_kw:
            return "off"
        if kw < self.idle_kw:
            return "idle"
        if kw >= self.running_kw:
            return "running"
        return "partial"


@dataclass(frozen=True)
class Sample:
    at: datetime
    kw: float


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    value: str


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if span.end <= span.start:
            continue
        last = merged[-1] if merged else None
        if last is not None and last.value == span.value and span.start <= last.end:
            merged[-1] = Span(last.start, max(last.end, span.end), last.value)
        else:
            merged.append(span)
    return merged


def meter_spans(meter: Meter, samples: Sequence[Sample]) -> list[Span]:
    """The known states of ``meter`` (time order, merged); gaps between spans are unknown."""
    ordered = sorted(samples, key=lambda s: s.at)
    spans: list[Span] = []
    for i, sample in enumerate(ordered):
        nxt = ordered[i + 1].at if i + 1 < len(ordered) else None
        end = nxt if nxt is not None and nxt - sample.at <= meter.hold else None
        spans.append(Span(sample.at, end or sample.at + meter.interval, meter.state(sample.kw)))
    return _merge(spans)


def monitoring_spans(data: Iterable[tuple[datetime, str]]) -> list[Span]:
    """When a monitoring point was sending (``online``), from its values' data times and
    kinds; a kind not in ``MONITORING_COVER`` (day values) says nothing."""
    spans = [
        Span(at, at + MONITORING_COVER[kind], "online")
        for at, kind in sorted(data)
        if kind in MONITORING_COVER
    ]
    return _merge(sorted(spans, key=lambda s: s.start))


def value_at(spans: Sequence[Span], at: datetime) -> str | None:
    """The state at ``at`` (None: unknown). ``spans`` in time order, not overlapping."""
    i = bisect.bisect_right([s.start for s in spans], at) - 1
    if i >= 0 and spans[i].start <= at < spans[i].end:
        return spans[i].value
    return None


def unknown_spans(spans: Sequence[Span], start: datetime, end: datetime) -> list[Span]:
    """The stretches of [start, end) that ``spans`` do not cover."""
    gaps: list[Span] = []
    cursor = start
    for span in spans:
        if span.end <= cursor:
            continue
        if span.start >= end:
            break
        if span.start > cursor:
            gaps.append(Span(cursor, span.start, "unknown"))
        cursor = max(cursor, span.end)
    if cursor < end:
        gaps.append(Span(cursor, end, "unknown"))
    return gaps


# --- three-valued conditions -------------------------------------------------------------------


def any_running(states: Sequence[str | None]) -> bool | None:
    """True when some meter runs; False when every one is known and none runs; else unknown."""
    if any(s == "running" for s in states):
        return True
    return None if any(s is None for s in states) or not states else False


def all_low(states: Sequence[str | None]) -> bool | None:
    """True when every meter is known to be off or idling; False when one is known above."""
    if any(s is not None and s not in LOW for s in states):
        return False
    return None if any(s is None for s in states) or not states else True


def both(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return True if a and b else None


@dataclass(frozen=True)
class Run:
    start: datetime
    end: datetime
    values: frozenset[str] = field(default_factory=frozenset)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def runs(
    span_lists: Sequence[Sequence[Span]],
    start: datetime,
    end: datetime,
    condition: Callable[[list[str | None]], tuple[bool | None, str]],
) -> list[Run]:
    """Maximal stretches of [start, end) in which ``condition`` (of every list's state at a
    time) is True; its second value is collected per run (say, ``off`` or ``idle``)."""
    cuts = {start, end}
    for spans in span_lists:
        for span in spans:
            cuts.update(t for t in (span.start, span.end) if start < t < end)
    times = sorted(cuts)
    found: list[Run] = []
    current: Run | None = None
    for a, b in zip(times, times[1:], strict=False):
        holds, what = condition([value_at(spans, a) for spans in span_lists])
        if holds:
            if current is not None and current.end == a:
                current = Run(current.start, b, current.values | {what})
            else:
                if current is not None:
                    found.append(current)
                current = Run(a, b, frozenset({what}))
    if current is not None:
        found.append(current)
    return found


# --- the two rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """An episode: ``rule`` held for ``subject`` from ``start`` to ``end`` (``state``: the
    facility ``off`` or ``idle``, the point ``silent``)."""

    rule: str
    subject: str
    start: datetime
    end: datetime
    state: str

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def treatment_idle(
    facility: str,
    production: Sequence[Sequence[Span]],
    treatment: Sequence[Sequence[Span]],
    start: datetime,
    end: datetime,
    shortest: timedelta = MIN_EPISODE,
) -> list[Found]:
    """Episodes of ``facility`` off or idling while a production meter it serves runs
    (lasting ``shortest`` or more; 0: every stretch, for re-judging)."""
    n = len(production)

    def condition(states: list[str | None]) -> tuple[bool | None, str]:
        made, low = states[:n], states[n:]
        holds = both(any_running(made), all_low(low))
        return holds, "off" if all(s == "off" for s in low) else "idle"

    if not production or not treatment:
        return []
    found = runs([*production, *treatment], start, end, condition)
    return [
        Found("treatment_idle", facility, r.start, r.end, "idle" if "idle" in r.values else "off")
        for r in found
        if r.end - r.start >= shortest
    ]


def monitoring_offline(
    mn: str,
    production: Sequence[Sequence[Span]],
    monitoring: Sequence[Span],
    start: datetime,
    end: datetime,
    shortest: timedelta = MIN_EPISODE,
) -> list[Found]:
    """Episodes of production running while point ``mn`` sent nothing; judge [start, end)
    with ``end`` at most now less ``MONITORING_SETTLE`` (``shortest`` as above)."""
    n = len(production)

    def condition(states: list[str | None]) -> tuple[bool | None, str]:
        silent = states[n] is None
        return both(any_running(states[:n]), silent), "silent"

    if not production or end <= start:
        return []
    found = runs([*production, monitoring], start, end, condition)
    return [
        Found("monitoring_offline", mn, r.start, r.end, "silent")
        for r in found
        if r.end - r.start >= shortest
    ]


# --- evidence ---------------------------------------------------------------------------------


def _unix(at: datetime) -> int:
    return int(at.timestamp())


def curve_points(samples: Sequence[Sample], limit: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """``[[unix_seconds, kw], ...]``; more than ``limit`` samples are averaged in ``limit``
    equal buckets of time (each point at its bucket's first sample)."""
    ordered = sorted(samples, key=lambda s: s.at)
    if len(ordered) <= limit:
        return [[_unix(s.at), round(s.kw, 3)] for s in ordered]
    first, last = ordered[0].at, ordered[-1].at
    width = (last - first) / limit
    buckets: dict[int, list[Sample]] = {}
    for s in ordered:
        key = min(int((s.at - first) / width), limit - 1)
        buckets.setdefault(key, []).append(s)
    return [
        [_unix(group[0].at), round(sum(s.kw for s in group) / len(group), 3)]
        for _, group in sorted(buckets.items())
    ]


def curve(
    meter: Meter, samples: Sequence[Sample], start: datetime, end: datetime
) -> dict[str, Any]:
    """One meter's curve over [start, end) for the evidence: its thresholds, its points and
    the stretches it said nothing about (``gaps``, unknown: not counted as off)."""
    inside = [s for s in samples if start <= s.at < end]
    spans = meter_spans(meter, [s for s in samples if start - meter.hold <= s.at < end])
    return {
        "meter": meter.code,
        "unit": meter.unit,
        "role": meter.role,
        "rated_kw": meter.rated_kw,
        "running_kw": meter.running_kw,
        "idle_kw": meter.idle_kw,
        "points": curve_points(inside),
        "gaps": [[_unix(g.start), _unix(g.end)] for g in unknown_spans(spans, start, end)],
    }


def window(found: Found) -> tuple[datetime, datetime]:
    """The evidence window: the episode and ``MARGIN`` either side."""
    return found.start - MARGIN, found.end + MARGIN
