"""``ecoradar clues import``: other hotlines' and platforms' exports with a column mapping,
all or nothing, every bad cell named, re-imports changing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.clues.models import Clue
from ecoradar.core.coords import wgs84_to_gcj02
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from tests.factories import write_csv
from tests.integration.clue_support import IN_B, OUTSIDE, counts, load_city, spot

runner = CliRunner()
HEADER = [
    "工单号",
    "问题类型",
    "纬度",
    "经度",
    "问题描述",
    "来电时间",
    "来电人",
    "联系电话",
    "气味强度",
]
MAP = [
    "--map",
    "source_ref=工单号",
    "--map",
    "category=问题类型",
    "--map",
    "lat=纬度",
    "--map",
    "lon=经度",
    "--map",
    "description=问题描述",
    "--map",
    "observed_at=来电时间",
    "--map",
    "reporter_name=来电人",
    "--map",
    "reporter_contact=联系电话",
    "--map",
    "attribute.intensity=气味强度",
]


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def box(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_city(container, tmp_path)
    return container


def _row(ref: str, category: str = "异味", **over: object) -> list[object]:
    where = spot()
    row: dict[str, object] = {
        "工单号": ref,
        "问题类型": category,
        "纬度": round(where["lat"], 6),
        "经度": round(where["lon"], 6),
        "问题描述": f"{ref}：小区旁工厂排放刺鼻气味",
        "来电时间": "2026/11/01 21:15",
        "来电人": "张先生",
        "联系电话": "13800000000",
        "气味强度": "4" if category == "异味" else "",
    }
    row.update(over)
    return [row[c] for c in HEADER]


def test_a_hotline_export_is_imported_routed_and_re_importing_changes_nothing(
    box: Container, tmp_path: Path
) -> None:
    where_b = spot(IN_B)
    path = write_csv(
        tmp_path / "12345.csv",
        HEADER,
        [
            _row("GD-001"),
            _row("GD-002", "water"),
            _row("GD-003", "Noise", 纬度=where_b["lat"], 经度=where_b["lon"]),
        ],
    )
    code, out, err = ecoradar("clues", "import", str(path), "--channel", "hotline", *MAP)
    assert code == 0, err
    assert "imported 3 clues: 3 new" in out
    with box.transaction() as session:
        rows = session.execute(
            select(Clue, Finding, Problem, Region)
            .join(Finding, Clue.finding_id == Finding.id)
            .join(Problem, Finding.problem_id == Problem.id)
            .join(Region, Problem.office_region_id == Region.id)
            .order_by(Finding.source_ref)
        ).all()
        found = [
            (f.source_ref, c.service_code, r.code, c.attributes, f.reporter_name, c.channel)
            for c, f, _, r in rows
        ]
        observed = rows[0][1].observed_at.isoformat()
    assert found == [
        ("GD-001", "odour", "A", {"intensity": "4"}, "张先生", "hotline"),
        ("GD-002", "water", "A", {}, "张先生", "hotline"),
        ("GD-003", "noise", "B", {}, "张先生", "hotline"),
    ]
    assert observed == "2026-11-01T13:15:00+00:00"  # no offset: China Standard Time
    before = counts(box)
    code, out, err = ecoradar("clues", "import", str(path), "--channel", "hotline", *MAP)
    assert code == 0, err
    assert "0 new" in out and "3 already known" in out
    assert counts(box) == before


def test_every_bad_cell_is_named_and_nothing_is_imported(box: Container, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        HEADER,
        [
            _row("GD-101"),
            _row("GD-102", "交通拥堵"),
            _row("GD-103", 纬度="north"),
            _row("GD-104", 气味强度=""),
            _row("GD-105", 纬度=OUTSIDE["lat"], 经度=OUTSIDE["lon"]),
            _row("GD-101"),
            _row("GD-107", 来电时间="yesterday"),
            _row("GD-108", 问题描述=""),
        ],
    )
    before = counts(box)
    code, _, err = ecoradar("clues", "import", str(path), "--channel", "hotline", *MAP)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: bad.csv:3: 问题类型: '交通拥堵' is not a category (air, water, solid_waste, "
        "hazardous_waste, noise, odour, soil, ecological, other)",
        "error: bad.csv:4: 纬度: 'north' is not a latitude",
        "error: bad.csv:5: 气味强度: required for the service odour",
        "error: bad.csv:6: 纬度: (35.000000, 125.000000) is outside this bureau's "
        "jurisdiction; please report it to the bureau of that place",
        "error: bad.csv:7: 工单号: 'GD-101' already on line 2",
        "error: bad.csv:8: 来电时间: 'yesterday' is not a date and time",
        "error: bad.csv:9: 问题描述: required",
    ]
    assert "nothing was changed" in err
    assert counts(box) == before


def test_an_xlsx_with_a_mapping_file_and_gcj02_coordinates(box: Container, tmp_path: Path) -> None:
    where = spot()
    lon, lat = wgs84_to_gcj02(where["lon"], where["lat"])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "类别", "lat", "long", "内容", "水色", "漂浮物"])
    sheet.append(["M-1", "水污染类", lat, lon, "河面漂浮大量白色泡沫和油污", "white", "foam,oil"])
    path = tmp_path / "platform.xlsx"
    book.save(path)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "source_ref": "编号",
                    "category": "类别",
                    "description": "内容",
                    "attribute.colour": "水色",
                    "attribute.floating_matter": "漂浮物",
                },
                "categories": {"水污染类": "water"},
                "crs": "gcj02",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    code, out, err = ecoradar(
        "clues", "import", str(path), "--channel", "referral", "--mapping", str(mapping)
    )
    assert code == 0, err
    with box.transaction() as session:
        clue = session.scalar(select(Clue))
        assert clue is not None
        assert clue.service_code == "water" and clue.channel == "referral"
        assert clue.attributes == {"colour": "white", "floating_matter": ["oil", "foam"]}
        assert clue.anonymous is True
        assert abs(clue.lat - where["lat"]) < 1e-6 and abs(clue.lon - where["lon"]) < 1e-6


def test_a_mapping_to_a_missing_column_and_a_wrong_channel_are_refused(
    box: Container, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "x.csv", HEADER, [_row("GD-1")])
    code, _, err = ecoradar(
        "clues", "import", str(path), "--channel", "hotline", *MAP, "--map", "address_string=地址"
    )
    assert code == 1 and "x.csv:1: 地址: mapped to address_string but not in the file" in err
    code, _, err = ecoradar("clues", "import", str(path), "--channel", "public", *MAP)
    assert code == 1 and "--channel 'public' is not one of hotline" in err
    code, _, err = ecoradar("clues", "import", str(path), "--channel", "hotline", "--map", "x=y")
    assert code == 1 and "--map x: unknown field" in err
    assert counts(box)["clues"] == 0
