"""Inspection draws against the database: inputs stored and re-runnable, eligible inspectors
and declared conflicts, unstaffed inspections listed, scope, overlapping draws refused, the
rates applied to the green-code colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, NotFoundError, PermissionDenied
from ecoradar.inspections import conflicts, service
from ecoradar.inspections import draw as drawing
from ecoradar.inspections.models import Draw
from tests.factories import uscc
from tests.integration.greencode_support import settle
from tests.integration.inspections_support import (
    ALL,
    Staff,
    city,
    draw,
    drawn,
    model_with,
    principal,
)

E1, E2, E3 = uscc(1), uscc(2), uscc(3)


@pytest.fixture
def staff(container: Container, tmp_path: Path) -> Staff:
    return city(container, tmp_path)


def declare(
    box: Container, staff_login: object, code: str, reason: str = "亲属在该企业任职"
) -> int:
    who = principal(box, staff_login)  # type: ignore[arg-type]
    with box.transaction() as session:
        return conflicts.declare(
            session=session,
            principal=who,
            enterprise_code=code,
            reason=reason,
            since=None,
            now=box.clock.now(),
        ).id


def test_a_draw_stores_its_inputs_and_staffs_each_inspection_from_the_eligible_officers(
    container: Container, staff: Staff
) -> None:
    draw_id = draw(container, None)
    got = drawn(container, draw_id)
    assert set(got) == {E1, E2, E3}
    # enterprise 3 (county B): only the city's and county B's officers cover it
    assert got[E3][0] == "assigned" and sorted(got[E3][1]) == ["b-officer", "c-officer"]
    for code in (E1, E2):
        state, names = got[code]
        assert state == "assigned" and len(names) == 2
        assert set(names) <= {"c-officer", "a-officer", "a1-officer"}
    with container.reading() as session:
        row = session.get(Draw, draw_id)
        assert row is not None
        assert (row.seed, row.period, row.algorithm) == ("fixed-seed", "2026-12", "draw-v1")
        assert row.candidates == [[E1, None], [E2, None], [E3, None]]
        assert row.uncoded_colour == "yellow" and row.rates["red"] == 1.0
        assert row.created_by == "cli:ecoradar"
        eligible = {i.enterprise.code: i.eligible for i in row.inspections}
        assert eligible[E1] == ["a-officer", "a1-officer", "c-officer"]
        audit = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "inspection_draw.create")
        )
        assert audit is not None and audit.entity_id == str(draw_id)


def test_the_stored_inputs_re_run_give_exactly_the_stored_draw(
    container: Container, staff: Staff
) -> None:
    draw_id = draw(container, None, model=model_with(yellow=0.5))
    with container.reading() as session:
        row = session.get(Draw, draw_id)
        assert row is not None
        stored = {i.enterprise.code: i for i in row.inspections}
        # a third party has the public list; staff also have each drawn one's eligible list
        eligible = {code: tuple(i.eligible) for code, i in stored.items()}
        again = drawing.draw(
            [drawing.Candidate(c, k, eligible.get(c, ())) for c, k in row.candidates],
            row.rates,
            row.seed,
            row.period,
            uncoded_colour=row.uncoded_colour,
            inspectors_per_inspection=row.inspectors_per_inspection,
        )
        public = drawing.draw_enterprises(
            [(c, k) for c, k in row.candidates],
            row.rates,
            row.seed,
            row.period,
            uncoded_colour=row.uncoded_colour,
        )
    assert [d.code for d in again] == sorted(stored) == public
    assert {d.code: list(d.inspectors) for d in again} == {
        c: [p.username for p in i.inspectors] for c, i in stored.items()
    }


def test_a_dry_run_with_the_same_seed_plans_what_is_then_stored(
    container: Container, staff: Staff
) -> None:
    with container.reading() as session:
        plan = service.plan_draw(
            session=session,
            principal=None,
            period="2026-12",
            region_code="C",
            model=model_with(**ALL),
            seed="fixed-seed",
        )
    planned = {
        d.code: ("assigned" if d.staffed else "unstaffed", list(d.inspectors)) for d in plan.drawn
    }
    assert planned == drawn(container, draw(container, None))
    assert plan.counts == {"yellow": 3} and plan.expected == {"yellow": 3.0}


def test_a_generated_seed_is_long_and_new_each_time(container: Container, staff: Staff) -> None:
    with container.reading() as session:
        seeds = {
            service.plan_draw(
                session=session,
                principal=None,
                period="2026-12",
                region_code="C",
                model=model_with(),
            ).seed
            for _ in range(3)
        }
    assert len(seeds) == 3 and all(len(s) == 32 for s in seeds)


def test_a_declared_conflict_keeps_the_inspector_out_and_too_few_left_is_listed_unstaffed(
    container: Container, staff: Staff
) -> None:
    declare(container, staff.county_a, E1)
    declare(container, staff.county_b, E3)
    got = drawn(container, draw(container, None))
    assert sorted(got[E1][1]) == ["a1-officer", "c-officer"]
    assert got[E3] == ("unstaffed", [])  # only the city's officer is left: listed, not dropped
    assert "a-officer" in got[E2][1] or len(got[E2][1]) == 2


def test_a_withdrawn_conflict_makes_the_inspector_eligible_again_and_both_are_audited(
    container: Container, staff: Staff
) -> None:
    conflict_id = declare(container, staff.county_b, E3)
    who = principal(container, staff.county_b)
    with container.transaction() as session:
        conflicts.withdraw(
            session=session, principal=who, conflict_id=conflict_id, now=container.clock.now()
        )
    assert drawn(container, draw(container, None))[E3][0] == "assigned"
    with container.reading() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "inspection_conflict")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["inspection_conflict.declare", "inspection_conflict.withdraw"]


def test_conflicts_are_seen_by_admins_and_officers_in_scope_only(
    container: Container, staff: Staff
) -> None:
    declare(container, staff.county_a, E1)
    seen = {}
    for name, login in (
        ("admin", staff.admin),
        ("city", staff.city),
        ("a", staff.county_a),
        ("b", staff.county_b),
        ("grid", staff.grid_worker),
    ):
        who = principal(container, login)
        with container.reading() as session:
            seen[name] = len(conflicts.list_conflicts(session=session, principal=who))
    assert seen == {"admin": 1, "city": 1, "a": 1, "b": 0, "grid": 0}


def test_only_an_officer_declares_their_own_conflict_and_not_twice(
    container: Container, staff: Staff
) -> None:
    with pytest.raises(PermissionDenied):
        declare(container, staff.grid_worker, E1)
    declare(container, staff.city, E1)
    with pytest.raises(ConflictError):
        declare(container, staff.city, E1)


def test_an_officer_draws_within_their_scope_only_and_sees_only_those_draws(
    container: Container, staff: Staff
) -> None:
    with pytest.raises(PermissionDenied):
        draw(container, staff.county_a, region="B")
    with pytest.raises(PermissionDenied):
        draw(container, staff.county_a, region="C")
    with pytest.raises(PermissionDenied):
        draw(container, staff.grid_worker, region="G1")
    a_draw = draw(container, staff.county_a, region=None)  # their own region by default
    assert set(drawn(container, a_draw)) == {E1, E2}
    with container.reading() as session:
        assert service.get_draw(
            session=session, principal=principal(container, staff.city), draw_id=a_draw
        )
        with pytest.raises(NotFoundError):
            service.get_draw(
                session=session, principal=principal(container, staff.county_b), draw_id=a_draw
            )
        row = session.get(Draw, a_draw)
        assert row is not None and row.created_by == f"user:{staff.county_a.user_id}:a-officer"


def test_a_draw_overlapping_another_in_period_and_region_is_refused(
    container: Container, staff: Staff
) -> None:
    draw(container, staff.admin, period="2026-Q4", region="A")
    for period, region in (("2026-Q4", "A"), ("2026-12", "C"), ("2026-11-15..2027-01-10", "A1")):
        with pytest.raises(ConflictError, match="overlapping"):
            draw(container, staff.admin, period=period, region=region)
    draw(container, staff.admin, period="2026-12", region="B")  # another region
    draw(container, staff.admin, period="2027-01", region="A")  # a later period


def test_the_rates_apply_to_each_enterprises_green_code_colour(
    container: Container, staff: Staff
) -> None:
    rates = {"green": 0.0, "yellow": 1.0, "red": 1.0}
    before = draw(container, None, period="2026-10", model=model_with(**rates))
    assert set(drawn(container, before)) == {E1, E2, E3}  # no code yet: the middle colour
    settle(container)
    with container.reading() as session:
        colours = dict(session.scalars(select(Draw)).one().candidates)
        assert colours == {E1: None, E2: None, E3: None}
        plan = service.plan_draw(
            session=session,
            principal=None,
            period="2026-11",
            region_code="C",
            model=model_with(**rates),
        )
    assert {k for _, k in plan.candidates} == {"green"}
    assert plan.drawn == [] and plan.expected == {"green": 0.0}
