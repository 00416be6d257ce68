"""Ambient standards the station rules judge against, and the units stations report in (pure).

Air: GB 3095-2012 "Ambient air quality standards", grade II (二级: residential, commercial,
industrial and rural areas), 1-hour, 24-hour, ozone's daily maximum 8-hour and annual
concentration limits. Surface water:
GB 3838-2002 "Environmental quality standards for surface water", basic items (table 1), class
I-V; a station is judged against its own class (III by default).

Units: air concentrations in µg/m3 except CO in mg/m3 (the units of GB 3095-2012 and of the
published hourly data of national stations); water in mg/L, pH dimensionless. A station's
packets carry its values in these units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Averaging = Literal["hour", "day", "8h", "year"]
Bound = Literal["max", "min", "range"]

AIR_STANDARD = "GB 3095-2012"
WATER_STANDARD = "GB 3838-2002"

AIR_FACTORS = (
    "a34004",  # PM2.5
    "a34002",  # PM10
    "a21026",  # SO2
    "a21004",  # NO2
    "a21005",  # CO
    "a05024",  # O3
)
"""Air pollutants a station reports and the rules judge."""
METEOROLOGY = (
    "a01001",  # air temperature
    "a01002",  # relative humidity
    "a01006",  # atmospheric pressure
    "a01007",  # wind speed
    "a01008",  # wind direction (degrees, where the wind comes from)
)
"""Meteorology an air station reports (shown, and read for wind; never judged)."""
WATER_FACTORS = (
    "w01001",  # pH
    "w01009",  # dissolved oxygen
    "w01019",  # permanganate index (CODMn)
    "w01018",  # COD
    "w01017",  # BOD5
    "w21003",  # ammonia nitrogen
    "w21011",  # total phosphorus
)
"""Surface-water items a station reports and the rules judge (GB 3838-2002 table 1)."""
WATER_EXTRA = ("w01010", "w01014", "w21001")
"""Reported and shown, not judged: water temperature, conductivity, total nitrogen (GB 3838
limits total nitrogen for lakes and reservoirs only)."""

UNITS: dict[str, str] = {
    "a34004": "µg/m3",
    "a34002": "µg/m3",
    "a21026": "µg/m3",
    "a21004": "µg/m3",
    "a21005": "mg/m3",
    "a05024": "µg/m3",
    "a01001": "°C",
    "a01002": "%",
    "a01006": "kPa",
    "a01007": "m/s",
    "a01008": "°",
    "w01001": "",
    "w01009": "mg/L",
    "w01019": "mg/L",
    "w01018": "mg/L",
    "w01017": "mg/L",
    "w21003": "mg/L",
    "w21011": "mg/L",
    "w21001": "mg/L",
    "w01010": "°C",
    "w01014": "µS/cm",
}
"""The unit a station reports each factor in."""


@dataclass(frozen=True)
class AmbientLimit:
    """One limit of an ambient standard: a value above ``high`` (``max``), below ``low``
    (``min``) or outside [low, high] (``range``) exceeds it."""

    factor: str
    averaging: Averaging
    bound: Bound
    low: float | None
    high: float | None
    standard: str
    grade: str
    """``II`` for air, the class (``I`` .. ``V``) for water."""

    def exceeded_by(self, value: float) -> bool:
        if self.low is not None and value < self.low:
            return True
        return self.high is not None and value > self.high

    @property
    def shown(self) -> str:
        """The limit as a person reads it: ``200``, ``>= 5``, ``6-9``."""
        if self.bound == "range":
            return f"{self.low:g}-{self.high:g}"
        if self.bound == "min":
            return f">= {self.low:g}"
        return f"{self.high:g}"


def _air(factor: str, averaging: Averaging, high: float) -> AmbientLimit:
    return AmbientLimit(factor, averaging, "max", None, high, AIR_STANDARD, "II")


AIR_LIMITS: tuple[AmbientLimit, ...] = (
    _air("a21026", "hour", 500.0),
    _air("a21004", "hour", 200.0),
    _air("a21005", "hour", 10.0),
    _air("a05024", "hour", 200.0),
    _air("a21026", "day", 150.0),
    _air("a21004", "day", 80.0),
    _air("a21005", "day", 4.0),
    _air("a34002", "day", 150.0),
    _air("a34004", "day", 75.0),
    _air("a05024", "8h", 160.0),
    _air("a21026", "year", 60.0),
    _air("a21004", "year", 40.0),
    _air("a34002", "year", 70.0),
    _air("a34004", "year", 35.0),
)
"""GB 3095-2012 table 1, grade II: 1-hour means of SO2, NO2, CO, O3; 24-hour means of SO2,
NO2, CO, PM10, PM2.5; ozone's daily maximum 8-hour mean (``8h``); annual means of SO2, NO2,
PM10, PM2.5 (``year``). The ``8h`` and ``year`` limits are judged by ``stations.averages``."""

ROMAN = ("I", "II", "III", "IV", "V")
DEFAULT_WATER_CLASS = 3

_WATER_MAX: dict[str, tuple[float, float, float, float, float]] = {
    "w01019": (2.0, 4.0, 6.0, 10.0, 15.0),
    "w01018": (15.0, 15.0, 20.0, 30.0, 40.0),
    "w01017": (3.0, 3.0, 4.0, 6.0, 10.0),
    "w21003": (0.15, 0.5, 1.0, 1.5, 2.0),
    "w21011": (0.02, 0.1, 0.2, 0.3, 0.4),
}
"""GB 3838-2002 table 1, upper limits of classes I-V (total phosphorus: rivers)."""
_WATER_MIN: dict[str, tuple[float, float, float, float, float]] = {
    "w01009": (7.5, 6.0, 5.0, 3.0, 2.0),
}
"""Lower limits of classes I-V (dissolved oxygen: at least)."""
PH_RANGE = (6.0, 9.0)
"""pH of every class."""


def water_limits(water_class: int) -> tuple[AmbientLimit, ...]:
    """The GB 3838-2002 limits of class ``water_class`` (1-5), judged on each reading."""
    if not 1 <= water_class <= 5:
        raise ValueError(f"water class {water_class} is not 1-5 (I-V)")
    grade = ROMAN[water_class - 1]
    at = water_class - 1
    limits = [AmbientLimit("w01001", "hour", "range", *PH_RANGE, WATER_STANDARD, grade)]
    limits += [
        AmbientLimit(f, "hour", "min", values[at], None, WATER_STANDARD, grade)
        for f, values in _WATER_MIN.items()
    ]
    limits += [
        AmbientLimit(f, "hour", "max", None, values[at], WATER_STANDARD, grade)
        for f, values in _WATER_MAX.items()
    ]
    return tuple(limits)


def limits_for(kind: str, water_class: int | None) -> tuple[AmbientLimit, ...]:
    """The limits a station of ``kind`` is judged against."""
    if kind == "air":
        return AIR_LIMITS
    return water_limits(water_class or DEFAULT_WATER_CLASS)


def factors_for(kind: str) -> tuple[str, ...]:
    """Every factor a station of ``kind`` reports, judged ones first."""
    if kind == "air":
        return AIR_FACTORS + METEOROLOGY
    return WATER_FACTORS + WATER_EXTRA


def judged_factors(kind: str) -> tuple[str, ...]:
    """The factors the station rules read for a station of ``kind``."""
    return AIR_FACTORS if kind == "air" else WATER_FACTORS
