"""The synthetic sample city, written as the files a real user would bring.

``write_sample_city`` writes three files into a directory:

* ``regions.geojson`` — the administrative tree: one city, four districts (level ``county``),
  their townships and the townships' grid cells, WGS84. One township has a hole filled by a
  sibling township (an enclave) and one district is a MultiPolygon (it owns an exclave).
* ``enterprises.csv`` — enterprises with valid unified social credit codes, GB/T 4754 industry
  codes and coordinates strictly inside grid cells; most in WGS84, some in GCJ-02 or BD-09 (the
  ``crs`` column says which) the way coordinates picked from Amap or Baidu arrive.
* ``points.csv`` — one row per factor of each monitoring point (outlet), with HJ 212 factor
  codes, limits, a standards-library key and the device MN and password.

Geometry is built on an integer lattice (1e-4 degree units) and scaled once, so shared edges are
bit-identical, same-level regions never overlap and children lie exactly within their parents.
The output depends only on ``seed`` and ``enterprises``.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import shapely
from shapely.geometry import MultiPolygon, Point, box, mapping

from ecoradar.core.coords import to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from ecoradar.registry import standards
from ecoradar.registry.importer import ENTERPRISE_COLUMNS, POINT_COLUMNS, POINT_OPTIONAL
from ecoradar.registry.uscc import make_uscc

__all__ = ["ENTERPRISE_HEADER", "POINT_HEADER", "SampleCityFiles", "write_sample_city"]

ENTERPRISE_HEADER: Final = (*ENTERPRISE_COLUMNS, "crs")
"""The sample city records no discharge permits (the optional permit columns are left out)."""
POINT_HEADER: Final = POINT_COLUMNS + POINT_OPTIONAL

_UNITS_PER_DEGREE: Final = 10_000
_MARGIN: Final = 3e-4  # degrees an enterprise keeps from any region boundary (about 30 m)
_MIN_MARGIN_AFTER_CONVERSION: Final = 1.5e-4
_CITY_CODE: Final = "330500"
_CITY_NAME: Final = "清溪市"
_PROVINCE_NAME: Final = "浙江省"


@dataclass(frozen=True, slots=True)
class SampleCityFiles:
    """The files ``write_sample_city`` wrote."""

    directory: Path
    regions: Path
    enterprises: Path
    points: Path


@dataclass(frozen=True, slots=True)
class _Region:
    code: str
    name: str
    level: str
    parent: str
    geometry: Any  # shapely Polygon or MultiPolygon


@dataclass(frozen=True, slots=True)
class _Industry:
    code: str  # GB/T 4754-2017
    words: tuple[str, ...]  # used in enterprise names
    weight: int
    media: tuple[str, ...]  # possible outlets, in order; empty for non-emitting industries


_INDUSTRIES: Final = (
    _Industry("4411", ("热电", "发电", "能源"), 3, ("gas", "gas")),
    _Industry("2221", ("纸业", "造纸"), 8, ("water", "gas")),
    _Industry("2614", ("化工", "化学"), 12, ("water", "gas")),
    _Industry("3110", ("钢铁", "冶金"), 3, ("gas", "gas")),
    _Industry("1713", ("印染", "染整"), 15, ("water", "gas")),
    _Industry("4620", ("水务", "污水处理"), 5, ("water", "water")),
    _Industry("2710", ("制药", "药业"), 8, ("water", "gas")),
    _Industry("3011", ("水泥", "建材"), 4, ("gas", "gas")),
    _Industry("3360", ("表面处理", "电镀"), 7, ("water",)),
    _Industry("1810", ("服饰", "制衣"), 20, ()),
    _Industry("2110", ("家具", "木业"), 15, ()),
)

_BRANDS: Final = (
    "恒达 华盛 永兴 金鑫 宏远 鑫源 天成 瑞丰 东方 新华 众诚 明辉 嘉禾 德润 同创 万通 富春 "
    "长青 兴隆 宝丰 盛泰 汇丰 中天 立信 荣华 正大 联合 海纳 润泽 博远 方圆 协力 振华 "
    "康达 金龙 凯旋 祥和 安泰 信诚 腾飞 佳美 大成 新世纪 广源 远航 蓝天 绿洲 碧水 青松"
).split()
_ROADS: Final = (
    "人民路 工业大道 环城东路 新华路 滨湖路 兴业路 创业路 纬三路 园区大道 沿河路 经二路"
).split()

_GAS_FACTORS: Final = (standards.SO2, standards.NOX, standards.DUST)
_WATER_FACTORS: Final = (standards.COD, standards.NH3_N, standards.TP)
_POWER_SETS: Final = (
    "GB13223-2011/ultra-low",
    "GB13223-2011/coal-new",
    "GB13223-2011/coal-existing",
    "GB13223-2011/gas-turbine",
)
_BOILER_SETS: Final = (
    "GB13223-2011/coal-existing",
    "GB13223-2011/coal-new",
    "GB13223-2011/gas-boiler",
)
_SEWAGE_SETS: Final = ("GB18918-2002/1A", "GB18918-2002/1B")
# Class 3 (discharge into a sewer towards a treatment plant) is the common case: drawn twice.
_DISCHARGE_SETS: Final = ("GB8978-1996/1", "GB8978-1996/2", "GB8978-1996/3", "GB8978-1996/3")
# Illustrative permit values for factors a GB 8978-1996 class does not limit here: phosphate
# (as P) 0.5 / 1.0 for classes 1 / 2 and sewer-discharge values for class 3 (unconfirmed).
_EXTRA_LIMITS: Final = {
    ("GB8978-1996/1", standards.TP): 0.5,
    ("GB8978-1996/2", standards.TP): 1.0,
    ("GB8978-1996/3", standards.TP): 8.0,
    ("GB8978-1996/3", standards.NH3_N): 45.0,
}


def _layout() -> list[_Region]:
    """The region tree in lattice units (1e-4 degree), top-down."""
    x0, x1, x2 = 1_200_000, 1_202_000, 1_204_000  # 120.0, 120.2, 120.4 E
    y0, y1, y2 = 307_000, 308_500, 310_000  # 30.70, 30.85, 31.00 N
    enclave = box(1_200_233, 309_000, 1_200_467, 309_500)  # centre cell of 湖东街道's 3x3 grid
    exclave = box(x0, y0, 1_200_500, 307_500)  # belongs to 青山区, inside 安澜县's corner
    districts = (
        ("330502", "碧湖区", box(x0, y1, x1, y2), (
            ("湖东街道", box(x0, y1, 1_200_700, y2).difference(enclave)),
            ("湖西街道", box(1_200_700, y1, 1_201_400, y2)),
            ("凤栖街道", box(1_201_400, y1, x1, y2)),
            ("月明街道", enclave),
        )),
        ("330503", "青山区", MultiPolygon([box(x1, y1, x2, y2), exclave]), (
            ("青峰街道", box(x1, y1, 1_202_700, y2)),
            ("翠岭镇", box(1_202_700, y1, 1_203_300, y2)),
            ("松涛镇", box(1_203_300, y1, x2, y2)),
            ("桃源镇", exclave),
        )),
        ("330521", "安澜县", box(x0, y0, x1, y1).difference(exclave), (
            ("安澜镇", box(x0, 307_500, 1_200_500, y1)),
            ("澜溪镇", box(1_200_500, y0, 1_201_250, y1)),
            ("白鹭乡", box(1_201_250, y0, x1, y1)),
        )),
        ("330522", "竹溪县", box(x1, y0, x2, y1), (
            ("竹溪镇", box(x1, 307_750, 1_203_000, y1)),
            ("柳岸镇", box(1_203_000, 307_750, x2, y1)),
            ("荷塘乡", box(x1, y0, 1_203_000, 307_750)),
            ("云湾镇", box(1_203_000, y0, x2, 307_750)),
        )),
    )  # fmt: skip
    regions = [_Region(_CITY_CODE, _CITY_NAME, "city", "", box(x0, y0, x2, y2))]
    for district_code, district_name, district_geometry, townships in districts:
        regions.append(
            _Region(district_code, district_name, "county", _CITY_CODE, district_geometry)
        )
        # Statistical division style: streets 001.., towns 101.., rural townships 201..
        counters = {"街道": 0, "镇": 100, "乡": 200}
        for township_name, township_geometry in townships:
            suffix = next(s for s in counters if township_name.endswith(s))
            counters[suffix] += 1
            township_code = f"{district_code}{counters[suffix]:03d}"
            regions.append(
                _Region(township_code, township_name, "township", district_code, township_geometry)
            )
            for number, cell in enumerate(_grid_cells(township_geometry), start=1):
                regions.append(
                    _Region(
                        f"{township_code}{number:03d}",
                        f"{township_name}第{number}网格",
                        "grid",
                        township_code,
                        cell,
                    )
                )
    return regions


def _grid_cells(township: Any) -> list[Any]:
    """Split a township's bounding box into 2x2 or 3x3 cells and keep its part of each."""
    minx, miny, maxx, maxy = (int(v) for v in township.bounds)
    n = 3 if max(maxx - minx, maxy - miny) >= 1_000 else 2
    xs = [minx + round((maxx - minx) * i / n) for i in range(n + 1)]
    ys = [miny + round((maxy - miny) * i / n) for i in range(n + 1)]
    cells = []
    for j in range(n - 1, -1, -1):  # north to south, west to east
        for i in range(n):
            part = box(xs[i], ys[j], xs[i + 1], ys[j + 1]).intersection(township)
            if part.geom_type == "Polygon" and part.area > 0:
                cells.append(part)
    return cells


