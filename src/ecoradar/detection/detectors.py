"""The per-point detector fold (pure): ``update(state, record) -> spans``.

A ``PointState`` holds every rule's state for one monitoring point; ``update`` advances it by
one hour record (strictly after the last one) and returns the alert spans that opened, grew or
closed. The same records in the same order always give the same spans, however they were cut
into batches, which is what makes a replay, many small replays and the live gateway agree.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

from ecoradar.detection.collapse import CollapseState, step_collapse
from ecoradar.detection.daily import (
    HIDING_FLAGS,
    DailyMean,
    FlagCount,
    china_day,
    is_last_hour,
    step_daily_mean,
    step_flag_count,
)
from ecoradar.detection.params import (
    OXYGEN,
    FactorConfig,
    HourRecord,
    PointConfig,
    Reading,
    converted,
    reporting_step,
)
from ecoradar.detection.runs import HOUR, Run, RunTracker, Span, run_span
from ecoradar.detection.runs import medium as _medium
from ecoradar.detection.runs import restart as _restart
from ecoradar.detection.runs import restarts as _restarts
from ecoradar.detection.runs import run_rule as _run_rule
from ecoradar.detection.runs import same_value as _same_value
from ecoradar.detection.sequence import SequenceState, step_sequence


@dataclass
class FactorState:
    exceedance: RunTracker = field(default_factory=RunTracker)
    flatline: RunTracker = field(default_factory=RunTracker)
    zero: RunTracker = field(default_factory=RunTracker)
    pinning: RunTracker = field(default_factory=RunTracker)
    pinning_start: datetime | None = None
    negative: RunTracker = field(default_factory=RunTracker)
    over_range: RunTracker = field(default_factory=RunTracker)
    sequence: SequenceState = field(default_factory=SequenceState)
    step: float | None = None
    """The finest reporting step seen in this series (see ``params.reporting_step``)."""
    daily: DailyMean = field(default_factory=DailyMean)
    flags: FlagCount = field(default_factory=FlagCount)
    collapse: CollapseState = field(default_factory=CollapseState)


@dataclass
class PointState:
    config: PointConfig
    last: datetime | None = None
    """The newest hour folded in."""
    factors: dict[str, FactorState] = field(default_factory=dict)
    flow: FactorState = field(default_factory=FactorState)
    o2_high: RunTracker = field(default_factory=RunTracker)
    o2_constant: RunTracker = field(default_factory=RunTracker)

    def factor(self, code: str) -> FactorState:
        state = self.factors.get(code)
        if state is None:
            state = self.factors[code] = FactorState()
        return state


def _severity(ratio: float) -> str:
    return "high" if ratio >= 2 else "medium" if ratio >= 1.5 else "low"


def source_running(config: PointConfig, record: HourRecord) -> bool:
    """The source runs unless the flow says otherwise (flagged F, or not above 0)."""
    flow = record.readings.get(config.flow_code)
    if flow is None:
        return True
    if flow.flag == "F":
        return False
    return flow.value is None or flow.value > 0


def _flow_above_zero(config: PointConfig, record: HourRecord) -> bool:
    flow = record.readings.get(config.flow_code)
    if flow is None:
        return True
    return flow.valid and flow.value is not None and flow.value > 0


MISSING = Reading(None, flag="missing")
"""The reading of a limited factor an hour did not carry."""


def update(state: PointState, record: HourRecord) -> list[Span]:
    """Fold one hour into ``state``; ``record.data_time`` must be after ``state.last``."""
    when = record.data_time
    if state.last is not None and when <= state.last:
        raise ValueError(f"hour {when.isoformat()} is not after {state.last.isoformat()}")
    spans: list[Span] = []
    config = state.config
    if state.last is not None:
        spans += _offline(config, state.last, when)
    state.last = when
    running = source_running(config, record)
    flow_up = _flow_above_zero(config, record)
    readings = record.readings
    day = china_day(when)
    last_hour = is_last_hour(when)
    factors = state.factors
    for code, factor_config in config.factors.items():
        reading = readings.get(code) or MISSING
        factor = factors.get(code) or state.factor(code)
        _factor_rules(spans, factor, factor_config, record, reading, flow_up, day, last_hour)
        flags = factor.flags
        if flags.day != day or (reading.flag in HIDING_FLAGS and running):
            spans += step_flag_count(
                flags, code, when, reading.flag, running, factor_config.params, day
            )
    flow = readings.get(config.flow_code)
    if flow is not None:
        _sanity(spans, state.flow, config.flow_code, when, flow)
    if config.medium == "gas":
        _oxygen(spans, state, record)
    return spans


def _offline(config: PointConfig, last: datetime, when: datetime) -> list[Span]:
    missing = int((when - last) / HOUR) - 1
    if missing < config.params.offline_intervals:
        return []
    return [offline_span(config, last, when)]


def offline_span(config: PointConfig, last: datetime, until: datetime | None) -> Span:
    """The hours after ``last`` without data, up to ``until`` (None: still missing)."""
    start = last + HOUR
    return Span(
        "offline",
        "",
        start,
        until,
        "medium",
        {
            "rule": "offline",
            "parameters": {"intervals": config.params.offline_intervals},
            "last_data": last.isoformat(),
            "window": {"start": start.isoformat(), "end": until.isoformat() if until else None},
        },
    )


def _factor_rules(
    spans: list[Span],
    state: FactorState,
    config: FactorConfig,
    record: HourRecord,
    reading: Reading,
    flow_up: bool,
    day: date,
    last_hour: bool,
) -> None:
    """Every rule of one limited factor for one hour; spans are appended to ``spans``.

    Each rule is skipped when it can change nothing: not a member and no run going (the
    result is the same as stepping it, without building its evidence)."""
    when = record.data_time
    code = config.code
    params = config.params
    valid = reading.valid and reading.flag != "missing"
    value = reading.value if valid else None
    compared = converted(config, reading, record) if valid else None
    limit = config.limit

    def base() -> dict[str, object]:
        return {"limit": limit, "o2_reference": config.o2_reference}

    # exceedance of an hourly limit: consecutive exceeding hours are one alert
    if config.averaging == "hour":
        over = compared is not None and compared > limit
        if over or state.exceedance.run is not None:
            spans += _run_rule(
                state.exceedance,
                "exceedance",
                code,
                when,
                over,
                compared or 0.0,
                1,
                lambda: {**base(), "rule": "exceedance", "averaging": "hour"},
                severity=lambda run: _severity(max(run.values) / limit if limit else 2.0),
            )
    else:
        spans += step_daily_mean(state.daily, config, when, compared, day, last_hour)

    if value is not None and value != 0:
        unit = reporting_step(value)
        if unit is not None and (state.step is None or unit < state.step):
            state.step = unit
    resolved = params.min_resolution_steps * (state.step or 0.0)

    # flatline: identical values above the floor, in a resolution where identical means something
    flat = value is not None and value > config.floor and value >= resolved
    run = state.flatline.run
    if flat and run is not None and _restarts(run, when, value or 0.0, params.flatline_hours):
        _restart(run, when, value or 0.0)
    elif flat or run is not None:
        spans += _run_rule(
            state.flatline,
            "flatline",
            code,
            when,
            flat,
            value or 0.0,
            params.flatline_hours,
            lambda: {
                **base(),
                "rule": "flatline",
                "floor": config.floor,
                "parameters": {
                    "hours": params.flatline_hours,
                    "floor_share": params.flatline_floor_share,
                },
            },
            continues=_same_value,
        )

    # zero values while the flow says the source runs
    zero = value is not None and value == 0 and flow_up
    if zero or state.zero.run is not None:
        spans += _run_rule(
            state.zero,
            "zero_value",
            code,
            when,
            zero,
            0.0,
            params.zero_hours,
            lambda: {**base(), "rule": "zero_value", "parameters": {"hours": params.zero_hours}},
        )

    if state.pinning.run is not None or (
        compared is not None and params.pinning_band * limit <= compared <= limit
    ):
        spans += _pinning(state, config, when, compared)
    spans += step_sequence(
        state.sequence, code, when, value, params, floor=max(config.floor, resolved)
    )
    spans += step_collapse(state.collapse, config, when, value, state.step, compared)
    _sanity(spans, state, code, when, reading)


def _pinning(
    state: FactorState, config: FactorConfig, when: datetime, compared: float | None
) -> list[Span]:
    """``near_limit_pinning``: the last 24 values all in [0.85 x limit, limit], CV below 5 %."""
    params = config.params
    hours = params.pinning_hours
    low, high = params.pinning_band * config.limit, config.limit
    member = compared is not None and low <= compared <= high
    evidence = {
        "rule": "near_limit_pinning",
        "limit": config.limit,
        "parameters": {"hours": hours, "band": params.pinning_band, "cv": params.pinning_cv},
    }
    spans: list[Span] = []
    tracker = state.pinning
    ended = tracker.step(when, member, compared or 0.0)
    if ended is not None and state.pinning_start is not None:
        spans.append(
            run_span(
                "near_limit_pinning",
                config.code,
                ended,
                start=state.pinning_start,
                closed=True,
                severity="high",
                evidence=evidence,
            )
        )
        state.pinning_start = None
    run = tracker.run
    if run is None or run.length < hours:
        return spans
    window = run.values[-hours:]
    mean = sum(window) / hours
    cv = statistics.pstdev(window) / mean if mean else float("inf")
    if cv < params.pinning_cv:
        if state.pinning_start is None:
            state.pinning_start = run.times[-hours]
        run.alerted = True
        spans.append(
            run_span(
                "near_limit_pinning",
                config.code,
                run,
                start=state.pinning_start,
                closed=False,
                severity="high",
                evidence={**evidence, "cv": round(cv, 6)},
            )
        )
    elif state.pinning_start is not None:
        last = run.times[-2]
        closed = Run(run.start, last, run.values[:-1], run.times[:-1], True)
        spans.append(
            run_span(
                "near_limit_pinning",
                config.code,
                closed,
                start=state.pinning_start,
                closed=True,
                severity="high",
                evidence=evidence,
            )
        )
        state.pinning_start = None
        run.alerted = False
    return spans


def _sanity(
    spans: list[Span], state: FactorState, code: str, when: datetime, reading: Reading
) -> None:
    """Negative valid values and values flagged T (above the measuring range)."""
    value = reading.value
    negative = reading.valid and value is not None and value < 0
    if negative or state.negative.run is not None:
        spans += _run_rule(
            state.negative,
            "negative_value",
            code,
            when,
            negative,
            value or 0.0,
            1,
            lambda: {"rule": "negative_value"},
            severity=_medium,
        )
    over_range = reading.flag == "T"
    if over_range or state.over_range.run is not None:
        spans += _run_rule(
            state.over_range,
            "over_range",
            code,
            when,
            over_range,
            value or 0.0,
            1,
            lambda: {"rule": "over_range", "flag": "T"},
            severity=_medium,
        )


def _oxygen(spans: list[Span], state: PointState, record: HourRecord) -> None:
    """``o2_anomaly``: O2 >= 19 % while the flow shows operation, or O2 constant >= 6 hours
    while the source runs (a stopped stack reads the constant 20.9 % of air)."""
    when = record.data_time
    params = state.config.params
    oxygen = record.readings.get(OXYGEN)
    value = oxygen.value if oxygen is not None and oxygen.valid else None
    flow_up = state.config.flow_code in record.readings and _flow_above_zero(state.config, record)
    high = value is not None and value >= params.o2_high and flow_up
    if high or state.o2_high.run is not None:
        spans += _run_rule(
            state.o2_high,
            "o2_anomaly",
            OXYGEN,
            when,
            high,
            value or 0.0,
            1,
            lambda: {
                "rule": "o2_anomaly",
                "condition": "o2_high_while_operating",
                "parameters": {"o2_high": params.o2_high},
            },
        )
    constant = value is not None and source_running(state.config, record)
    run = state.o2_constant.run
    if (
        constant
        and run is not None
        and _restarts(run, when, value or 0.0, params.o2_constant_hours)
    ):
        _restart(run, when, value or 0.0)
    elif constant or run is not None:
        spans += _run_rule(
            state.o2_constant,
            "o2_anomaly",
            OXYGEN,
            when,
            constant,
            value or 0.0,
            params.o2_constant_hours,
            lambda: {
                "rule": "o2_anomaly",
                "condition": "o2_constant",
                "parameters": {"hours": params.o2_constant_hours},
            },
            continues=_same_value,
        )
