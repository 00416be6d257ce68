"""Point -> smallest area lookups per second, on the sample city and on a 100 x 100 grid city.

Run: .venv/bin/python bench/bench_regions.py
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from shapely.geometry import box

from ecoradar.regions.geojson import parse_feature_collection
from ecoradar.regions.index import IndexedRegion, RegionIndex
from ecoradar.simulate.city import write_sample_city

LOOKUPS = 20_000


def measure(index: RegionIndex, bounds: tuple[float, float, float, float]) -> float:
    rng = random.Random(1)
    points = [
        (rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3]))
        for _ in range(LOOKUPS)
    ]
    start = time.perf_counter()
    for lon, lat in points:
        index.smallest(lon, lat)
    return LOOKUPS / (time.perf_counter() - start)


def sample_city_index() -> tuple[RegionIndex, tuple[float, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        files = write_sample_city(Path(tmp))
        features = parse_feature_collection(files.regions.read_text(encoding="utf-8"), "sample")
    regions = [IndexedRegion(i, f.code, f.level, f.geometry) for i, f in enumerate(features)]
    minx = min(f.geometry.bounds[0] for f in features)
    miny = min(f.geometry.bounds[1] for f in features)
    maxx = max(f.geometry.bounds[2] for f in features)
    maxy = max(f.geometry.bounds[3] for f in features)
    return RegionIndex(regions), (minx, miny, maxx, maxy)


def grid_city_index(n: int) -> RegionIndex:
    regions = [IndexedRegion(0, "C", "city", box(0, 0, n, n))]
    for i in range(n):
        for j in range(n):
            regions.append(
                IndexedRegion(len(regions), f"G{i:03d}{j:03d}", "grid", box(i, j, i + 1, j + 1))
            )
    return RegionIndex(regions)


def main() -> None:
    index, bounds = sample_city_index()
    print(f"sample city ({len(index)} areas): {measure(index, bounds):,.0f} lookups/s")
    grid = grid_city_index(100)
    print(f"grid city ({len(grid)} areas): {measure(grid, (0, 0, 100, 100)):,.0f} lookups/s")


if __name__ == "__main__":
    main()