def _to_degrees(geometry: Any) -> Any:
    return shapely.orient_polygons(shapely.transform(geometry, lambda c: c / _UNITS_PER_DEGREE))


def _write_regions(path: Path, regions: list[_Region]) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "parent": r.parent,
            },
            "geometry": mapping(r.geometry),
        }
        for r in regions
    ]
    # One feature a line: readable in a diff and still plain GeoJSON.
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    header = json.dumps({"type": "FeatureCollection", "name": _CITY_NAME}, ensure_ascii=False)
    path.write_text(f'{header[:-1]}, "features": [\n{lines}\n]}}\n', encoding="utf-8")


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class _Builder:
    """Draws enterprises and monitoring points from one random stream."""

    def __init__(self, rng: random.Random, regions: list[_Region]) -> None:
        self.rng = rng
        self.by_code = {r.code: r for r in regions}
        self.grids = [r for r in regions if r.level == "grid"]
        self.names: set[str] = set()
        self.serials: set[int] = set()
        self.mns: set[str] = set()

    def _unique_serial(self) -> int:
        while (serial := self.rng.randrange(10_000_000, 100_000_000)) in self.serials:
            pass
        self.serials.add(serial)
        return serial

    def _unique_name(self, district: _Region, industry: _Industry) -> str:
        attempt = 0
        while True:
            attempt += 1
            form = "股份有限公司" if self.rng.random() < 0.1 else "有限公司"
            brand = self.rng.choice(_BRANDS)
            # Large cities exhaust the name combinations: number the branch works then.
            works = f"第{attempt - 19}分厂" if attempt > 20 else ""
            name = f"{district.name[:2]}{brand}{self.rng.choice(industry.words)}{works}{form}"
            if name not in self.names:
                self.names.add(name)
                return name

    def _location(self, cell: Any) -> tuple[float, float, str]:
        """A point well inside ``cell``, expressed in a randomly chosen coordinate system."""
        minx, miny, maxx, maxy = cell.bounds
        draw = self.rng.random()
        crs = "bd09" if draw < 0.05 else "gcj02" if draw < 0.15 else "wgs84"
        while True:
            lon = self.rng.uniform(minx + _MARGIN, maxx - _MARGIN)
            lat = self.rng.uniform(miny + _MARGIN, maxy - _MARGIN)
            if crs == "gcj02":
                lon, lat = wgs84_to_gcj02(lon, lat)
            elif crs == "bd09":
                lon, lat = wgs84_to_bd09(lon, lat)
            lon, lat = round(lon, 6), round(lat, 6)
            point = Point(*to_wgs84(lon, lat, crs))
            if (
                cell.contains(point)
                and cell.boundary.distance(point) > _MIN_MARGIN_AFTER_CONVERSION
            ):
                return lon, lat, crs

    def enterprise(self) -> tuple[list[str], _Industry]:
        industry = self.rng.choices(_INDUSTRIES, weights=[i.weight for i in _INDUSTRIES])[0]
        cell = self.rng.choice(self.grids)
        township = self.by_code[cell.parent]
        district = self.by_code[township.parent]
        code = make_uscc(district.code, self._unique_serial())
        name = self._unique_name(district, industry)
        lon, lat, crs = self._location(cell.geometry)
        road = self.rng.choice(_ROADS)
        address = (
            f"{_PROVINCE_NAME}{_CITY_NAME}{district.name}{township.name}"
            f"{road}{self.rng.randint(1, 999)}号"
        )
        row = [code, name, industry.code, f"{lon:.6f}", f"{lat:.6f}", address, crs]
        return row, industry

    def _mn(self) -> str:
        while (mn := f"{self.rng.getrandbits(96):024X}") in self.mns:
            pass
        self.mns.add(mn)
        return mn

    def points(self, enterprise_code: str, industry: _Industry) -> list[list[str]]:
        """The rows of ``points.csv`` for one enterprise: 0-2 outlets, one row per factor."""
        count = 2 if len(industry.media) > 1 and self.rng.random() < 0.4 else 1
        rows: list[list[str]] = []
        numbers = {"gas": 0, "water": 0}
        for medium in industry.media[:count]:
            numbers[medium] += 1
            outlet_code, outlet_name, sets, factors = _outlet(industry, medium, numbers[medium])
            standard = self.rng.choice(sets)
            mn = self._mn()
            password = "" if self.rng.random() < 0.06 else f"{self.rng.randrange(10**6):06d}"
            for factor in factors:
                rows.append(
                    [enterprise_code, outlet_code, outlet_name, mn, medium, factor]
                    + self._limit_fields(medium, standard, factor)
                    + [password]
                )
        return rows

    def _limit_fields(self, medium: str, standard: str, factor: str) -> list[str]:
        """limit, unit, averaging, o2_reference and standard of one factor row.

        A factor the outlet's limit set does not cover gets an explicit limit and no standard.
        About one row in five names only the standard and leaves ``limit`` empty; that can happen
        only where the standard defines the factor (about two rows in three), hence 0.3.
        """
        spec = standards.limit_for(standard, factor)
        if spec is None:
            unit = standards.GAS_UNIT if medium == "gas" else standards.WATER_UNIT
            return [_fmt(_EXTRA_LIMITS[standard, factor]), unit, "day", "", ""]
        limit = "" if self.rng.random() < 0.3 else _fmt(spec.limit)
        return [limit, spec.unit, spec.averaging, _fmt(spec.o2_reference), standard]


