"""Codes of HJ 212: factors (Appendix B), systems, commands, answers, data flags.

The factor catalogue holds the codes of ``codes_2017_appendixB.tsv`` (HJ 212-2017 Appendix B,
tables B.1 water and B.2 gas; "可扩充": extensible), with the 2005 code each replaced, the
default concentration unit as printed in the standard and as a symbol, and the default data
type (§6.3.3.2.2). Units are those printed in the standard: it prints ng/m3 (纳克/立方米) for
ammonia, methane, TSP, PM10 and PM2.5, where ambient analysers usually report µg/m3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

Medium = Literal["water", "gas"]


@dataclass(frozen=True, slots=True)
class Factor:
    """A monitoring factor of HJ 212-2017 Appendix B."""

    code: str
    """2017 code, e.g. ``"a21026"``."""
    name_zh: str
    name_en: str
    code_2005: str | None
    """Code in HJ/T 212-2005 ("原编码"), ``None`` when the factor had none."""
    unit: str
    """Default concentration unit as a symbol (``"mg/m3"``, ``"-"`` when dimensionless)."""
    unit_zh: str
    """Default concentration unit as printed in Appendix B."""
    amount_unit: str | None
    """Default unit of the emitted amount (``-Cou``), ``None`` when the standard gives none."""
    medium: Medium
    data_type: str
    """Default data type of the concentration (§6.3.3.2.2), e.g. ``"N5.2"``."""


_UNIT_ZH = {
    "L/s": "升/秒",
    "-": "无量纲",
    "mg/L": "毫克/升",
    "°C": "摄氏度",
    "µS/cm": "微西[门子]/厘米",
    "m3/s": "立方米/秒",
    "%": "%",
    "kPa": "千帕",
    "m/s": "米/秒",
    "°": "[角]度",
    "m2": "平方米",
    "mg/m3": "毫克/立方米",
    "ng/m3": "纳克/立方米",
    "µg/m3": "微克/立方米",
}

# fmt: off
# code, Chinese name, English name, 2005 code, unit, amount unit, data type
_ROWS: tuple[tuple[str, str, str, str | None, str, str | None, str], ...] = (
    # Table B.1 water (HJ 525-2009)
    ("w00000", "污水", "Wastewater flow", "B01", "L/s", "m3", "N5.2"),
    ("w01001", "pH 值", "pH", "001", "-", None, "N2.2"),
    ("w01009", "溶解氧", "Dissolved oxygen", None, "mg/L", None, "N3.1"),
    ("w01010", "水温", "Water temperature", None, "°C", None, "N3.1"),
    ("w01012", "悬浮物", "Suspended solids", "003", "mg/L", "kg", "N4"),
    ("w01014", "电导率", "Conductivity", None, "µS/cm", None, "N3.1"),
    ("w01017", "五日生化需氧量", "Five-day biochemical oxygen demand (BOD5)", "010", "mg/L", "kg",
     "N5.1"),
    ("w01018", "化学需氧量", "Chemical oxygen demand (COD)", "011", "mg/L", "kg", "N5.1"),
    ("w01019", "高锰酸盐指数", "Permanganate index", None, "mg/L", "kg", "N3.1"),
    ("w01020", "总有机碳", "Total organic carbon", "015", "mg/L", "kg", "N3.1"),
    ("w21001", "总氮", "Total nitrogen", "065", "mg/L", "kg", "N4.2"),
    ("w21003", "氨氮", "Ammonia nitrogen (NH3-N)", "060", "mg/L", "kg", "N4.2"),
    ("w21011", "总磷", "Total phosphorus", "101", "mg/L", "kg", "N3.2"),
    # Table B.2 gas (HJ 524-2009)
    ("a00000", "废气", "Flue-gas flow", "B02", "m3/s", "m3", "N6.1"),
    ("a01001", "温度", "Air temperature", None, "°C", None, "N3.1"),
    ("a01002", "湿度", "Relative humidity", None, "%", None, "N3.1"),
    ("a01006", "气压", "Atmospheric pressure", None, "kPa", None, "N5.3"),
    ("a01007", "风速", "Wind speed", None, "m/s", None, "N4.1"),
    ("a01008", "风向", "Wind direction", None, "°", None, "N4"),
    ("a01011", "烟气流速", "Flue-gas velocity", "S02", "m/s", None, "N5.2"),
    ("a01012", "烟气温度", "Flue-gas temperature", "S03", "°C", None, "N3.1"),
    ("a01013", "烟气压力", "Flue-gas pressure", "S08", "kPa", None, "N5.3"),
    ("a01014", "烟气湿度", "Flue-gas humidity", "S05", "%", None, "N3.1"),
    ("a01016", "烟道截面积", "Flue cross-section area", "S07", "m2", None, "N4.2"),
    ("a01017", "烟气动压", "Flue-gas dynamic pressure", "S04", "kPa", None, "N5.3"),
    ("a05001", "二氧化碳", "Carbon dioxide (CO2)", "30", "mg/m3", "kg", "N3.3"),
    ("a05002", "甲烷", "Methane (CH4)", None, "ng/m3", "g", "N4.1"),
    ("a19001", "氧气含量", "Oxygen content (O2)", "S01", "%", None, "N3.1"),
    ("a20057", "汞及其化合物", "Mercury and its compounds", "31", "mg/m3", "kg", "N4.4"),
    ("a21001", "氨（氨气）", "Ammonia (NH3)", "10", "ng/m3", "g", "N4.3"),
    ("a21002", "氮氧化物", "Nitrogen oxides (NOx)", "03", "mg/m3", "kg", "N5.1"),
    ("a21003", "一氧化氮", "Nitric oxide (NO)", None, "mg/m3", "kg", "N4.1"),
    ("a21004", "二氧化氮", "Nitrogen dioxide (NO2)", None, "mg/m3", "kg", "N4.1"),
    ("a21005", "一氧化碳", "Carbon monoxide (CO)", "04", "mg/m3", "kg", "N3.3"),
    ("a21018", "氟化物", "Fluorides", "06", "mg/m3", "kg", "N2.3"),
    ("a21024", "氯化氢", "Hydrogen chloride (HCl)", "08", "mg/m3", "kg", "N4.3"),
    ("a21026", "二氧化硫", "Sulphur dioxide (SO2)", "02", "mg/m3", "kg", "N5.2"),
    ("a24087", "碳氢化合物", "Total hydrocarbons", "25", "mg/m3", "kg", "N5.2"),
    ("a24088", "非甲烷总烃", "Non-methane hydrocarbons (NMHC)", None, "mg/m3", "kg", "N7.3"),
    ("a25002", "苯", "Benzene", None, "mg/m3", "kg", "N7.3"),
    ("a34001", "总悬浮颗粒物 TSP", "Total suspended particulates (TSP)", None, "ng/m3", "g",
     "N4.3"),
    ("a34002", "可吸入颗粒物 PM10", "Inhalable particulate matter (PM10)", None, "ng/m3", "g",
     "N3.3"),
    ("a34004", "细微颗粒物 PM2.5", "Fine particulate matter (PM2.5)", None, "ng/m3", "g", "N3.3"),
    ("a34013", "烟尘", "Smoke dust (particulates)", "01", "mg/m3", "kg", "N4"),
    ("a99051", "二硫化碳", "Carbon disulphide (CS2)", "12", "mg/m3", "kg", "N4.3"),
    # Ozone, an ambient code of HJ 524-2009 that Appendix B leaves out ("可扩充"), sent by
    # air-quality stations (ST=22); in µg/m3 as stations report it
    # (ecoradar.stations.standards.UNITS gives the units stations report every factor in).
    ("a05024", "臭氧", "Ozone (O3)", None, "µg/m3", None, "N4.1"),
)
# fmt: on

FACTORS: dict[str, Factor] = {
    code: Factor(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        code_2005=code_2005,
        unit=unit,
        unit_zh=_UNIT_ZH[unit],
        amount_unit=amount_unit,
        medium="water" if code.startswith("w") else "gas",
        data_type=data_type,
    )
    for code, name_zh, name_en, code_2005, unit, amount_unit, data_type in _ROWS
}
"""The catalogue, keyed by 2017 code."""

CODE_2005_TO_2017: dict[str, str] = {
    f.code_2005: f.code for f in FACTORS.values() if f.code_2005 is not None
}
"""2005 code ("原编码") to 2017 code. 2005 water codes have 3 characters, gas codes 2."""


class SystemCode(StrEnum):
    """ST, system codes of HJ 212-2017 §6.6.1, table 5 (after GB/T 16706-1996).

    10-29 environmental quality, 30-49 pollution sources, 50-69 process monitoring, 91-99 system
    interaction, A0-Z9 extensions. Devices send other values (80 and 101 are seen).
    """

    SURFACE_WATER = "21"
    AIR_QUALITY = "22"
    NOISE = "23"
    GROUNDWATER = "24"
    SOIL = "25"
    SEAWATER = "26"
    VOC = "27"
    AIR_POLLUTION_SOURCE = "31"
    SURFACE_WATER_POLLUTION_SOURCE = "32"
    GROUNDWATER_POLLUTION_SOURCE = "33"
    MARINE_POLLUTION_SOURCE = "34"
    SOIL_POLLUTION_SOURCE = "35"
    NOISE_POLLUTION_SOURCE = "36"
    VIBRATION_POLLUTION_SOURCE = "37"
    RADIOACTIVE_POLLUTION_SOURCE = "38"
    CONSTRUCTION_DUST = "39"
    ELECTROMAGNETIC_POLLUTION_SOURCE = "41"
    FLUE_GAS_PROCESS = "51"
    WASTEWATER_PROCESS = "52"
    SYSTEM_INTERACTION = "91"
    """Replies of either side (9011-9014)."""


ST_MEDIUM: dict[str, Medium] = {
    "21": "water",
    "24": "water",
    "26": "water",
    "32": "water",
    "33": "water",
    "34": "water",
    "52": "water",
    "22": "gas",
    "27": "gas",
    "31": "gas",
    "39": "gas",
    "51": "gas",
}
"""The medium of systems whose factors are all water or all gas codes."""


class Command(StrEnum):
    """CN, command codes of HJ 212-2017 §6.6.5, table 9 (1xxx parameters, 2xxx data, 3xxx control,
    9xxx interaction)."""

    SET_TIMEOUT_RETRIES = "1000"
    GET_TIME = "1011"
    """Platform asks, or device uploads, the device time (SystemTime)."""
    SET_TIME = "1012"
    TIME_CALIBRATION_REQUEST = "1013"
    GET_RTD_INTERVAL = "1061"
    SET_RTD_INTERVAL = "1062"
    GET_MIN_INTERVAL = "1063"
    SET_MIN_INTERVAL = "1064"
    SET_PASSWORD = "1072"
    REALTIME_DATA = "2011"
    STOP_REALTIME_DATA = "2012"
    EQUIPMENT_STATUS = "2021"
    STOP_EQUIPMENT_STATUS = "2022"
    DAILY_DATA = "2031"
    DAILY_RUN_TIME = "2041"
    MINUTE_DATA = "2051"
    HOURLY_DATA = "2061"
    LOGGER_BOOT_TIME = "2081"
    ZERO_SPAN_CALIBRATION = "3011"
    IMMEDIATE_SAMPLING = "3012"
    CLEANING_BLOWBACK = "3013"
    COMPARISON_SAMPLING = "3014"
    OVERPROOF_SAMPLING = "3015"
    SET_SAMPLING_PERIOD = "3016"
    GET_SAMPLING_PERIOD = "3017"
    GET_SAMPLE_OUTPUT_TIME = "3018"
    GET_DEVICE_ID = "3019"
    SITE_INFO = "3020"
    SET_SITE_PARAMETERS = "3021"
    REQUEST_ANSWER = "9011"
    """QnRtn, answer to a request."""
    EXECUTION_RESULT = "9012"
    """ExeRtn, result of a request."""
    NOTIFY_ANSWER = "9013"
    DATA_ANSWER = "9014"
    """Answer to an upload, ST=91, empty CP."""
    HEARTBEAT = "9015"
    """HJ 212-2025 heartbeat (unconfirmed: from an implementation, the 2025 text is not here)."""


class QnRtn(IntEnum):
    """QnRtn, request answer codes of HJ 212-2017 §6.6.3, table 7 (sent with CN 9011)."""

    READY = 1
    REFUSED = 2
    PW_ERROR = 3
    MN_ERROR = 4
    ST_ERROR = 5
    FLAG_ERROR = 6
    QN_ERROR = 7
    CN_ERROR = 8
    CRC_ERROR = 9
    UNKNOWN_ERROR = 100


class ExeRtn(IntEnum):
    """ExeRtn, execution results of HJ 212-2017 §6.6.2, table 6 (sent with CN 9012)."""

    SUCCESS = 1
    FAILED = 2
    CONDITION_ERROR = 3
    TIMEOUT = 4
    BUSY = 5
    FAULT = 6
    NO_DATA = 100


class DataFlag(StrEnum):
    """Data flags (``xxxxxx-Flag``) of HJ 212-2017 §6.6.4, table 8; ``P`` is HJ/T 212-2005's."""

    NORMAL = "N"
    STOPPED = "F"
    MAINTENANCE = "M"
    MANUAL = "S"
    FAULT = "D"
    CALIBRATION = "C"
    OVER_RANGE = "T"
    """Above the measuring range: the value is at least the upper limit."""
    COMMUNICATION_FAULT = "B"
    POWER_FAULT = "P"
    """HJ/T 212-2005 only."""


