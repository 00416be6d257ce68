"""The scoring model's configuration: ``model.toml`` next to this module, or the file
``ECORADAR_GREENCODE_MODEL`` names. A bad file is refused with a message naming the file and
the key (``ConfigurationError``); nothing is half-loaded."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecoradar.core.errors import ConfigurationError
from ecoradar.detection.models import KINDS
from ecoradar.problems.models import SEVERITIES

DEFAULT_PATH = Path(__file__).with_name("model.toml")

INDICATORS = (
    "monitoring_compliance",
    "data_quality",
    "self_inspection",
    "problems",
    "enforcement",
    "reminders",
    "permit",
)
"""The indicators, by the names the export uses (a contract)."""
SCHEMES = {"three": ("green", "yellow", "red"), "five": ("green", "blue", "yellow", "red", "black")}
VETO_RULES = (
    "data_falsification",
    "public_security",
    "hazardous_waste_disposal",
    "bypass",
    "refused_inspection",
)
AGGREGATES = ("worst", "hours")

Band = tuple[float, float, float]
"""(lowest share of the band, score at that share, score at the top of the band)."""


@dataclass(frozen=True)
class Scheme:
    name: str
    cutoffs: tuple[tuple[str, float], ...]
    """(colour, lowest total of that colour), highest first; the last one's minimum is 0."""
    veto_colour: str

    @property
    def colours(self) -> tuple[str, ...]:
        return SCHEMES[self.name]


@dataclass(frozen=True)
class Model:
    version: str
    source: str
    scheme: Scheme
    weights: dict[str, float]
    max_reasons: int
    veto_rules: frozenset[str]
    veto_score_cap: float
    compliance_window_days: int
    compliance_aggregate: str
    compliance_min_valid_hours: int
    compliance_bands: tuple[Band, ...]
    quality_window_days: int
    online_bands: tuple[Band, ...]
    falsification_kinds: frozenset[str]
    falsification_penalty: float
    device_kinds: frozenset[str]
    device_penalty: float
    inspection_window_days: int
    failed_item_penalty: float
    problems_window_days: int
    overdue_penalty: float
    severity_penalty: dict[str, float]
    enforcement_window_days: int
    outcome_penalty: dict[str, float]
    """Penalty of a warning, an order to correct and a public-security transfer."""
    fine_brackets: tuple[tuple[float, float], ...]
    """(smallest fine in yuan, penalty), ascending."""
    reminders_window_days: int
    permit_expiring_days: int
    permit_expiring_floor: float
    repair_waiting_days: int
    inspection_rates: dict[str, float]
    """Probability of being drawn for inspection, per colour (used by the draws)."""


class _Reader:
    """Reads keys of one parsed file, refusing with the file and the key named."""

    def __init__(self, source: str, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data

    def fail(self, key: str, why: str) -> ConfigurationError:
        return ConfigurationError(f"green code model {self.source}: {key}: {why}")

    def get(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.fail(key, "missing")
            node = node[part]
        return node

    def number(self, key: str, low: float | None = 0, high: float | None = None) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"{value!r} is not a number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, f"{value} is not between {low} and {high}")
        return float(value)

    def integer(self, key: str, low: int = 0, high: int = 100_000) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"{value!r} is not a whole number from {low} to {high}")
        return value

    def text(self, key: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{value!r} is not a text")
        if choices is not None and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value.strip()

    def names(self, key: str, choices: tuple[str, ...]) -> frozenset[str]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "not a list of names")
        unknown = sorted(set(value) - set(choices))
        if unknown:
            raise self.fail(key, f"{', '.join(unknown)}: not one of {', '.join(choices)}")
        return frozenset(value)

    def bands(self, key: str) -> tuple[Band, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, "not a list of [share, low score, high score]")
        bands: list[Band] = []
        for i, band in enumerate(value):
            if (
                not isinstance(band, list)
                or len(band) != 3
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in band)
            ):
                raise self.fail(f"{key}[{i}]", "not [share, low score, high score]")
            share, low, high = (float(v) for v in band)
            if not 0 <= share <= 1 or not 0 <= low <= high <= 100:
                raise self.fail(f"{key}[{i}]", "share 0-1 and 0 <= low <= high <= 100 required")
            if bands and share >= bands[-1][0]:
                raise self.fail(f"{key}[{i}]", "bands must go from the highest share down")
            bands.append((share, low, high))
        if bands[-1][0] != 0:
            raise self.fail(key, "the last band must start at share 0")
        return tuple(bands)


