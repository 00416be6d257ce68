"""Bulk import of clues from other hotlines' and platforms' CSV/XLSX exports
(``ecoradar clues import FILE --channel C --map field=Column ...``).

A **mapping** says which column holds which field: ``category``, ``lat``, ``long`` and
``description`` (required), ``observed_at``, ``source_ref`` (the file's own id: re-importing
the file then changes nothing), ``reporter_name``, ``reporter_contact``, ``address_string``,
``crs`` and ``attribute.CODE`` (a service attribute, e.g. ``attribute.intensity``). A field
whose name is a column of the file needs no mapping. Categories may be written as codes or as
the catalogue's Chinese or English names, or translated by the mapping's ``categories``;
coordinates may be WGS84, GCJ-02 or BD-09 (``crs``, per file or per row); times without an
offset are China Standard Time.

All or nothing: every row is checked (and every valid row tried through ``submit_clue``), and
one bad cell anywhere refuses the whole file with one ``file:line: column: reason`` per problem
(``ImportRefused``); the caller's transaction then rolls back.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from ecoradar.clues import catalog
from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.clues.models import OFFICER_CHANNELS
from ecoradar.config import Settings
from ecoradar.core import tables
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.coords import CRS_NAMES, to_wgs84
from ecoradar.core.errors import EcoRadarError, ImportRefused, InputError, RowError
from ecoradar.regions.index import RegionIndex

IMPORT_CHANNELS = OFFICER_CHANNELS
REQUIRED_FIELDS = ("category", "lat", "long", "description")
OPTIONAL_FIELDS = (
    "observed_at",
    "source_ref",
    "reporter_name",
    "reporter_contact",
    "address_string",
    "crs",
)
ATTRIBUTE_PREFIX = "attribute."
ALIASES = {"lon": "long", "longitude": "long", "latitude": "lat"}
ACTOR = "cli:clues-import"
_FIELD_OF_MESSAGE = re.compile(r"^(attribute\[(?P<attr>[^\]]+)\]|(?P<field>[a-z_]+))(\[\d+\])?:")
_MESSAGE_FIELDS = {"location": "lat", "lat": "lat", "long": "long"}


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds each field, category labels to codes, and the default CRS."""

    columns: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    crs: str = "wgs84"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    already_known: int
    duplicates: int
    """Attached to an existing problem by deduplication."""


def _field_name(name: str) -> str:
    name = name.strip()
    return ALIASES.get(name, name)


def _check_field(name: str) -> None:
    if name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX):
        return
    if name not in REQUIRED_FIELDS + OPTIONAL_FIELDS:
        known = ", ".join((*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "attribute.CODE"))
        raise InputError(f"--map {name}: unknown field; fields: {known}")