VALID_DATA_FLAGS: frozenset[str] = frozenset({DataFlag.NORMAL})
"""Only N data counts as valid emission data."""


class EquipmentState(IntEnum):
    """``SBxxx-RS``: state of a pollution treatment facility (§6.3.3.2.3, table 4)."""

    OFF = 0
    RUNNING = 1
    CALIBRATING = 2
    MAINTENANCE = 3
    ALARM = 4
    BLOWBACK = 5


class Suffix(StrEnum):
    """Suffixes of data items ``code-Suffix=value`` (§6.3.3.2.3, table 4)."""

    RTD = "Rtd"
    MIN = "Min"
    AVG = "Avg"
    MAX = "Max"
    ZS_RTD = "ZsRtd"
    ZS_MIN = "ZsMin"
    ZS_AVG = "ZsAvg"
    ZS_MAX = "ZsMax"
    COU = "Cou"
    FLAG = "Flag"
    EFLAG = "EFlag"
    SAMPLE_TIME = "SampleTime"
    DATA = "Data"
    DAY_DATA = "DayData"
    NIGHT_DATA = "NightData"
    INFO = "Info"
    SN = "SN"


def factor(code: str) -> Factor | None:
    """The factor of a 2017 code, or of a 2005 code; ``None`` when not catalogued."""
    found = FACTORS.get(code)
    if found is None:
        new = CODE_2005_TO_2017.get(code)
        if new is not None:
            found = FACTORS[new]
    return found


