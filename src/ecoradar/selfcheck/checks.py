"""Checklist items and judging a task's answers against them (pure).

An item (one entry of a template version's ``items``)::

    {"code": "ph", "kind": "number", "label": "出水pH", "label_en": "Effluent pH",
     "required": true, "min": 6, "max": 9, "unit": ""}

``kind`` is ``yes_no`` (``must_be_yes``: "no" fails the item), ``number`` (``min``/``max``,
either may be absent: a reading outside fails the item; ``unit`` for display), ``photo`` (at
least one photo when required) or ``text``. ``code`` is stable across versions: findings about
the same item of the same point attach to one problem through it.

``judge`` returns the failed items, the required items left unanswered, the answers that are
not of their item's kind, and warnings: a photo (EXIF position) or the submitter (browser
position) more than ``FAR_METRES`` from the control point. A warning never refuses a task.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecoradar.core.errors import InputError
from ecoradar.core.geo import haversine_m as distance_m

ITEM_KINDS = ("yes_no", "number", "photo", "text")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FAR_METRES = 200.0
"""A photo or a submission further than this from the control point is flagged."""
MAX_TEXT = 2000
MAX_ITEMS = 100
YES = frozenset({"yes", "y", "true", "1", "on", "是"})
NO = frozenset({"no", "n", "false", "0", "off", "否"})


@dataclass(frozen=True)
class Item:
    code: str
    kind: str
    label: str
    label_en: str = ""
    required: bool = True
    must_be_yes: bool = False
    min: float | None = None
    max: float | None = None
    unit: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "kind": self.kind,
            "label": self.label,
            "required": self.required,
        }
        if self.label_en:
            data["label_en"] = self.label_en
        if self.kind == "yes_no":
            data["must_be_yes"] = self.must_be_yes
        if self.kind == "number":
            data.update(min=self.min, max=self.max, unit=self.unit)
        return data

    def range_text(self) -> str:
        low = "" if self.min is None else f"{self.min:g}"
        high = "" if self.max is None else f"{self.max:g}"
        return f"{low}-{high}{(' ' + self.unit) if self.unit else ''}"


@dataclass(frozen=True)
class PhotoFact:
    """An uploaded photo of a task: the item it is for and where it was taken (EXIF)."""

    item: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class FailedItem:
    code: str
    label: str
    reason: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "reason": self.reason, "value": self.value}


@dataclass
class Verdict:
    values: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    failed: list[FailedItem] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        """Complete and well-formed (failed items are acceptable: they are the point)."""
        return not self.missing and not self.invalid


def _bound(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}.{key}: {value!r} is not a number")
    return float(value)


def parse_items(raw_items: object, *, where: str = "items") -> list[Item]:
    """Items from their JSON form; ``InputError`` names the first bad entry and field."""
    if not isinstance(raw_items, list) or not raw_items:
        raise InputError(f"{where}: a non-empty list of checklist items")
    if len(raw_items) > MAX_ITEMS:
        raise InputError(f"{where}: at most {MAX_ITEMS} items")
    items: list[Item] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_items):
        at = f"{where}[{number}]"
        if not isinstance(raw, dict):
            raise InputError(f"{at}: an object with code, kind and label")
        code, kind, label = raw.get("code"), raw.get("kind"), raw.get("label")
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise InputError(f"{at}.code: {code!r} is not a code (a-z, 0-9, _; 1-40)")
        if code in seen:
            raise InputError(f"{at}.code: {code!r} appears twice")
        seen.add(code)
        if kind not in ITEM_KINDS:
            raise InputError(f"{at}.kind: {kind!r} is not one of {', '.join(ITEM_KINDS)}")
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise InputError(f"{at}.label: required, at most 200 characters")
        label_en = raw.get("label_en", "")
        if not isinstance(label_en, str) or len(label_en) > 200:
            raise InputError(f"{at}.label_en: text of at most 200 characters")
        required, must_be_yes = raw.get("required", True), raw.get("must_be_yes", False)
        if not isinstance(required, bool) or not isinstance(must_be_yes, bool):
            raise InputError(f"{at}: required and must_be_yes are true or false")
        if must_be_yes and kind != "yes_no":
            raise InputError(f"{at}.must_be_yes: only for yes_no items")
        low, high = _bound(raw, "min", at), _bound(raw, "max", at)
        if (low is not None or high is not None) and kind != "number":
            raise InputError(f"{at}: min and max are only for number items")
        if low is not None and high is not None and low > high:
            raise InputError(f"{at}: min {low:g} is above max {high:g}")
        unit = raw.get("unit", "")
        if not isinstance(unit, str) or len(unit) > 16:
            raise InputError(f"{at}.unit: text of at most 16 characters")
        items.append(
            Item(
                code, kind, label.strip(), label_en.strip(), required, must_be_yes, low, high, unit
            )
        )
    return items


def _yes_no(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES:
        return True
    if isinstance(value, str) and value.strip().lower() in NO:
        return False
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def judge(
    items: Sequence[Item],
    answers: Mapping[str, Any],
    *,
    photos: Sequence[PhotoFact] = (),
    point: tuple[float, float] | None = None,
    position: tuple[float, float] | None = None,
    far_metres: float = FAR_METRES,
) -> Verdict:
    """Judge ``answers`` (item code -> value) against ``items``.

    ``point`` and ``position`` are ``(lat, lon)`` of the control point and of the submitter.
    Answers to unknown codes are invalid; photo items are answered by ``photos``.
    """
    verdict = Verdict()
    known = {item.code for item in items}
    for code in sorted(set(answers) - known):
        verdict.invalid.append(f"answers.{code}: no such item in this checklist")
    photo_count: dict[str, int] = {}
    for photo in photos:
        photo_count[photo.item] = photo_count.get(photo.item, 0) + 1
    for item in items:
        raw = answers.get(item.code)
        if item.kind == "photo":
            count = photo_count.get(item.code, 0)
            verdict.values[item.code] = count
            if item.required and count == 0:
                verdict.missing.append(item.code)
            continue
        if _blank(raw):
            if item.required:
                verdict.missing.append(item.code)
            continue
        _judge_value(item, raw, verdict)
    _far_warnings(photos, point, position, far_metres, verdict)
    return verdict


def _judge_value(item: Item, raw: object, verdict: Verdict) -> None:
    if item.kind == "yes_no":
        answer = _yes_no(raw)
        if answer is None:
            verdict.invalid.append(f"answers.{item.code}: {raw!r} is not yes or no")
            return
        verdict.values[item.code] = answer
        if item.must_be_yes and not answer:
            verdict.failed.append(FailedItem(item.code, item.label, "answered_no", answer))
    elif item.kind == "number":
        number = _number(raw)
        if number is None:
            verdict.invalid.append(f"answers.{item.code}: {raw!r} is not a number")
            return
        verdict.values[item.code] = number
        below = item.min is not None and number < item.min
        above = item.max is not None and number > item.max
        if below or above:
            reason = "below_range" if below else "above_range"
            verdict.failed.append(FailedItem(item.code, item.label, reason, number))
    else:
        if not isinstance(raw, str) or len(raw) > MAX_TEXT:
            verdict.invalid.append(f"answers.{item.code}: text of at most {MAX_TEXT} characters")
            return
        verdict.values[item.code] = raw.strip()


def _far_warnings(
    photos: Sequence[PhotoFact],
    point: tuple[float, float] | None,
    position: tuple[float, float] | None,
    far_metres: float,
    verdict: Verdict,
) -> None:
    if point is None:
        return
    for photo in photos:
        if photo.lat is None or photo.lon is None:
            verdict.warnings.append({"kind": "photo_without_position", "item": photo.item})
            continue
        far = distance_m(point[0], point[1], photo.lat, photo.lon)
        if far > far_metres:
            verdict.warnings.append(
                {"kind": "photo_far", "item": photo.item, "distance_m": round(far)}
            )
    if position is not None:
        far = distance_m(point[0], point[1], position[0], position[1])
        if far > far_metres:
            verdict.warnings.append({"kind": "position_far", "distance_m": round(far)})
