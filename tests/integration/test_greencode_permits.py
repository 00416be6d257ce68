"""Discharge permits in the registry import and export, and what they do to the green code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.errors import ImportRefused
from ecoradar.greencode.models import StaleCode
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise
from tests.factories import ENTERPRISE_HEADER, enterprise_row, load_small_registry, uscc, write_csv
from tests.integration.greencode_support import indicator, settle

HEADER = [*ENTERPRISE_HEADER, "permit_no", "permit_valid_until"]


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def load(box: Container, path: Path) -> None:
    with box.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=path,
            points=None,
            regions=box.regions,
            now=box.clock.now(),
        )


def permit_of(box: Container, serial: int) -> tuple[str | None, date | None]:
    with box.reading() as session:
        found = session.scalars(select(Enterprise).where(Enterprise.code == uscc(serial))).one()
        return found.permit_no, found.permit_valid_until


def test_permits_are_imported_exported_and_queue_the_code(box: Container, tmp_path: Path) -> None:
    settle(box)
    rows = [
        [*enterprise_row(1, 120.25, 30.5), "91330500MA2B000001001P", "2026-11-20"],
        [*enterprise_row(2, 120.75, 30.5), "", ""],
    ]
    load(box, write_csv(tmp_path / "e.csv", HEADER, rows))
    assert permit_of(box, 1) == ("91330500MA2B000001001P", date(2026, 11, 20))
    assert permit_of(box, 2) == (None, None)
    with box.reading() as session:
        queued = set(session.scalars(select(StaleCode.enterprise_id)))
        first = session.scalar(select(Enterprise.id).where(Enterprise.code == uscc(1)))
    assert queued == {first}  # only the enterprise whose permit changed
    settle(box)
    permit = indicator(box, 1, "permit")
    assert permit["score"] == pytest.approx(60 + 40 * 18 / 30)  # 18 days before expiry
    with box.reading() as session:
        enterprises, _ = registry.export_rows(session=session)
    exported = {e["code"]: e for e in enterprises}
    assert exported[uscc(1)]["permit_no"] == "91330500MA2B000001001P"
    assert exported[uscc(1)]["permit_valid_until"] == "2026-11-20"
    assert exported[uscc(2)]["permit_valid_until"] == ""


def test_a_file_without_the_permit_columns_leaves_the_permits_alone(
    box: Container, tmp_path: Path
) -> None:
    with_permit = [[*enterprise_row(1, 120.25, 30.5), "P-1", "2027-06-30T00:00:00"]]
    load(box, write_csv(tmp_path / "a.csv", HEADER, with_permit))
    assert permit_of(box, 1) == ("P-1", date(2027, 6, 30))  # an XLSX date cell's text
    load(box, write_csv(tmp_path / "b.csv", ENTERPRISE_HEADER, [enterprise_row(1, 120.25, 30.5)]))
    assert permit_of(box, 1) == ("P-1", date(2027, 6, 30))


def test_a_bad_permit_is_refused_naming_the_line_and_the_column(
    box: Container, tmp_path: Path
) -> None:
    rows = [
        [*enterprise_row(1, 120.25, 30.5), "P 1", "2027-06-30"],
        [*enterprise_row(2, 120.75, 30.5), "P-2", "30/06/2027"],
    ]
    with pytest.raises(ImportRefused) as refused:
        load(box, write_csv(tmp_path / "bad.csv", HEADER, rows))
    text = str(refused.value)
    assert "bad.csv:2: permit_no" in text
    assert "bad.csv:3: permit_valid_until: '30/06/2027' is not a date" in text
    assert permit_of(box, 2) == (None, None)
