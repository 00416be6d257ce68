"""A ``parameter_tampering`` alert's evidence taken apart for its page (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecoradar.core.clock import CHINA_TZ

PARAMETER_NAMES = ("slope", "intercept", "range")
"""The parameters the rule compares, in the order the page lists them."""


@dataclass(frozen=True)
class Record:
    at: datetime
    range_value: float | None
    calibrated_at: datetime | None
    intercept: float | None
    slope: float | None


@dataclass
class TamperingEvidence:
    changes: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    history: list[Record] = field(default_factory=list)
    calibrations: list[datetime] = field(default_factory=list)
    between: tuple[datetime, datetime] | None = None
    verdict: str = "pending"
    median_before: float | None = None
    expected_change: float | None = None
    observed_change: float | None = None

    @classmethod
    def of(cls, evidence: Mapping[str, Any]) -> TamperingEvidence:
        raw_changes = evidence.get("changes")
        changes = []
        if isinstance(raw_changes, dict):
            for name in PARAMETER_NAMES:
                pair = raw_changes.get(name)
                if isinstance(pair, list) and len(pair) == 2:
                    changes.append((name, _number(pair[0]), _number(pair[1])))
        history = []
        for item in evidence.get("history") or []:
            at = _time(item.get("at")) if isinstance(item, dict) else None
            if at is not None:
                history.append(
                    Record(
                        at,
                        _number(item.get("range")),
                        _time(item.get("calibrated_at")),
                        _number(item.get("intercept")),
                        _number(item.get("slope")),
                    )
                )
        between = evidence.get("between")
        span = None
        if isinstance(between, dict):
            first, last = _time(between.get("start")), _time(between.get("end"))
            span = (first, last) if first and last else None
        readings = evidence.get("readings")
        readings = readings if isinstance(readings, dict) else {}
        return cls(
            changes=changes,
            history=history,
            calibrations=[t for t in map(_time, evidence.get("calibrations") or []) if t],
            between=span,
            verdict=str(readings.get("verdict") or "pending"),
            median_before=_number(readings.get("median_before")),
            expected_change=_number(readings.get("expected_change")),
            observed_change=_number(readings.get("observed_change")),
        )

    def chart(self) -> dict[str, Any]:
        """The slope's steps for the evidence chart (``static/js/alerts.js``)."""
        return {
            "slope": [
                [r.at.astimezone(CHINA_TZ).isoformat(), r.slope]
                for r in self.history
                if r.slope is not None
            ]
        }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
