"""The three depth rules "beyond the contract" over one point's hours (pure): what the daily
depth pass (:mod:`ecoradar.detection.depth_pass`) and the labelled evaluation
(:mod:`ecoradar.simulate.depth_score`) both run.

* ``inspection_drop`` (:mod:`ecoradar.detection.inspection`) on the values compared with the
  limit (converted to the reference O2 where the point has one): what a cheat wants lower;
* ``dilution`` (:mod:`ecoradar.detection.dilution`) on O2, flow and the measured values;
* ``rounded_values`` (:mod:`ecoradar.detection.rounding`) on the values as the analyser sent
  them (a converted value is computed, its decimals say nothing about the instrument).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ecoradar.detection import dilution, inspection, rounding
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, converted
from ecoradar.detection.runs import Span

KINDS = (inspection.KIND, dilution.KIND, rounding.KIND)


def compared_series(
    factor: FactorConfig, records: Sequence[HourRecord]
) -> list[tuple[datetime, float]]:
    """The valid values compared with the limit, oldest first."""
    out = []
    for record in records:
        reading = record.readings.get(factor.code)
        if reading is None or not reading.valid:
            continue
        value = converted(factor, reading, record)
        if value is not None:
            out.append((record.data_time, value))
    return out


def sent_series(code: str, records: Sequence[HourRecord]) -> list[tuple[datetime, float]]:
    """The valid values as sent (Avg, else Rtd), oldest first."""
    out = []
    for record in records:
        reading = record.readings.get(code)
        if reading is None or not reading.valid or reading.value is None:
            continue
        out.append((record.data_time, reading.value))
    return out


def point_spans(
    config: PointConfig,
    records: Sequence[HourRecord],
    *,
    visits: Sequence[inspection.Visit] = (),
    production: Mapping[datetime, bool] | None = None,
    rounded_since: datetime | None = None,
) -> list[Span]:
    """The three rules over one point's ``records`` (oldest first): visits judged where there
    are any, dilution over the whole of ``records``, rounded days from ``rounded_since`` (the
    first record when None)."""
    if not records:
        return []
    spans: list[Span] = []
    since = rounded_since or records[0].data_time
    for code, factor in config.factors.items():
        if visits:
            spans += inspection.spans(
                code, compared_series(factor, records), visits, factor.limit, factor.floor
            )
        found = rounding.find(sent_series(code, records), since)
        spans += rounding.spans(code, found, factor.limit)
    spans += dilution.spans(config, records, production)
    return spans
