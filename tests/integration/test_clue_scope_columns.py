"""The clue's own ``problem_id`` and ``region_id`` (migration 0031), on both databases: they
follow intake, a clue attached to another problem and a problem moved to another region, and
the officers' clue lists, which scope on them, follow with them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import desk, service
from ecoradar.clues import desk_actions as actions
from ecoradar.clues.models import Clue
from ecoradar.core import migrate
from ecoradar.core.errors import NotFoundError
from ecoradar.problems import service as problems
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.policy import load_policy
from ecoradar.regions.service import region_by_code, subtree_ids
from tests.conftest import Login
from tests.integration.desk_support import DeskPeople, desk_people, in_a, in_b, principal


@pytest.fixture
def people(container: Container, tmp_path: Path) -> DeskPeople:
    return desk_people(container, tmp_path)


def copies(container: Container) -> dict[int, tuple[int, int]]:
    """Each clue's (problem_id, region_id) as stored on the clue."""
    with container.reading() as session:
        rows = session.execute(select(Clue.id, Clue.problem_id, Clue.region_id))
        return {cid: (pid, rid) for cid, pid, rid in rows}


def truth(container: Container) -> dict[int, tuple[int, int]]:
    """Each clue's (problem_id, region_id) through its finding and problem."""
    with container.reading() as session:
        rows = session.execute(
            select(Clue.id, Problem.id, Problem.region_id)
            .join(Finding, Clue.finding_id == Finding.id)
            .join(Problem, Finding.problem_id == Problem.id)
        )
        return {cid: (pid, rid) for cid, pid, rid in rows}


def region(container: Container, code: str) -> int:
    with container.reading() as session:
        return region_by_code(session=session, code=code).id


def seen(container: Container, login: Login) -> dict[str, list[int]]:
    """The clues ``login`` finds in each clue list: the desk's page and map, ``/api/clues``."""
    who: Principal = principal(container, login)
    query = desk.desk_query()
    with container.reading() as session:
        page = desk.list_desk(session=session, principal=who, query=query, per_page=100)
        points = desk.map_points(session=session, principal=who, query=query)
        api = service.list_clues(session=session, principal=who)
        return {
            "desk": sorted(row.clue.id for row in page.items),
            "map": sorted(int(p["id"]) for p in points),
            "api": sorted(c.id for c in api.items),
        }


def everywhere(*clue_ids: int) -> dict[str, list[int]]:
    return {"desk": sorted(clue_ids), "map": sorted(clue_ids), "api": sorted(clue_ids)}


def test_intake_stores_the_clues_problem_and_its_region(
    container: Container, people: DeskPeople
) -> None:
    a, b = in_a(container), in_b(container)
    stored = copies(container)
    assert stored == truth(container)
    assert stored[a.clue_id][0] == a.problem_id and stored[b.clue_id][0] == b.problem_id
    with container.reading() as session:
        county_a = subtree_ids(session=session, region_id=region(container, "A"))
    assert stored[a.clue_id][1] in county_a and stored[b.clue_id][1] not in county_a


def attach(container: Container, clue_id: int, problem_id: int, login: Login) -> None:
    """``desk_actions.attach`` of one clue to ``problem_id``, committed."""
    who = principal(container, login)
    with container.transaction() as session:
        actions.attach(
            session=session,
            principal=who,
            clue_ids=[clue_id],
            problem_id=problem_id,
            now=container.clock.now(),
            policy=load_policy(session=session, settings=container.settings),
        )


def test_attaching_a_clue_to_a_problem_of_another_county_moves_it_between_officers(
    container: Container, people: DeskPeople
) -> None:
    a, b = in_a(container), in_b(container)
    attach(container, a.clue_id, b.problem_id, people.admin)
    stored = copies(container)
    assert stored == truth(container)
    assert stored[a.clue_id] == stored[b.clue_id]
    assert seen(container, people.officer_a) == everywhere()
    assert seen(container, people.officer_b) == everywhere(a.clue_id, b.clue_id)


def move(container: Container, login: Login, problem_id: int, code: str) -> None:
    who = principal(container, login)
    with container.transaction() as session:
        problems.reassign_region(
            session=session,
            principal=who,
            problem_id=problem_id,
            region_id=region(container, code),
            reason="跨区移交",
            now=container.clock.now(),
            policy=load_policy(session=session, settings=container.settings),
        )


def test_a_problem_moved_to_another_county_takes_its_clues_to_that_countys_officer(
    container: Container, people: DeskPeople
) -> None:
    first, second, stays = in_a(container), in_a(container), in_a(container)
    attach(
        container, second.clue_id, first.problem_id, people.officer_a
    )  # two clues on one problem
    before_a = seen(container, people.officer_a)
    assert before_a == everywhere(first.clue_id, second.clue_id, stays.clue_id)
    assert seen(container, people.officer_b) == everywhere()

    move(container, people.admin, first.problem_id, "B")

    stored = copies(container)
    assert stored == truth(container)
    assert stored[first.clue_id][1] == stored[second.clue_id][1] == region(container, "B")
    assert seen(container, people.officer_a) == everywhere(stays.clue_id)
    assert seen(container, people.officer_b) == everywhere(first.clue_id, second.clue_id)
    with container.reading() as session, pytest.raises(NotFoundError):
        service.get_clue(
            session=session, principal=principal(container, people.officer_a), clue_id=first.clue_id
        )
    with container.reading() as session:
        got = service.get_clue(
            session=session, principal=principal(container, people.officer_b), clue_id=first.clue_id
        )
        assert got.region_id == region(container, "B")


def test_an_officer_sees_the_clues_of_a_problem_of_another_county_assigned_to_them(
    container: Container, people: DeskPeople
) -> None:
    a = in_a(container)
    with container.transaction() as session:
        session.execute(
            update(Problem)
            .where(Problem.id == a.problem_id)
            .values(assignee_id=people.officer_b.user_id)
        )
    assert seen(container, people.officer_b) == everywhere(a.clue_id)
    assert seen(container, people.officer_a) == everywhere(a.clue_id)


def test_migration_0031_fills_the_columns_of_existing_clues(
    container: Container, people: DeskPeople
) -> None:
    in_a(container), in_b(container)
    move(container, people.admin, in_a(container).problem_id, "B")
    expected = truth(container)
    migrate.downgrade(container.engine, "0030")
    migrate.upgrade(container.engine)
    assert copies(container) == expected
