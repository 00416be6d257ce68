"""Regions: import from GeoJSON, list, and route a point to its smallest area."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.core.errors import GeoJSONError, InputError, NotFoundError
from ecoradar.regions.geojson import (
    RegionFeature,
    check_hierarchy,
    level_rank,
    parse_feature_collection,
)
from ecoradar.regions.index import IndexedRegion, RegionIndex
from ecoradar.regions.models import Region

MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class RegionImportSummary:
    created: int
    updated: int
    by_level: dict[str, int]


def read_regions_file(path: Path) -> list[RegionFeature]:
    """Parse a GeoJSON file; refuses unreadable files, broken JSON and bad features."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GeoJSONError(str(path), [f"not UTF-8 text (byte {exc.start})"]) from exc
    return parse_feature_collection(text, str(path))


def _stored_features(session: Session, replaced: set[str]) -> dict[str, RegionFeature]:
    stored: dict[str, RegionFeature] = {}
    rows = session.execute(
        select(Region.code, Region.name, Region.level, Region.geometry, Region.parent_id)
    ).all()
    codes_by_id: dict[int, str] = dict(session.execute(select(Region.id, Region.code)).all())
    for code, name, level, geometry, parent_id in rows:
        if code in replaced:
            continue
        parent = codes_by_id.get(parent_id, "") if parent_id is not None else ""
        stored[code] = RegionFeature(
            code, name, level, parent, shape(geometry), f"stored area {code}"
        )
    return stored


def import_regions(
    *, session: Session, features: list[RegionFeature], source: str, now: datetime
) -> RegionImportSummary:
    """Create or update (by code) every feature; all or nothing.

    Raises ``GeoJSONError`` naming each bad feature; nothing is written in that case.
    """
    replaced = {f.code for f in features}
    check_hierarchy(features, _stored_features(session, replaced), source)
    existing = {r.code: r for r in session.scalars(select(Region))}
    created = updated = 0
    by_level: dict[str, int] = {}
    # Parents first, so each child can point at its parent's row.
    for feature in sorted(features, key=lambda f: level_rank(f.level)):
        region = existing.get(feature.code)
        if region is None:
            region = Region(code=feature.code)
            session.add(region)
            existing[feature.code] = region
            created += 1
        else:
            updated += 1
        minx, miny, maxx, maxy = feature.geometry.bounds
        region.name = feature.name
        region.level = feature.level
        region.geometry = feature.geojson
        region.min_lon, region.min_lat, region.max_lon, region.max_lat = minx, miny, maxx, maxy
        region.parent = existing[feature.parent] if feature.parent else None
        region.updated_at = now
        by_level[feature.level] = by_level.get(feature.level, 0) + 1
    session.flush()
    return RegionImportSummary(created, updated, by_level)


def load_index(session: Session) -> RegionIndex:
    rows = session.execute(select(Region.id, Region.code, Region.level, Region.geometry)).all()
    return RegionIndex([IndexedRegion(i, c, lvl, shape(g)) for i, c, lvl, g in rows])


class RegionIndexCache:
    """Keeps one ``RegionIndex`` and rebuilds it when the stored regions change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signature: tuple[object, ...] | None = None
        self._index: RegionIndex | None = None

    def get(self, session: Session) -> RegionIndex:
        signature = tuple(
            session.execute(select(func.count(Region.id), func.max(Region.updated_at))).one()
        )
        with self._lock:
            if self._index is None or signature != self._signature:
                self._index = load_index(session)
                self._signature = signature
            return self._index


def smallest_region(*, session: Session, index: RegionIndex, lon: float, lat: float) -> Region:
    hit = index.smallest(lon, lat)
    if hit is None:
        raise NotFoundError(f"({lon:.6f}, {lat:.6f}) lies outside every region")
    region = session.get(Region, hit.id)
    if region is None:
        raise NotFoundError(f"region {hit.code} was removed")
    return region


def list_regions(*, session: Session, level: str | None = None) -> list[Region]:
    query = select(Region).order_by(Region.code)
    if level is not None:
        query = query.where(Region.level == level)
    return list(session.scalars(query))


def region_by_code(*, session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFoundError(f"no region with code {code!r}")
    return region


def subtree_ids(*, session: Session, region_id: int) -> frozenset[int]:
    """The region and every region below it (empty when there is no such region)."""
    tree = select(Region.id).where(Region.id == region_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Region.id).where(Region.parent_id == tree.c.id))
    return frozenset(session.scalars(select(tree.c.id)))
