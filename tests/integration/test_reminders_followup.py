"""The follow-up of a reminder through the service: review and edit, issue, acknowledge,
answer, return and accept; an ignored reminder escalated into the register; who sees what;
the facts for the green code and the outcome figures."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.problems.models import Finding
from ecoradar.reminders import service
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.periodic import run_reminders
from ecoradar.reminders.stats import outcomes
from tests.conftest import LogIn, MakeUser
from tests.factories import uscc
from tests.integration import greencode_support as gs
from tests.integration import reminders_support as rs

NUMBER = "ZS-2026-0001"


def officer(box: Container) -> Principal:
    with box.reading() as session:
        from ecoradar.regions.models import Region

        ids = frozenset(session.scalars(select(Region.id)))
    return Principal("user", 90, "officer-a", "officer", region_ids=ids)


def company(box: Container, serial: int = 1) -> Principal:
    return Principal(
        "user", 80 + serial, f"ent-{serial}", "enterprise",
        enterprise_id=rs.enterprise_id(box, serial),
    )  # fmt: skip


@pytest.fixture
def draft(container: Container, tmp_path: Path) -> Container:
    """Enterprise 1's draft: permit expiring and a campaign (reviewed by an officer)."""
    container.clock.set(rs.AS_OF)  # type: ignore[attr-defined]
    rs.world(container, tmp_path)
    rs.set_permit(container, 1, date(2026, 12, 15))
    cfg = rs.config(permit_expiry={"auto": False})
    from ecoradar.reminders.models import Campaign

    with container.transaction() as session:
        session.add(
            Campaign(
                name="冬季燃煤锅炉专项", starts=date(2026, 11, 1), ends=date(2027, 2, 28),
                industries=["4411"], region_ids=[], text="请检查锅炉脱硫设施",
                created_at=container.clock.now(), created_by="cli:test",
            )
        )  # fmt: skip
    rs.run(container, cfg)
    return container


def act(box: Container, work):  # type: ignore[no-untyped-def]
    with box.transaction() as session:
        return work(session)


def issue_ids(box: Container) -> list[int]:
    with box.reading() as session:
        r = session.scalars(select(Reminder).where(Reminder.number == NUMBER)).one()
        return [i.id for i in r.issues]


def state(box: Container) -> tuple[str, list[str]]:
    with box.reading() as session:
        r = session.scalars(select(Reminder).where(Reminder.number == NUMBER)).one()
        return r.state, [i.state for i in r.issues]


def issue_it(box: Container) -> None:
    cfg = rs.config()
    act(box, lambda s: service.issue(
        session=s, principal=officer(box), number=NUMBER, config=cfg,
        now=box.clock.now(), notifier=None,
    ))  # fmt: skip


def test_the_whole_cycle_with_a_returned_answer(draft: Container) -> None:
    box, now = draft, draft.clock.now()
    first, second = issue_ids(box)
    edits = [
        service.IssueEdit(first, "请于12月1日前提交延续申请。", "《排污许可管理条例》第十四条")
    ]
    act(box, lambda s: service.edit_draft(
        session=s, principal=officer(box), number=NUMBER, intro="特此提醒。", edits=edits, now=now,
    ))  # fmt: skip
    issue_it(box)
    assert state(box) == ("issued", ["open", "open"])
    act(box, lambda s: service.acknowledge(
        session=s, principal=company(box), number=NUMBER, now=now))  # fmt: skip
    for issue_id in (first, second):
        act(box, lambda s, i=issue_id: service.answer(
            session=s, principal=company(box), number=NUMBER, issue_id=i,
            note="已完成整改", media_ids=[], now=now,
        ))  # fmt: skip
    assert state(box) == ("answered", ["answered", "answered"])
    with pytest.raises(InputError):
        act(box, lambda s: service.decide(
            session=s, principal=officer(box), number=NUMBER, issue_id=second,
            accept=False, note=" ", now=now,
        ))  # fmt: skip
    act(box, lambda s: service.decide(
        session=s, principal=officer(box), number=NUMBER, issue_id=second,
        accept=False, note="缺少照片", now=now,
    ))  # fmt: skip
    assert state(box) == ("acknowledged", ["answered", "returned"])
    act(box, lambda s: service.answer(
        session=s, principal=company(box), number=NUMBER, issue_id=second,
        note="补充照片", media_ids=[], now=now,
    ))  # fmt: skip
    for issue_id in (first, second):
        act(box, lambda s, i=issue_id: service.decide(
            session=s, principal=officer(box), number=NUMBER, issue_id=i,
            accept=True, note="", now=now,
        ))  # fmt: skip
    assert state(box) == ("resolved", ["accepted", "accepted"])
    with box.reading() as session:
        kinds = ("reminder", "reminder_issue")
        actions = set(session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type.in_(kinds))
        ))  # fmt: skip
        r = session.scalars(select(Reminder).where(Reminder.number == NUMBER)).one()
        assert r.intro == "特此提醒。" and r.issues[0].suggestion.startswith("请于12月1日")
    assert {
        "reminder.create", "reminder.edit", "reminder.issue", "reminder.acknowledged",
        "reminder_issue.answer", "reminder_issue.return", "reminder_issue.accept",
        "reminder.answered", "reminder.resolved",
    } <= actions  # fmt: skip


