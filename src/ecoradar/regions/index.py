"""Point -> smallest containing area, through an STRtree over every stored polygon."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from ecoradar.regions.models import LEVELS


@dataclass(frozen=True)
class IndexedRegion:
    id: int
    code: str
    level: str
    geometry: BaseGeometry


class RegionIndex:
    """Answers "which is the smallest area containing this point" without scanning polygons.

    Candidates come from the STRtree's bounding boxes; the exact test is ``covers`` (a point on
    the boundary belongs to the area, a point in a hole does not). Of several candidates the
    lowest level wins; between siblings sharing an edge, the lower code wins, so the answer is
    stable.
    """

    def __init__(self, regions: Sequence[IndexedRegion]) -> None:
        self._regions = list(regions)
        for region in self._regions:
            shapely.prepare(region.geometry)
        self._tree = STRtree([r.geometry for r in self._regions])

    def __len__(self) -> int:
        return len(self._regions)

    def containing(self, lon: float, lat: float) -> list[IndexedRegion]:
        """Every area covering the point, smallest level first."""
        point = shapely.Point(lon, lat)
        hits = [self._regions[int(i)] for i in self._tree.query(point, predicate="intersects")]
        return sorted(hits, key=lambda r: (-LEVELS.index(r.level), r.code))

    def smallest(self, lon: float, lat: float) -> IndexedRegion | None:
        hits = self.containing(lon, lat)
        return hits[0] if hits else None
