"""Suspects for a clue, the pure rules: which enterprises near a report of odour, dark water or
smoke could have caused it, best first, each with its reasons.

A candidate's score (0-1) weighs five things:

* **proximity** — 1 at the clue's place, falling linearly to 0 at the search radius;
* **wind** (air and odour only) — whether the enterprise lies where the wind came *from*: the
  cosine of the angle between the wind's direction (meteorological: where it blows from) and
  the bearing from the clue to the enterprise, 0 for anything crosswind or downwind. The best
  of the clue's hour and the two hours before it counts, the earlier hours discounted (a smell
  lingers, but the older the wind the weaker the case; :data:`WIND_LAGS`). Calm or unknown wind
  says nothing: the factor is neutral (0.5) for every candidate, so the rest decides;
* **industry** — how often the enterprise's industry (GB/T 4754 code) causes the clue's category
  (:data:`INDUSTRY_AFFINITY`, by the code's first two digits);
* **factors** — whether the enterprise is permitted (has limits) for a factor that shows as the
  clue's category (:data:`CATEGORY_FACTORS`);
* **anomalies** — its own monitoring alerts and power-metering findings in a window around the
  clue's time (:data:`ANOMALY_BEFORE`, :data:`ANOMALY_AFTER`).

For categories where the wind does not carry the problem (water, waste, noise, soil…) its weight
goes to proximity and the rest (:data:`WEIGHTS`). Reasons are structured (a ``what`` and its
``params``) so pages word them in the reader's language; :func:`reason_text` words them in
English for the command line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ecoradar.core.geo import angle_between, bearing_deg, compass, haversine_m
from ecoradar.stations.wind import Wind

CALM_MS: Final = 0.5
"""Wind slower than this (m/s) has no direction worth using (the stations' interpolation
already calls a mean below 0.2 m/s calm, ``None``)."""
WIND_LAGS: Final = ((timedelta(0), 1.0), (timedelta(hours=1), 0.5), (timedelta(hours=2), 0.25))
"""The hours whose wind counts, before the clue's time, and their weights."""
WIND_CATEGORIES: Final = frozenset({"air", "odour"})
"""Categories the wind carries."""
ANOMALY_BEFORE: Final = timedelta(hours=6)
ANOMALY_AFTER: Final = timedelta(hours=2)
DEFAULT_RADIUS_M: Final = 3000.0
MAX_RADIUS_M: Final = 50_000.0

WEIGHTS: Final[Mapping[bool, Mapping[str, float]]] = {
    True: {"proximity": 0.30, "wind": 0.30, "industry": 0.15, "factors": 0.10, "anomalies": 0.15},
    False: {"proximity": 0.45, "wind": 0.0, "industry": 0.20, "factors": 0.15, "anomalies": 0.20},
}
"""Weights with the wind (air, odour) and without; each set sums to 1."""

INDUSTRY_AFFINITY: Final[Mapping[str, Mapping[str, float]]] = {
    "air": {"44": 1.0, "30": 1.0, "31": 1.0, "32": 0.8, "25": 0.8, "26": 0.7, "22": 0.4,
            "21": 0.6, "33": 0.4, "77": 0.6, "78": 0.6},
    "odour": {"26": 1.0, "27": 1.0, "19": 0.9, "03": 0.9, "46": 0.8, "25": 0.8, "77": 0.9,
              "78": 0.9, "13": 0.7, "14": 0.7, "22": 0.6, "17": 0.5, "21": 0.5},
    "water": {"17": 1.0, "22": 1.0, "19": 0.9, "26": 0.9, "27": 0.8, "33": 0.8, "46": 0.8,
              "13": 0.7, "14": 0.7, "15": 0.7, "03": 0.8, "32": 0.6},
    "solid_waste": {"26": 0.8, "33": 0.8, "27": 0.7, "31": 0.6, "44": 0.6, "30": 0.5,
                    "22": 0.5, "17": 0.5, "77": 0.7, "78": 0.7},
    "hazardous_waste": {"26": 1.0, "33": 1.0, "27": 0.9, "25": 0.9, "32": 0.8, "38": 0.7,
                        "39": 0.7, "31": 0.6},
    "soil": {"33": 1.0, "26": 0.9, "32": 0.9, "25": 0.8, "27": 0.7, "31": 0.7},
    "noise": {"30": 0.7, "31": 0.7, "33": 0.6, "34": 0.6, "44": 0.6, "21": 0.5, "20": 0.5},
}  # fmt: skip
"""How often an industry (first two digits of GB/T 4754) causes a category, 0-1."""
OTHER_INDUSTRY: Final = 0.2
"""An industry the table does not name for the category."""

