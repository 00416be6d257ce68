"""The green code's events and indicator scores, and the helpers the indicators share (pure).

An event names what cost an indicator points: ``text`` for staff (with its id), ``public_text``
without ids or personal data, ``what`` and ``params`` for pages that word it themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ecoradar.core.clock import CHINA_TZ
from ecoradar.greencode.facts import AlertFact, ProblemFact
from ecoradar.greencode.model import Band
from ecoradar.hj212.codes import factor as factor_of

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Event:
    """An event behind a score: ``text`` names it for staff (with its id), ``public_text``
    without ids or personal data. ``cost``: the points it took from its indicator."""

    type: str
    id: int | None
    text: str
    public_text: str
    at: datetime | None = None
    cost: float = 0.0
    what: str = ""
    """What happened, for pages that word it themselves (``alert``, ``problem``, ``overdue``,
    ``outcome``, ``task_late``, ``task_missed``, ``task_failed``, ``online``, ``permit_expired``,
    ``permit_expiring``, ``reminder``, ``veto``); ``params`` its facts (no personal data)."""
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "text": self.text,
            "public_text": self.public_text,
            "at": self.at.isoformat() if self.at else None,
            "cost": round(self.cost, 2),
            "what": self.what,
            "params": self.params,
        }


@dataclass(frozen=True)
class IndicatorScore:
    name: str
    score: float | None
    """None: no data (the indicator leaves the total)."""
    weight: float
    detail: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    @property
    def has_data(self) -> bool:
        return self.score is not None


def china_date(when: datetime) -> date:
    return when.astimezone(CHINA_TZ).date()


def day_text(when: datetime) -> str:
    return china_date(when).isoformat()


def factor_label(code: str) -> str:
    """``SO2`` for ``a21026`` (the short name in the catalogue's English name), else the code."""
    if not code:
        return ""
    known = factor_of(code)
    if known is None:
        return code
    name = known.name_en
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return name


def band_score(share: float, bands: tuple[Band, ...]) -> float:
    """The score of ``share`` (0-1): linear inside its band, from the band's low score at the
    band's lowest share to its high score at the next band's lowest share (1 for the top)."""
    share = min(max(share, 0.0), 1.0)
    top = 1.0
    for lowest, low, high in bands:
        if share >= lowest:
            if top == lowest:
                return high
            return low + (high - low) * (share - lowest) / (top - lowest)
        top = lowest
    return bands[-1][1]


def clamp(value: float) -> float:
    return min(max(value, 0.0), 100.0)


def overlap_hours(start: datetime, end: datetime | None, lo: datetime, hi: datetime) -> int:
    """Whole hours (rounded up) of ``[start, end)`` inside ``[lo, hi)``; ``end`` None: open."""
    a, b = max(start, lo), min(end or hi, hi)
    return max(0, math.ceil((b - a) / HOUR)) if b > a else 0


def alert_event(alert: AlertFact, cost: float) -> Event:
    label = factor_label(alert.factor)
    what = f"{alert.kind} {label}".strip()
    day = day_text(alert.start)
    return Event(
        "alert",
        alert.id,
        f"alert #{alert.id} {what} at {alert.outlet} {day}",
        f"{what} at {alert.outlet} {day}",
        alert.start,
        cost,
        "alert",
        {"kind": alert.kind, "factor": label, "outlet": alert.outlet, "day": day},
    )


def problem_event(problem: ProblemFact, cost: float, overdue: bool = False) -> Event:
    params: dict[str, Any] = {
        "severity": problem.severity,
        "category": problem.category,
        "day": day_text(problem.confirmed_at),
    }
    if overdue and problem.overdue_since is not None:
        params["since"] = day_text(problem.overdue_since)
        what = f"rectification overdue since {params['since']}"
    else:
        what = f"{problem.severity} {problem.category} confirmed {params['day']}"
    return Event(
        "problem",
        problem.id,
        f"problem #{problem.id} {what}",
        f"problem {what}",
        problem.confirmed_at,
        cost,
        "overdue" if overdue else "problem",
        params,
    )
