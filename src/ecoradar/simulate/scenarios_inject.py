"""The hourly data of a labeled scenario and the incidents written into it.

:class:`Grid` holds each point's hourly items (``values_at`` of the traffic simulator, the
baseline) and the extra packets; the ``inject_*`` functions change them in place, one incident
each. Distractors are in :mod:`ecoradar.simulate.scenarios_distract`. What every pattern looks
like is documented in :mod:`ecoradar.simulate.scenarios`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ecoradar.simulate.scenarios_plan import HOURS_PER_DAY, Event, ScenarioPoint
from ecoradar.simulate.traffic import CN_HOUR, OXYGEN, interval_rng, values_at

Items = dict[str, dict[str, str]]
NOMINAL_O2: Final = 9.0
"""The O2 the traffic simulator centres on; used where a value is set without a measured O2."""
_VALUE_SUFFIXES: Final = ("Avg", "Min", "Max")


@dataclass
class Extra:
    """A packet beyond the regular hourly one: a retransmission, good or corrupted."""

    event: Event
    hour: int
    send_at: datetime
    items: Items | None = None
    """Values to send; ``None``: the regular packet of ``hour``, as stored in the grid."""
    same_qn: bool = False
    """Resend the regular packet byte for byte (its QN included)."""
    corrupt: str | None = None
    """``digit`` (a value digit changed, CRC kept) or ``crc`` (the CRC changed)."""


class Grid:
    """Every point's hourly items (``None`` = no packet that hour) and when each is sent."""

    def __init__(self, points: list[ScenarioPoint], start: datetime, hours: int, seed: int):
        self.start = start
        self.hours = hours
        self.points = {p.mn: p for p in points}
        self.items: dict[str, list[Items | None]] = {}
        self.send_at: dict[tuple[str, int], datetime] = {}
        self.extras: list[Extra] = []
        for point in points:
            series: list[Items | None] = []
            for hour in range(hours):
                when = self.time(hour)
                rng = interval_rng(point.profile, CN_HOUR, when, seed=seed)
                items = values_at(point.profile, when, rng, cn=CN_HOUR)
                if not point.sends_zs:
                    for item in items.values():
                        for key in [k for k in item if k.startswith("Zs")]:
                            del item[key]
                series.append(items)
            self.items[point.mn] = series

    def time(self, hour: int) -> datetime:
        return self.start + timedelta(hours=hour)

    def at(self, event: Event, hour: int) -> Items:
        items = self.items[event.point.mn][hour]
        if items is None:
            raise AssertionError(f"scenario: {event.spec.name} at hour {hour} has no packet")
        return items

    def regular_send_time(self, mn: str, hour: int) -> datetime:
        """When the packet of ``hour`` leaves: just after its hour closes, 20 s to 4 min."""
        jitter = random.Random(f"send:{mn}:{hour}").randint(20, 240)
        return self.time(hour + 1) + timedelta(seconds=jitter)


def fmt(value: float) -> str:
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def o2_of(items: Items) -> float:
    return float(items[OXYGEN]["Avg"])


def _cou(point: ScenarioPoint, items: Items, raw: float) -> str:
    flow = float(items[point.flow]["Avg"])
    return fmt(raw * flow * 3600 / 1e6)


def set_sent(
    point: ScenarioPoint,
    items: Items,
    factor: str,
    raw: float,
    zs: float | None = None,
    *,
    spread: float = 0.0,
    flag: str = "N",
) -> None:
    """Write ``factor`` as sent: ``Avg`` = ``raw``, ``ZsAvg`` = ``zs`` (where the device sends
    it), ``Min``/``Max`` ``spread`` around them, ``Cou`` from the flow, and the flag."""
    item = items[factor]
    lo, hi = sorted((raw * (1 - spread), raw * (1 + spread)))
    item.update({"Avg": fmt(raw), "Min": fmt(lo), "Max": fmt(hi)})
    if "ZsAvg" in item and zs is not None:
        zlo, zhi = sorted((zs * (1 - spread), zs * (1 + spread)))
        item.update({"ZsAvg": fmt(zs), "ZsMin": fmt(zlo), "ZsMax": fmt(zhi)})
    if "Cou" in item and factor != point.flow:
        item["Cou"] = _cou(point, items, raw)
    item["Flag"] = flag


def set_compared(
    point: ScenarioPoint,
    items: Items,
    factor: str,
    value: float,
    *,
    spread: float = 0.05,
    flag: str = "N",
) -> None:
    """Make the value the exceedance rule compares equal ``value``: ``ZsAvg`` where the factor
    has a reference O2 (``Avg`` back-computed from the hour's O2, so a device without ``ZsAvg``
    gives the same converted value), ``Avg`` otherwise."""
    reference = point.o2_reference(factor)
    if reference is None:
        set_sent(point, items, factor, value, spread=spread, flag=flag)
        return
    raw = value * (21 - o2_of(items)) / (21 - reference)
    set_sent(point, items, factor, raw, value, spread=spread, flag=flag)


