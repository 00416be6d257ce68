"""A checklist as the web form edits it (pure): one row per question, in order.

A row has a question (``label``, and ``label_en``), an answer kind (``checks.ITEM_KINDS``),
whether an answer is required, whether a photo is required, ``must_be_yes`` (yes/no) and
``min``/``max``/``unit`` (numbers). The stored format is the import's (``checks.parse_items``,
which judges every row: one source of truth): a row that requires a photo is its item followed
by a required photo item coded ``<code>_photo``, and reading a checklist back folds that pair
into one row again. Blank rows are left out; rows are ordered by their ``position`` field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecoradar.core.errors import InputError
from ecoradar.selfcheck.checks import Item, parse_items
from ecoradar.selfcheck.fields import FormRefused

PHOTO_SUFFIX = "_photo"
BLANK_ROWS = 3
ROW_FIELDS = ("code", "label", "label_en", "kind", "min", "max", "unit", "position")
ROW_FLAGS = ("required", "photo", "must_be_yes")
_AT = re.compile(r"^items\[(\d+)\](?:\.(\w+))?: (.*)$", re.S)


@dataclass
class Row:
    """One question of the form, its values as text (``number`` is its 1-based place)."""

    number: int
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def blank(self) -> bool:
        return not self.get("label").strip() and not self.get("label_en").strip()


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def rows_of(items: Sequence[Item], *, blank: int = BLANK_ROWS) -> list[Row]:
    """The form's rows for stored items (photo companions folded in), then ``blank`` empty
    ones."""
    rows: list[Row] = []
    index = 0
    while index < len(items):
        item = items[index]
        after = items[index + 1] if index + 1 < len(items) else None
        companion = (
            after is not None
            and item.kind != "photo"
            and after.kind == "photo"
            and after.code == item.code + PHOTO_SUFFIX
            and after.required
        )
        values = {
            "code": item.code, "label": item.label, "label_en": item.label_en,
            "kind": item.kind, "min": _text(item.min), "max": _text(item.max),
            "unit": item.unit, "position": str(len(rows) + 1),
        }  # fmt: skip
        flags = {f for f, on in (("required", item.required), ("must_be_yes", item.must_be_yes),
                                 ("photo", companion)) if on}  # fmt: skip
        rows.append(Row(len(rows) + 1, values, flags))
        index += 2 if companion else 1
    for _ in range(blank):
        number = len(rows) + 1
        rows.append(Row(number, {"kind": "yes_no", "position": str(number)}, {"required"}))
    return rows


def rows_from_form(form: Mapping[str, str], flags: Sequence[str], count: int) -> list[Row]:
    """The rows a form posted: ``item-<n>-<field>`` values and ``item-<n>-<flag>`` boxes."""
    ticked = set(flags)
    rows = []
    for number in range(1, count + 1):
        values = {f: form.get(f"item-{number}-{f}", "").strip() for f in ROW_FIELDS}
        on = {f for f in ROW_FLAGS if f"item-{number}-{f}" in ticked}
        rows.append(Row(number, values, on))
    return rows


def _bound(text: str) -> Any:
    """A number for ``parse_items``; text that is not one goes through so it names it."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _position(row: Row) -> tuple[float, int]:
    try:
        return float(row.get("position")), row.number
    except ValueError:
        return float(row.number), row.number


def _fresh_code(taken: set[str], number: int) -> str:
    code = f"q{number}"
    while code in taken or code + PHOTO_SUFFIX in taken:
        number += 1
        code = f"q{number}"
    return code


def items_from_rows(rows: Sequence[Row]) -> list[Item]:
    """The checklist of ``rows`` (ordered by position), judged by ``parse_items``;
    ``FormRefused`` names the row and the field (``item-<row>-<field>``, or ``items``)."""
    filled = sorted((r for r in rows if not r.blank), key=_position)
    taken = {r.get("code") for r in filled if r.get("code")}
    raw: list[dict[str, Any]] = []
    origin: list[int] = []
    for place, row in enumerate(filled, start=1):
        code = row.get("code") or _fresh_code(taken, place)
        taken.add(code)
        kind = row.get("kind")
        entry: dict[str, Any] = {
            "code": code, "kind": kind, "label": row.get("label"),
            "label_en": row.get("label_en"), "required": row.has("required"),
        }  # fmt: skip
        if kind == "yes_no":
            entry["must_be_yes"] = row.has("must_be_yes")
        if kind == "number":
            entry.update(min=_bound(row.get("min")), max=_bound(row.get("max")))
            entry["unit"] = row.get("unit")
        raw.append(entry)
        origin.append(row.number)
        if row.has("photo") and kind != "photo":
            label = f"{row.get('label')} · 照片"[:200]
            label_en = f"{row.get('label_en')} · photo"[:200] if row.get("label_en") else ""
            raw.append({"code": code + PHOTO_SUFFIX, "kind": "photo", "label": label,
                        "label_en": label_en, "required": True})  # fmt: skip
            origin.append(row.number)
    try:
        return parse_items(raw)
    except InputError as exc:
        raise FormRefused(_where(str(exc), origin)) from exc


def _where(message: str, origin: Sequence[int]) -> dict[str, str]:
    found = _AT.match(message)
    if found is None:
        return {"items": message.removeprefix("items: ")}
    index, name, reason = int(found.group(1)), found.group(2), found.group(3)
    name = name or ("min" if reason.startswith("min") else "label")
    number = origin[index] if index < len(origin) else index + 1
    name = "label" if name not in ROW_FIELDS else name
    return {f"item-{number}-{name}": reason}
