"""``variance_collapse`` (pure, streaming): standard gas or a signal generator feeding the
analyser. The readings hold one level with hour-to-hour noise far below the point's own usual,
while the values still differ (identical values are a ``flatline``, not this).

Per factor, the spread of a window is the root mean square of the differences of successive
valid hourly values over ``WINDOW`` consecutive hours, relative to the window's mean level (a
process's noise grows with its level). The point's usual spread is the median of its own past
window spreads (up to ``HISTORY`` of them, refreshed once a day, collapsed windows left out).
A window whose spread is below ``RATIO`` x the usual one (and below ``MAX_SPREAD``), above
the floor and the instrument's resolution, with at least half of its values distinct, is
collapsed; consecutive collapsed windows are one alert from the first window's first hour.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecoradar.detection.params import FactorConfig
from ecoradar.detection.runs import EVIDENCE_VALUES, HOUR, Span, pairs

KIND = "variance_collapse"
WINDOW = 12
"""Hours in a window (the issue asks for 6-12)."""
RATIO = 0.2
"""A window is collapsed when its spread is below this share of the point's usual spread."""
MAX_SPREAD = 0.01
"""Nor is a window collapsed whose values move more than 1 % hour to hour (root mean square):
a cylinder of standard gas or a signal generator reads far steadier than that."""
HISTORY = 30 * 24
"""Past window spreads kept (a month of hours)."""
MIN_HISTORY = 72
"""Window spreads needed before the point's usual spread is trusted (3 days)."""
REFRESH = 24
"""The usual spread is recomputed every this many new window spreads."""
MIN_DISTINCT_SHARE = 0.5
"""At least this share of a window's values must differ from each other (else: flatline)."""


@dataclass
class CollapseState:
    """One factor's state: the last hours, the past spreads and the collapse going on."""

    window: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    """The last consecutive valid values (at most ``WINDOW``)."""
    squares: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW - 1))
    """The squared differences of those values."""
    newest: datetime | None = None
    history: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    usual: float | None = None
    fresh: int = 0
    start: datetime | None = None
    last: datetime | None = None
    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    lowest: float = 0.0


def _median(ordered: list[float]) -> float:
    n = len(ordered)
    if n == 0:
        return 0.0
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def step_collapse(
    state: CollapseState,
    config: FactorConfig,
    when: datetime,
    value: float | None,
    step: float | None,
    compared: float | None = None,
) -> list[Span]:
    """Fold hour ``when`` (``value`` None when not valid); returns the span that opened, grew or
    closed. ``step`` is the finest reporting step seen in the series (``params.reporting_step``);
    ``compared`` the value compared with the limit: an hour held just under the limit (in the
    pinning band) is ``near_limit_pinning``'s to judge, not this rule's. The hot path keeps the
    window's squared differences, so an ordinary hour costs a few sums."""
    window = state.window
    if value is None or (state.newest is not None and when - state.newest != HOUR):
        window.clear()
        state.squares.clear()
    if value is None:
        state.newest = None
        return _close(state, config) if state.start is not None else []
    if window:
        state.squares.append((value - window[-1]) ** 2)
    window.append(value)
    state.newest = when
    if len(window) < WINDOW:
        return _close(state, config) if state.start is not None else []
    level = sum(window) / WINDOW
    relative = math.sqrt(sum(state.squares) / (WINDOW - 1)) / abs(level) if level else 0.0
    params = config.params
    judged = (
        level > config.floor
        and level >= params.min_resolution_steps * (step or 0.0)
        and (compared is None or compared < params.pinning_band * config.limit)
    )
    collapsed = (
        judged
        and state.usual is not None
        and relative < RATIO * state.usual
        and relative < MAX_SPREAD
        and len(set(window)) >= MIN_DISTINCT_SHARE * WINDOW
    )
    if not collapsed:
        spans = _close(state, config) if state.start is not None else []
        if judged:
            _remember(state, relative)
        return spans
    return [_grow(state, config, relative, level)]


def _remember(state: CollapseState, relative: float) -> None:
    state.history.append(relative)
    state.fresh += 1
    if len(state.history) >= MIN_HISTORY and (state.usual is None or state.fresh >= REFRESH):
        state.usual = _median(sorted(state.history))
        state.fresh = 0


def _grow(state: CollapseState, config: FactorConfig, relative: float, level: float) -> Span:
    assert state.newest is not None
    newest = state.newest
    window = [(newest - (WINDOW - 1 - i) * HOUR, v) for i, v in enumerate(state.window)]
    if state.start is None:
        state.start = window[0][0]
        state.times = [t for t, _ in window]
        state.values = [v for _, v in window]
        state.lowest = relative
    else:
        when, value = window[-1]
        state.times.append(when)
        state.values.append(value)
        if len(state.times) > EVIDENCE_VALUES:
            del state.times[0], state.values[0]
    state.last = window[-1][0]
    state.lowest = min(state.lowest, relative)
    return _span(state, config, relative, level, closed=False)


def _close(state: CollapseState, config: FactorConfig) -> list[Span]:
    if state.start is None:
        return []
    span = _span(state, config, None, None, closed=True)
    state.start = state.last = None
    state.times, state.values = [], []
    return [span]


def _span(
    state: CollapseState,
    config: FactorConfig,
    relative: float | None,
    level: float | None,
    *,
    closed: bool,
) -> Span:
    assert state.start is not None and state.last is not None and state.usual is not None
    end = state.last + HOUR
    evidence: dict[str, Any] = {
        "rule": KIND,
        "limit": config.limit,
        "parameters": {"window_hours": WINDOW, "ratio": RATIO},
        "window": {"start": state.start.isoformat(), "end": end.isoformat()},
        "hours": int((end - state.start) / HOUR),
        "usual_spread": round(state.usual, 6),
        "lowest_spread": round(state.lowest, 6),
        "spread_ratio": round(state.lowest / state.usual, 4) if state.usual else 0.0,
        "values": pairs(state.times, state.values),
    }
    if relative is not None:
        evidence["spread"] = round(relative, 6)
    if level is not None:
        evidence["level"] = round(level, 6)
    return Span(KIND, config.code, state.start, end if closed else None, "high", evidence)
