"""Parse and check a GeoJSON file of administrative areas and grids (pure; no database).

Contract (``ecoradar regions import FILE``): a FeatureCollection whose features are Polygons or
MultiPolygons with the properties ``code``, ``name``, ``level`` (province, city, county, township,
grid) and ``parent`` (the parent's code; empty at the top). Every refusal names the feature.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ecoradar.core.errors import GeoJSONError
from ecoradar.regions.models import LEVELS

OVERLAP_TOLERANCE = 1e-6
"""Same-level areas may share edges; an overlap above this share of the smaller area is refused."""
OUTSIDE_PARENT_TOLERANCE = 0.01
"""A child may stick out of its parent by digitising noise, not by more than this share."""
MAX_FEATURES = 200_000


@dataclass(frozen=True)
class RegionFeature:
    code: str
    name: str
    level: str
    parent: str
    geometry: BaseGeometry
    label: str
    """How messages name this feature: ``feature 12 (code 330502001)``."""

    @property
    def geojson(self) -> dict[str, Any]:
        mapping = shapely.geometry.mapping(self.geometry)
        plain: dict[str, Any] = json.loads(json.dumps(mapping))  # tuples -> lists
        return plain


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def parse_feature_collection(text: str, source: str) -> list[RegionFeature]:
    """Every feature of ``text``; raises ``GeoJSONError`` listing every bad feature."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            source, [f"broken JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeoJSONError(source, ["not a GeoJSON FeatureCollection"])
    features = document.get("features")
    if not isinstance(features, list):
        raise GeoJSONError(source, ["FeatureCollection has no 'features' array"])
    if len(features) > MAX_FEATURES:
        raise GeoJSONError(source, [f"{len(features)} features; at most {MAX_FEATURES}"])
    problems: list[str] = []
    parsed: list[RegionFeature] = []
    for index, raw in enumerate(features, start=1):
        result = _parse_feature(index, raw, problems)
        if result is not None:
            parsed.append(result)
    if problems:
        raise GeoJSONError(source, problems)
    return parsed


def _label(index: int, code: str | None) -> str:
    return f"feature {index} (code {code})" if code else f"feature {index}"


def _parse_feature(index: int, raw: object, problems: list[str]) -> RegionFeature | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        problems.append(f"{_label(index, None)}: not a GeoJSON Feature")
        return None
    props = raw.get("properties")
    if not isinstance(props, dict):
        problems.append(f"{_label(index, None)}: no properties")
        return None
    code = _text(props.get("code"))
    label = _label(index, code)
    start = len(problems)
    if not code:
        problems.append(f"{label}: property 'code' missing or empty")
    name = _text(props.get("name"))
    if not name:
        problems.append(f"{label}: property 'name' missing or empty")
    level = _text(props.get("level"))
    if level not in LEVELS:
        problems.append(f"{label}: level {level!r} is not one of {', '.join(LEVELS)}")
    parent = _text(props.get("parent"))
    geometry = _geometry(raw.get("geometry"), label, problems)
    if len(problems) > start or geometry is None:
        return None
    return RegionFeature(code, name, level, parent, geometry, label)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return "\x00invalid"  # refused below as a missing/unknown value, never stored
    return str(value).strip()


def _geometry(raw: object, label: str, problems: list[str]) -> BaseGeometry | None:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        problems.append(f"{label}: geometry must be a Polygon or MultiPolygon, not {kind}")
        return None
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        problems.append(f"{label}: malformed {raw.get('type')} coordinates ({exc})")
        return None
    if geometry.is_empty:
        problems.append(f"{label}: empty geometry")
        return None
    bounds = geometry.bounds
    if not all(math.isfinite(b) for b in bounds):
        problems.append(f"{label}: coordinates are not finite numbers")
        return None
    if bounds[0] < -180 or bounds[2] > 180 or bounds[1] < -90 or bounds[3] > 90:
        problems.append(f"{label}: coordinates outside longitude -180..180 / latitude -90..90")
        return None
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        problems.append(f"{label}: invalid polygon: {reason}")
        return None
    return geometry


def check_hierarchy(
    features: list[RegionFeature], existing: Mapping[str, RegionFeature], source: str
) -> None:
    """Refuse duplicate codes, unknown parents, wrong level order, same-level overlaps and
    children outside their parents. ``existing`` are the stored areas the file does not replace.
    """
    problems: list[str] = []
    by_code: dict[str, RegionFeature] = {}
    for feature in features:
        if feature.code in by_code:
            problems.append(f"{feature.label}: code appears twice in the file")
        by_code[feature.code] = feature
    everything = {**existing, **by_code}
    for feature in features:
        if not feature.parent:
            continue
        parent = everything.get(feature.parent)
        if parent is None:
            problems.append(f"{feature.label}: unknown parent {feature.parent!r}")
            continue
        if parent.code == feature.code:
            problems.append(f"{feature.label}: is its own parent")
        elif level_rank(parent.level) >= level_rank(feature.level):
            problems.append(
                f"{feature.label}: a {feature.level} cannot have the {parent.level} "
                f"{parent.code} as parent"
            )
        elif _outside_share(feature.geometry, parent.geometry) > OUTSIDE_PARENT_TOLERANCE:
            problems.append(f"{feature.label}: lies outside its parent {parent.code}")
    problems.extend(_cycles(by_code, everything))
    problems.extend(_overlaps(features, list(everything.values())))
    if problems:
        raise GeoJSONError(source, problems)


def _outside_share(child: BaseGeometry, parent: BaseGeometry) -> float:
    area = float(child.area)
    return float(child.difference(parent).area) / area if area > 0 else 0.0


def _cycles(new: Mapping[str, RegionFeature], everything: Mapping[str, RegionFeature]) -> list[str]:
    problems = []
    for feature in new.values():
        seen = {feature.code}
        current = everything.get(feature.parent) if feature.parent else None
        while current is not None:
            if current.code in seen:
                problems.append(f"{feature.label}: parent chain loops back to {current.code}")
                break
            seen.add(current.code)
            current = everything.get(current.parent) if current.parent else None
    return problems


def _overlaps(new: Iterable[RegionFeature], everything: list[RegionFeature]) -> list[str]:
    from shapely import STRtree

    problems = []
    tree = STRtree([f.geometry for f in everything])
    reported: set[tuple[str, str]] = set()
    for feature in new:
        for other_index in tree.query(feature.geometry, predicate="intersects"):
            other = everything[int(other_index)]
            if other.code == feature.code or other.level != feature.level:
                continue
            pair = (min(feature.code, other.code), max(feature.code, other.code))
            if pair in reported:
                continue
            shared = float(feature.geometry.intersection(other.geometry).area)
            smaller = min(float(feature.geometry.area), float(other.geometry.area))
            if smaller > 0 and shared / smaller > OVERLAP_TOLERANCE:
                reported.add(pair)
                problems.append(
                    f"{feature.label}: overlaps the {other.level} {other.code} "
                    f"({shared / smaller:.2%} of the smaller area)"
                )
    return problems
