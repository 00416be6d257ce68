"""The officer home's "what needs attention now" (issue 18 item 1): exact figures per region,
each link's list page showing exactly as many records, the JSON at ``/api/attention`` and who
gets the panel.

The fixture (clock at T0; officer A covers county A with grids G1 and G2, officer B county B):
- clues: two public reports in G1 and G2, one in county B, all still ``reported``; a fourth in
  G1 whose problem was accepted (handled: not new);
- problems: the accepted one above is flagged overdue; a monitoring problem in G2 is accepted
  with its handling deadline in 30 hours (due soon); the G1 report's acceptance deadline is
  moved to 3 days ahead (not soon);
- alerts: high on enterprise 1's gas point (G1), medium on enterprise 2's water point (G2), high
  on enterprise 3's point (county B), and a closed low one on enterprise 1's;
- codes: enterprise 1 red for 2 days, enterprise 2 red for 20 days, enterprise 3 red for 1 day;
- reminders: a draft for enterprise 1, an answered one for enterprise 2, a draft for 3;
- supervisors' questions: one overdue (G1), one due tomorrow (G2), one answered (G1), one
  overdue in county B.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from ecoradar.auth.models import User
from ecoradar.auth.service import principal_of
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import PermissionDenied
from ecoradar.detection.models import Alert
from ecoradar.greencode.models import GreenCode
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.models import Reminder
from ecoradar.stats.attention import attention
from ecoradar.supervision.models import SupervisionQuestion
from tests.conftest import Login
from tests.factories import GAS_MN, OPEN_MN, WATER_MN
from tests.integration.clue_support import IN_B, IN_G2, clue, load_city, spot, submit
from tests.integration.problem_support import (
    People,
    add_alert,
    create_app_for,
    enterprise_id,
    make_people,
    public_report,
)


@dataclass
class World:
    box: Container
    client: TestClient
    people: People


def set_problem(box: Container, problem_id: int, **values: object) -> None:
    with box.transaction() as session:
        session.execute(update(Problem).where(Problem.id == problem_id).values(**values))


def code(box: Container, serial: int, since: datetime) -> None:
    now = box.clock.now()
    with box.transaction() as session:
        session.add(
            GreenCode(
                enterprise_id=enterprise_id(box, serial),
                colour="red",
                score=40.0,
                vetoed=False,
                indicators={},
                vetoes=[],
                reasons=[],
                model_version="test",
                scheme="3",
                computed_at=now,
                data_as_of=None,
                colour_since=since,
            )  # fmt: skip
        )


def reminder(box: Container, serial: int, number: str, state: str) -> None:
    now = box.clock.now()
    with box.transaction() as session:
        company = session.get(Enterprise, enterprise_id(box, serial))
        assert company is not None
        session.add(
            Reminder(
                number=number,
                enterprise_id=company.id,
                region_id=company.region_id,
                period_key=number,
                state=state,
                as_of=now,
                bureau_name="测试局",
                created_at=now,
                created_by="cli:test",
                updated_at=now,
                issued_at=None if state == "draft" else now,
            )  # fmt: skip
        )


def question(box: Container, problem_id: int, asker: int, due: datetime, answered: bool) -> None:
    now = box.clock.now()
    with box.transaction() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None
        session.add(
            SupervisionQuestion(
                problem_id=problem_id,
                asker_user_id=asker,
                kind="deputy",
                region_id=problem.region_id,
                question="进展如何？",
                asked_at=now,
                due_at=due,
                answer="已处理" if answered else None,
                answered_at=now if answered else None,
                answered_by="officer-a" if answered else None,
            )  # fmt: skip
        )


@pytest.fixture
def w(container: Container, clock: FakeClock, tmp_path: Path) -> World:
    load_city(container, tmp_path)
    people = make_people(container)
    now = clock.now()
    new_g1 = submit(container, clue()).problem_id
    submit(container, clue(**spot(IN_G2)))
    in_b = submit(container, clue(**spot(IN_B))).problem_id
    handled = submit(container, clue()).problem_id
    set_problem(
        container, handled, state="accepted", accepted_at=now - timedelta(days=70),
        handling_due=now - timedelta(days=10), overdue_since=now - timedelta(days=10),
    )  # fmt: skip
    set_problem(container, new_g1, acceptance_due=now + timedelta(days=3))
    monitoring = public_report(
        container, reporter_user_id=None, channel="monitoring", place=IN_G2, name=None,
        contact=None, enterprise=enterprise_id(container, 2),
    )  # fmt: skip
    set_problem(
        container, monitoring, state="accepted", accepted_at=now - timedelta(days=59),
        handling_due=now + timedelta(hours=30),
    )  # fmt: skip
    add_alert(container, GAS_MN, severity="high")
    add_alert(container, WATER_MN, severity="medium")
    add_alert(container, OPEN_MN, severity="high")
    closed = add_alert(container, GAS_MN, kind="zero_value", severity="low")
    with container.transaction() as session:
        session.execute(update(Alert).where(Alert.id == closed).values(end=now))
    code(container, 1, now - timedelta(days=2))
    code(container, 2, now - timedelta(days=20))
    code(container, 3, now - timedelta(days=1))
    reminder(container, 1, "ZS-2026-0001", "draft")
    reminder(container, 2, "ZS-2026-0002", "answered")
    reminder(container, 3, "ZS-2026-0003", "draft")
    asker = people.reporter.user_id
    question(container, new_g1, asker, now - timedelta(hours=1), answered=False)
    question(container, monitoring, asker, now + timedelta(days=1), answered=False)
    question(container, new_g1, asker, now - timedelta(days=1), answered=True)
    question(container, in_b, asker, now - timedelta(hours=1), answered=False)
    return World(container, TestClient(create_app_for(container)), people)


OFFICER_A = {
    "new_clues": 2,
    "problems_overdue": 1,
    "problems_due_soon": 1,
    "alerts_high": 1,
    "alerts_medium": 1,
    "alerts_low": 0,
    "codes_turned_red": 1,
    "reminders_to_review": 1,
    "answers_to_review": 1,
    "questions_open": 2,
    "questions_overdue": 1,
}
OFFICER_B = {**dict.fromkeys(OFFICER_A, 0), "new_clues": 1, "alerts_high": 1,
             "codes_turned_red": 1, "reminders_to_review": 1, "questions_open": 1,
             "questions_overdue": 1}  # fmt: skip
ADMIN = {key: OFFICER_A[key] + OFFICER_B[key] for key in OFFICER_A}


def figures(w: World, login: Login) -> dict[str, int]:
    with w.box.reading() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        principal = principal_of(session=session, user=user)
        found = attention(session=session, principal=principal, now=w.box.clock.now())
    return {i.key: i.count for i in found.items}


def test_each_officer_counts_their_region_and_the_administrator_everything(w: World) -> None:
    assert figures(w, w.people.officer_a) == OFFICER_A
    assert figures(w, w.people.officer_b) == OFFICER_B
    assert figures(w, w.people.admin) == ADMIN
    with pytest.raises(PermissionDenied):
        figures(w, w.people.worker_g1)


ROW_PATTERNS = {
    "/clues": r'<tr data-id="\d+" data-problem=',
    "/problems": r'<tr data-id="\d+" data-state=',
    "/alerts": r'<tr data-id="\d+" data-kind=',
    "/greencode": r'<tr data-code="[^"]+" data-colour=',
    "/reminders": r"<tr data-number=",
    "/supervision/questions": r'<li class="sv-question" ',
}


def test_every_link_opens_a_list_with_exactly_that_many_rows(w: World) -> None:
    for login in (w.people.officer_a, w.people.admin):
        body = w.client.get("/api/attention", headers=login.headers).json()
        for item in body["items"]:
            page = w.client.get(item["href"], headers=login.headers)
            assert page.status_code == 200, (item, page.text[:300])
            pattern = ROW_PATTERNS[item["href"].split("?")[0]]
            shown = len(re.findall(pattern, page.text))
            assert shown == item["count"], (login.username, item)


def test_the_api_answers_officers_and_administrators_only(w: World) -> None:
    body = w.client.get("/api/attention", headers=w.people.officer_a.headers).json()
    assert body["total"] == sum(OFFICER_A.values())
    assert {i["key"]: i["count"] for i in body["items"]} == OFFICER_A
    overdue = next(i for i in body["items"] if i["key"] == "problems_overdue")
    assert overdue["href"].startswith("/problems?state=") and overdue["href"].endswith("overdue=1")
    assert overdue["urgent"] is True
    assert w.client.get("/api/attention", headers=w.people.worker_g1.headers).status_code == 403
    assert w.client.get("/api/attention", headers=w.people.enterprise.headers).status_code == 403
    assert w.client.get("/api/attention").status_code == 401


def test_the_home_page_puts_the_panel_first_for_officers_only(w: World) -> None:
    html = w.client.get("/", headers=w.people.officer_a.headers).text
    assert 'id="attention"' in html
    assert html.index('id="attention"') < html.index('id="stat-enterprises"')
    assert re.search(
        r'id="attn-new-clues" data-count="2">\s*<span class="attn-count">2</span>', html
    )
    assert "未受理的新线索" in html and "已超期的问题" in html and "new_clues" not in html
    english = w.client.get("/", headers={**w.people.admin.headers, "Accept-Language": "en"}).text
    assert "What needs attention now" in english and "Problems past their deadline" in english
    worker = w.client.get("/", headers=w.people.worker_g1.headers).text
    assert 'id="attention"' not in worker and 'id="stat-enterprises"' in worker


def test_the_queue_filter_due_soon_keeps_to_open_problems_in_time(w: World) -> None:
    page = w.client.get("/problems", params={"due": "soon"}, headers=w.people.officer_a.headers)
    assert page.status_code == 200 and 'id="filter-due-soon" checked' in page.text
    bad = w.client.get("/problems", params={"due": "later"}, headers=w.people.officer_a.headers)
    assert bad.status_code == 422