def _scheme(r: _Reader, name: str) -> Scheme:
    key = f"schemes.{name}"
    colours = SCHEMES[name]
    raw = r.get(f"{key}.cutoffs")
    if not isinstance(raw, list) or not raw:
        raise r.fail(f"{key}.cutoffs", "not a list of [colour, minimum score]")
    cutoffs: list[tuple[str, float]] = []
    for i, item in enumerate(raw):
        where = f"{key}.cutoffs[{i}]"
        if (
            not isinstance(item, list)
            or len(item) != 2
            or item[0] not in colours
            or isinstance(item[1], bool)
            or not isinstance(item[1], int | float)
            or not 0 <= item[1] <= 100
        ):
            raise r.fail(where, f"not [colour of {', '.join(colours)}, minimum score 0-100]")
        if cutoffs and (item[1] >= cutoffs[-1][1] or item[0] in dict(cutoffs)):
            raise r.fail(where, "colours must be distinct, minimums going down")
        cutoffs.append((item[0], float(item[1])))
    if cutoffs[-1][1] != 0:
        raise r.fail(f"{key}.cutoffs", "the last colour must start at 0")
    return Scheme(name, tuple(cutoffs), r.text(f"{key}.veto_colour", colours))


def parse(data: dict[str, Any], source: str) -> Model:
    """The model of a parsed TOML document (``source`` names it in messages)."""
    r = _Reader(source, data)
    weights = {name: r.number(f"weights.{name}", 0, 1000) for name in INDICATORS}
    if not any(weights.values()):
        raise r.fail("weights", "at least one weight must be above 0")
    fines = r.get("enforcement.fine_brackets")
    if not isinstance(fines, list) or not fines:
        raise r.fail("enforcement.fine_brackets", "not a list of [smallest fine, penalty]")
    brackets: list[tuple[float, float]] = []
    for i, item in enumerate(fines):
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in item)
            or item[0] < 0
            or not 0 <= item[1] <= 100
            or (brackets and item[0] <= brackets[-1][0])
        ):
            raise r.fail(
                f"enforcement.fine_brackets[{i}]",
                "not [smallest fine >= 0 (ascending), penalty 0-100]",
            )
        brackets.append((float(item[0]), float(item[1])))
    falsification = r.names("data_quality.falsification_kinds", KINDS)
    device = r.names("data_quality.device_kinds", KINDS)
    if falsification & device:
        raise r.fail("data_quality.device_kinds", "a kind is also a falsification kind")
    return Model(
        version=r.text("version"),
        source=source,
        scheme=_scheme(r, r.text("scheme", tuple(SCHEMES))),
        weights=weights,
        max_reasons=r.integer("max_reasons", 1, 1000),
        veto_rules=r.names("veto.rules", VETO_RULES),
        veto_score_cap=r.number("veto.score_cap", 0, 100),
        compliance_window_days=r.integer("monitoring_compliance.window_days", 1, 3660),
        compliance_aggregate=r.text("monitoring_compliance.aggregate", AGGREGATES),
        compliance_min_valid_hours=r.integer("monitoring_compliance.min_valid_hours", 1),
        compliance_bands=r.bands("monitoring_compliance.bands"),
        quality_window_days=r.integer("data_quality.window_days", 1, 3660),
        online_bands=r.bands("data_quality.online_bands"),
        falsification_kinds=falsification,
        falsification_penalty=r.number("data_quality.falsification_penalty", 0, 100),
        device_kinds=device,
        device_penalty=r.number("data_quality.device_penalty", 0, 100),
        inspection_window_days=r.integer("self_inspection.window_days", 1, 3660),
        failed_item_penalty=r.number("self_inspection.failed_item_penalty", 0, 100),
        problems_window_days=r.integer("problems.window_days", 1, 3660),
        overdue_penalty=r.number("problems.overdue_penalty", 0, 100),
        severity_penalty={
            s: r.number(f"problems.severity_penalty.{s}", 0, 100) for s in SEVERITIES
        },
        enforcement_window_days=r.integer("enforcement.window_days", 1, 3660),
        outcome_penalty={
            k: r.number(f"enforcement.{k}", 0, 100)
            for k in ("warning", "order_to_correct", "public_security")
        },
        fine_brackets=tuple(brackets),
        reminders_window_days=r.integer("reminders.window_days", 1, 3660),
        permit_expiring_days=r.integer("permit.expiring_days", 0, 3660),
        permit_expiring_floor=r.number("permit.expiring_floor", 0, 100),
        repair_waiting_days=r.integer("repair.waiting_days", 0, 3660),
        inspection_rates={c: r.number(f"inspection_rates.{c}", 0, 1) for c in SCHEMES["five"]},
    )


_cache: dict[tuple[str, float, int], Model] = {}


def load_model(path: Path | None = None) -> Model:
    """The model of ``path`` (default: the built-in ``model.toml``), read again only when the
    file changes."""
    path = path or DEFAULT_PATH
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigurationError(f"green code model {path}: cannot be read ({exc})") from exc
    key = (str(path), stat.st_mtime, stat.st_size)
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"green code model {path}: cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"green code model {path}: not TOML ({exc})") from exc
    model = parse(data, str(path))
    _cache.clear()
    _cache[key] = model
    return model