CATEGORY_FACTORS: Final[Mapping[str, frozenset[str]]] = {
    "air": frozenset({"a34013", "a21026", "a21002", "a21003", "a21005", "a24088"}),
    "odour": frozenset({"a21001", "a21028", "a24088", "a24087", "a25002", "a25003"}),
    "water": frozenset({"w01018", "w21003", "w01001", "w21011", "w21001", "w01010"}),
}
"""HJ 212 factors that show as a category: smoke and gases, smells, dark or foul water."""


@dataclass(frozen=True)
class Anomaly:
    """Something the enterprise's own data said near the clue's time: a monitoring alert or a
    power-metering finding."""

    source: str
    """``alert`` or ``power``."""
    kind: str
    at: datetime
    factor: str | None = None


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    industry: str
    lat: float
    lon: float
    factors: frozenset[str] = frozenset()
    anomalies: tuple[Anomaly, ...] = ()
    enterprise_id: int | None = None


@dataclass(frozen=True)
class Reason:
    what: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Suspect:
    candidate: Candidate
    score: float
    distance_m: float
    bearing: float
    parts: Mapping[str, float]
    reasons: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True)
class Clue:
    lat: float
    lon: float
    at: datetime
    category: str
    radius_m: float = DEFAULT_RADIUS_M


# --- the parts ------------------------------------------------------------------------------


def proximity(distance_m: float, radius_m: float) -> float:
    return max(0.0, 1.0 - distance_m / radius_m)


def upwind(bearing: float, wind: Wind) -> float:
    """1 when the enterprise lies exactly where the wind comes from, falling with the cosine of
    the angle to 0 at crosswind; 0 downwind."""
    return max(0.0, math.cos(math.radians(angle_between(bearing, wind.direction))))


def wind_part(
    bearing: float, winds: Sequence[tuple[float, Wind | None]]
) -> tuple[float, str, Wind | None]:
    """The wind's part, what it rests on (``upwind``, ``calm`` or ``unknown``) and the wind
    that gave it, from the ``(weight, wind)`` of each hour: the best weighted upwind value of
    the hours with a wind (calm or unknown hours are left out)."""
    known = [(weight, wind) for weight, wind in winds if wind is not None]
    moving = [(weight, wind) for weight, wind in known if wind.speed >= CALM_MS]
    if not moving:
        return 0.5, "calm" if known else "unknown", None
    value, wind = max(((w * upwind(bearing, wind), wind) for w, wind in moving), key=_first)
    if value == 0.0:
        wind = moving[0][1]  # downwind at every hour: say so of the latest one
    return value, "upwind", wind


def _first(pair: tuple[float, Wind]) -> float:
    return pair[0]


def industry_part(category: str, industry: str) -> float:
    return INDUSTRY_AFFINITY.get(category, {}).get(industry[:2], OTHER_INDUSTRY)


def factor_part(category: str, factors: frozenset[str]) -> tuple[float, list[str]]:
    shown = sorted(factors & CATEGORY_FACTORS.get(category, frozenset()))
    return (1.0 if shown else 0.0), shown


def anomaly_part(category: str, anomalies: Sequence[Anomaly]) -> float:
    """1 for an anomaly of a factor that shows as the category or any power finding, 0.6 for
    another alert; capped at 1."""
    related = CATEGORY_FACTORS.get(category, frozenset())
    total = 0.0
    for anomaly in anomalies:
        total += 1.0 if anomaly.source == "power" or anomaly.factor in related else 0.6
    return min(1.0, total)


# --- the ranking ----------------------------------------------------------------------------


