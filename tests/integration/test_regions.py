"""Importing areas and grids from GeoJSON, and routing points to them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.errors import GeoJSONError
from ecoradar.regions import service
from ecoradar.regions.models import Region
from tests.factories import box, collection, feature, small_city, write_json


def _import(container: Container, path: Path) -> service.RegionImportSummary:
    features = service.read_regions_file(path)
    with container.transaction() as session:
        return service.import_regions(
            session=session, features=features, source=str(path), now=container.clock.now()
        )


def _count(container: Container) -> int:
    with container.transaction() as session:
        return session.scalar(select(func.count(Region.id))) or 0


def _smallest(container: Container, lon: float, lat: float) -> str | None:
    with container.transaction() as session:
        hit = container.regions.get(session).smallest(lon, lat)
        return hit.code if hit else None


def test_a_city_imports_with_its_hierarchy(container: Container, tmp_path: Path) -> None:
    summary = _import(container, write_json(tmp_path / "r.geojson", small_city()))
    assert summary.created == 7 and summary.updated == 0
    assert summary.by_level == {"city": 1, "county": 2, "township": 2, "grid": 2}
    with container.transaction() as session:
        grid = service.region_by_code(session=session, code="G1")
        assert grid.parent is not None and grid.parent.code == "A1"
        assert grid.parent.parent is not None and grid.parent.parent.code == "A"


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (0.25, 0.5, "G1"),  # inside a grid
        (0.75, 0.5, "G2"),
        (0.5, 0.5, "G1"),  # on the edge two grids share: the lower code, every time
        (0.4, 1.4, "A2"),  # in A1's hole, which is A2's exclave
        (0.1, 1.4, "A1"),  # beside the hole
        (0.0, 0.0, "G1"),  # on the outer corner
        (3.0, 1.0, "B"),
        (4.0, 2.0, "B"),  # on the outer boundary
        (5.0, 1.0, None),  # outside every area
    ],
)
def test_a_point_is_routed_to_the_smallest_area_covering_it(
    container: Container, tmp_path: Path, lon: float, lat: float, expected: str | None
) -> None:
    _import(container, write_json(tmp_path / "r.geojson", small_city()))
    assert _smallest(container, lon, lat) == expected


def test_reimporting_updates_areas_by_code(container: Container, tmp_path: Path) -> None:
    _import(container, write_json(tmp_path / "r.geojson", small_city()))
    renamed = feature("B", "county", "C", [box(2, 0, 4, 2)], name="新名字")
    summary = _import(container, write_json(tmp_path / "b.geojson", collection(renamed)))
    assert (summary.created, summary.updated) == (0, 1)
    assert _count(container) == 7
    with container.transaction() as session:
        assert service.region_by_code(session=session, code="B").name == "新名字"


def test_the_index_follows_a_reimport(container: Container, tmp_path: Path) -> None:
    _import(container, write_json(tmp_path / "r.geojson", small_city()))
    assert _smallest(container, 3.0, 1.0) == "B"
    grid = feature("BG", "grid", "B", [box(2.5, 0.5, 3.5, 1.5)])
    _import(container, write_json(tmp_path / "g.geojson", collection(grid)))
    assert _smallest(container, 3.0, 1.0) == "BG"


BAD_CASES = {
    "overlap": (
        lambda c: c["features"].append(feature("G3", "grid", "A1", [box(0.4, 0.2, 0.6, 0.4)])),
        "feature 6 (code G1): overlaps the grid G3 (50.00% of the smaller area)",
    ),
    "unknown parent": (
        lambda c: c["features"].append(feature("X", "grid", "NOPE", [box(3, 0, 3.5, 0.5)])),
        "feature 8 (code X): unknown parent 'NOPE'",
    ),
    "bow tie": (
        lambda c: c["features"].append(
            feature("Y", "grid", "B", [[[2, 0], [3, 1], [3, 0], [2, 1], [2, 0]]])
        ),
        "feature 8 (code Y): invalid polygon: Self-intersection",
    ),
    "point geometry": (
        lambda c: c["features"].append(
            feature("Z", "grid", "B", geometry={"type": "Point", "coordinates": [3, 1]})
        ),
        "feature 8 (code Z): geometry must be a Polygon or MultiPolygon, not Point",
    ),
    "bad level": (
        lambda c: c["features"][1]["properties"].update(level="district"),
        "feature 2 (code A): level 'district' is not one of",
    ),
    "missing code": (
        lambda c: c["features"][2]["properties"].pop("code"),
        "feature 3: property 'code' missing or empty",
    ),
    "level order": (
        lambda c: c["features"][1]["properties"].update(parent="G1"),
        "feature 2 (code A): a county cannot have the grid G1 as parent",
    ),
    "outside parent": (
        lambda c: c["features"].append(feature("W", "grid", "B", [box(4, 0, 5, 1)])),
        "feature 8 (code W): lies outside its parent B",
    ),
    "duplicate code": (
        lambda c: c["features"].append(copy.deepcopy(c["features"][-1])),
        "feature 8 (code G2): code appears twice in the file",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_a_bad_file_is_refused_naming_the_feature_and_changes_nothing(
    container: Container, tmp_path: Path, case: str
) -> None:
    _import(container, write_json(tmp_path / "good.geojson", small_city()))
    document = small_city()
    mutate, message = BAD_CASES[case]
    mutate(document)
    path = write_json(tmp_path / "bad.geojson", document)
    with pytest.raises(GeoJSONError) as refused:
        _import(container, path)
    assert message in str(refused.value)
    assert _count(container) == 7


def test_broken_json_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(GeoJSONError, match=r"broken JSON at line 1 column"):
        service.read_regions_file(path)


def test_regions_can_be_listed_by_level(container: Container, tmp_path: Path) -> None:
    _import(container, write_json(tmp_path / "r.geojson", small_city()))
    with container.transaction() as session:
        grids = service.list_regions(session=session, level="grid")
    assert [r.code for r in grids] == ["G1", "G2"]


def test_the_session_fixture_rolls_back(session: Session) -> None:
    assert session.scalar(select(func.count(Region.id))) == 0
