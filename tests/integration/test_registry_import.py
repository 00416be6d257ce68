"""The registry import: CSV/XLSX in, all or nothing, updates by natural keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.coords import wgs84_to_bd09, wgs84_to_gcj02
from ecoradar.core.errors import ImportRefused, InputError
from ecoradar.regions import service as regions
from ecoradar.registry import service
from ecoradar.registry.models import Enterprise, MonitoringPoint, PointLimit
from tests.factories import (
    ENTERPRISE_HEADER,
    POINT_HEADER,
    china_city,
    enterprise_row,
    gas_rows,
    uscc,
    write_csv,
    write_json,
)

X, Y = 120.25, 30.5  # inside grid G1 of china_city()


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    path = write_json(tmp_path / "city.geojson", china_city())
    features = regions.read_regions_file(path)
    with container.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=container.clock.now()
        )
    return container


def run_import(
    box: Container, enterprises: Path | None, points: Path | None
) -> service.RegistryImportSummary:
    with box.transaction() as session:
        return service.import_registry(
            session=session,
            enterprises=enterprises,
            points=points,
            regions=box.regions,
            now=box.clock.now(),
        )


def counts(box: Container) -> tuple[int, int, int]:
    with box.transaction() as session:
        return (
            session.scalar(select(func.count(Enterprise.id))) or 0,
            session.scalar(select(func.count(MonitoringPoint.id))) or 0,
            session.scalar(select(func.count(PointLimit.id))) or 0,
        )


def good_files(tmp_path: Path) -> tuple[Path, Path]:
    e = write_csv(
        tmp_path / "e.csv",
        ENTERPRISE_HEADER,
        [enterprise_row(1, X, Y), enterprise_row(2, 122.5, 31.0)],
    )
    p = write_csv(
        tmp_path / "p.csv",
        POINT_HEADER,
        [
            *gas_rows(1, "MN0001"),
            [uscc(2), "DW001", "总排口", "MN0002", "water", "w01018", 50, "mg/L", "day", ""],
        ],
    )
    return e, p


def test_a_registry_imports_with_regions_resolved_from_coordinates(
    city: Container, tmp_path: Path
) -> None:
    summary = run_import(city, *good_files(tmp_path))
    assert (summary.enterprises_created, summary.points, summary.limits) == (2, 2, 3)
    with city.transaction() as session:
        first = service.enterprise_by_code(session=session, code=uscc(1))
        second = service.enterprise_by_code(session=session, code=uscc(2))
        assert first.region is not None and first.region.code == "G1"
        assert second.region is not None and second.region.code == "B"
        point = first.outlets[0].points[0]
        assert point.mn == "MN0001" and point.medium == "gas" and point.password is None
        assert {(x.factor, x.effective_limit, x.o2_reference) for x in point.limits} == {
            ("a21026", 35.0, 6.0),
            ("a21002", 50.0, 6.0),
        }


def test_reimporting_updates_by_natural_keys(city: Container, tmp_path: Path) -> None:
    run_import(city, *good_files(tmp_path))
    e = write_csv(
        tmp_path / "e2.csv", ENTERPRISE_HEADER, [enterprise_row(1, X, Y, name="改名后的企业")]
    )
    p = write_csv(
        tmp_path / "p2.csv",
        POINT_HEADER,
        [[uscc(1), "DA001", "锅炉排口", "MN0001", "gas", "a21026", 100, "mg/m3", "hour", 6]],
    )
    summary = run_import(city, e, p)
    assert (summary.enterprises_created, summary.enterprises_updated) == (0, 1)
    assert counts(city) == (2, 2, 3)
    with city.transaction() as session:
        enterprise = service.enterprise_by_code(session=session, code=uscc(1))
        assert enterprise.name == "改名后的企业"
        limits = {x.factor: x.effective_limit for x in enterprise.outlets[0].points[0].limits}
        assert limits == {"a21026": 100.0, "a21002": 50.0}


def test_a_limit_can_come_from_the_standards_library(city: Container, tmp_path: Path) -> None:
    e = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1, X, Y)])
    p = write_csv(
        tmp_path / "p.csv",
        [*POINT_HEADER, "standard", "password"],
        [
            [
                uscc(1),
                "DW001",
                "总排口",
                "MN9",
                "water",
                "w21003",
                "",
                "",
                "",
                "",
                "GB18918-2002/1A",
                "123456",
            ]
        ],
    )
    run_import(city, e, p)
    with city.transaction() as session:
        point = service.enterprise_by_code(session=session, code=uscc(1)).outlets[0].points[0]
        (limit,) = point.limits
        assert (limit.limit_value, limit.effective_limit, limit.unit, limit.averaging) == (
            None,
            5.0,
            "mg/L",
            "day",
        )
        assert limit.standard == "GB18918-2002/1A" and point.password == "123456"


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_coordinates_in_chinese_systems_are_stored_as_wgs84(
    city: Container, tmp_path: Path, crs: str
) -> None:
    convert = wgs84_to_gcj02 if crs == "gcj02" else wgs84_to_bd09
    lon, lat = convert(X, Y)
    e = write_csv(
        tmp_path / "e.csv", [*ENTERPRISE_HEADER, "crs"], [[*enterprise_row(1, lon, lat), crs]]
    )
    run_import(city, e, None)
    with city.transaction() as session:
        enterprise = service.enterprise_by_code(session=session, code=uscc(1))
    assert enterprise.longitude == pytest.approx(X, abs=1e-6)
    assert enterprise.latitude == pytest.approx(Y, abs=1e-6)
    assert enterprise.source_crs == crs


def test_an_xlsx_workbook_imports_like_csv(city: Container, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(ENTERPRISE_HEADER)
    sheet.append(enterprise_row(1, X, Y))
    workbook.save(tmp_path / "e.xlsx")
    run_import(city, tmp_path / "e.xlsx", None)
    assert counts(city) == (1, 0, 0)


def bad_code() -> str:
    code = uscc(5)
    return code[:-1] + ("0" if code[-1] != "0" else "1")


E_BAD = {
    "check character": (enterprise_row(5, X, Y, code=bad_code()), "code", "check character"),
    "outside": (enterprise_row(5, 130.0, 40.0), "longitude", "outside every region"),
    "not a number": (enterprise_row(5, "east", Y), "longitude", "is not a longitude"),
    "industry": (enterprise_row(5, X, Y, industry="power"), "industry", "GB/T 4754"),
    "no name": (enterprise_row(5, X, Y, name=""), "name", "required"),
}


@pytest.mark.parametrize("case", sorted(E_BAD))
def test_a_bad_enterprise_row_is_refused_naming_file_line_and_column(
    city: Container, tmp_path: Path, case: str
) -> None:
    run_import(city, *good_files(tmp_path))
    row, column, reason = E_BAD[case]
    e = write_csv(tmp_path / "bad.csv", ENTERPRISE_HEADER, [enterprise_row(3, X, Y), row])
    with pytest.raises(ImportRefused) as refused:
        run_import(city, e, None)
    (error,) = refused.value.errors
    assert (error.file, error.line, error.column) == ("bad.csv", 3, column)
    assert reason in error.reason
    assert counts(city) == (2, 2, 3)


def p_row(**overrides: object) -> list[object]:
    base = dict(
        zip(
            POINT_HEADER,
            [uscc(1), "DA002", "新排口", "MN0100", "gas", "a34013", 10, "mg/m3", "hour", 6],
            strict=True,
        )
    )
    base.update(overrides)
    return [base[c] for c in POINT_HEADER]


P_BAD = {
    "mn taken in db": (p_row(mn="MN0002"), "mn", "MN MN0002 is used by another point"),
    "unknown factor": (p_row(factor="x99999"), "factor", "unknown factor code 'x99999'"),
    "non-numeric": (p_row(limit="ten"), "limit", "'ten' is not a number"),
    "negative": (p_row(limit=-1), "limit", "negative limit -1"),
    "averaging": (p_row(averaging="week"), "averaging", "unknown averaging 'week'"),
    "medium": (p_row(medium="soil"), "medium", "unknown medium 'soil'"),
    "o2 for water": (
        p_row(medium="water", factor="w01018", o2_reference=6),
        "o2_reference",
        "must be empty for water",
    ),
    "unknown enterprise": (
        p_row(enterprise_code=uscc(77)),
        "enterprise_code",
        "unknown enterprise",
    ),
}


@pytest.mark.parametrize("case", sorted(P_BAD))
def test_a_bad_point_row_is_refused_and_nothing_changes(
    city: Container, tmp_path: Path, case: str
) -> None:
    run_import(city, *good_files(tmp_path))
    row, column, reason = P_BAD[case]
    p = write_csv(tmp_path / "bad.csv", POINT_HEADER, [p_row(factor="a21026", mn="MN0200"), row])
    with pytest.raises(ImportRefused) as refused:
        run_import(city, None, p)
    (error,) = refused.value.errors
    assert (error.line, error.column) == (3, column)
    assert reason in error.reason
    assert counts(city) == (2, 2, 3)


def test_one_mn_for_two_outlets_in_one_file_is_refused(city: Container, tmp_path: Path) -> None:
    e = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1, X, Y)])
    p = write_csv(
        tmp_path / "p.csv", POINT_HEADER, [p_row(), p_row(outlet_code="DA003", factor="a21026")]
    )
    with pytest.raises(ImportRefused) as refused:
        run_import(city, e, p)
    assert [(x.line, x.column) for x in refused.value.errors] == [(3, "mn")]
    assert counts(city) == (0, 0, 0)


def test_a_bad_point_file_keeps_good_enterprises_out_too(city: Container, tmp_path: Path) -> None:
    e = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1, X, Y)])
    p = write_csv(tmp_path / "p.csv", POINT_HEADER, [p_row(limit="x")])
    with pytest.raises(ImportRefused):
        run_import(city, e, p)
    assert counts(city) == (0, 0, 0)


def test_a_missing_column_is_refused_on_the_header_line(city: Container, tmp_path: Path) -> None:
    e = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER[:-1], [enterprise_row(1, X, Y)[:-1]])
    with pytest.raises(ImportRefused) as refused:
        run_import(city, e, None)
    assert [(x.line, x.column, x.reason) for x in refused.value.errors] == [
        (1, "address", "required column missing")
    ]


def test_an_unreadable_file_is_refused(city: Container, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no-such.csv"):
        run_import(city, tmp_path / "no-such.csv", None)
    (tmp_path / "garbage.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable XLSX"):
        run_import(city, tmp_path / "garbage.xlsx", None)
