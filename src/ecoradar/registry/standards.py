"""The standards library: named emission limit sets a monitoring point can reference.

A monitoring point may give its limits explicitly or name a set here (``"GB13223-2011/coal-new"``)
and take the limit for each factor from it. Keys are stable identifiers; titles are for display.
Factor codes are those of HJ 212-2017 Appendix B.

Sources: GB 13223-2011 (thermal power plants, air), GB 18918-2002 (municipal wastewater treatment
plants), GB 8978-1996 (integrated wastewater discharge), as summarised in the project's domain
reference. Values that reference marks *(unconfirmed)* are flagged below; check them against the
standard texts before relying on them in enforcement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ecoradar.core.errors import NotFoundError

__all__ = [
    "COD",
    "DUST",
    "NH3_N",
    "NOX",
    "PH",
    "SO2",
    "STANDARDS",
    "TN",
    "TP",
    "LimitSet",
    "LimitSpec",
    "UnknownStandardError",
    "get_limit_set",
    "limit_for",
]

# HJ 212-2017 factor codes.
SO2: Final = "a21026"
NOX: Final = "a21002"
DUST: Final = "a34013"  # smoke dust / particulate matter
COD: Final = "w01018"
NH3_N: Final = "w21003"
TP: Final = "w21011"
TN: Final = "w21001"
PH: Final = "w01001"

GAS_UNIT: Final = "mg/m3"
WATER_UNIT: Final = "mg/L"

Averaging = Literal["hour", "day"]
Medium = Literal["gas", "water"]


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """The limit for one factor: a maximum concentration over an averaging period.

    For gas, ``o2_reference`` is the reference oxygen content (%) the measured concentration is
    converted to before comparison; ``None`` for water.
    """

    factor: str
    limit: float
    unit: str
    averaging: Averaging
    o2_reference: float | None


@dataclass(frozen=True, slots=True)
class LimitSet:
    """A named set of limits from one class of one standard."""

    key: str
    title_zh: str
    title_en: str
    standard: str
    medium: Medium
    limits: dict[str, LimitSpec]


class UnknownStandardError(NotFoundError, ValueError):
    """A limit-set key that is not in the standards library."""


def _gas(o2: float, **limits: float) -> dict[str, LimitSpec]:
    codes = {"so2": SO2, "nox": NOX, "dust": DUST}
    return {
        codes[name]: LimitSpec(codes[name], value, GAS_UNIT, "hour", o2)
        for name, value in limits.items()
    }


def _water(**limits: float) -> dict[str, LimitSpec]:
    codes = {"cod": COD, "nh3_n": NH3_N, "tn": TN, "tp": TP}
    return {
        codes[name]: LimitSpec(codes[name], value, WATER_UNIT, "day", None)
        for name, value in limits.items()
    }


_GB13223 = "GB 13223-2011"
_GB18918 = "GB 18918-2002"
_GB8978 = "GB 8978-1996"

_SETS: Final = (
    # GB 13223-2011: the reference gives the coal-fired figures and the reference O2 contents
    # (6 % coal, 3 % gas boilers, 15 % gas turbines) as (unconfirmed). Gas-fired smoke dust 5 and
    # the gas turbine's SO2 35 / dust 5 are not in the reference either: (unconfirmed).
    LimitSet(
        "GB13223-2011/coal-new",
        "火电厂燃煤锅炉（新建）",
        "Thermal power, coal-fired boiler (new)",
        _GB13223,
        "gas",
        _gas(6.0, so2=100.0, nox=100.0, dust=30.0),  # (unconfirmed)
    ),
    LimitSet(
        "GB13223-2011/coal-existing",
        "火电厂燃煤锅炉（现有）",
        "Thermal power, coal-fired boiler (existing)",
        _GB13223,
        "gas",
        _gas(6.0, so2=200.0, nox=100.0, dust=30.0),  # (unconfirmed)
    ),
    LimitSet(
        "GB13223-2011/gas-boiler",
        "火电厂天然气锅炉",
        "Thermal power, natural-gas-fired boiler",
        _GB13223,
        "gas",
        _gas(3.0, so2=35.0, nox=100.0, dust=5.0),  # dust 5 and O2 3 %: (unconfirmed)
    ),
    LimitSet(
        "GB13223-2011/gas-turbine",
        "火电厂天然气燃气轮机组",
        "Thermal power, natural-gas-fired gas turbine",
        _GB13223,
        "gas",
        _gas(15.0, so2=35.0, nox=50.0, dust=5.0),  # SO2, dust and O2 15 %: (unconfirmed)
    ),
    LimitSet(
        "GB13223-2011/ultra-low",
        "燃煤电厂超低排放",
        "Coal-fired power, ultra-low emission",
        # Ultra-low emission is a policy target (the 2015 plan for coal-fired power plants),
        # stricter than GB 13223-2011 and measured the same way; filed under that standard.
        _GB13223,
        "gas",
        _gas(6.0, so2=35.0, nox=50.0, dust=10.0),
    ),
    # GB 18918-2002: NH3-N 1A 5 (8 at water temperature <= 12 °C), 1B 8 (15); the set holds the
    # warm-water values.
    LimitSet(
        "GB18918-2002/1A",
        "城镇污水处理厂一级A标准",
        "Municipal wastewater treatment plant, class 1A",
        _GB18918,
        "water",
        _water(cod=50.0, nh3_n=5.0, tn=15.0, tp=0.5),
    ),
    LimitSet(
        "GB18918-2002/1B",
        "城镇污水处理厂一级B标准",
        "Municipal wastewater treatment plant, class 1B",
        _GB18918,
        "water",
        _water(cod=60.0, nh3_n=8.0, tn=20.0, tp=1.0),
    ),
    # GB 8978-1996, "other discharging units": class 3 sets no NH3-N limit.
    LimitSet(
        "GB8978-1996/1",
        "污水综合排放一级标准",
        "Integrated wastewater discharge, class 1",
        _GB8978,
        "water",
        _water(cod=100.0, nh3_n=15.0),
    ),
    LimitSet(
        "GB8978-1996/2",
        "污水综合排放二级标准",
        "Integrated wastewater discharge, class 2",
        _GB8978,
        "water",
        _water(cod=150.0, nh3_n=25.0),
    ),
    LimitSet(
        "GB8978-1996/3",
        "污水综合排放三级标准",
        "Integrated wastewater discharge, class 3",
        _GB8978,
        "water",
        _water(cod=500.0),
    ),
)

STANDARDS: Final[dict[str, LimitSet]] = {limit_set.key: limit_set for limit_set in _SETS}


def get_limit_set(key: str) -> LimitSet:
    """The limit set called ``key``; ``UnknownStandardError`` listing the known keys otherwise."""
    try:
        return STANDARDS[key.strip()]
    except KeyError:
        known = ", ".join(STANDARDS)
        raise UnknownStandardError(
            f"unknown standard limit set {key!r}; known sets: {known}"
        ) from None


def limit_for(key: str, factor: str) -> LimitSpec | None:
    """The limit for ``factor`` in set ``key``, or ``None`` when the set does not limit it."""
    return get_limit_set(key).limits.get(factor)
