"""The reminders' configuration: ``reminders.toml`` beside this module, or the file named by
``ECORADAR_REMINDERS_CONFIG`` laid over it (keys it leaves out keep the built-in values)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecoradar.config import Settings
from ecoradar.core.errors import InputError

BUILTIN = Path(__file__).with_name("reminders.toml")
TRIGGERS = (
    "permit_expiry",
    "selfcheck_overdue",
    "rectification_due",
    "near_limit",
    "maintenance_flags",
    "device_offline",
    "standard_change",
    "campaign",
)
"""Every trigger code, in the order a reminder lists its issues."""
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class TriggerConfig:
    code: str
    enabled: bool
    auto: bool
    cooldown_days: int
    params: dict[str, Any] = field(default_factory=dict)

    def number(self, key: str) -> float:
        return float(self.params[key])

    def whole(self, key: str) -> int:
        return int(self.params[key])


@dataclass(frozen=True)
class Config:
    bureau_name: str
    bureau_name_en: str
    prefix: str
    period: str
    answer_days: int
    language: str
    escalation_channel: str
    escalation_category: str
    escalation_severity: str
    triggers: dict[str, TriggerConfig]
    notify: dict[str, Any]

    def trigger(self, code: str) -> TriggerConfig:
        return self.triggers[code]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from exc


def parse(data: dict[str, Any], source: str = "reminders.toml") -> Config:
    """A ``Config`` from the merged TOML; ``InputError`` names the file and the key."""

    def need(section: str, key: str) -> Any:
        try:
            return data[section][key]
        except KeyError as exc:
            raise InputError(f"{source}: [{section}] {key} is missing") from exc

    period = str(need("document", "period"))
    if period not in PERIODS:
        raise InputError(f"{source}: [document] period must be one of {', '.join(PERIODS)}")
    prefix = str(need("bureau", "prefix"))
    if not prefix.isalnum() or len(prefix) > 8:
        raise InputError(f"{source}: [bureau] prefix must be 1-8 letters or digits")
    triggers: dict[str, TriggerConfig] = {}
    for code in TRIGGERS:
        raw = dict(data.get("triggers", {}).get(code, {}))
        try:
            cooldown = int(raw.pop("cooldown_days", 14))
            triggers[code] = TriggerConfig(
                code=code,
                enabled=bool(raw.pop("enabled", True)),
                auto=bool(raw.pop("auto", False)),
                cooldown_days=cooldown,
                params=raw,
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"{source}: [triggers.{code}] {exc}") from exc
    return Config(
        bureau_name=str(need("bureau", "name")),
        bureau_name_en=str(need("bureau", "name_en")),
        prefix=prefix,
        period=period,
        answer_days=int(need("document", "answer_days")),
        language=str(need("document", "language")),
        escalation_channel=str(need("escalation", "channel")),
        escalation_category=str(need("escalation", "category")),
        escalation_severity=str(need("escalation", "severity")),
        triggers=triggers,
        notify=dict(data.get("notify", {})),
    )


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    data = _read(BUILTIN)
    source = str(BUILTIN)
    if path is not None:
        data = _merge(data, _read(path))
        source = str(path)
    if overrides:
        data = _merge(data, overrides)
    return parse(data, source)


def config_for(settings: Settings) -> Config:
    return load(settings.reminders_config)
