"""The clue desk's queries (``ecoradar.clues.desk``) on both databases: who may use it, what
each filter keeps, paging, the map's points and the deduplication's fresh suggestions."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from ecoradar.bootstrap import Container
from ecoradar.clues import desk
from ecoradar.clues.models import Clue
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.problems.models import Finding, Problem
from tests.integration.desk_support import DeskPeople, desk_people, in_a, in_b, principal


@pytest.fixture
def people(container: Container, tmp_path: Path) -> DeskPeople:
    return desk_people(container, tmp_path)


def ids(container: Container, login_principal: object, **filters: object) -> list[int]:
    with container.reading() as session:
        page = desk.list_desk(
            session=session,
            principal=login_principal,  # type: ignore[arg-type]
            query=desk.desk_query(**filters),  # type: ignore[arg-type]
            per_page=100,
        )
        return [row.clue.id for row in page.items]


def test_an_officer_sees_the_clues_of_their_county_and_an_administrator_every_clue(
    container: Container, people: DeskPeople
) -> None:
    a = in_a(container).clue_id
    b = in_b(container).clue_id
    assert ids(container, principal(container, people.officer_a)) == [a]
    assert ids(container, principal(container, people.officer_b)) == [b]
    assert ids(container, principal(container, people.admin)) == [b, a]  # newest first


def test_a_grid_worker_may_not_use_the_desk(container: Container, people: DeskPeople) -> None:
    in_a(container)
    with pytest.raises(PermissionDenied):
        ids(container, principal(container, people.worker_g1))


def test_one_clue_of_another_county_is_not_found(container: Container, people: DeskPeople) -> None:
    b = in_b(container).clue_id
    with container.reading() as session, pytest.raises(NotFoundError):
        desk.desk_clue(session=session, principal=principal(container, people.officer_a), clue_id=b)


def test_each_filter_keeps_only_its_clues(container: Container, people: DeskPeople) -> None:
    odour = in_a(container, description="化工厂排气口刺鼻臭味").clue_id
    container.clock.advance(timedelta(days=3))
    water = in_a(
        container,
        category="water",
        attributes={},
        description="河面发黑有泡沫",
        address_string="南湖路 12 号",
    ).clue_id
    hotline = in_a(
        container,
        channel="hotline",
        anonymous=False,
        reporter_contact="13812345678",
        description="热线反映夜间噪声",
        category="noise",
        attributes={},
    ).clue_id
    other_county = in_b(container, category="water", attributes={}).clue_id
    admin = principal(container, people.admin)
    officer = principal(container, people.officer_a)

    assert ids(container, officer, channel="hotline") == [hotline]
    assert ids(container, officer, channel="public") == [water, odour]
    assert ids(container, officer, category="water") == [water]
    assert ids(container, admin, category="water") == [other_county, water]
    assert ids(container, admin, region="B") == [other_county]
    assert ids(container, admin, region="G1") == [hotline, water, odour]
    assert ids(container, officer, q="发黑") == [water]
    assert ids(container, officer, q="南湖路") == [water]  # the address too
    assert ids(container, officer, q="100%") == []  # a wildcard is a character
    first_day = container.clock.now().astimezone(CHINA_TZ).date() - timedelta(days=3)
    assert ids(container, officer, since=first_day.isoformat(), until=first_day.isoformat()) == [
        odour
    ]
    assert ids(container, officer, since=(first_day + timedelta(days=1)).isoformat()) == [
        hotline,
        water,
    ]
    assert ids(container, officer, state="reported") == [hotline, water, odour]
    assert ids(container, officer, state="accepted") == []
    assert ids(container, officer, dedupe="attached") == []
    assert ids(container, officer, dedupe="none") == [hotline, water, odour]


def test_the_duplicate_filters_read_what_deduplication_said(
    container: Container, people: DeskPeople
) -> None:
    plain = in_a(container).clue_id
    attached = in_a(container).clue_id
    suggested = in_a(container).clue_id
    with container.transaction() as session:
        session.execute(update(Clue).where(Clue.id == attached).values(duplicate=True))
        session.execute(
            update(Clue)
            .where(Clue.id == suggested)
            .values(
                suggestions=[{"problem_id": 1, "score": 0.5, "distance_m": 40.0, "reasons": []}]
            )
        )
    officer = principal(container, people.officer_a)
    assert ids(container, officer, dedupe="attached") == [attached]
    assert ids(container, officer, dedupe="suggested") == [suggested]
    assert ids(container, officer, dedupe="none") == [plain]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("channel", "pigeon"),
        ("category", "light"),
        ("state", "lost"),
        ("dedupe", "maybe"),
        ("since", "2026-13-01"),
    ],
)
def test_a_filter_value_not_understood_is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(InputError, match=f"^{name}:"):
        desk.desk_query(**{name: value})


def test_an_unknown_area_is_refused(container: Container, people: DeskPeople) -> None:
    with pytest.raises(InputError, match="^region:"):
        ids(container, principal(container, people.admin), region="ZZ")


def test_paging_shows_25_a_page_and_the_last_page_past_the_end(
    container: Container, people: DeskPeople
) -> None:
    made = [in_a(container).clue_id for _ in range(27)]
    officer = principal(container, people.officer_a)
    with container.reading() as session:
        first = desk.list_desk(session=session, principal=officer, query=desk.DeskQuery())
        second = desk.list_desk(session=session, principal=officer, query=desk.DeskQuery(page=2))
        beyond = desk.list_desk(session=session, principal=officer, query=desk.DeskQuery(page=9))
    assert (first.total, first.pages, len(first.items)) == (27, 2, 25)
    assert [r.clue.id for r in first.items + second.items] == made[::-1]
    assert (beyond.page, [r.clue.id for r in beyond.items]) == (2, made[1::-1])


def test_the_map_shows_the_filtered_clues_places_and_no_text(
    container: Container, people: DeskPeople
) -> None:
    odour = in_a(container)
    in_a(container, category="water", attributes={})
    in_b(container)
    officer = principal(container, people.officer_a)
    with container.reading() as session:
        points = desk.map_points(
            session=session, principal=officer, query=desk.desk_query(category="odour")
        )
    assert [p["id"] for p in points] == [odour.clue_id]
    assert set(points[0]) == {"id", "lat", "lon", "category", "problem_id", "state"}
    assert points[0]["problem_id"] == odour.problem_id and points[0]["state"] == "reported"


def test_fresh_suggestions_name_a_nearby_problem_and_never_the_clues_own(
    container: Container, people: DeskPeople
) -> None:
    first = in_a(container, description="化工厂排气口刺鼻臭味，持续一上午")
    second = in_a(container, description="化工厂排气口刺鼻臭味，持续一上午")
    assert second.problem_id != first.problem_id  # far apart when they came in
    with container.transaction() as session:
        here, there = session.get(Clue, first.clue_id), session.get(Clue, second.clue_id)
        assert here is not None and there is not None
        near = {"lat": here.lat + 0.0002, "lon": here.lon}  # about 22 m north
        session.execute(update(Clue).where(Clue.id == there.id).values(**near))
        session.execute(update(Finding).where(Finding.id == there.finding_id).values(**near))
        session.execute(update(Problem).where(Problem.id == second.problem_id).values(**near))
    officer = principal(container, people.officer_a)
    with container.reading() as session:
        row = desk.desk_clue(session=session, principal=officer, clue_id=second.clue_id)
        fresh = desk.fresh_suggestions(
            session=session, principal=officer, row=row, settings=container.settings
        )
        with pytest.raises(PermissionDenied):
            desk.fresh_suggestions(
                session=session,
                principal=principal(container, people.worker_g1),
                row=row,
                settings=container.settings,
            )
    assert [s.problem_id for s in fresh] == [first.problem_id]
    assert fresh[0].reasons and fresh[0].score > 0


def test_the_since_filter_is_a_china_day(container: Container, people: DeskPeople) -> None:
    made = in_a(container).clue_id
    day = container.clock.now().astimezone(CHINA_TZ).date()
    officer = principal(container, people.officer_a)
    assert ids(container, officer, since=day.isoformat()) == [made]
    assert ids(container, officer, since=(day + timedelta(days=1)).isoformat()) == []
    assert ids(container, officer, until=(day - timedelta(days=1)).isoformat()) == []
    assert isinstance(day, date)
