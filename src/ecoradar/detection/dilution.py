"""``dilution`` (pure): air let into the stack while production goes on, which lowers the
measured concentrations. The flue gas's O2 climbs towards that of air (20.9 %) while the flow
or the production line's metered power shows the plant producing.

A point's production hours are those whose metered production power runs (where a production
meter relates to the point) or, without a meter, whose flow is at least ``PRODUCTION_FLOW`` of
the median of its running flows. Its usual O2 is the median O2 of those hours over the weeks
looked at. An hour is diluted when, producing, its O2 means at least ``MIN_FACTOR`` times the
usual volume of gas (``(20.9 - usual O2) / (20.9 - O2)``: at least half of it air); at least
``MIN_HOURS`` consecutive diluted hours in which a limited factor's measured (raw) mean is at
most ``MAX_CONCENTRATION`` of its usual production level are one alert. Start-up and shut-down
read high O2 too, but with the production stopped (power off, little flow): they are not this;
short air leaks are ``o2_anomaly``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecoradar.detection.params import OXYGEN, HourRecord, PointConfig
from ecoradar.detection.runs import EVIDENCE_VALUES, HOUR, Span

KIND = "dilution"
AIR_O2 = 20.9
MIN_FACTOR = 2.0
PRODUCTION_FLOW = 0.8
MIN_HOURS = 6
MAX_CONCENTRATION = 0.7
MIN_PRODUCTION_HOURS = 72
RUNNING_FLOW = 0.5
"""Flows above this share of the median positive flow count as running (for that median)."""


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _value(record: HourRecord, code: str) -> float | None:
    reading = record.readings.get(code)
    if reading is None or not reading.valid:
        return None
    return reading.value


@dataclass
class Baseline:
    o2: float
    flow: float | None
    levels: dict[str, float]
    hours: int


@dataclass
class _Run:
    records: list[HourRecord] = field(default_factory=list)
    factors: list[float] = field(default_factory=list)
    powered: list[bool | None] = field(default_factory=list)


def baseline(
    config: PointConfig,
    records: Sequence[HourRecord],
    production: Mapping[datetime, bool] | None = None,
) -> Baseline | None:
    """The point's usual production O2, flow and raw levels; None without enough hours."""
    flows = [f for f in (_value(r, config.flow_code) for r in records) if f is not None and f > 0]
    flow = None
    if flows:
        typical = _median(flows)
        flow = _median([f for f in flows if f >= RUNNING_FLOW * typical])
    producing = [r for r in records if _producing(config, r, flow, production) is True]
    o2s = [o for o in (_value(r, OXYGEN) for r in producing) if o is not None and o < AIR_O2]
    if len(o2s) < MIN_PRODUCTION_HOURS:
        return None
    usual = _median(o2s)
    levels = {}
    for code in config.factors:
        values = [
            v for r in producing
            if (v := _value(r, code)) is not None
            and (o := _value(r, OXYGEN)) is not None and _factor(usual, o) < MIN_FACTOR
        ]  # fmt: skip
        if len(values) >= MIN_PRODUCTION_HOURS:
            levels[code] = _median(values)
    return Baseline(usual, flow, levels, len(o2s))


def _producing(
    config: PointConfig,
    record: HourRecord,
    flow: float | None,
    production: Mapping[datetime, bool] | None,
) -> bool | None:
    """Power first (where a meter tells), else the flow; None when nothing tells."""
    if production is not None and record.data_time in production:
        return production[record.data_time]
    value = _value(record, config.flow_code)
    if value is None or flow is None:
        return None
    return value >= PRODUCTION_FLOW * flow


def _factor(usual: float, o2: float) -> float:
    return (AIR_O2 - usual) / max(AIR_O2 - o2, 0.1)


def spans(
    config: PointConfig,
    records: Sequence[HourRecord],
    production: Mapping[datetime, bool] | None = None,
) -> list[Span]:
    """The dilution runs of a gas point over ``records`` (oldest first)."""
    if config.medium != "gas" or not config.factors:
        return []
    base = baseline(config, records, production)
    if base is None or base.o2 >= AIR_O2 - 1.0:
        return []
    out: list[Span] = []
    run = _Run()
    last: datetime | None = None
    for record in records:
        o2 = _value(record, OXYGEN)
        producing = _producing(config, record, base.flow, production)
        diluted = o2 is not None and producing is True and _factor(base.o2, o2) >= MIN_FACTOR
        if run.records and (not diluted or last is None or record.data_time - last != HOUR):
            out += _close(config, base, run, production)
            run = _Run()
        if diluted:
            run.records.append(record)
        last = record.data_time
    out += _close(config, base, run, production)
    return out


def _close(
    config: PointConfig,
    base: Baseline,
    run: _Run,
    production: Mapping[datetime, bool] | None,
) -> list[Span]:
    if len(run.records) < MIN_HOURS:
        return []
    lowered: dict[str, dict[str, float]] = {}
    for code, level in base.levels.items():
        values = [v for r in run.records if (v := _value(r, code)) is not None]
        if not values or level <= 0:
            continue
        mean = sum(values) / len(values)
        if mean <= MAX_CONCENTRATION * level:
            lowered[code] = {
                "usual": round(level, 4),
                "mean": round(mean, 4),
                "ratio": round(mean / level, 4),
            }
    if not lowered:
        return []
    records = run.records
    start, end = records[0].data_time, records[-1].data_time + HOUR
    shown = records[-EVIDENCE_VALUES:]
    o2s = [_value(r, OXYGEN) or 0.0 for r in records]
    flows = [_value(r, config.flow_code) for r in records]
    known = [f for f in flows if f is not None]
    factors = sorted(_factor(base.o2, o) for o in o2s)
    metered = sum(1 for r in records if production is not None and r.data_time in production)
    worst = min(lowered, key=lambda c: lowered[c]["ratio"])
    evidence: dict[str, Any] = {
        "rule": KIND,
        "parameters": {
            "min_factor": MIN_FACTOR,
            "production_flow": PRODUCTION_FLOW,
            "max_concentration": MAX_CONCENTRATION,
            "hours": MIN_HOURS,
        },
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "hours": len(records),
        "usual_o2": round(base.o2, 3),
        "mean_o2": round(sum(o2s) / len(o2s), 3),
        "dilution_factor": round(factors[len(factors) // 2], 3),
        "usual_flow": round(base.flow, 3) if base.flow is not None else None,
        "mean_flow": round(sum(known) / len(known), 3) if known else None,
        "metered_hours": metered,
        "concentration_ratio": lowered[worst]["ratio"],
        "values": [[r.data_time.isoformat(), _value(r, OXYGEN)] for r in shown],
        "series": {
            "times": [r.data_time.isoformat() for r in shown],
            "o2": [_value(r, OXYGEN) for r in shown],
            "flow": [_value(r, config.flow_code) for r in shown],
            "concentration": [_value(r, worst) for r in shown],
            "usual_o2": round(base.o2, 3),
            "factor": worst,
            "usual_concentration": lowered[worst]["usual"],
            "factors": lowered,
        },
    }
    return [Span(KIND, OXYGEN, start, end, "high", evidence)]
