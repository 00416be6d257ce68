"""Rules over calendar days in China time (pure): daily-average exceedance and flag abuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.params import FactorConfig, Params
from ecoradar.detection.runs import Span, pairs

DAY = timedelta(days=1)


_CHINA_OFFSET = timedelta(hours=8)


def china_day(when: datetime) -> date:
    """The calendar day in China time (UTC+8, no daylight saving) of an aware datetime."""
    return (when.astimezone(UTC) + _CHINA_OFFSET).date()


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in China time, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)


def is_last_hour(when: datetime) -> bool:
    return (when.astimezone(UTC) + _CHINA_OFFSET).hour == 23


@dataclass
class DailyMean:
    """The valid hourly values of the current day, and the alert of the days before."""

    day: date | None = None
    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    alert_start: datetime | None = None
    alert_end: datetime | None = None
    peak: float = 0.0


def step_daily_mean(
    state: DailyMean,
    config: FactorConfig,
    when: datetime,
    value: float | None,
    day: date | None = None,
    last_hour: bool | None = None,
) -> list[Span]:
    """Add hour ``when`` (``value`` None when not valid); a day is judged when its last hour
    arrives or a later day begins. ``day`` and ``last_hour``: ``when``'s China-time day and
    whether it is that day's last hour, when the caller knows them already."""
    spans: list[Span] = []
    if day is None:
        day = china_day(when)
    if state.day is not None and day != state.day:
        spans += _judge(state, config)
    if state.day != day:
        state.day, state.times, state.values = day, [], []
    if value is not None:
        state.times.append(when)
        state.values.append(value)
    if is_last_hour(when) if last_hour is None else last_hour:
        spans += _judge(state, config)
        state.day, state.times, state.values = None, [], []
    return spans


def _judge(state: DailyMean, config: FactorConfig) -> list[Span]:
    assert state.day is not None
    start = day_start(state.day)
    count = len(state.values)
    mean = sum(state.values) / count if count else 0.0
    exceeds = count >= config.params.daily_min_valid_hours and mean > config.limit
    if not exceeds:
        return []
    if state.alert_end != start:  # not the day after an exceeding day: a new alert
        state.alert_start, state.peak = start, 0.0
    state.alert_end = start + DAY
    state.peak = max(state.peak, mean)
    assert state.alert_start is not None
    ratio = state.peak / config.limit if config.limit else float("inf")
    return [
        Span(
            "exceedance",
            config.code,
            state.alert_start,
            state.alert_end,
            _severity(ratio),
            {
                "rule": "exceedance",
                "averaging": "day",
                "limit": config.limit,
                "parameters": {"min_valid_hours": config.params.daily_min_valid_hours},
                "window": {
                    "start": state.alert_start.isoformat(),
                    "end": state.alert_end.isoformat(),
                },
                "day": state.day.isoformat(),
                "daily_mean": round(mean, 6),
                "valid_hours": count,
                "values": pairs(state.times, state.values),
            },
        )
    ]


def _severity(ratio: float) -> str:
    return "high" if ratio >= 2 else "medium" if ratio >= 1.5 else "low"


@dataclass
class FlagCount:
    """Hours of the current day flagged M, C or S while the source ran."""

    day: date | None = None
    times: list[datetime] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    alert_start: datetime | None = None
    alert_end: datetime | None = None


HIDING_FLAGS = frozenset({"M", "C", "S"})


def step_flag_count(
    state: FlagCount,
    factor: str,
    when: datetime,
    flag: str | None,
    running: bool,
    params: Params,
    day: date | None = None,
) -> list[Span]:
    if day is None:
        day = china_day(when)
    if state.day != day:
        state.day, state.times, state.flags = day, [], []
    if flag not in HIDING_FLAGS or not running:
        return []
    assert flag is not None
    state.times.append(when)
    state.flags.append(flag)
    if len(state.flags) <= params.flag_abuse_hours:
        return []
    start = day_start(day)
    if state.alert_end != start and state.alert_end != start + DAY:
        state.alert_start = start
    state.alert_end = start + DAY
    assert state.alert_start is not None
    return [
        Span(
            "flag_abuse",
            factor,
            state.alert_start,
            state.alert_end,
            "high",
            {
                "rule": "flag_abuse",
                "parameters": {"max_hours_per_day": params.flag_abuse_hours},
                "window": {
                    "start": state.alert_start.isoformat(),
                    "end": state.alert_end.isoformat(),
                },
                "day": day.isoformat(),
                "flagged_hours": [
                    [t.isoformat(), f] for t, f in zip(state.times, state.flags, strict=True)
                ],
            },
        )
    ]