def compared(point: ScenarioPoint, items: Items, factor: str) -> float:
    """The value the exceedance rule compares, as the platform reads it."""
    item = items[factor]
    reference = point.o2_reference(factor)
    if reference is None:
        return float(item["Avg"])
    if "ZsAvg" in item:
        return float(item["ZsAvg"])
    return float(item["Avg"]) * (21 - reference) / (21 - o2_of(items))


def set_stuck(
    point: ScenarioPoint, items: Items, factor: str, value: float, *, flag: str = "N"
) -> None:
    """A stuck analyser: ``value`` (the converted one for factors with a reference O2) and the
    raw value at the nominal O2, both the same every hour, ``Min`` = ``Max`` = ``Avg``."""
    reference = point.o2_reference(factor)
    raw = value if reference is None else value * (21 - NOMINAL_O2) / (21 - reference)
    set_sent(point, items, factor, raw, value, flag=flag)


def _nudge(items: Items | None, code: str, like: Items | None) -> None:
    """Change ``code``'s values a little while its ``Avg`` or ``ZsAvg`` equals that of ``like``,
    so a run of equal values cannot grow by a chance equality at its edge."""
    if items is None or like is None:
        return
    item, other = items[code], like[code]
    while any(key in item and item[key] == other.get(key) for key in ("Avg", "ZsAvg")):
        for key in [k for k in item if k.removeprefix("Zs") in _VALUE_SUFFIXES]:
            item[key] = fmt(float(item[key]) * 1.03 + 0.002)


def _hourly_exceedance(event: Event, grid: Grid, rng: random.Random) -> None:
    assert event.factor is not None
    limit = event.point.limit(event.factor)
    for hour in range(event.start, event.end):
        value = limit * rng.uniform(1.15, 2.0)
        set_compared(event.point, grid.at(event, hour), event.factor, value)