def _outlet(
    industry: _Industry, medium: str, number: int
) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """Outlet code (permit style: DA air, DW water), name, candidate limit sets and factors."""
    power, sewage = industry.code == "4411", industry.code == "4620"
    if medium == "gas":
        name = f"{number}号机组烟气排放口" if power else f"{number}号锅炉废气排放口"
        sets = _POWER_SETS if power else _BOILER_SETS
        return f"DA{number:03d}", name, sets, _GAS_FACTORS
    kind = "尾水" if sewage else "废水"
    name = f"{kind}总排放口" if number == 1 else f"{number}号{kind}排放口"
    return f"DW{number:03d}", name, _SEWAGE_SETS if sewage else _DISCHARGE_SETS, _WATER_FACTORS


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_sample_city(directory: Path, *, seed: int = 7, enterprises: int = 500) -> SampleCityFiles:
    """Write ``regions.geojson``, ``enterprises.csv`` and ``points.csv`` into ``directory``.

    The same ``seed`` and ``enterprises`` always give byte-identical files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    regions = [
        _Region(r.code, r.name, r.level, r.parent, _to_degrees(r.geometry)) for r in _layout()
    ]
    builder = _Builder(random.Random(seed), regions)
    enterprise_rows: list[list[str]] = []
    point_rows: list[list[str]] = []
    for _ in range(enterprises):
        row, industry = builder.enterprise()
        enterprise_rows.append(row)
        point_rows.extend(builder.points(row[0], industry))
    files = SampleCityFiles(
        directory=directory,
        regions=directory / "regions.geojson",
        enterprises=directory / "enterprises.csv",
        points=directory / "points.csv",
    )
    _write_regions(files.regions, regions)
    _write_csv(files.enterprises, ENTERPRISE_HEADER, enterprise_rows)
    _write_csv(files.points, POINT_HEADER, point_rows)
    return files
