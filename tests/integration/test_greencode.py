"""The green code end to end on both databases: facts gathered from the stores, codes stored
with their history and audit, and recomputation triggered by each input through the
scheduler's pass."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.greencode import service, stale
from ecoradar.greencode.models import GreenCodePass, StaleCode
from ecoradar.problems.scheduler import run_once
from ecoradar.registry.models import Enterprise
from tests.factories import GAS_MN, load_small_registry, uscc
from tests.integration.greencode_support import (
    HOUR,
    code_of,
    history_of,
    hours,
    indicator,
    settle,
    write_alert,
)
from tests.integration.problem_support import (
    Driver,
    People,
    create_app_for,
    enterprise_id,
    fast_hashing,
    jpeg,
    make_people,
    public_report,
)

_ = fast_hashing


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def queued(box: Container) -> set[int]:
    with box.reading() as session:
        return set(session.scalars(select(StaleCode.enterprise_id)))


# --- computing and storing -------------------------------------------------------------------


def test_every_enterprise_gets_a_code_with_all_indicators_and_the_model_version(
    box: Container,
) -> None:
    report = service.recompute_all(box)
    assert report.computed == 3 and report.by_colour == {"green": 3}
    code = code_of(box, 1)
    assert code is not None
    assert code.colour == "green" and code.score == 100.0 and code.reasons == []
    assert code.model_version == service.model_for(box.settings).version
    assert set(code.indicators) == {
        "monitoring_compliance",
        "data_quality",
        "self_inspection",
        "problems",
        "enforcement",
        "reminders",
        "permit",
    }
    assert code.indicators["monitoring_compliance"]["has_data"] is False
    assert code.indicators["problems"]["score"] == 100.0


def test_monitoring_facts_come_from_the_stored_hours_and_alerts(
    box: Container, clock: FakeClock
) -> None:
    now = clock.now()
    hours(box, GAS_MN, until=now, count=100)
    start = now - 20 * HOUR
    alert = write_alert(box, GAS_MN, kind="exceedance", start=start, end=start + 10 * HOUR)
    flat = write_alert(box, GAS_MN, kind="flatline", start=start, end=start + 5 * HOUR)
    service.recompute_all(box)
    compliance = indicator(box, 1, "monitoring_compliance")
    assert compliance["detail"]["factors"]["DA001/SO2"] == pytest.approx(0.9)
    assert compliance["score"] == pytest.approx(80.0)
    assert [e["id"] for e in compliance["events"]] == [alert]
    quality = indicator(box, 1, "data_quality")
    assert quality["detail"]["online_rate"] == pytest.approx(1.0)
    assert quality["detail"]["falsification_alerts"] == 1
    assert [e["id"] for e in quality["events"]] == [flat]
    code = code_of(box, 1)
    assert code is not None and code.data_as_of is not None
    assert code.data_as_of <= now


def test_replayed_old_data_is_scored_at_its_own_time(box: Container, clock: FakeClock) -> None:
    long_ago = clock.now() - timedelta(days=200)
    hours(box, GAS_MN, until=long_ago, count=48)
    service.recompute_all(box)
    code = code_of(box, 1)
    assert code is not None and code.data_as_of == long_ago.replace(minute=0)
    quality = indicator(box, 1, "data_quality")
    assert quality["detail"]["online_rate"] == pytest.approx(1.0)


def test_a_colour_change_is_kept_in_history_and_audited(box: Container) -> None:
    service.recompute_all(box)
    people = make_people(box)
    client = TestClient(create_app_for(box))
    drive = Driver(client, box, people.officer_a.headers)
    company = enterprise_id(box, 1)
    for _ in range(5):  # medium each: problems 50, the total 75 (yellow)
        pid = public_report(box, reporter_user_id=None, enterprise=company)
        drive.to_confirmed(pid, people.officer_a.user_id, jpeg(pid))
    service.recompute_all(box)
    code = code_of(box, 1)
    assert code is not None and code.colour != "green"
    rows = history_of(box, 1)
    assert [(r.kind, r.previous_colour, r.colour) for r in rows] == [
        ("first", None, "green"),
        ("colour", "green", code.colour),
    ]
    assert rows[-1].indicators["problems"]["detail"]["confirmed"] == 5
    with box.reading() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "greencode.colour", AuditEntry.entity_id == str(company)
                )
                .order_by(AuditEntry.id)
            )
        )
    assert [e.after["colour"] for e in entries if e.after] == ["green", code.colour]
    assert entries[-1].before == {"colour": "green"}


def test_history_keeps_one_point_per_china_day_and_none_for_an_unchanged_code_that_day(
    box: Container, clock: FakeClock
) -> None:
    service.recompute_all(box)
    service.recompute_all(box)
    assert len(history_of(box, 1)) == 1
    clock.advance(timedelta(days=1))
    service.recompute_all(box)
    assert [r.kind for r in history_of(box, 1)] == ["first", "daily"]


# --- the scheduler's pass --------------------------------------------------------------------


def test_the_pass_recomputes_everyone_once_per_china_day(box: Container, clock: FakeClock) -> None:
    first = run_once(box)
    assert "green code" in first.greencode and "daily pass over 3" in first.greencode
    again = run_once(box)
    assert "daily pass" not in again.greencode
    clock.advance(timedelta(days=1))
    assert "daily pass over 3" in run_once(box).greencode
    with box.reading() as session:
        assert session.scalar(select(func.count()).select_from(GreenCodePass)) == 2


def test_an_alert_opening_and_closing_queues_the_code_and_the_pass_recomputes_it(
    box: Container, clock: FakeClock
) -> None:
    now = clock.now()
    hours(box, GAS_MN, until=now, count=48)
    settle(box)
    company = enterprise_id(box, 1)
    start = now - 6 * HOUR
    alert = write_alert(box, GAS_MN, kind="flatline", start=start)
    assert queued(box) == {company}
    settle(box)
    assert queued(box) == set()
    quality = indicator(box, 1, "data_quality")
    assert [e["id"] for e in quality["events"]] == [alert]
    write_alert(box, GAS_MN, kind="flatline", start=start, end=start + 2 * HOUR)
    assert queued(box) == {company}


def test_an_alert_that_only_goes_on_does_not_queue_the_code_again(
    box: Container, clock: FakeClock
) -> None:
    start = clock.now() - 6 * HOUR
    write_alert(box, GAS_MN, kind="flatline", start=start)
    settle(box)
    write_alert(box, GAS_MN, kind="flatline", start=start + HOUR)  # the same alert, still open
    assert queued(box) == set()


def _world(box: Container) -> tuple[People, Driver, int]:
    people = make_people(box)
    client = TestClient(create_app_for(box))
    return people, Driver(client, box, people.officer_a.headers), enterprise_id(box, 1)


def test_confirming_and_closing_a_problem_recompute_the_code(box: Container) -> None:
    people, drive, company = _world(box)
    settle(box)
    pid = public_report(box, reporter_user_id=None, enterprise=company)
    drive.to_verifying(pid, people.officer_a.user_id)
    settle(box)
    assert indicator(box, 1, "problems")["detail"]["confirmed"] == 0
    media = drive.upload(pid, jpeg(3), purpose="onsite")
    drive.act(pid, "confirm", onsite=drive.onsite(media))
    assert company in queued(box)
    run_once(box)
    assert indicator(box, 1, "problems")["detail"]["confirmed"] == 1
    drive.order(pid)
    drive.act(pid, "report_rectified", evidence={"text": "已整改", "attachment_ids": [media]})
    run_once(box)
    drive.act(pid, "close")
    assert company in queued(box)
    run_once(box)
    code = code_of(box, 1)
    assert code is not None
    (event,) = code.indicators["problems"]["events"]
    assert event["id"] == pid


def test_a_named_violation_turns_the_code_red_through_the_pass(box: Container) -> None:
    people, drive, company = _world(box)
    pid = public_report(box, reporter_user_id=None, enterprise=company)
    drive.to_confirmed(pid, people.officer_a.user_id, jpeg(4))
    settle(box)
    response = drive.client.post(
        f"/api/problems/{pid}/violation",
        json={"violation": "bypass", "reason": "现场发现暗管"},
        headers=people.officer_a.headers,
    )
    assert response.status_code == 200, response.text
    assert company in queued(box)
    run_once(box)
    code = code_of(box, 1)
    assert code is not None and code.colour == "red" and code.vetoed
    assert code.vetoes[0]["key"] == f"problem:{pid}:bypass"
    assert code.reasons[0]["indicator"] == "veto"
    with box.reading() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "problem.violation")
        ).one()
    assert entry.after == {"violation": "bypass"} and entry.reason == "现场发现暗管"


def test_a_violation_is_refused_before_confirmation_and_for_another_region(
    box: Container,
) -> None:
    people, drive, company = _world(box)
    pid = public_report(box, reporter_user_id=None, enterprise=company)
    drive.act(pid, "accept")
    body = {"violation": "bypass"}
    early = drive.client.post(
        f"/api/problems/{pid}/violation", json=body, headers=people.officer_a.headers
    )
    assert early.status_code == 409
    other = drive.client.post(
        f"/api/problems/{pid}/violation", json=body, headers=people.officer_b.headers
    )
    assert other.status_code in (403, 404)
    bad = drive.client.post(
        f"/api/problems/{pid}/violation",
        json={"violation": "arson"},
        headers=people.officer_a.headers,
    )
    assert bad.status_code == 422


def test_a_recorded_penalty_recomputes_the_code(box: Container) -> None:
    people, drive, company = _world(box)
    pid = public_report(box, reporter_user_id=None, enterprise=company)
    drive.to_confirmed(pid, people.officer_a.user_id, jpeg(5))
    settle(box)
    response = drive.client.post(
        f"/api/problems/{pid}/outcome",
        json={"kind": "fine", "fine_amount": "20000", "decision_ref": "杭环罚〔2026〕1号"},
        headers=people.officer_a.headers,
    )
    assert response.status_code == 200, response.text
    assert company in queued(box)
    run_once(box)
    enforcement = indicator(box, 1, "enforcement")
    assert enforcement["detail"]["outcomes"] == {"fine": 1}
    assert enforcement["score"] == 60.0
    assert "fine ¥20000.00" in enforcement["events"][0]["text"]


def test_a_public_security_transfer_is_a_veto(box: Container) -> None:
    people, drive, company = _world(box)
    pid = public_report(box, reporter_user_id=None, enterprise=company)
    drive.to_confirmed(pid, people.officer_a.user_id, jpeg(6))
    drive.client.post(
        f"/api/problems/{pid}/outcome",
        json={"kind": "public_security", "decision_ref": "移送函1号"},
        headers=people.officer_a.headers,
    ).raise_for_status()
    run_once(box)
    code = code_of(box, 1)
    assert code is not None and code.colour == "red"
    assert code.vetoes[0]["rule"] == "public_security"


def test_a_task_going_overdue_recomputes_the_code(
    box: Container, clock: FakeClock, tmp_path: Path
) -> None:
    from tests.integration.selfcheck_support import generate, load_points, point_row

    load_points(box, tmp_path, [point_row(1, "CP01")])
    settle(box)
    generate(box, date(2026, 11, 2))
    clock.advance(timedelta(days=1))
    company = enterprise_id(box, 1)
    run_once(box)  # marks the task overdue (queued), then recomputes
    inspection = indicator(box, 1, "self_inspection")
    assert inspection["detail"]["due"] >= 1 and inspection["detail"]["on_time"] == 0
    assert inspection["score"] == 0.0
    assert any("not done" in e["text"] for e in inspection["events"])
    assert company not in queued(box)


def test_marking_is_idempotent_and_taking_empties_the_queue(box: Container) -> None:
    now = box.clock.now()
    with box.transaction() as session:
        ids = list(session.scalars(select(Enterprise.id)))
        stale.mark(session=session, enterprise_ids=ids, reason="test", at=now)
        stale.mark(session=session, enterprise_ids=[*ids, None], reason="again", at=now)
    assert queued(box) == set(ids)
    with box.transaction() as session:
        assert sorted(stale.take(session=session, limit=2)) == sorted(ids)[:2]
    assert len(queued(box)) == 1


def test_a_permit_about_to_expire_lowers_the_code(box: Container) -> None:
    with box.transaction() as session:
        enterprise = session.scalars(select(Enterprise).where(Enterprise.code == uscc(1))).one()
        enterprise.permit_no = "91330500MA2B000001001P"
        enterprise.permit_valid_until = date(2026, 11, 17)  # 15 days after the test's today
    service.recompute_all(box)
    permit = indicator(box, 1, "permit")
    assert permit["score"] == pytest.approx(80.0)
    assert permit["events"][0]["text"].startswith("discharge permit 91330500MA2B000001001P")
    assert indicator(box, 2, "permit")["has_data"] is False