def is_known_factor(code: str) -> bool:
    """Whether ``code`` is a catalogued 2017 or 2005 factor code."""
    return code in FACTORS or code in CODE_2005_TO_2017


def to_2017_code(code: str, st: str | None = None) -> str:
    """The 2017 code of a 2005 code; any other code is returned as it is.

    With ``st``, a 2005 code is only mapped when the factor's medium matches the system's
    (water codes in water systems, gas codes in gas systems): a device of ST=31 (air pollution
    source) sending ``011`` means something else than COD.
    """
    new = CODE_2005_TO_2017.get(code)
    if new is None:
        return code
    if st is not None:
        medium = ST_MEDIUM.get(st)
        if medium is not None and FACTORS[new].medium != medium:
            return code
    return new


def code_map_for(st: str | None) -> dict[str, str]:
    """The 2005-to-2017 mapping to apply to the items of a packet of system ``st``."""
    medium = ST_MEDIUM.get(st) if st is not None else None
    if medium is None:
        return CODE_2005_TO_2017
    return _MAP_BY_MEDIUM[medium]


_MAP_BY_MEDIUM: dict[Medium, dict[str, str]] = {
    m: {old: new for old, new in CODE_2005_TO_2017.items() if FACTORS[new].medium == m}
    for m in ("water", "gas")
}
