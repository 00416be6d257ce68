"""Answering tasks: who may see and answer them, locking, failed items and repeated overdue
tasks becoming findings exactly once, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Finding, Problem
from ecoradar.selfcheck.models import SelfcheckNotification, SelfcheckTask
from ecoradar.selfcheck.periodic import run_selfcheck
from ecoradar.web.app import create_app
from tests.conftest import Login, MakeUser
from tests.factories import uscc
from tests.integration.problem_support import jpeg, jpeg_with_gps
from tests.integration.selfcheck_support import generate, point_id, world

TODAY = date(2026, 11, 2)
GOOD = {"equipment_running": "yes", "ph": 7.1, "sludge_log": "yes", "dosing_normal": True}


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    world(container, tmp_path)
    generate(container, TODAY)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box))


@pytest.fixture
def e1(make_user: MakeUser, box: Container) -> Login:
    return make_user("enterprise", enterprise=uscc(1))


def task_of(box: Container, serial: int, code: str, day: date = TODAY) -> int:
    pid = point_id(box, serial, code)
    with box.transaction() as session:
        found = session.scalar(
            select(SelfcheckTask.id).where(
                SelfcheckTask.point_id == pid, SelfcheckTask.due_date == day
            )
        )
    assert found is not None
    return found


def photo(client: TestClient, login: Login, task: int, data: bytes, item: str) -> Any:
    files = {"file": ("p.jpg", data, "image/jpeg")}
    return client.post(
        f"/api/selfcheck/tasks/{task}/photos",
        files=files,
        data={"item": item},
        headers=login.headers,
    )


def submit(client: TestClient, login: Login, task: int, answers: dict[str, Any]) -> Any:
    body = {"answers": answers, "lat": 30.5001, "lon": 120.2502}
    return client.post(f"/api/selfcheck/tasks/{task}/submit", json=body, headers=login.headers)


def findings(box: Container) -> list[Finding]:
    with box.transaction() as session:
        return list(session.scalars(select(Finding).where(Finding.channel == "self_inspection")))


def test_an_enterprise_user_lists_only_its_own_open_tasks(
    client: TestClient, e1: Login, make_user: MakeUser
) -> None:
    listed = client.get("/api/selfcheck/tasks", headers=e1.headers).json()
    assert listed["total"] == 2
    assert {t["enterprise_code"] for t in listed["items"]} == {uscc(1)}
    e2 = make_user("enterprise", enterprise=uscc(2))
    other = client.get("/api/selfcheck/tasks", headers=e2.headers).json()
    assert {t["enterprise_code"] for t in other["items"]} == {uscc(2)}


def test_another_enterprises_user_can_neither_see_nor_touch_a_task(
    box: Container, client: TestClient, make_user: MakeUser
) -> None:
    task = task_of(box, 1, "CP01")
    e2 = make_user("enterprise", enterprise=uscc(2))
    assert client.get(f"/api/selfcheck/tasks/{task}", headers=e2.headers).status_code == 404
    assert photo(client, e2, task, jpeg(1), "clarifier_photo").status_code == 404
    assert submit(client, e2, task, GOOD).status_code == 404
    point = point_id(box, 1, "CP01")
    assert client.get(f"/api/selfcheck/points/{point}", headers=e2.headers).status_code == 404
    public = make_user("public")
    assert client.get(f"/api/selfcheck/tasks/{task}", headers=public.headers).status_code == 403
    with box.transaction() as session:
        assert session.get(SelfcheckTask, task).state == "pending"  # type: ignore[union-attr]


def test_officers_see_tasks_of_their_area_only_and_do_not_answer_them(
    box: Container, client: TestClient, make_user: MakeUser
) -> None:
    task = task_of(box, 1, "CP01")
    officer_a = make_user("officer", region="A")
    officer_b = make_user("officer", region="B")
    assert client.get(f"/api/selfcheck/tasks/{task}", headers=officer_a.headers).is_success
    assert client.get(f"/api/selfcheck/tasks/{task}", headers=officer_b.headers).status_code == 404
    assert submit(client, officer_a, task, GOOD).status_code == 403


def test_a_complete_submission_locks_the_task(
    box: Container, client: TestClient, e1: Login
) -> None:
    task = task_of(box, 1, "CP01")
    assert photo(client, e1, task, jpeg(2), "clarifier_photo").status_code == 201
    done = submit(client, e1, task, GOOD)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "submitted" and body["on_time"] is True and body["failed"] is False
    assert body["answers"]["ph"] == 7.1 and body["answers"]["clarifier_photo"] == 1
    again = submit(client, e1, task, {**GOOD, "ph": 7.3})
    assert again.status_code == 409
    assert photo(client, e1, task, jpeg(3), "clarifier_photo").status_code == 409
    assert findings(box) == []


def test_missing_answers_are_refused_by_name_and_change_nothing(
    box: Container, client: TestClient, e1: Login
) -> None:
    task = task_of(box, 1, "CP01")
    refused = submit(client, e1, task, {"equipment_running": "yes", "ph": "abc"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    for name in ("ph", "sludge_log", "clarifier_photo"):
        assert f"answers.{name}" in detail
    with box.transaction() as session:
        assert session.get(SelfcheckTask, task).state == "pending"  # type: ignore[union-attr]


def test_failed_items_become_one_finding_per_task_exactly_once(
    box: Container, client: TestClient, e1: Login, clock: FakeClock
) -> None:
    task = task_of(box, 1, "CP01")
    photo(client, e1, task, jpeg(4), "clarifier_photo")
    done = submit(client, e1, task, {**GOOD, "equipment_running": "no", "ph": 10.5}).json()
    assert done["failed"] is True
    assert [f["code"] for f in done["failed_items"]] == ["equipment_running", "ph"]
    found = findings(box)
    assert len(found) == 1 and done["finding_ids"] == [found[0].id]
    assert found[0].source_ref == f"selfcheck-task:{task}"
    assert found[0].data["failed_items"][1]["value"] == 10.5
    # recording the same task's consequences again changes nothing
    from ecoradar.problems.policy import load_policy
    from ecoradar.selfcheck.checks import FailedItem
    from ecoradar.selfcheck.consequences import record_failure

    with box.transaction() as session:
        stored = session.get(SelfcheckTask, task)
        assert stored is not None
        again = record_failure(
            session=session,
            index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings),
            task=stored,
            failed=[FailedItem("ph", "pH", "above_range", 10.5)],
            now=clock.now(),
            actor="cli:test",
        )
        assert again is not None and again.already_known
    assert len(findings(box)) == 1
    # the next day the same item fails again: a second finding on the same problem
    clock.advance(timedelta(days=1))
    generate(box, TODAY + timedelta(days=1))
    tomorrow = task_of(box, 1, "CP01", TODAY + timedelta(days=1))
    photo(client, e1, tomorrow, jpeg(5), "clarifier_photo")
    submit(client, e1, tomorrow, {**GOOD, "equipment_running": "no"})
    found = findings(box)
    assert len(found) == 2 and found[0].problem_id == found[1].problem_id
    with box.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Problem)) == 1


def test_a_photo_far_from_the_point_is_flagged_but_accepted(
    box: Container, client: TestClient, e1: Login
) -> None:
    task = task_of(box, 1, "CP01")
    uploaded = photo(client, e1, task, jpeg_with_gps(), "clarifier_photo").json()
    assert uploaded["far"] is True and uploaded["distance_m"] > 30_000
    done = submit(client, e1, task, GOOD).json()
    assert done["state"] == "submitted"
    assert [w["kind"] for w in done["warnings"]] == ["photo_far"]


def test_three_overdue_tasks_in_a_row_make_one_finding_per_streak(
    box: Container, client: TestClient, make_user: MakeUser, clock: FakeClock
) -> None:
    plant, outfall = point_id(box, 1, "CP01"), point_id(box, 2, "CP01")  # both daily
    made = []
    for day in range(1, 6):  # the mornings of 11-03 .. 11-07: 11-02 .. 11-06 are overdue
        clock.set(datetime(2026, 11, 2, 1, tzinfo=UTC) + timedelta(days=day))
        made.append(run_selfcheck(box).overdue_findings)
    assert made == [0, 0, 2, 0, 0]

    def refs() -> list[str]:
        with box.transaction() as session:
            rows = session.scalars(
                select(Finding)
                .where(Finding.source_ref.like("selfcheck-overdue%"))
                .order_by(Finding.id)
            )
            return [f"{f.source_ref} {f.problem_id}" for f in rows]

    first = refs()
    assert [r.split()[0] for r in first] == [
        f"selfcheck-overdue:{plant}:0",
        f"selfcheck-overdue:{outfall}:0",
    ]
    # enterprise 2 answers today's task: the streak ends; three more overdue days start another
    e2 = make_user("enterprise", enterprise=uscc(2))
    today = task_of(box, 2, "CP01", date(2026, 11, 7))
    photo(client, e2, today, jpeg(9), "outfall_photo")
    answers = {"sign_intact": "yes", "no_abnormal_colour": "yes", "ph": 7}
    assert submit(client, e2, today, answers).status_code == 200
    for day in range(6, 10):
        clock.set(datetime(2026, 11, 2, 1, tzinfo=UTC) + timedelta(days=day))
        run_selfcheck(box)
    latest = refs()
    assert len(latest) == 3
    assert latest[2].split()[0] == f"selfcheck-overdue:{outfall}:{today}"
    assert latest[2].split()[1] == first[1].split()[1]  # the same open problem


def test_reminders_come_before_the_due_time_and_when_overdue(
    box: Container, client: TestClient, e1: Login, clock: FakeClock
) -> None:
    run_selfcheck(box)  # 09:00 China: nothing due soon yet
    clock.set(datetime(2026, 11, 2, 8, 30, tzinfo=UTC))  # 16:30 China
    assert run_selfcheck(box).reminders == 3
    assert run_selfcheck(box).reminders == 0
    clock.set(datetime(2026, 11, 2, 16, 30, tzinfo=UTC))  # 00:30 on the 3rd
    report = run_selfcheck(box)
    assert report.newly_overdue == 3
    with box.transaction() as session:
        kinds = session.execute(
            select(SelfcheckNotification.kind, func.count()).group_by(SelfcheckNotification.kind)
        ).all()
    assert dict(kinds) == {"due_soon": 3, "overdue": 3}
    seen = client.get("/api/selfcheck/notifications", headers=e1.headers).json()
    assert {n["kind"] for n in seen} == {"due_soon", "overdue"} and len(seen) == 4
    listed = client.get("/api/selfcheck/tasks", headers=e1.headers).json()
    assert listed["total"] == 3  # two overdue from yesterday, one due today
    assert [t["overdue"] for t in listed["items"]] == [True, True, False]
