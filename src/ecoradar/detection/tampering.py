"""``parameter_tampering`` (issue 20): an analyser re-parameterised with nothing to explain it.

Pure: the parameter history of one point's analyser (HJ 212-2017 CN=3020: i13001 range, i13006
last calibration, i13007 intercept, i13008 slope) and the point's hourly values of that factor
in, alert spans out.

Between two consecutive parameter records a change of slope, intercept or range beyond its
tolerance is *explained* when the analyser was calibrated in that window (i13006 moved to a time
inside it) or when the factor's hours in that window carry a maintenance or calibration flag
(M, C: the instrument was being worked on). An unexplained change is an alert; the readings
then decide its weight and its start: the hour where the values step by the ratio the new
parameters imply (a slope cut by a third cuts the readings by a third) is where the alert
starts, with severity high; when the readings do not follow, or there are not yet enough of
them, the alert starts at the record that showed the change, severity medium.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any, Final, Literal

from ecoradar.detection.runs import Span

KIND: Final = "parameter_tampering"

SLOPE_TOLERANCE: Final = 0.05
"""Relative slope change that needs explaining. An honest span calibration corrects drift of
1-3 %; a cheater needs a cut of 20 % or more for it to pay."""
INTERCEPT_TOLERANCE: Final = 0.02
"""Intercept change that needs explaining, as a share of the range (of the old slope's scale,
1.0, when no range is reported): a zero calibration moves it by a fraction of a percent."""
RANGE_TOLERANCE: Final = 0.01
"""Relative range change that needs explaining: ranges are set values, they do not drift."""
CALIBRATION_MARGIN: Final = timedelta(hours=2)
"""An i13006 time this far outside the window still explains it (clocks of analyser and logger
differ; a calibration just before the previous record was reported after it)."""
MAINTENANCE_FLAGS: Final = frozenset({"M", "C"})
"""HJ 212-2017 data flags of an instrument being worked on: maintenance, calibration."""
READING_WINDOW: Final = timedelta(hours=48)
"""Hourly values compared on each side of the change: two whole days, so the daily cycle
weighs the same on both sides."""
MIN_READINGS: Final = 12
"""Valid hours needed on each side before the readings are judged."""
MIN_EXPECTED_SHIFT: Final = 0.10
"""Below this relative change implied by the new parameters the readings cannot tell (noise)."""
SHIFT_AGREEMENT: Final = 0.5
"""The observed relative shift must be within this share of the implied one (same sign)."""
DAY: Final = timedelta(days=1)
EVIDENCE_RECORDS: Final = 3
"""Parameter records kept in the evidence on each side of the change."""

ReadingVerdict = Literal["shifted", "not_shifted", "pending", "indistinct"]


@dataclass(frozen=True)
class ParamRecord:
    """One parameter upload of one analyser."""

    at: datetime
    range_value: float | None = None
    calibrated_at: datetime | None = None
    intercept: float | None = None
    slope: float | None = None


@dataclass(frozen=True)
class HourValue:
    """One hourly value of the analyser's factor (Avg) with its data flag."""

    at: datetime
    value: float | None
    flag: str | None = None

    @property
    def valid(self) -> bool:
        return self.value is not None and self.value > 0 and self.flag in (None, "N")


def changes(prev: ParamRecord, cur: ParamRecord) -> dict[str, list[float]]:
    """The parameters that moved beyond their tolerance: ``{name: [old, new]}``."""
    moved: dict[str, list[float]] = {}
    if prev.slope is not None and cur.slope is not None and prev.slope != 0:
        if abs(cur.slope - prev.slope) / abs(prev.slope) > SLOPE_TOLERANCE:
            moved["slope"] = [prev.slope, cur.slope]
    if prev.intercept is not None and cur.intercept is not None:
        scale = prev.range_value if prev.range_value else 1.0
        if abs(cur.intercept - prev.intercept) > INTERCEPT_TOLERANCE * abs(scale):
            moved["intercept"] = [prev.intercept, cur.intercept]
    if prev.range_value and cur.range_value is not None:
        if abs(cur.range_value - prev.range_value) / abs(prev.range_value) > RANGE_TOLERANCE:
            moved["range"] = [prev.range_value, cur.range_value]
    return moved


def calibrated(prev: ParamRecord, cur: ParamRecord) -> bool:
    """i13006 moved to a time inside the window between the two records."""
    when = cur.calibrated_at
    if when is None or when == prev.calibrated_at:
        return False
    return prev.at - CALIBRATION_MARGIN <= when <= cur.at + CALIBRATION_MARGIN


def maintained(prev: ParamRecord, cur: ParamRecord, hours: Sequence[HourValue]) -> bool:
    """An hour of the window flagged maintenance or calibration."""
    low = prev.at - timedelta(hours=1)
    return any(low <= h.at <= cur.at and h.flag in MAINTENANCE_FLAGS for h in hours)


def implied(prev: ParamRecord, cur: ParamRecord, value: float) -> float:
    """What a reading of ``value`` under ``prev``'s parameters reads under ``cur``'s."""
    old_slope = prev.slope if prev.slope else 1.0
    new_slope = cur.slope if cur.slope else old_slope
    old_int = prev.intercept or 0.0
    new_int = cur.intercept if cur.intercept is not None else old_int
    return new_slope / old_slope * (value - old_int) + new_int


