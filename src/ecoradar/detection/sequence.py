"""``repeated_sequence``: hourly values copied from an earlier stretch of the same series (pure).

Keeps, per series, the earliest start of every 12-value window seen in the last 30 days (by hash
of the values as sent), so each new hour costs one dictionary look-up.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from ecoradar.detection.params import Params
from ecoradar.detection.runs import HOUR, Span, pairs


@dataclass
class SequenceState:
    chain_times: deque[datetime] = field(default_factory=deque)
    chain_values: deque[float] = field(default_factory=deque)
    earliest: dict[int, datetime] = field(default_factory=dict)
    order: deque[tuple[datetime, int]] = field(default_factory=deque)
    alert_start: datetime | None = None
    alert_last: datetime | None = None
    source_start: datetime | None = None


def step_sequence(
    state: SequenceState,
    factor: str,
    when: datetime,
    value: float | None,
    params: Params,
    *,
    floor: float = 0.0,
) -> list[Span]:
    """Advance by one hour; ``value`` is None when the hour is not valid data. A window counts
    only when every value is above ``floor`` (the instrument floor and its reporting steps) and
    enough of them differ: what an instrument at rest repeats by itself is no evidence."""
    size = params.repeat_hours
    spans: list[Span] = []
    contiguous = bool(state.chain_times) and when - state.chain_times[-1] == HOUR
    if value is None or not contiguous:
        state.chain_times.clear()
        state.chain_values.clear()
    qualifies = False
    if value is not None:
        state.chain_times.append(when)
        state.chain_values.append(value)
        if len(state.chain_values) > size:
            state.chain_times.popleft()
            state.chain_values.popleft()
        _forget(state, when - params.repeat_lookback)
        if len(state.chain_values) == size:
            window = tuple(state.chain_values)
            start = state.chain_times[0]
            key = hash(window)
            source = state.earliest.get(key)
            if (
                source is not None
                and source <= start - params.repeat_min_age
                and min(window) > floor
                and len(set(window)) >= params.repeat_min_distinct
            ):
                qualifies = True
                if state.alert_start is None:
                    state.alert_start, state.source_start = start, source
                state.alert_last = when
                spans.append(_span(state, factor, closed=False, params=params))
            if source is None:  # the first time this window is seen
                state.earliest[key] = start
                state.order.append((start, key))
    if not qualifies and state.alert_start is not None:
        spans.append(_span(state, factor, closed=True, params=params))
        state.alert_start = state.alert_last = state.source_start = None
    return spans


def _forget(state: SequenceState, before: datetime) -> None:
    while state.order and state.order[0][0] < before:
        start, key = state.order.popleft()
        if state.earliest.get(key) == start:
            del state.earliest[key]


def _span(state: SequenceState, factor: str, *, closed: bool, params: Params) -> Span:
    assert state.alert_start is not None and state.alert_last is not None
    assert state.source_start is not None
    end = state.alert_last + HOUR
    hours = int((end - state.alert_start) / HOUR)
    copied = list(state.chain_values)
    times = list(state.chain_times)
    return Span(
        "repeated_sequence",
        factor,
        state.alert_start,
        end if closed else None,
        "high",
        {
            "rule": "repeated_sequence",
            "parameters": {
                "hours": params.repeat_hours,
                "min_age_hours": params.repeat_min_age_hours,
                "lookback_days": params.repeat_lookback_days,
            },
            "window": {"start": state.alert_start.isoformat(), "end": end.isoformat()},
            "hours": hours,
            "copied_from": state.source_start.isoformat(),
            "values": pairs(times, copied),
        },
    )