def rank(
    clue: Clue,
    candidates: Sequence[Candidate],
    winds: Sequence[tuple[float, Wind | None]] = (),
) -> list[Suspect]:
    """The candidates within the radius, best first (ties: nearer, then by code), with their
    parts and reasons. ``winds``: ``(weight, wind)`` of the hours of :data:`WIND_LAGS` at the
    clue's place."""
    uses_wind = clue.category in WIND_CATEGORIES
    weights = WEIGHTS[uses_wind]
    found = []
    for candidate in candidates:
        distance = haversine_m(clue.lat, clue.lon, candidate.lat, candidate.lon)
        if distance > clue.radius_m:
            continue
        bearing = bearing_deg(clue.lat, clue.lon, candidate.lat, candidate.lon)
        near = [a for a in candidate.anomalies if _within(a.at, clue.at)]
        parts = {
            "proximity": proximity(distance, clue.radius_m),
            "industry": industry_part(clue.category, candidate.industry),
            "factors": factor_part(clue.category, candidate.factors)[0],
            "anomalies": anomaly_part(clue.category, near),
        }
        basis, wind = "unused", None
        if uses_wind:
            parts["wind"], basis, wind = wind_part(bearing, winds)
        score = sum(weights[name] * value for name, value in parts.items())
        reasons = _reasons(clue, candidate, distance, bearing, wind, basis, near)
        found.append(
            Suspect(candidate, round(min(1.0, score), 3), distance, bearing, parts, reasons)
        )
    found.sort(key=lambda s: (-s.score, s.distance_m, s.candidate.code))
    return found


def _within(at: datetime, clue_at: datetime) -> bool:
    return clue_at - ANOMALY_BEFORE <= at <= clue_at + ANOMALY_AFTER


def _reasons(
    clue: Clue,
    candidate: Candidate,
    distance: float,
    bearing: float,
    wind: Wind | None,
    basis: str,
    anomalies: Sequence[Anomaly],
) -> tuple[Reason, ...]:
    reasons = [
        Reason("distance", {"metres": round(distance), "compass": compass(bearing)}),
    ]
    if basis == "upwind" and wind is not None:
        angle = angle_between(bearing, wind.direction)
        what = "upwind" if angle <= 45 else "crosswind" if angle < 90 else "downwind"
        reasons.append(
            Reason(
                what,
                {
                    "speed": round(wind.speed, 1),
                    "from_degrees": round(wind.direction),
                    "from_compass": compass(wind.direction),
                    "angle": round(angle),
                },
            )
        )
    elif basis in ("calm", "unknown"):
        reasons.append(Reason(f"wind_{basis}", {}))
    affinity = industry_part(clue.category, candidate.industry)
    if affinity >= 0.5:
        reasons.append(
            Reason("industry", {"industry": candidate.industry, "category": clue.category})
        )
    shown = factor_part(clue.category, candidate.factors)[1]
    if shown:
        reasons.append(Reason("factors", {"factors": shown, "category": clue.category}))
    for anomaly in anomalies:
        reasons.append(
            Reason(
                f"{anomaly.source}_anomaly",
                {"kind": anomaly.kind, "factor": anomaly.factor, "at": anomaly.at.isoformat()},
            )
        )
    return tuple(reasons)


# --- words (English, for the command line; pages use the catalogs) ---------------------------

POWER_WORDS: Final = {
    "treatment_idle": "its treatment facility off or idling while production ran",
    "monitoring_offline": "production running while its online monitoring sent nothing",
}


def reason_text(reason: Reason) -> str:
    p = reason.params
    match reason.what:
        case "distance":
            return f"{p['metres']} m from the clue ({p['compass']} of it)"
        case "upwind" | "crosswind" | "downwind":
            where = {"upwind": "upwind of", "crosswind": "crosswind of", "downwind": "downwind of"}
            return (
                f"{where[reason.what]} the clue: the wind came from {p['from_degrees']}° "
                f"({p['from_compass']}) at {p['speed']} m/s, {p['angle']}° from the enterprise's "
                "direction"
            )
        case "wind_calm":
            return "calm wind at the time: its direction was not used"
        case "wind_unknown":
            return "no wind readings near the clue at the time: the wind was not used"
        case "industry":
            return f"industry {p['industry']} often causes {p['category']} problems"
        case "factors":
            return f"permitted to emit {', '.join(p['factors'])}, which show as {p['category']}"
        case "alert_anomaly":
            factor = f" on {p['factor']}" if p["factor"] else ""
            return f"its monitoring raised a {p['kind']} alert{factor} at {p['at']}"
        case "power_anomaly":
            found = POWER_WORDS.get(p["kind"], "an anomaly")
            return f"its power metering found {found} at {p['at']}"
    return reason.what
