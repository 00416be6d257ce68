"""Alert shapes for the API and the pages, and the filters a query may ask for.

Times go out as ISO 8601 in China Standard Time (``2026-11-01T08:00:00+08:00``). A device-level
alert (offline, time anomaly) has ``factor`` null. Names of kinds and factors are in the
language of the request; the codes beside them never change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.detection.models import DEVICE_LEVEL, Alert
from ecoradar.detection.service import AlertCounts, AlertFilter, AlertRow, Tally
from ecoradar.monitoring.schemas import china, parse_day, parse_instant

Severity = Literal["low", "medium", "high"]
State = Literal["open", "closed"]


def filter_of(
    *,
    kind: str | None = None,
    severity: str | None = None,
    state: str | None = None,
    mn: str | None = None,
    q: str = "",
    since: str | None = None,
    until: str | None = None,
) -> AlertFilter:
    """The filter of an API query; a bad time names its parameter."""
    start = parse_instant(since, "since")
    end = parse_instant(until, "until")
    _ordered(start, end)
    return AlertFilter(kind, severity, state, (mn or "").strip() or None, q.strip(), start, end)


def day_span(first: str | None, last: str | None) -> tuple[datetime | None, datetime | None]:
    """Whole China days ``first`` to ``last`` (both included; a page's date fields), as
    ``[since, until)``; either may be left out."""
    start = parse_day(first, "start")
    end = parse_day(last, "end")
    since = _midnight(start) if start is not None else None
    until = _midnight(end + timedelta(days=1)) if end is not None else None
    _ordered(since, until, "start", "end")
    return since, until


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ)


def _ordered(
    since: datetime | None, until: datetime | None, first: str = "since", last: str = "until"
) -> None:
    if since is not None and until is not None and since >= until:
        raise InputError(
            f"{first} ({china(since).isoformat()}) must be before {last} "
            f"({china(until).isoformat()})"
        )


@dataclass(frozen=True)
class AlertLabels:
    """Names in the request's language: of each kind, and of a factor code ("" if unknown)."""

    kinds: Mapping[str, str]
    factor: Callable[[str], str]


def duration(alert: Alert, now: datetime) -> timedelta:
    """How long the condition lasted, or has lasted so far (an open alert)."""
    end = alert.end or max(now, alert.start)
    return max(end - alert.start, timedelta(0))


class AlertRead(BaseModel):
    id: int
    mn: str
    enterprise_code: str
    enterprise_name: str
    outlet_code: str
    outlet_name: str
    factor: str | None
    """Null for a device-level alert (offline, time anomaly): it concerns every factor."""
    factor_name: str | None
    kind: str
    kind_name: str
    severity: str
    start: datetime
    end: datetime | None
    """Null while the condition lasts."""
    open: bool
    duration_seconds: int
    """End minus start; for an open alert, up to now."""
    raised_at: datetime
    updated_at: datetime
    evidence: dict[str, Any]

    @classmethod
    def of(cls, row: AlertRow, *, now: datetime, labels: AlertLabels) -> AlertRead:
        alert = row.alert
        factor = alert.factor if alert.factor != DEVICE_LEVEL else None
        return cls(
            id=alert.id,
            mn=row.mn,
            enterprise_code=row.enterprise_code,
            enterprise_name=row.enterprise_name,
            outlet_code=row.outlet_code,
            outlet_name=row.outlet_name,
            factor=factor,
            factor_name=(labels.factor(factor) or None) if factor else None,
            kind=alert.kind,
            kind_name=labels.kinds.get(alert.kind, alert.kind),
            severity=alert.severity,
            start=china(alert.start),
            end=china(alert.end) if alert.end is not None else None,
            open=alert.end is None,
            duration_seconds=int(duration(alert, now).total_seconds()),
            raised_at=china(alert.raised_at),
            updated_at=china(alert.updated_at),
            evidence=alert.evidence,
        )


class AlertPageRead(BaseModel):
    items: list[AlertRead]
    total: int
    page: int
    per_page: int
    pages: int


class WindowRead(BaseModel):
    """An alert as a shaded band on a chart: ``[start, end)``; an open alert reaches ``until``
    (or now)."""

    id: int
    start: datetime
    end: datetime
    label: str
    kind: str
    factor: str | None
    severity: str
    open: bool

    @classmethod
    def of(cls, alert: Alert, *, reach: datetime, labels: AlertLabels) -> WindowRead:
        end = alert.end if alert.end is not None else max(reach, alert.start)
        return cls(
            id=alert.id,
            start=china(alert.start),
            end=china(end),
            label=labels.kinds.get(alert.kind, alert.kind),
            kind=alert.kind,
            factor=alert.factor if alert.factor != DEVICE_LEVEL else None,
            severity=alert.severity,
            open=alert.end is None,
        )


class TallyRead(BaseModel):
    open: int
    closed: int
    total: int

    @classmethod
    def of(cls, tally: Tally) -> TallyRead:
        return cls(open=tally.open, closed=tally.closed, total=tally.total)


class CountsRead(BaseModel):
    open: int
    closed: int
    total: int
    by_kind: dict[str, TallyRead]
    by_severity: dict[str, TallyRead]

    @classmethod
    def of(cls, counts: AlertCounts) -> CountsRead:
        overall = counts.overall
        return cls(
            open=overall.open,
            closed=overall.closed,
            total=overall.total,
            by_kind={k: TallyRead.of(t) for k, t in counts.by_kind.items()},
            by_severity={s: TallyRead.of(t) for s, t in counts.by_severity.items()},
        )


# --- evidence, for a person to read ---------------------------------------------------------

FACT_ORDER = (
    "condition",
    "averaging",
    "o2_reference",
    "floor",
    "cv",
    "day",
    "daily_mean",
    "valid_hours",
    "hours",
    "copied_from",
    "last_data",
    "data_time",
    "reference_now",
    "reference",
    "flag",
)
"""Scalar evidence shown as facts, in this order (others follow under their own names)."""
TIMES = frozenset({"copied_from", "last_data", "data_time", "reference_now"})
SHOWN_APART = frozenset(
    {"rule", "limit", "parameters", "window", "values", "flagged_hours", "changed"}
    | {"series", "other", "fit", "histogram", "window_share"}  # detection depth: own section
    | {"changes", "between", "history", "calibrations", "readings"}  # parameter_tampering
)


@dataclass(frozen=True)
class Change:
    """One field of a retransmitted hour: first as sent, then again."""

    factor: str
    field: str
    first: Any
    again: Any


@dataclass(frozen=True)
class Evidence:
    """An alert's evidence, taken apart for a page: what the rule saw and with which settings.
    Anything unexpected is kept as a fact under its own name; nothing is dropped silently."""

    rule: str
    limit: float | None = None
    window: tuple[datetime, datetime | None] | None = None
    parameters: list[tuple[str, Any]] = field(default_factory=list)
    facts: list[tuple[str, Any]] = field(default_factory=list)
    values: list[tuple[datetime, float | None]] = field(default_factory=list)
    flagged: list[tuple[datetime, str]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    @classmethod
    def of(cls, evidence: Mapping[str, Any], kind: str) -> Evidence:
        limit = evidence.get("limit")
        parameters = evidence.get("parameters")
        return cls(
            rule=str(evidence.get("rule") or kind),
            limit=float(limit) if isinstance(limit, int | float) else None,
            window=_window(evidence.get("window")),
            parameters=list(parameters.items()) if isinstance(parameters, dict) else [],
            facts=_facts(evidence),
            values=[(t, v if isinstance(v, int | float) else None) for t, v in _timed(evidence)],
            flagged=[(t, str(f)) for t, f in _timed(evidence, "flagged_hours")],
            changed=_changes(evidence.get("changed")),
        )

    def chart(self, unit: str | None) -> dict[str, Any]:
        """What the evidence chart draws (``static/js/alerts.js``)."""
        start, end = self.window or (None, None)
        return {
            "values": [[china(t).isoformat(), v] for t, v in self.values],
            "limit": self.limit,
            "unit": unit or "",
            "window": {
                "start": china(start).isoformat() if start else None,
                "end": china(end).isoformat() if end else None,
            },
        }


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=CHINA_TZ)


def _window(value: Any) -> tuple[datetime, datetime | None] | None:
    if not isinstance(value, dict):
        return None
    start = _instant(value.get("start"))
    return (start, _instant(value.get("end"))) if start is not None else None


def _timed(evidence: Mapping[str, Any], key: str = "values") -> list[tuple[datetime, Any]]:
    pairs = evidence.get(key)
    out = []
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            when = _instant(pair[0])
            if when is not None:
                out.append((when, pair[1]))
    return out


def _facts(evidence: Mapping[str, Any]) -> list[tuple[str, Any]]:
    rest = sorted(k for k in evidence if k not in FACT_ORDER and k not in SHOWN_APART)
    facts = []
    for key in [k for k in FACT_ORDER if k in evidence] + rest:
        value = evidence[key]
        if value is None or value == "":
            continue
        if key in TIMES:
            value = _instant(value) or value
        facts.append((key, value))
    return facts


def _changes(value: Any) -> list[Change]:
    if not isinstance(value, dict):
        return []
    changes = []
    for code, sides in sorted(value.items()):
        if not isinstance(sides, dict):
            continue
        first, again = sides.get("first") or {}, sides.get("again") or {}
        for name in ("avg", "zs_avg", "rtd", "flag"):
            if first.get(name) is not None or again.get(name) is not None:
                changes.append(Change(str(code), name, first.get(name), again.get(name)))
    return changes