def detect(history: Sequence[ParamRecord], hours: Sequence[HourValue], factor: str) -> list[Span]:
    """Alert spans for the unexplained changes in ``history`` (sorted by time); ``hours``: the
    factor's hourly values around them, sorted by time."""
    spans: list[Span] = []
    untampered: list[ParamRecord] = []
    for i in range(1, len(history)):
        prev, cur = history[i - 1], history[i]
        moved = changes(prev, cur)
        if not moved or calibrated(prev, cur) or maintained(prev, cur, hours):
            continue
        if any(not changes(before, cur) for before in untampered):
            continue  # back to parameters that stood before a suspicious change: restored
        untampered.append(prev)
        spans.append(_span(history, i, moved, hours, factor))
    return spans


def _span(
    history: Sequence[ParamRecord],
    i: int,
    moved: dict[str, list[float]],
    hours: Sequence[HourValue],
    factor: str,
) -> Span:
    prev, cur = history[i - 1], history[i]
    valid = [h for h in hours if h.valid]
    start = _step(prev, cur, valid)
    readings = _readings(prev, cur, valid, start or cur.at)
    shifted = readings["verdict"] == "shifted"
    begin = start if shifted and start is not None else cur.at
    end = _restored(history, i)
    values = readings.pop("before") + readings.pop("after")
    evidence: dict[str, Any] = {
        "rule": KIND,
        "changes": moved,
        "between": {"start": prev.at.isoformat(), "end": cur.at.isoformat()},
        "window": {"start": begin.isoformat(), "end": end.isoformat() if end else None},
        "values": values,
        "history": [
            _record(r) for r in history[max(0, i - EVIDENCE_RECORDS) : i + 1 + EVIDENCE_RECORDS]
        ],
        "calibrations": sorted({r.calibrated_at.isoformat() for r in history if r.calibrated_at}),
        "readings": readings,
        "parameters": {
            "slope_tolerance": SLOPE_TOLERANCE,
            "intercept_tolerance": INTERCEPT_TOLERANCE,
            "range_tolerance": RANGE_TOLERANCE,
            "reading_window_hours": READING_WINDOW // timedelta(hours=1),
        },
    }
    return Span(KIND, factor, begin, end, "high" if shifted else "medium", evidence)


def _restored(history: Sequence[ParamRecord], i: int) -> datetime | None:
    """The first later record whose parameters are back to those before the change."""
    before = history[i - 1]
    for later in history[i + 1 :]:
        if not changes(before, later):
            return later.at
    return None


def _step(prev: ParamRecord, cur: ParamRecord, valid: Sequence[HourValue]) -> datetime | None:
    """The hour of the window where the values step best by the implied ratio: least squares
    of each hour's log ratio to the same hour a day earlier (which removes the daily cycle)
    against a one-step model; ``None`` without a baseline or candidates."""
    base_values = [h.value for h in valid if prev.at - READING_WINDOW <= h.at < prev.at]
    candidates = [h.at for h in valid if prev.at < h.at <= cur.at + timedelta(hours=1)]
    if len(base_values) < MIN_READINGS or not candidates:
        return None
    base = median(v for v in base_values if v is not None)
    target = implied(prev, cur, base)
    if base <= 0 or target <= 0:
        return None
    step = math.log(target / base)
    by_time = {h.at: h.value for h in valid}
    low, high = prev.at - timedelta(hours=12), cur.at + timedelta(hours=12)
    logs = [
        (h.at, math.log(h.value / earlier))
        for h in valid
        if low <= h.at <= high and h.value and (earlier := by_time.get(h.at - DAY))
    ]
    best, best_cost = None, math.inf
    for when in candidates:
        cost = sum((x - (step if when <= at < when + DAY else 0.0)) ** 2 for at, x in logs)
        if cost < best_cost:
            best, best_cost = when, cost
    return best


def _readings(
    prev: ParamRecord, cur: ParamRecord, valid: Sequence[HourValue], at: datetime
) -> dict[str, Any]:
    """The values before and after ``at``, and whether they moved as the parameters imply:
    the median ratio of each later hour to the same hour one or two days before ``at``."""
    before = [h for h in valid if at - READING_WINDOW <= h.at < at]
    after = [h for h in valid if at <= h.at < at + READING_WINDOW]
    out: dict[str, Any] = {
        "at": at.isoformat(),
        "before": [[h.at.isoformat(), h.value] for h in before],
        "after": [[h.at.isoformat(), h.value] for h in after],
    }
    earlier = {h.at: h.value for h in before}
    ratios = []
    for h in after:
        days = math.ceil((h.at - at + timedelta(seconds=1)) / DAY)
        same_hour = earlier.get(h.at - days * DAY) or earlier.get(h.at - (days + 1) * DAY)
        if same_hour and h.value:
            ratios.append(h.value / same_hour)
    if len(before) < MIN_READINGS or len(ratios) < MIN_READINGS:
        out["verdict"] = "pending"
        return out
    mb = median(h.value for h in before if h.value is not None)
    expected = implied(prev, cur, mb)
    want = (expected - mb) / mb
    seen = median(ratios) - 1
    out.update(
        median_before=mb,
        expected_change=round(want, 4),
        observed_change=round(seen, 4),
    )
    verdict: ReadingVerdict
    if abs(want) < MIN_EXPECTED_SHIFT:
        verdict = "indistinct"
    elif want * seen > 0 and abs(seen - want) <= SHIFT_AGREEMENT * abs(want):
        verdict = "shifted"
    else:
        verdict = "not_shifted"
    out["verdict"] = verdict
    return out


def _record(record: ParamRecord) -> dict[str, Any]:
    return {
        "at": record.at.isoformat(),
        "range": record.range_value,
        "calibrated_at": record.calibrated_at.isoformat() if record.calibrated_at else None,
        "intercept": record.intercept,
        "slope": record.slope,
    }