def test_an_issued_reminder_is_no_longer_editable_and_only_its_enterprise_answers(
    draft: Container,
) -> None:
    box, now = draft, draft.clock.now()
    with pytest.raises(PermissionDenied):
        act(box, lambda s: service.acknowledge(
            session=s, principal=officer(box), number=NUMBER, now=now))  # fmt: skip
    issue_it(box)
    with pytest.raises(ConflictError):
        act(box, lambda s: service.edit_draft(
            session=s, principal=officer(box), number=NUMBER, intro="", edits=[], now=now,
        ))  # fmt: skip
    with pytest.raises(NotFoundError):  # another enterprise does not even see it
        act(box, lambda s: service.acknowledge(
            session=s, principal=company(box, 2), number=NUMBER, now=now))  # fmt: skip


def test_an_enterprise_sees_only_its_own_issued_reminders(draft: Container) -> None:
    with draft.reading() as session:
        assert service.list_reminders(session=session, principal=company(draft)) == []  # a draft
    issue_it(draft)
    with draft.reading() as session:
        own = service.list_reminders(session=session, principal=company(draft))
        other = service.list_reminders(session=session, principal=company(draft, 2))
        assert [r.number for r in own] == [NUMBER] and other == []
        outsider = Principal("user", 99, "o", "officer", region_ids=frozenset({-5}))
        assert service.list_reminders(session=session, principal=outsider) == []


def test_an_ignored_reminder_escalates_into_the_register_and_counts(draft: Container) -> None:
    box = draft
    issue_it(box)
    eid = rs.enterprise_id(box, 1)
    gs.settle(box)  # issued, the deadline ahead: not yet a fact for the green code
    assert gs.indicator(box, 1, "reminders")["has_data"] is False
    with box.reading() as session:  # not answered yet, the deadline ahead: pending, not late
        waiting = service.responsiveness_facts(
            session=session, enterprise_ids=[eid], since=rs.AS_OF, until=rs.AS_OF + timedelta(1)
        )
        assert waiting[eid] == service.Responsiveness(1, 0, 0, 1, ())
    box.clock.advance(timedelta(days=11))  # type: ignore[attr-defined]
    report = run_reminders(box, config=rs.config())
    assert report.escalated == [NUMBER]
    assert run_reminders(box, config=rs.config()).escalated == []  # once
    with box.reading() as session:
        r = session.scalars(select(Reminder).where(Reminder.number == NUMBER)).one()
        assert r.state == "escalated" and r.problem_id is not None
        finding = session.scalars(
            select(Finding).where(Finding.source_ref == f"reminder:{NUMBER}")
        ).one()
        assert finding.channel == "department" and finding.problem_id == r.problem_id
        facts = service.responsiveness_facts(
            session=session, enterprise_ids=[r.enterprise_id, rs.enterprise_id(box, 2)],
            since=rs.AS_OF - timedelta(days=30), until=box.clock.now(),
        )  # fmt: skip
        assert facts == {r.enterprise_id: service.Responsiveness(1, 0, 1, 0, (r.id,))}
        figures = outcomes(
            session=session, region_ids=None, since=rs.AS_OF - timedelta(days=1),
            until=box.clock.now(),
        )  # fmt: skip
        assert (figures.reminders_issued, figures.issues, figures.issues_solved) == (1, 2, 0)
        assert figures.became_violations == 0  # its own escalation is not a violation
        assert figures.as_dict()["by_region"]
    gs.settle(box)  # the green code's reminders indicator: one reminder, not answered in time
    found = gs.indicator(box, 1, "reminders")
    assert found["score"] == 0 and found["has_data"]
    assert [e["type"] for e in found["events"]] == ["reminder"]