def parse_mapping(
    pairs: Iterable[str], mapping_file: Path | None = None, crs: str | None = None
) -> ColumnMapping:
    """A mapping from ``field=Column`` pairs over a JSON mapping file
    (``{"columns": {field: column}, "categories": {label: code}, "crs": "gcj02"}``)."""
    columns: dict[str, str] = {}
    categories: dict[str, str] = {}
    default_crs = "wgs84"
    if mapping_file is not None:
        try:
            document = json.loads(mapping_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{mapping_file}: not a readable JSON mapping ({exc})") from None
        if not isinstance(document, dict):
            raise InputError(f"{mapping_file}: the mapping must be a JSON object")
        for key in document:
            if key not in ("columns", "categories", "crs"):
                raise InputError(f"{mapping_file}: {key}: unknown; use columns, categories, crs")
        for section in ("columns", "categories"):
            part = document.get(section, {})
            if not isinstance(part, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in part.items()
            ):
                raise InputError(f"{mapping_file}: {section}: must map text to text")
        columns.update({_field_name(k): v for k, v in document.get("columns", {}).items()})
        categories.update(document.get("categories", {}))
        default_crs = str(document.get("crs", default_crs))
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InputError(f"--map {pair!r}: write field=Column")
        columns[_field_name(name)] = column.strip()
    for name in columns:
        _check_field(name)
    for label, code in categories.items():
        if catalog.category_for(code) is None:
            raise InputError(f"categories: {label!r} maps to {code!r}, which is no category")
    default_crs = (crs or default_crs).lower()
    if default_crs not in CRS_NAMES:
        raise InputError(f"crs: {default_crs!r} is not one of {', '.join(CRS_NAMES)}")
    return ColumnMapping(columns, categories, default_crs)


def _header(path: Path) -> list[str]:
    """The first row of the file (the import checks every other column against it)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .csv or .xlsx")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    reader = tables._csv_rows if suffix == ".csv" else tables._xlsx_rows
    for _, record in reader(path):
        return [c.lstrip("\ufeff").strip() for c in record if c is not None]
    return []


def resolve_columns(mapping: ColumnMapping, header: list[str], name: str) -> dict[str, str]:
    """Field -> column: the mapped ones, and fields named like a column of the file."""
    resolved = dict(mapping.columns)
    for column in header:
        candidate = _field_name(column)
        if candidate in REQUIRED_FIELDS + OPTIONAL_FIELDS and candidate not in resolved:
            resolved[candidate] = column
    errors = [
        RowError(name, 1, column, f"mapped to {f} but not in the file")
        for f, column in resolved.items()
        if column not in header
    ]
    errors += [
        RowError(name, 1, f, "no column for this required field; map it with --map")
        for f in REQUIRED_FIELDS
        if f not in resolved
    ]
    if errors:
        raise ImportRefused(errors)
    return resolved


@dataclass
class _Row:
    table: tables.Table
    row: tables.Row
    columns: dict[str, str]
    errors: list[RowError]

    def get(self, name: str) -> str:
        column = self.columns.get(name)
        return self.row.get(column) if column else ""

    def fail(self, name: str, reason: str) -> None:
        column = self.columns.get(name, name)
        self.errors.append(RowError(self.table.name, self.row.line, column, reason))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def _check_row(r: _Row, mapping: ColumnMapping, channel: str) -> ClueIn | None:
    before = len(r.errors)
    label = r.get("category")
    category = mapping.categories.get(label) or label
    code = catalog.category_for(category)
    if code is None:
        r.fail("category", f"{label!r} is not a category ({', '.join(catalog.service_codes())})")
    description = r.get("description")
    if not description:
        r.fail("description", "required")
    lat, lon = _number(r.get("lat")), _number(r.get("long"))
    if lat is None or not -90 <= lat <= 90:
        r.fail("lat", f"{r.get('lat')!r} is not a latitude")
    if lon is None or not -180 <= lon <= 180:
        r.fail("long", f"{r.get('long')!r} is not a longitude")
    crs = (r.get("crs") or mapping.crs).lower()
    if crs not in CRS_NAMES:
        r.fail("crs", f"{crs!r} is not one of {', '.join(CRS_NAMES)}")
    observed_at = None
    if r.get("observed_at"):
        observed_at = _time(r.get("observed_at"))
        if observed_at is None:
            r.fail("observed_at", f"{r.get('observed_at')!r} is not a date and time")
    attributes: dict[str, str | list[str]] = {}
    if code is not None:
        service = catalog.get_service(code)
        for name, column in r.columns.items():
            value = r.row.get(column)
            if not name.startswith(ATTRIBUTE_PREFIX) or not value:
                continue
            attribute_code = name.removeprefix(ATTRIBUTE_PREFIX)
            definition = service.attribute(attribute_code)
            many = definition is not None and definition.datatype == "multivaluelist"
            attributes[attribute_code] = [v.strip() for v in value.split(",")] if many else value
        try:
            attributes = catalog.validate_attributes(code, attributes)
        except catalog.AttributeRefused as exc:
            r.fail(f"{ATTRIBUTE_PREFIX}{exc.code}", str(exc).partition(": ")[2])
    if len(r.errors) > before or code is None or lat is None or lon is None:
        return None
    wlon, wlat = to_wgs84(lon, lat, crs)
    reporter, contact = r.get("reporter_name") or None, r.get("reporter_contact") or None
    return ClueIn(
        channel=channel,
        category=code,
        lat=wlat,
        lon=wlon,
        description=description,
        observed_at=observed_at,
        attributes=attributes,
        anonymous=not (reporter or contact),
        reporter_name=reporter,
        reporter_contact=contact,
        address_string=r.get("address_string") or None,
        source_ref=r.get("source_ref") or None,
        data={"import": {"file": r.table.name, "line": r.row.line}},
    )


def _message_column(message: str, columns: Mapping[str, str]) -> tuple[str, str]:
    """The column an ``InputError`` from ``submit_clue`` is about, and its reason."""
    match = _FIELD_OF_MESSAGE.match(message)
    if match is None:
        return "-", message
    if match.group("attr"):
        name = ATTRIBUTE_PREFIX + match.group("attr")
    else:
        name = _MESSAGE_FIELDS.get(match.group("field") or "", match.group("field") or "")
    return columns.get(name, "-"), message[match.end() :].strip()


def import_clues(
    *,
    session: Session,
    settings: Settings,
    index: RegionIndex,
    path: Path,
    channel: str,
    mapping: ColumnMapping,
    now: datetime,
    actor: str = ACTOR,
) -> ImportSummary:
    """Import every row of ``path`` as a clue of ``channel``, or nothing (``ImportRefused``)."""
    if channel not in IMPORT_CHANNELS:
        raise InputError(f"--channel {channel!r} is not one of {', '.join(IMPORT_CHANNELS)}")
    header = _header(path)
    columns = resolve_columns(mapping, header, path.name)
    table = tables.read_table(path, required=sorted(set(columns.values())), optional=header)
    errors: list[RowError] = []
    items: list[tuple[int, ClueIn]] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        checked = _Row(table, row, columns, errors)
        ref = checked.get("source_ref")
        if ref and ref in first_line:
            checked.fail("source_ref", f"{ref!r} already on line {first_line[ref]}")
            continue
        if ref:
            first_line[ref] = row.line
        item = _check_row(checked, mapping, channel)
        if item is not None:
            items.append((row.line, item))
    created = known = duplicates = 0
    for line, item in items:
        try:
            receipt = submit_clue(
                session=session, settings=settings, index=index, item=item, now=now, actor=actor
            )
        except EcoRadarError as exc:
            column, reason = _message_column(str(exc), columns)
            errors.append(RowError(table.name, line, column, reason))
            continue
        known += receipt.already_known
        created += not receipt.already_known
        duplicates += receipt.duplicate and not receipt.already_known
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.line, e.column)))
    return ImportSummary(created=created, already_known=known, duplicates=duplicates)
