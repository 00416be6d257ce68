"""The five-step check against the database and over HTTP: campaigns and their records, scope,
the self-screening and monitoring-review figures, the enforcement step (its own findings into
the register, or a linked inspection), the follow-up sending advisories as a draft service
reminder, and the command line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.core.clock import FakeClock
from ecoradar.detection.models import Alert
from ecoradar.inspections import results
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.models import Finding, Problem
from ecoradar.reminders.models import Reminder
from ecoradar.selfcheck.models import SelfcheckTask
from tests.conftest import create_login
from tests.factories import GAS_MN
from tests.integration.fivestep_support import E1, E2, E3, FiveStepWorld, five_step_world
from tests.integration.inspections_support import draw, inspection_of, record
from tests.integration.reminders_support import point_id
from tests.integration.selfcheck_support import generate, load_points, point_row

runner = CliRunner()


@pytest.fixture
def w(container: Container, tmp_path: Path) -> FiveStepWorld:
    return five_step_world(container, tmp_path)


def test_an_officer_starts_a_campaign_with_five_pending_steps_per_enterprise_audited(
    w: FiveStepWorld,
) -> None:
    campaign = w.campaign()
    assert [r["enterprise_code"] for r in campaign["records"]] == [E1, E2, E3]
    record = campaign["records"][0]
    assert record["state"] == "open"
    assert [s["step"] for s in record["steps"]] == [
        "self_screening",
        "third_party",
        "enforcement",
        "monitoring_review",
        "follow_up",
    ]
    assert {s["state"] for s in record["steps"]} == {"pending"}
    assert record["steps"][4]["allowed"] == []
    with w.box.reading() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "fivestep.campaign.create")
        )
        assert entry is not None and entry.actor.endswith("c-officer")
        assert entry.after["enterprises"] == [E1, E2, E3]


def test_a_campaign_by_industry_takes_that_industrys_enterprises_in_the_region_only(
    w: FiveStepWorld,
) -> None:
    campaign = w.campaign(region="A", enterprises=(), industries=("4411",))
    assert sorted(r["enterprise_code"] for r in campaign["records"]) == [E1, E2]
    refused = w.post(
        "/api/fivestep/campaigns",
        json={
            "name": "x",
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
            "region": "A",
            "industries": ["9999"],
        },
    )
    assert refused.status_code == 422 and "industries" in refused.text


def test_a_campaign_outside_the_officers_region_or_naming_outside_enterprises_is_refused(
    w: FiveStepWorld,
) -> None:
    body = {"name": "x", "period_start": "2026-10-01", "period_end": "2026-10-31"}
    outside = w.post(
        "/api/fivestep/campaigns",
        w.staff.county_b,
        json={**body, "region": "A", "enterprises": [E1]},
    )
    assert outside.status_code == 422 and "outside your scope" in outside.text
    foreign = w.post(
        "/api/fivestep/campaigns",
        w.staff.county_a,
        json={**body, "region": "A", "enterprises": [E1, E3]},
    )
    assert foreign.status_code == 422 and E3 in foreign.text
    backwards = w.post(
        "/api/fivestep/campaigns",
        w.staff.county_a,
        json={**body, "region": "A", "enterprises": [E1], "period_end": "2026-09-30"},
    )
    assert backwards.status_code == 422
    worker = w.post(
        "/api/fivestep/campaigns",
        w.staff.grid_worker,
        json={**body, "region": "G1", "enterprises": [E1]},
    )
    assert worker.status_code == 403


def test_officers_see_the_records_of_their_regions_only_and_enterprises_their_own(
    w: FiveStepWorld,
) -> None:
    city = w.campaign()
    county_a = w.campaign(who=w.staff.county_a, region="A", enterprises=(E1, E2), name="A 县")
    e3 = w.record_of(city, E3)
    e1 = w.record_of(city, E1)

    def listed(login: object) -> dict[int, int]:
        response = w.client.get("/api/fivestep/campaigns", headers=login.headers)  # type: ignore[attr-defined]
        assert response.status_code == 200
        return {c["id"]: c["enterprises"] for c in response.json()}

    # county B sees the city's campaign with its one enterprise, not county A's campaign
    assert listed(w.staff.county_b) == {city["id"]: 1}
    got = w.client.get(f"/api/fivestep/campaigns/{city['id']}", headers=w.staff.county_b.headers)
    assert [r["enterprise_code"] for r in got.json()["records"]] == [E3]
    for path in (f"/api/fivestep/campaigns/{county_a['id']}", f"/api/fivestep/records/{e1}"):
        assert w.client.get(path, headers=w.staff.county_b.headers).status_code == 404
    assert listed(w.staff.county_a) == {city["id"]: 2, county_a["id"]: 2}
    assert (
        w.client.get(f"/api/fivestep/records/{e3}", headers=w.staff.county_a.headers).status_code
        == 404
    )
    moved = w.post(f"/api/fivestep/records/{e3}/self-screening", w.staff.county_a, json={})
    assert moved.status_code == 404
    # an enterprise user reads its own records only, and moves nothing
    company = create_login(w.box, "enterprise", username="e1-user", enterprise=E1)
    assert listed(company) == {city["id"]: 1, county_a["id"]: 1}
    assert w.client.get(f"/api/fivestep/records/{e1}", headers=company.headers).status_code == 200
    assert w.client.get(f"/api/fivestep/records/{e3}", headers=company.headers).status_code == 404
    refused = w.post(f"/api/fivestep/records/{e1}/self-screening", company, json={})
    assert refused.status_code == 403


def test_self_screening_is_judged_on_the_tasks_due_in_the_period(
    container: Container, clock: FakeClock, tmp_path: Path, w: FiveStepWorld
) -> None:
    load_points(
        container, tmp_path, [point_row(1, "CP01"), point_row(1, "CP02", "outfall", "weekly")]
    )
    generate(container, date(2026, 11, 4))
    clock.advance(timedelta(days=2, hours=12))  # 2026-11-04 21:00 China: 11-02 and 11-03 overdue
    with container.transaction() as session:
        tasks = list(session.scalars(select(SelfcheckTask).order_by(SelfcheckTask.due_date)))
        assert len(tasks) >= 3
        first = tasks[0]
        first.state, first.submitted_at, first.failed = "submitted", first.due_at, True
    body = {
        "name": "十一月",
        "period_start": "2026-11-01",
        "period_end": "2026-11-03",
        "region": "A",
        "enterprises": [E1],
    }
    made = w.post("/api/fivestep/campaigns", json=body)
    record_id = made.json()["records"][0]["id"]
    response = w.post(f"/api/fivestep/records/{record_id}/self-screening", json={"note": "ok"})
    assert response.status_code == 200, response.text
    step = {s["step"]: s for s in response.json()["steps"]}["self_screening"]
    r = step["result"]
    in_period = [t for t in tasks if date(2026, 11, 1) <= t.due_date <= date(2026, 11, 3)]
    assert r["tasks"] == len(in_period)
    assert r["submitted"] == 1 and r["on_time"] == 1 and r["failed"] == 1
    assert r["overdue"] == len(in_period) - 1
    assert step["state"] == "done" and step["outcome"] == "findings"
    assert response.json()["state"] == "in_progress"


def test_monitoring_review_counts_online_hours_valid_values_and_alerts(
    container: Container, w: FiveStepWorld
) -> None:
    campaign = w.campaign(region="A", enterprises=(E1,), who=w.staff.county_a)
    record_id = campaign["records"][0]["id"]
    point = point_id(container, GAS_MN)
    start = datetime(2026, 10, 31, 2, tzinfo=UTC)
    hours = [start + timedelta(hours=h) for h in range(10) if h not in (3, 6)]  # 8 of 10
    with container.transaction() as session:
        for n, at in enumerate(hours):
            for factor in ("a21026", "a21002"):
                flag = (
                    "D"
                    if (n == 0 and factor == "a21026") or (n == 1 and factor == "a21002")
                    else "N"
                )
                session.add(
                    Measurement(
                        point_id=point,
                        factor=factor,
                        kind="hour",
                        data_time=at,
                        avg=10.0,
                        flag=flag,
                        received_at=at,
                        derived=False,
                    )
                )
        session.add(
            Measurement(
                point_id=point,
                factor="a21026",
                kind="hour",
                data_time=datetime(2026, 11, 1, 2, tzinfo=UTC),
                avg=1.0,
                flag="N",
                received_at=start,
                derived=False,
            )
        )  # after the period
        for kind, begin in (("flatline", start), ("offline", start - timedelta(days=40))):
            session.add(
                Alert(
                    point_id=point,
                    factor="a21026",
                    kind=kind,
                    start=begin,
                    end=begin + timedelta(hours=2),
                    severity="medium",
                    evidence={},
                    raised_at=begin,
                    updated_at=begin,
                )
            )
    response = w.post(
        f"/api/fivestep/records/{record_id}/monitoring-review",
        w.staff.county_a,
        json={"advisories": ["数采仪时钟偏差，请校准"]},
    )
    assert response.status_code == 200, response.text
    step = {s["step"]: s for s in response.json()["steps"]}["monitoring_review"]
    r = step["result"]
    # first value 02:00 UTC on 10-31, period ends at 16:00 UTC (China midnight): 14 hours due
    assert r["expected_hours"] == 14 and r["hours_with_data"] == 8
    assert r["online_rate"] == round(8 / 14, 4)
    assert r["values"] == 16 and r["valid_share"] == round(14 / 16, 4)
    assert r["alerts"] == {"flatline": 1}
    assert step["outcome"] == "findings"
    assert [a["text"] for a in r["advisories"]] == ["数采仪时钟偏差，请校准"]


def test_enforcement_findings_go_into_the_register_and_advisories_wait_for_the_follow_up(
    w: FiveStepWorld,
) -> None:
    campaign = w.campaign(region="A", enterprises=(E1,), who=w.staff.county_a)
    record_id = campaign["records"][0]["id"]
    response = w.post(
        f"/api/fivestep/records/{record_id}/enforcement",
        w.staff.county_a,
        json={
            "text": "现场检查",
            "findings": [
                {
                    "category": "water",
                    "description": "雨水排口有污水排出",
                    "violation": True,
                    "severity": "high",
                },
                {"category": "other", "description": "危废台账记录不全", "violation": False},
            ],
        },
    )
    assert response.status_code == 200, response.text
    r = {s["step"]: s for s in response.json()["steps"]}["enforcement"]["result"]
    assert len(r["problem_ids"]) == 1
    assert [a["text"] for a in r["advisories"]] == ["危废台账记录不全"]
    with w.box.reading() as session:
        problem = session.get(Problem, r["problem_ids"][0])
        finding = session.scalar(select(Finding).where(Finding.problem_id == r["problem_ids"][0]))
        assert finding is not None
        assert (finding.channel, finding.source_ref) == ("inspection", f"fivestep:{record_id}:1")
        assert problem is not None and problem.enterprise_id is not None
        assert problem.enterprise_id == finding_enterprise(session, E1)
        assert problem.severity == "high"


def test_enforcement_links_a_done_inspection_of_the_same_enterprise_only(
    w: FiveStepWorld,
) -> None:
    campaign = w.campaign()
    draw_id = draw(w.box, None)
    e1_inspection = inspection_of(w.box, draw_id, E1)
    e2_inspection = inspection_of(w.box, draw_id, E2)
    record_id = w.record_of(campaign, E1)
    path = f"/api/fivestep/records/{record_id}/enforcement"
    not_done = w.post(path, json={"inspection_id": e1_inspection})
    assert not_done.status_code == 422 and "no result" in not_done.text
    record(w.box, w.staff.admin, e1_inspection, results.ResultIn(outcome="clean", text="无异常"))
    other = w.post(path, json={"inspection_id": e2_inspection})
    assert other.status_code == 422 and "another enterprise" in other.text
    linked = w.post(path, json={"inspection_id": e1_inspection})
    assert linked.status_code == 200, linked.text
    step = {s["step"]: s for s in linked.json()["steps"]}["enforcement"]
    assert step["outcome"] == "clean" and step["result"]["inspection_id"] == e1_inspection
    assert step["result"]["text"] == "无异常"


def test_the_follow_up_waits_for_the_checks_then_sends_advisories_as_a_draft_reminder(
    w: FiveStepWorld,
) -> None:
    campaign = w.campaign(region="A", enterprises=(E1,), who=w.staff.county_a)
    record_id = campaign["records"][0]["id"]
    officer = w.staff.county_a
    early = w.post(f"/api/fivestep/records/{record_id}/follow-up", officer, json={})
    assert early.status_code == 409 and "self_screening" in early.text
    w.post(
        f"/api/fivestep/records/{record_id}/self-screening",
        officer,
        json={"advisories": ["自查记录请由专人签字"]},
    )
    for step in ("third_party", "monitoring_review"):
        skipped = w.post(
            f"/api/fivestep/records/{record_id}/steps/{step}",
            officer,
            json={"action": "skip", "reason": "本次不安排"},
        )
        assert skipped.status_code == 200, skipped.text
    w.post(
        f"/api/fivestep/records/{record_id}/enforcement",
        officer,
        json={
            "findings": [{"category": "air", "description": "废气收集罩破损", "violation": False}]
        },
    )
    done = w.post(f"/api/fivestep/records/{record_id}/follow-up", officer, json={"note": "完成"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "complete"
    result = {s["step"]: s for s in body["steps"]}["follow_up"]["result"]
    assert [a["step"] for a in result["advisories"]] == ["self_screening", "enforcement"]
    number = result["reminder"]
    with w.box.reading() as session:
        reminder = session.scalar(select(Reminder).where(Reminder.number == number))
        assert reminder is not None and reminder.state == "draft"
        assert reminder.enterprise.code == E1
        issues = [(i.trigger, i.suggestion, i.subject) for i in reminder.issues]
        assert issues == [
            ("campaign", "自查记录请由专人签字", f"fivestep:{record_id}:self_screening:1"),
            ("campaign", "废气收集罩破损", f"fivestep:{record_id}:enforcement:1"),
        ]
        assert "2026年秋季五步法检查" in reminder.issues[0].basis
    # a complete record: a check reopens only after the follow-up is reopened
    refused = w.post(
        f"/api/fivestep/records/{record_id}/steps/enforcement",
        officer,
        json={"action": "reopen", "reason": "补充"},
    )
    assert refused.status_code == 409
    reopened = w.post(
        f"/api/fivestep/records/{record_id}/steps/follow_up",
        officer,
        json={"action": "reopen", "reason": "补充"},
    )
    assert reopened.status_code == 200 and reopened.json()["state"] == "in_progress"
    again = w.post(f"/api/fivestep/records/{record_id}/follow-up", officer, json={})
    assert again.status_code == 200
    with w.box.reading() as session:
        reminders = list(session.scalars(select(Reminder)))
        assert len(reminders) == 1 and len(reminders[0].issues) == 2  # nothing sent twice
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_type == "fivestep_record")
            )
        )
        assert actions.count("fivestep.step.skip") == 2 and "fivestep.step.reopen" in actions


def test_the_command_line_creates_shows_and_exports_a_campaign(
    w: FiveStepWorld, cli_env: dict[str, str]
) -> None:
    made = runner.invoke(
        app,
        [
            "fivestep",
            "create",
            "--name",
            "夏季VOCs",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--region",
            "A",
            "--industry",
            "4411",
            "--as",
            "a-officer",
        ],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.stderr
    assert "2 enterprise(s)" in made.stdout
    campaign_id = int(made.stdout.split(":")[0].split()[-1])
    outside = runner.invoke(
        app,
        [
            "fivestep",
            "create",
            "--name",
            "x",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--region",
            "B",
            "--enterprise",
            E3,
            "--as",
            "a-officer",
        ],
    )
    assert outside.exit_code == 1 and "outside your scope" in outside.stderr
    shown = runner.invoke(app, ["fivestep", "show", str(campaign_id)], catch_exceptions=False)
    assert shown.exit_code == 0 and E1 in shown.stdout
    exported = runner.invoke(app, ["fivestep", "export", str(campaign_id)], catch_exceptions=False)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [r["enterprise_code"] for r in rows] == [E1, E2]
    assert rows[0]["state"] == "open" and rows[0]["follow_up"] == "pending"
    assert rows[0]["updated_at"].endswith("+08:00")
    as_csv = runner.invoke(app, ["fivestep", "export", str(campaign_id), "--format", "csv"])
    assert as_csv.stdout.splitlines()[0].startswith("campaign_id,campaign,record_id")
    assert len(as_csv.stdout.splitlines()) == 3


def finding_enterprise(session: object, code: str) -> int:
    from ecoradar.registry.models import Enterprise

    found = session.scalar(select(Enterprise.id).where(Enterprise.code == code))  # type: ignore[attr-defined]
    assert isinstance(found, int)
    return found


def test_advisories_sent_before_are_not_sent_again_and_new_ones_wait_once_issued(
    w: FiveStepWorld,
) -> None:
    from ecoradar.reminders.config import config_for
    from ecoradar.reminders.service import issue_now

    campaign = w.campaign(region="A", enterprises=(E1,), who=w.staff.county_a)
    record_id = campaign["records"][0]["id"]
    officer = w.staff.county_a
    base = f"/api/fivestep/records/{record_id}"
    w.post(f"{base}/self-screening", officer, json={"advisories": ["台账不全"]})
    for step in ("third_party", "enforcement", "monitoring_review"):
        w.post(f"{base}/steps/{step}", officer, json={"action": "skip", "reason": "不安排"})
    number = w.post(f"{base}/follow-up", officer, json={}).json()["steps"][4]["result"]["reminder"]
    with w.box.transaction() as session:
        reminder = session.scalar(select(Reminder).where(Reminder.number == number))
        assert reminder is not None
        issue_now(
            session=session,
            reminder=reminder,
            config=config_for(w.box.settings),
            now=w.box.clock.now(),
            actor="user:1:admin",
            notifier=None,
        )
    # completed again with nothing new: the issued reminder that holds the advisory is named
    w.post(f"{base}/steps/follow_up", officer, json={"action": "reopen", "reason": "复核"})
    again = w.post(f"{base}/follow-up", officer, json={}).json()["steps"][4]["result"]
    assert again["reminder"] == number
    # a new advisory cannot join the issued reminder of this period: it stays on the record
    w.post(f"{base}/steps/follow_up", officer, json={"action": "reopen", "reason": "补充"})
    w.post(f"{base}/steps/enforcement", officer, json={"action": "reopen", "reason": "补充"})
    w.post(
        f"{base}/enforcement",
        officer,
        json={
            "findings": [{"category": "air", "description": "废气收集罩破损", "violation": False}]
        },
    )
    later = w.post(f"{base}/follow-up", officer, json={}).json()["steps"][4]["result"]
    assert later["reminder"] is None and len(later["advisories"]) == 2
    with w.box.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reminder)) == 1
