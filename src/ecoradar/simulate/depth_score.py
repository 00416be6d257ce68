"""Running the depth rules over labelled series without a database, and scoring them (pure).

:func:`detect` folds every point's hours through the streaming detectors (all kinds, of which
``variance_collapse`` is one), searches the clones day by day over the whole period and runs the
bunching test over the last 28 days: what the engine and the periodic passes would raise.
:func:`detect_beyond` runs the three rules "beyond the contract" (:mod:`ecoradar.detection.beyond`)
over points that carry their inspection visits and metered production.
:func:`score` gives precision, recall and F1 per kind: an alert matches a label of the same point
and kind whose ``[start, end)`` it overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.detection import beyond, bunching, clones
from ecoradar.detection.daily import china_day, day_start
from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.inspection import Visit
from ecoradar.detection.params import HourRecord, PointConfig, converted


@dataclass(frozen=True)
class Found:
    mn: str
    kind: str
    factor: str
    start: datetime
    end: datetime | None


def detect(
    points: Sequence[tuple[PointConfig, list[HourRecord]]], kinds: Iterable[str] | None = None
) -> list[Found]:
    """The alerts of ``kinds`` (default: every kind) the rules raise over these points."""
    wanted = set(kinds) if kinds is not None else None
    found: dict[tuple[str, str, str, datetime], Found] = {}
    for config, records in points:
        state = PointState(config)
        for record in records:
            for span in update(state, record):
                found[(config.mn, span.kind, span.factor, span.start)] = Found(
                    config.mn, span.kind, span.factor, span.start, span.end
                )
    pinned: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
    for f in found.values():
        if f.kind == "near_limit_pinning":
            pinned.setdefault((f.mn, f.factor), []).append((f.start, f.end))
    out = list(found.values()) + _clones(points) + _bunching(points, pinned)
    return [f for f in out if wanted is None or f.kind in wanted]


def _clones(points: Sequence[tuple[PointConfig, list[HourRecord]]]) -> list[Found]:
    series: dict[clones.SeriesKey, dict[datetime, float]] = {}
    mns: dict[int, str] = {}
    first: datetime | None = None
    last: datetime | None = None
    for config, records in points:
        mns[config.point_id] = config.mn
        for record in records:
            first = record.data_time if first is None else min(first, record.data_time)
            last = record.data_time if last is None else max(last, record.data_time)
            for code, factor in config.factors.items():
                reading = record.readings.get(code)
                if reading is None or not reading.valid:
                    continue
                value = converted(factor, reading, record)
                if value is not None:
                    series.setdefault((config.point_id, code), {})[record.data_time] = value
    if first is None or last is None:
        return []
    days = clones.windows(day_start(china_day(first)), last + timedelta(hours=1))
    out = []
    for clone in clones.find_clones(series, days):
        for key in (clone.a, clone.b):
            out.append(Found(mns[key[0]], clones.KIND, key[1], clone.start, clone.end))
    return out


def _bunching(
    points: Sequence[tuple[PointConfig, list[HourRecord]]],
    pinned: dict[tuple[str, str], list[tuple[datetime, datetime | None]]],
) -> list[Found]:
    """As the daily pass: the last 28 days, hours of a ``near_limit_pinning`` alert left out."""
    out = []
    for config, records in points:
        if not records:
            continue
        end = records[-1].data_time + timedelta(hours=1)
        start = end - timedelta(days=bunching.DAYS)
        for code, factor in config.factors.items():
            values = []
            for record in records:
                reading = record.readings.get(code)
                if record.data_time < start or reading is None or not reading.valid:
                    continue
                if any(
                    a <= record.data_time and (b is None or record.data_time < b)
                    for a, b in pinned.get((config.mn, code), [])
                ):
                    continue
                compared = converted(factor, reading, record)
                if compared is not None:
                    values.append(compared)
            result = bunching.measure(values, factor.limit)
            if result is not None and bunching.bunches(result):
                out.append(Found(config.mn, bunching.KIND, code, start, end))
    return out


@dataclass
class KindScore:
    kind: str
    alerts: int = 0
    matched_alerts: int = 0
    labels: int = 0
    matched_labels: int = 0

    @property
    def precision(self) -> float:
        return self.matched_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.matched_labels / self.labels if self.labels else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlaps(
    a_start: datetime, a_end: datetime | None, b_start: datetime, b_end: datetime
) -> bool:
    return a_start < b_end and (a_end is None or a_end > b_start)


def score(
    labels: Sequence[tuple[str, str, datetime, datetime]],
    found: Sequence[Found],
    kinds: Sequence[str],
) -> dict[str, KindScore]:
    """Per kind: alerts matching a label, labels matched by an alert."""
    scores = {k: KindScore(k) for k in kinds}
    for mn, kind, start, end in labels:
        item = scores[kind]
        item.labels += 1
        if any(
            f.mn == mn and f.kind == kind and _overlaps(f.start, f.end, start, end) for f in found
        ):
            item.matched_labels += 1
    for f in found:
        if f.kind not in scores:
            continue
        item = scores[f.kind]
        item.alerts += 1
        if any(
            mn == f.mn and kind == f.kind and _overlaps(f.start, f.end, start, end)
            for mn, kind, start, end in labels
        ):
            item.matched_alerts += 1
    return scores


def detect_beyond(
    points: Sequence[
        tuple[PointConfig, list[HourRecord], Sequence[Visit], Mapping[datetime, bool] | None]
    ],
) -> list[Found]:
    """The alerts of the three rules "beyond the contract" (``inspection_drop``, ``dilution``,
    ``rounded_values``) over these points, each with its visits and metered production, over
    the whole period (what the daily pass raises day by day)."""
    out = []
    for config, records, visits, production in points:
        for span in beyond.point_spans(config, records, visits=visits, production=production):
            out.append(Found(config.mn, span.kind, span.factor, span.start, span.end))
    return out
