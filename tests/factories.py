"""Test data builders, in one place."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecoradar.registry.importer import ENTERPRISE_COLUMNS, POINT_COLUMNS
from ecoradar.registry.uscc import make_uscc


def box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(
    code: str,
    level: str,
    parent: str,
    rings: Sequence[list[list[float]]] | None = None,
    *,
    name: str | None = None,
    geometry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    geom = geometry or {"type": "Polygon", "coordinates": [list(r) for r in rings or []]}
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name or f"区域{code}",
            "level": level,
            "parent": parent,
        },
        "geometry": geom,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def small_city() -> dict[str, Any]:
    """A city (0..4 x 0..2) of two counties; county A has townships A1 (with a hole filled by
    A2) and A2; A1 holds two grids sharing the edge x = 0.5."""
    return collection(
        feature("C", "city", "", [box(0, 0, 4, 2)]),
        feature("A", "county", "C", [box(0, 0, 2, 2)]),
        feature("B", "county", "C", [box(2, 0, 4, 2)]),
        feature("A1", "township", "A", [box(0, 0, 1, 2), box(0.2, 1.2, 0.6, 1.6)[::-1]]),
        feature(
            "A2",
            "township",
            "A",
            geometry={
                "type": "MultiPolygon",
                "coordinates": [[box(1, 0, 2, 2)], [box(0.2, 1.2, 0.6, 1.6)]],
            },
        ),
        feature("G1", "grid", "A1", [box(0, 0, 0.5, 1)]),
        feature("G2", "grid", "A1", [box(0.5, 0, 1, 1)]),
    )


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


ENTERPRISE_HEADER = list(ENTERPRISE_COLUMNS)
POINT_HEADER = list(POINT_COLUMNS)


def uscc(serial: int) -> str:
    return make_uscc("330502", serial)


def enterprise_row(
    serial: int, lon: float = 0.25, lat: float = 0.5, **overrides: object
) -> list[object]:
    row: dict[str, object] = {
        "code": uscc(serial),
        "name": f"测试企业{serial}有限公司",
        "industry": "4411",
        "longitude": lon,
        "latitude": lat,
        "address": f"测试路{serial}号",
    }
    row.update(overrides)
    return [row[c] for c in ENTERPRISE_HEADER]


def gas_rows(serial: int, mn: str, outlet: str = "DA001") -> list[list[object]]:
    return [
        [uscc(serial), outlet, "锅炉排口", mn, "gas", "a21026", 35, "mg/m3", "hour", 6],
        [uscc(serial), outlet, "锅炉排口", mn, "gas", "a21002", 50, "mg/m3", "hour", 6],
    ]


def shifted(document: dict[str, Any], dx: float, dy: float) -> dict[str, Any]:
    """``document`` with every coordinate moved by (dx, dy)."""

    def move(value: Any) -> Any:
        if isinstance(value, list) and value and isinstance(value[0], int | float):
            return [value[0] + dx, value[1] + dy]
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    out = json.loads(json.dumps(document))
    for item in out["features"]:
        item["geometry"]["coordinates"] = move(item["geometry"]["coordinates"])
    return out


CITY_ORIGIN = (120.0, 30.0)
"""Where ``china_city`` lies: inside China, so GCJ-02 and BD-09 offsets apply."""


def china_city() -> dict[str, Any]:
    return shifted(small_city(), *CITY_ORIGIN)


GAS_MN = "A1B2C3D4E5F60718293A4B5C"
WATER_MN = "W00000000000000000000001"
OPEN_MN = "OPEN000000000000000000AA"
PASSWORD = "123456"


def load_small_registry(container: Any, tmp_path: Path) -> None:
    """china_city() with three enterprises: a gas point (password), a water point (password)
    and an unprotected gas point, loaded through the real importers."""
    from ecoradar.regions import service as regions
    from ecoradar.registry import service as registry

    path = write_json(tmp_path / "city.geojson", china_city())
    features = regions.read_regions_file(path)
    with container.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=container.clock.now()
        )
    e = write_csv(
        tmp_path / "e.csv",
        ENTERPRISE_HEADER,
        [
            enterprise_row(1, 120.25, 30.5),
            enterprise_row(2, 120.75, 30.5),
            enterprise_row(3, 122.5, 31.0),
        ],
    )
    header = [*POINT_HEADER, "password"]
    p = write_csv(
        tmp_path / "p.csv",
        header,
        [[*row[:3], GAS_MN, *row[4:], PASSWORD] for row in gas_rows(1, GAS_MN)]
        + [
            [
                uscc(2),
                "DW001",
                "总排口",
                WATER_MN,
                "water",
                "w01018",
                50,
                "mg/L",
                "day",
                "",
                PASSWORD,
            ]
        ]
        + [[*row, ""] for row in gas_rows(3, OPEN_MN)],
    )
    with container.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=e,
            points=p,
            regions=container.regions,
            now=container.clock.now(),
        )
