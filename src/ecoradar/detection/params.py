"""What the detectors know about a point, and their thresholds (defaults of issue #4; each can be
overridden per monitoring point and per factor)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

GAS_FLOW, WATER_FLOW, OXYGEN = "a00000", "w00000", "a19001"
FLOW_FACTORS = frozenset({GAS_FLOW, WATER_FLOW})


@dataclass(frozen=True)
class Params:
    """Detection thresholds. Names are the keys of an override mapping."""

    flatline_hours: int = 6
    flatline_floor_share: float = 0.05
    zero_hours: int = 3
    offline_intervals: int = 3
    pinning_hours: int = 24
    pinning_band: float = 0.85
    pinning_cv: float = 0.05
    repeat_hours: int = 12
    repeat_min_age_hours: int = 24
    repeat_lookback_days: int = 30
    flag_abuse_hours: int = 4
    o2_high: float = 19.0
    o2_constant_hours: int = 6
    future_tolerance_minutes: int = 10
    daily_min_valid_hours: int = 20
    min_resolution_steps: int = 20
    """Identical values prove little when the instrument reports in coarse steps: flatline and
    repeated_sequence need values of at least this many of the series' smallest reporting
    steps (CO sent in steps of 100 at 300 repeats by itself; 23.456 does not)."""
    repeat_min_distinct_share: float = 0.5
    """A copied window must hold at least this share of distinct values (near-constant stretches
    are flatline territory)."""

    @cached_property
    def repeat_lookback(self) -> timedelta:
        return timedelta(days=self.repeat_lookback_days)

    @cached_property
    def repeat_min_age(self) -> timedelta:
        return timedelta(hours=self.repeat_min_age_hours)

    @cached_property
    def repeat_min_distinct(self) -> float:
        return self.repeat_hours * self.repeat_min_distinct_share

    def merged(self, overrides: Mapping[str, Any] | None) -> Params:
        """These parameters with ``overrides`` applied; unknown names are refused."""
        if not overrides:
            return self
        known = {f.name: f.type for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"unknown detection parameter {name!r}; known: {sorted(known)}")
            current = getattr(self, name)
            changes[name] = type(current)(value)
        return dataclasses.replace(self, **changes)


DEFAULTS = Params()


@dataclass(frozen=True)
class FactorConfig:
    """A limited factor at a point: its limit and how the exceedance rule reads it."""

    code: str
    limit: float
    averaging: str
    """``hour`` or ``day``."""
    o2_reference: float | None = None
    params: Params = DEFAULTS

    @cached_property
    def floor(self) -> float:
        return self.limit * self.params.flatline_floor_share


@dataclass(frozen=True)
class PointConfig:
    point_id: int
    mn: str
    medium: str
    factors: dict[str, FactorConfig] = field(default_factory=dict)
    params: Params = DEFAULTS

    @property
    def flow_code(self) -> str:
        return GAS_FLOW if self.medium == "gas" else WATER_FLOW


class Reading(NamedTuple):
    """One factor's hourly values as stored (a named tuple: made for every factor of every
    hour, and compared as a whole to tell a changed retransmission)."""

    avg: float | None
    zs_avg: float | None = None
    rtd: float | None = None
    flag: str | None = None

    @property
    def valid(self) -> bool:
        """Valid data is data flagged N (a value without a flag is taken as N)."""
        return self.flag is None or self.flag == "N"

    @property
    def value(self) -> float | None:
        """The measured value: Avg, else Rtd."""
        return self.avg if self.avg is not None else self.rtd


@dataclass(frozen=True, slots=True)
class HourRecord:
    """Everything a point sent for one hour (UTC ``data_time``, the interval start)."""

    data_time: datetime
    readings: dict[str, Reading]


def converted(config: FactorConfig, reading: Reading, record: HourRecord) -> float | None:
    """The value the exceedance rule compares: ZsAvg as sent, or computed from Avg and the
    measured O2 (C_zs = C x (21 - O2_ref) / (21 - O2)), where the point has a reference O2;
    Avg otherwise."""
    if config.o2_reference is None:
        return reading.value
    if reading.zs_avg is not None:
        return reading.zs_avg
    oxygen = record.readings.get(OXYGEN)
    if reading.value is None or oxygen is None or not oxygen.valid or oxygen.value is None:
        return None
    if oxygen.value >= 21:
        return None
    return reading.value * (21 - config.o2_reference) / (21 - oxygen.value)


def reporting_step(value: float) -> float | None:
    """The decimal unit a value is written in: 23.456 -> 0.001, 1300.0 -> 100, 0 -> None."""
    if value == 0:
        return None
    text = repr(abs(value))
    if "e" in text or "inf" in text or "nan" in text:
        return None
    whole, _, fraction = text.partition(".")
    if fraction and fraction != "0":
        return 10.0 ** -len(fraction)
    zeros = len(whole) - len(whole.rstrip("0"))
    return 10.0**zeros
