"""An inspection's result: findings flow into the problem register through the common intake;
a refusal becomes a confirmed ``refused_inspection`` violation and the code turns red; who may
record it, and only once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError
from ecoradar.inspections import service
from ecoradar.inspections.models import Inspection
from ecoradar.inspections.results import FindingItem, ResultIn
from ecoradar.problems.models import Finding, Problem
from tests.factories import uscc
from tests.integration.greencode_support import code_of, settle
from tests.integration.inspections_support import (
    Staff,
    city,
    draw,
    drawn,
    inspection_of,
    photo,
    record,
)

E1, E3 = uscc(1), uscc(3)


@pytest.fixture
def staff(container: Container, tmp_path: Path) -> Staff:
    return city(container, tmp_path)


@pytest.fixture
def draw_id(container: Container, staff: Staff) -> int:
    return draw(container, None)


def inspector_of(container: Container, staff: Staff, draw_id: int, code: str) -> object:
    names = drawn(container, draw_id)[code][1]
    logins = {
        s.username: s for s in (staff.city, staff.county_a, staff.township_a1, staff.county_b)
    }
    return logins[names[0]]


def test_findings_go_into_the_problem_register_through_the_intake(
    container: Container, staff: Staff, draw_id: int
) -> None:
    inspection = inspection_of(container, draw_id, E1)
    inspector = inspector_of(container, staff, draw_id, E1)
    record(
        container,
        inspector,  # type: ignore[arg-type]
        inspection,
        ResultIn(
            outcome="findings",
            text="现场检查",
            findings=(
                FindingItem("water", "雨水排口有污水排出", "high"),
                FindingItem("hazardous_waste", "危废贮存间未上锁"),
            ),
        ),
    )
    with container.reading() as session:
        row = session.get(Inspection, inspection)
        assert row is not None
        assert (row.state, row.outcome) == ("done", "findings")
        assert row.finding_ids is not None and len(row.finding_ids) == 2
        findings = list(session.scalars(select(Finding).where(Finding.id.in_(row.finding_ids))))
        assert {f.channel for f in findings} == {"inspection"}
        assert {f.source_ref for f in findings} == {
            f"inspection:{inspection}:1",
            f"inspection:{inspection}:2",
        }
        problems = list(
            session.scalars(select(Problem).where(Problem.id.in_(row.problem_ids or [])))
        )
        assert len(problems) == 2
        assert {p.category for p in problems} == {"water", "hazardous_waste"}
        assert {p.enterprise_id for p in problems} == {row.enterprise_id}
        assert {p.state for p in problems} == {"reported"}  # verified there like any other
        assert session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "inspection.done", AuditEntry.entity_id == str(inspection)
            )
        )


def test_a_refusal_is_a_confirmed_violation_that_turns_the_code_red(
    container: Container, staff: Staff, draw_id: int
) -> None:
    settle(container)
    before = code_of(container, 1)
    assert before is not None and before.colour != "red"
    inspection = inspection_of(container, draw_id, E1)
    inspector = inspector_of(container, staff, draw_id, E1)
    media = photo(container, inspector)  # type: ignore[arg-type]
    record(
        container,
        inspector,  # type: ignore[arg-type]
        inspection,
        ResultIn(outcome="refused", text="企业负责人拒绝检查人员进入厂区", photo_ids=(media,)),
    )
    with container.reading() as session:
        row = session.get(Inspection, inspection)
        assert row is not None and row.outcome == "refused"
        (problem,) = session.scalars(select(Problem).where(Problem.id.in_(row.problem_ids or [])))
        assert (problem.state, problem.violation) == ("confirmed", "refused_inspection")
        assert problem.channel == "inspection" and problem.assignee_id is not None
    settle(container)
    after = code_of(container, 1)
    assert after is not None and after.colour == "red" and after.vetoed
    assert any(v["rule"] == "refused_inspection" for v in after.vetoes)


def test_a_refusal_needs_a_photo_and_a_text_and_changes_nothing_without(
    container: Container, staff: Staff, draw_id: int
) -> None:
    inspection = inspection_of(container, draw_id, E1)
    inspector = inspector_of(container, staff, draw_id, E1)
    with pytest.raises(InputError, match="photo"):
        record(container, inspector, inspection, ResultIn(outcome="refused", text="拒绝"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="text"):
        record(container, inspector, inspection, ResultIn(outcome="refused", photo_ids=(1,)))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="findings"):
        record(container, inspector, inspection, ResultIn(outcome="findings"))  # type: ignore[arg-type]
    with container.reading() as session:
        assert session.get(Inspection, inspection).state == "assigned"  # type: ignore[union-attr]
        assert session.scalar(select(Problem.id)) is None


def test_a_result_is_recorded_once_by_an_inspector_or_an_officer_in_scope(
    container: Container, staff: Staff, draw_id: int
) -> None:
    inspection = inspection_of(container, draw_id, E3)  # county B
    with pytest.raises(NotFoundError):
        record(container, staff.county_a, inspection, ResultIn(outcome="clean"))
    with pytest.raises(NotFoundError):
        record(container, staff.grid_worker, inspection, ResultIn(outcome="clean"))
    record(container, staff.county_b, inspection, ResultIn(outcome="clean"))
    with pytest.raises(ConflictError):
        record(container, staff.admin, inspection, ResultIn(outcome="clean"))


def test_an_inspector_sees_their_own_list_of_inspections_to_do(
    container: Container, staff: Staff, draw_id: int
) -> None:
    mine = {}
    for login in (staff.city, staff.county_b):
        with container.reading() as session:
            mine[login.username] = [
                i.enterprise.code
                for i in service.assigned_to(session=session, user_id=login.user_id, open_only=True)
            ]
    assert mine["b-officer"] == [E3]  # b-officer covers only enterprise 3
    expected = [c for c, (_, names) in drawn(container, draw_id).items() if "c-officer" in names]
    assert sorted(mine["c-officer"]) == sorted(expected)


def test_an_unstaffed_inspection_cannot_be_recorded(container: Container, staff: Staff) -> None:
    lonely = draw(container, None, k=3, region="B")  # B has two eligible officers only
    inspection = inspection_of(container, lonely, E3)
    with pytest.raises(ConflictError, match="unstaffed"):
        record(container, staff.admin, inspection, ResultIn(outcome="clean"))