def test_answered_on_time_counts_for_the_green_code_and_solved_in_the_figures(
    draft: Container,
) -> None:
    box = draft
    issue_it(box)
    box.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    now = box.clock.now()
    for issue_id in issue_ids(box):
        act(box, lambda s, i=issue_id: service.answer(
            session=s, principal=company(box), number=NUMBER, issue_id=i,
            note="已整改", media_ids=[], now=now,
        ))  # fmt: skip
        act(box, lambda s, i=issue_id: service.decide(
            session=s, principal=officer(box), number=NUMBER, issue_id=i,
            accept=True, note="", now=now,
        ))  # fmt: skip
    with box.reading() as session:
        eid = rs.enterprise_id(box, 1)
        facts = service.responsiveness_facts(
            session=session, enterprise_ids=[eid], since=rs.AS_OF - timedelta(days=1),
            until=now + timedelta(days=1),
        )  # fmt: skip
        assert facts[eid] == service.Responsiveness(1, 1, 0, 0, ())
        figures = outcomes(
            session=session, region_ids=[-1], since=rs.AS_OF - timedelta(days=1), until=now
        )
        assert figures.reminders_issued == 0  # another region
        figures = outcomes(
            session=session, region_ids=None, since=rs.AS_OF - timedelta(days=1),
            until=now + timedelta(days=1),
        )  # fmt: skip
        assert figures.issues_solved == 2 and figures.median_days_to_solve == 2.0
    assert uscc(1)
    gs.settle(box)  # every issue answered before the deadline: answered in time
    found = gs.indicator(box, 1, "reminders")
    assert found["score"] == 100 and found["events"] == []


def test_the_scheduler_pass_generates_once_per_china_day(
    container: Container, tmp_path: Path
) -> None:
    from ecoradar.problems.scheduler import run_once

    container.clock.set(rs.AS_OF + timedelta(hours=1))  # type: ignore[attr-defined]
    rs.world(container, tmp_path)
    rs.set_permit(container, 1, date(2026, 12, 15))
    assert "service reminders: 1 created (1 issued automatically)" in str(run_once(container))
    rs.set_permit(container, 2, date(2026, 12, 15))
    run_once(container)  # the same China day: no second generation
    with container.reading() as session:
        assert len(session.scalars(select(Reminder)).all()) == 1
    container.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    run_once(container)
    with container.reading() as session:
        assert len(session.scalars(select(Reminder)).all()) == 2


def test_the_api_and_pages_show_an_enterprise_only_its_own(
    draft: Container, make_user: MakeUser, logged_in: LogIn
) -> None:
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

    issue_it(draft)
    own = make_user("enterprise", enterprise=uscc(1))
    other = make_user("enterprise", enterprise=uscc(2))
    with TestClient(create_app(draft)) as client:
        mine = client.get("/api/reminders", headers=own.headers).json()
        assert [r["number"] for r in mine] == [NUMBER]
        assert client.get("/api/reminders", headers=other.headers).json() == []
        assert client.get(f"/api/reminders/{NUMBER}", headers=other.headers).status_code == 404
        logged_in(client, other)
        assert client.get(f"/reminders/{NUMBER}").status_code == 404
        assert client.get(f"/reminders/{NUMBER}/pdf").status_code == 404
        page = client.get("/reminders")
        assert page.status_code == 200 and NUMBER not in page.text


def test_the_daily_pass_reads_what_is_due_without_holding_the_turn_to_write(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every enterprise's facts takes seconds at a city's size: meanwhile a login or a
    clue must still be able to write."""
    from ecoradar.reminders import generate as generation
    from ecoradar.reminders.models import ReminderPass

    container.clock.set(rs.AS_OF)  # type: ignore[attr-defined]
    rs.world(container, tmp_path)
    rs.set_permit(container, 1, date(2026, 12, 15))
    free_while_reading = []
    gather = generation.gather

    def watched(**kwargs):  # type: ignore[no-untyped-def]
        gate = container.gate
        free = gate is None or gate.acquire(0)
        if gate is not None and free:
            gate.release()
        free_while_reading.append(free)
        return gather(**kwargs)

    monkeypatch.setattr(generation, "gather", watched)
    made = run_reminders(container, config=rs.config()).generated
    assert made is not None and made.created == ["ZS-2026-0001"]
    assert free_while_reading == [True]
    again = run_reminders(container, config=rs.config())
    assert again.generated is None and free_while_reading == [True]  # once a day
    with container.reading() as session:
        assert session.scalar(select(ReminderPass.reminders)) == 1
        assert len(session.scalars(select(Reminder)).all()) == 1
