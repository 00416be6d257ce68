"""The synthetic sample city files."""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from ecoradar.core.coords import to_wgs84
from ecoradar.registry.standards import STANDARDS, limit_for
from ecoradar.registry.uscc import is_valid_uscc
from ecoradar.simulate import SampleCityFiles, write_sample_city

CODE_LENGTHS = {"city": 6, "county": 6, "township": 9, "grid": 12}
PARENT_LEVEL = {"county": "city", "township": "county", "grid": "township"}
EMITTING = {"4411", "2221", "2614", "3110", "1713", "4620", "2710", "3011", "3360"}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> SampleCityFiles:
    return write_sample_city(tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def regions(city: SampleCityFiles) -> list[dict[str, Any]]:
    collection = json.loads(city.regions.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features: list[dict[str, Any]] = collection["features"]
    return features


@pytest.fixture(scope="module")
def shapes(regions: list[dict[str, Any]]) -> dict[str, Any]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in regions}


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def enterprises(city: SampleCityFiles) -> list[dict[str, str]]:
    return read_rows(city.enterprises)[1]


@pytest.fixture(scope="module")
def points(city: SampleCityFiles) -> list[dict[str, str]]:
    return read_rows(city.points)[1]


def test_the_three_files_are_written_into_the_directory(city: SampleCityFiles) -> None:
    names = {p.name for p in city.directory.iterdir()}
    assert names == {"regions.geojson", "enterprises.csv", "points.csv"}
    assert {city.regions.parent, city.enterprises.parent, city.points.parent} == {city.directory}


def test_csv_headers_are_exact(city: SampleCityFiles) -> None:
    assert read_rows(city.enterprises)[0] == (
        "code,name,industry,longitude,latitude,address,crs".split(",")
    )
    assert read_rows(city.points)[0] == (
        "enterprise_code,outlet_code,outlet_name,mn,medium,factor,limit,unit,averaging,"
        "o2_reference,standard,password"
    ).split(",")


def test_the_same_seed_writes_identical_files(city: SampleCityFiles, tmp_path: Path) -> None:
    again = write_sample_city(tmp_path / "again", seed=7)
    for ours, theirs in [
        (city.regions, again.regions),
        (city.enterprises, again.enterprises),
        (city.points, again.points),
    ]:
        assert ours.read_bytes() == theirs.read_bytes()


def test_another_seed_writes_other_enterprises(city: SampleCityFiles, tmp_path: Path) -> None:
    other = write_sample_city(tmp_path / "other", seed=8)
    assert other.enterprises.read_bytes() != city.enterprises.read_bytes()


def test_the_number_of_enterprises_is_honoured(tmp_path: Path) -> None:
    small = write_sample_city(tmp_path / "small", enterprises=20)
    assert len(read_rows(small.enterprises)[1]) == 20


# --- regions -----------------------------------------------------------------------------------


def test_regions_form_one_tree_with_plausible_codes(regions: list[dict[str, Any]]) -> None:
    props = {f["properties"]["code"]: f["properties"] for f in regions}
    assert len(props) == len(regions)
    levels = Counter(p["level"] for p in props.values())
    assert levels["city"] == 1
    assert levels["county"] == 4
    assert 12 <= levels["township"] <= 16
    assert levels["grid"] >= 4 * levels["township"]
    for code, p in props.items():
        assert set(p) == {"code", "name", "level", "parent"}
        assert re.fullmatch(r"\d+", code) and len(code) == CODE_LENGTHS[p["level"]]
        assert re.search(r"[\u4e00-\u9fff]", p["name"])
        if p["level"] == "city":
            assert p["parent"] == ""
        else:
            assert props[p["parent"]]["level"] == PARENT_LEVEL[p["level"]]
            if p["level"] != "county":
                assert code.startswith(p["parent"])


def test_the_city_lies_in_northern_zhejiang(shapes: dict[str, Any]) -> None:
    minx, miny, maxx, maxy = shapes["330500"].bounds
    assert 119.9 <= minx < maxx <= 120.5
    assert 30.6 <= miny < maxy <= 31.1


def test_all_polygons_are_valid(regions: list[dict[str, Any]], shapes: dict[str, Any]) -> None:
    for f in regions:
        geometry = shapes[f["properties"]["code"]]
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert geometry.is_valid, explain_validity(geometry)
        assert geometry.area > 0


def test_same_level_regions_do_not_overlap(
    regions: list[dict[str, Any]], shapes: dict[str, Any]
) -> None:
    by_level = defaultdict(list)
    for f in regions:
        by_level[f["properties"]["level"]].append(shapes[f["properties"]["code"]])
    for level_shapes in by_level.values():
        for a, b in itertools.combinations(level_shapes, 2):
            assert a.intersection(b).area < 1e-12


def test_children_lie_within_their_parents(
    regions: list[dict[str, Any]], shapes: dict[str, Any]
) -> None:
    for f in regions:
        parent = f["properties"]["parent"]
        if parent:
            child = shapes[f["properties"]["code"]]
            assert child.difference(shapes[parent]).area < 1e-12
            assert shapes[parent].covers(child)


def test_children_tile_their_parents(regions: list[dict[str, Any]], shapes: dict[str, Any]) -> None:
    area: dict[str, float] = defaultdict(float)
    for f in regions:
        if f["properties"]["parent"]:
            area[f["properties"]["parent"]] += shapes[f["properties"]["code"]].area
    for parent, total in area.items():
        assert total == pytest.approx(shapes[parent].area, rel=1e-9)


def test_a_township_has_a_hole_filled_by_a_sibling(
    regions: list[dict[str, Any]], shapes: dict[str, Any]
) -> None:
    townships = [f for f in regions if f["properties"]["level"] == "township"]
    holed = [f for f in townships if f["geometry"]["type"] == "Polygon"]
    holed = [f for f in holed if len(f["geometry"]["coordinates"]) > 1]
    assert holed
    township = holed[0]["properties"]
    hole = shape({"type": "Polygon", "coordinates": [holed[0]["geometry"]["coordinates"][1]]})
    siblings = [
        shapes[f["properties"]["code"]]
        for f in townships
        if f["properties"]["parent"] == township["parent"]
        and f["properties"]["code"] != township["code"]
    ]
    assert any(s.equals(hole) for s in siblings)
    assert not shapes[township["code"]].contains(hole.centroid)


def test_a_district_is_a_multipolygon_with_an_exclave(regions: list[dict[str, Any]]) -> None:
    districts = [f for f in regions if f["properties"]["level"] == "county"]
    multi = [f for f in districts if f["geometry"]["type"] == "MultiPolygon"]
    assert multi and len(multi[0]["geometry"]["coordinates"]) >= 2


# --- enterprises -------------------------------------------------------------------------------


def test_there_are_500_enterprises_with_valid_unique_codes(
    enterprises: list[dict[str, str]],
) -> None:
    assert len(enterprises) == 500
    codes = [e["code"] for e in enterprises]
    assert len(set(codes)) == len(codes)
    assert all(is_valid_uscc(code) for code in codes)
    assert len({e["name"] for e in enterprises}) == len(enterprises)


def test_enterprises_span_the_industries(enterprises: list[dict[str, str]]) -> None:
    industries = {e["industry"] for e in enterprises}
    assert {"4411", "2221", "2614", "3110", "1713", "4620", "2710", "3011"} <= industries
    assert all(re.fullmatch(r"\d{4}", i) for i in industries)


def test_most_coordinates_are_wgs84_and_some_gcj02_or_bd09(
    enterprises: list[dict[str, str]],
) -> None:
    crs = Counter(e["crs"] for e in enterprises)
    assert set(crs) == {"wgs84", "gcj02", "bd09"}
    assert 0.05 <= crs["gcj02"] / len(enterprises) <= 0.15
    assert 0.02 <= crs["bd09"] / len(enterprises) <= 0.09


def test_each_enterprise_lies_well_inside_exactly_one_grid_cell(
    regions: list[dict[str, Any]], shapes: dict[str, Any], enterprises: list[dict[str, str]]
) -> None:
    props = {f["properties"]["code"]: f["properties"] for f in regions}
    grids = [shapes[code] for code, p in props.items() if p["level"] == "grid"]
    for e in enterprises:
        point = Point(to_wgs84(float(e["longitude"]), float(e["latitude"]), e["crs"]))
        containing = [g for g in grids if g.contains(point)]
        assert len(containing) == 1, e
        assert containing[0].boundary.distance(point) > 1e-4, e


def test_enterprise_codes_carry_their_district(
    regions: list[dict[str, Any]], shapes: dict[str, Any], enterprises: list[dict[str, str]]
) -> None:
    districts = {
        f["properties"]["code"]: f["properties"]["name"]
        for f in regions
        if f["properties"]["level"] == "county"
    }
    for e in enterprises:
        assert e["code"][2:8] in districts
        point = Point(to_wgs84(float(e["longitude"]), float(e["latitude"]), e["crs"]))
        assert shapes[e["code"][2:8]].contains(point)
        assert districts[e["code"][2:8]] in e["address"]


# --- monitoring points -------------------------------------------------------------------------


def test_mns_are_unique_24_hex_upper_case(points: list[dict[str, str]]) -> None:
    outlets_by_mn = defaultdict(set)
    for p in points:
        assert re.fullmatch(r"[0-9A-F]{24}", p["mn"])
        outlets_by_mn[p["mn"]].add((p["enterprise_code"], p["outlet_code"]))
    assert all(len(outlets) == 1 for outlets in outlets_by_mn.values())
    outlets = {(p["enterprise_code"], p["outlet_code"]) for p in points}
    assert len(outlets) == len(outlets_by_mn)


def test_points_belong_to_emitting_enterprises_with_one_or_two_outlets(
    enterprises: list[dict[str, str]], points: list[dict[str, str]]
) -> None:
    industry = {e["code"]: e["industry"] for e in enterprises}
    outlets = defaultdict(set)
    for p in points:
        outlets[p["enterprise_code"]].add(p["outlet_code"])
    assert set(outlets) <= set(industry)
    assert all(industry[code] in EMITTING for code in outlets)
    assert all(1 <= len(o) <= 2 for o in outlets.values())
    assert Counter(len(o) for o in outlets.values())[2] > 0


@pytest.mark.parametrize(
    ("medium", "factors", "unit", "averaging"),
    [
        ("gas", {"a21026", "a21002", "a34013"}, "mg/m3", "hour"),
        ("water", {"w01018", "w21003", "w21011"}, "mg/L", "day"),
    ],
)
def test_each_point_has_the_factors_of_its_medium(
    points: list[dict[str, str]], medium: str, factors: set[str], unit: str, averaging: str
) -> None:
    by_mn = defaultdict(set)
    for p in points:
        if p["medium"] != medium:
            continue
        by_mn[p["mn"]].add(p["factor"])
        assert (p["unit"], p["averaging"]) == (unit, averaging)
        assert p["standard"] == "" or STANDARDS[p["standard"]].medium == medium
        if medium == "gas":
            assert float(p["o2_reference"]) in {3.0, 6.0, 15.0}
        else:
            assert p["o2_reference"] == ""
    assert by_mn and all(found == factors for found in by_mn.values())


def test_limits_are_explicit_or_come_from_the_named_standard(
    points: list[dict[str, str]],
) -> None:
    empty = 0
    for p in points:
        if p["standard"] == "":
            assert float(p["limit"]) > 0
            continue
        spec = limit_for(p["standard"], p["factor"])
        assert spec is not None, "a named standard must set the factor's limit"
        if p["limit"] == "":
            empty += 1
        else:
            assert float(p["limit"]) == spec.limit
        if spec is not None and spec.o2_reference is not None:
            assert float(p["o2_reference"]) == spec.o2_reference
    assert 0.12 <= empty / len(points) <= 0.28
    assert sum(1 for p in points if p["standard"]) > 0.5 * len(points)


def test_most_points_have_a_six_digit_password_and_a_few_none(
    points: list[dict[str, str]],
) -> None:
    passwords = {p["mn"]: p["password"] for p in points}
    assert all(re.fullmatch(r"\d{6}|", pw) for pw in passwords.values())
    unprotected = sum(1 for pw in passwords.values() if pw == "")
    assert 0 < unprotected < 0.15 * len(passwords)