def _daily_exceedance(event: Event, grid: Grid, rng: random.Random) -> None:
    """The whole day a little above the limit, or a burst of a few hours far above it."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    hours = range(event.start, event.end)
    if event.index % 2 == 0:
        for hour in hours:
            set_compared(point, grid.at(event, hour), factor, limit * rng.uniform(1.1, 1.4))
        return
    burst = rng.randint(6, 10)
    first = event.start + rng.randint(2, HOURS_PER_DAY - burst - 2)
    level = 2.6
    while True:
        for hour in range(first, first + burst):
            set_compared(point, grid.at(event, hour), factor, limit * level * rng.uniform(1, 1.3))
        mean = sum(compared(point, grid.at(event, h), factor) for h in hours) / len(hours)
        if mean >= 1.08 * limit:
            return
        level += 0.5


def _flatline(event: Event, grid: Grid, rng: random.Random) -> None:
    assert event.factor is not None
    value = event.point.limit(event.factor) * rng.uniform(0.25, 0.6)
    for hour in range(event.start, event.end):
        set_stuck(event.point, grid.at(event, hour), event.factor, value)
    series = grid.items[event.point.mn]
    _nudge(series[event.start - 1], event.factor, series[event.start])
    _nudge(series[event.end], event.factor, series[event.start])


def _zero_value(event: Event, grid: Grid, rng: random.Random) -> None:
    assert event.factor is not None
    for hour in range(event.start, event.end):
        set_sent(event.point, grid.at(event, hour), event.factor, 0.0, 0.0)


def _offline(event: Event, grid: Grid, rng: random.Random) -> None:
    for hour in range(event.start, event.end):
        grid.items[event.point.mn][hour] = None


def _pinning(event: Event, grid: Grid, rng: random.Random) -> None:
    """Converted values 88 % to 96 % of the limit, CV about 1.2 %, never twice the same."""
    assert event.factor is not None
    limit = event.point.limit(event.factor)
    level = rng.uniform(0.9, 0.94)
    previous = ""
    for hour in range(event.start, event.end):
        items = grid.at(event, hour)
        while True:
            set_compared(event.point, items, event.factor, limit * level * rng.uniform(0.98, 1.02))
            if items[event.factor]["Avg"] != previous:
                break
        previous = items[event.factor]["Avg"]


def _repeated_sequence(event: Event, grid: Grid, rng: random.Random) -> None:
    """The factor's items of the same hours ``back`` hours earlier, as sent; the hours around
    the copy differ from those around its source, so the copied run is exactly the window."""
    assert event.factor is not None
    back, code, series = event.params["back"], event.factor, grid.items[event.point.mn]
    for hour in range(event.start, event.end):
        source = grid.at(event, hour - back)
        grid.at(event, hour)[code] = copy.deepcopy(source[code])
    _nudge(series[event.start - 1 - back], code, series[event.start - 1])
    _nudge(series[event.end], code, series[event.end - back])


def _over_range(event: Event, grid: Grid, rng: random.Random) -> None:
    assert event.factor is not None
    top = event.point.limit(event.factor) * rng.choice((3, 4, 5))
    for hour in range(event.start, event.end):
        set_stuck(event.point, grid.at(event, hour), event.factor, top, flag="T")


def _negative_value(event: Event, grid: Grid, rng: random.Random) -> None:
    assert event.factor is not None
    point, factor = event.point, event.factor
    for hour in range(event.start, event.end):
        items = grid.at(event, hour)
        if factor == point.flow:
            set_sent(point, items, factor, -rng.uniform(0.5, 5.0), spread=0.1)
            per_hour = 3600 if point.medium == "gas" else 3.6  # m3 from m3/s or L/s
            items[factor]["Cou"] = fmt(float(items[factor]["Avg"]) * per_hour)
        else:
            set_compared(point, items, factor, -point.limit(factor) * rng.uniform(0.02, 0.1))


def _flag_abuse(event: Event, grid: Grid, rng: random.Random) -> None:
    """5 to 8 hours of the day flagged M, C or S on one factor; calibration shows a span value."""
    assert event.factor is not None
    point, factor = event.point, event.factor
    limit = point.limit(factor)
    span = limit * rng.uniform(1.5, 2.5)
    count = rng.randint(5, 8)
    if event.index % 2 == 0:
        first = event.start + rng.randint(0, HOURS_PER_DAY - count)
        hours = list(range(first, first + count))
    else:
        hours = sorted(rng.sample(range(event.start, event.end), count))
    for hour in hours:
        items = grid.at(event, hour)
        flag = rng.choice("MCS")
        if flag == "C":
            set_stuck(point, items, factor, span, flag="C")
        elif flag == "M":
            set_stuck(point, items, factor, 0.0, flag="M")
        else:
            items[factor]["Flag"] = "S"


def _o2_high(event: Event, grid: Grid, rng: random.Random) -> None:
    """Air leaking in: O2 19.3-20.5 % while the flow runs; the raw values drop, the converted
    ones (sent or computed) stay as they were."""
    for hour in range(event.start, event.end):
        _set_o2(event.point, grid.at(event, hour), rng.uniform(19.3, 20.5))


def _o2_constant(event: Event, grid: Grid, rng: random.Random) -> None:
    value = round(rng.uniform(7.5, 10.5), 1)
    for hour in range(event.start, event.end):
        _set_o2(event.point, grid.at(event, hour), value)
    for hour in (event.start - 1, event.end):
        items = grid.at(event, hour)
        if items[OXYGEN]["Avg"] == fmt(value):
            _set_o2(event.point, items, value + 0.05)


def _set_o2(point: ScenarioPoint, items: Items, o2: float) -> None:
    converted = {f: compared(point, items, f) for f in point.factors}
    items[OXYGEN].update({"Avg": fmt(o2), "Min": fmt(o2 - 0.2), "Max": fmt(min(o2 + 0.2, 20.9))})
    for factor, value in converted.items():
        set_compared(point, items, factor, value)


def _time_future(event: Event, grid: Grid, rng: random.Random) -> None:
    """The packet of hour ``start`` leaves during hour ``sent``, 3 h to 3 days too early, and
    not again when its hour comes."""
    sent = event.params["sent"]
    grid.send_at[event.point.mn, event.start] = grid.regular_send_time(
        event.point.mn, sent - 1
    ) + timedelta(seconds=30)


def _time_retransmit(event: Event, grid: Grid, rng: random.Random) -> None:
    """The hour's packet again, later, with every limited factor's values a few % different."""
    point, hour = event.point, event.start
    items = copy.deepcopy(grid.at(event, hour))
    for factor in point.factors:
        scale = rng.choice((rng.uniform(0.88, 0.96), rng.uniform(1.04, 1.12)))
        item = items[factor]
        for key in [k for k in item if k.removeprefix("Zs") in _VALUE_SUFFIXES or k == "Cou"]:
            item[key] = fmt(float(item[key]) * scale)
    send_at = grid.regular_send_time(point.mn, hour) + timedelta(seconds=event.params["delay"])
    grid.extras.append(Extra(event, hour, send_at, items=items))


INCIDENTS: Final[dict[str, Callable[[Event, Grid, random.Random], None]]] = {
    "exceedance": _hourly_exceedance,
    "exceedance_day": _daily_exceedance,
    "flatline": _flatline,
    "zero_value": _zero_value,
    "offline": _offline,
    "near_limit_pinning": _pinning,
    "repeated_sequence": _repeated_sequence,
    "over_range": _over_range,
    "negative_value": _negative_value,
    "flag_abuse": _flag_abuse,
    "o2_high": _o2_high,
    "o2_constant": _o2_constant,
    "time_future": _time_future,
    "time_retransmit": _time_retransmit,
}
