"""The workflow's guards through the HTTP API: no skipping states, no closing without evidence,
no rejection without a reason, assignment rules, one extension, transfers, reopening, state
times, and what notes and reasons each reader sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.problems.models import Problem, ProblemAttachment
from ecoradar.problems.workflow import OPEN_STATES
from tests.factories import load_small_registry
from tests.integration.problem_support import (
    IN_B,
    IN_G1,
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)


@dataclass
class Setup:
    box: Container
    client: TestClient
    people: People
    drive: Driver

    def report(self, **options: Any) -> int:
        options.setdefault("reporter_user_id", self.people.reporter.user_id)
        options.setdefault("enterprise", enterprise_id(self.box, 1))
        return public_report(self.box, **options)

    def post(self, pid: int, action: str, who: dict[str, str] | None = None, **body: Any) -> Any:
        return self.client.post(
            f"/api/problems/{pid}/actions/{action}",
            json=body,
            headers=who or self.people.officer_a.headers,
        )

    def detail(self, pid: int, who: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(
            f"/api/problems/{pid}", headers=who or self.people.officer_a.headers
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    @property
    def worker(self) -> int:
        return self.people.worker_g1.user_id


@pytest.fixture
def s(container: Container, tmp_path: Path) -> Setup:
    load_small_registry(container, tmp_path)
    people = make_people(container)
    client = TestClient(create_app_for(container))
    drive = Driver(client, container, people.officer_a.headers, people.worker_g1.headers)
    return Setup(container, client, people, drive)


def _refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in str(detail), detail


def test_closing_straight_from_acceptance_is_a_conflict_and_changes_nothing(s: Setup) -> None:
    pid = s.report()
    s.drive.act(pid, "accept")
    _refused(s.post(pid, "close"), 409, "accepted", "rectified")
    _refused(s.post(pid, "confirm", onsite=s.drive.onsite(1)), 409, "verifying")
    assert s.detail(pid)["state"] == "accepted"


def test_confirming_needs_an_onsite_record_naming_the_field(s: Setup) -> None:
    pid = s.report()
    s.drive.to_verifying(pid, s.worker)
    _refused(s.post(pid, "confirm"), 422, "onsite")
    photo = s.drive.upload(pid, jpeg(3), purpose="onsite")
    record = s.drive.onsite(photo)
    _refused(s.post(pid, "confirm", onsite={**record, "photo_ids": []}), 422, "onsite.photo_ids")
    _refused(s.post(pid, "confirm", onsite={**record, "text": "  "}), 422, "onsite.text")
    early = s.box.clock.now() - timedelta(days=1)
    _refused(s.post(pid, "confirm", onsite=s.drive.onsite(photo, early)), 422, "onsite.at")
    assert s.detail(pid)["state"] == "verifying"


def test_photo_ids_that_do_not_exist_are_refused_and_nothing_is_attached(s: Setup) -> None:
    pid = s.report()
    s.drive.to_verifying(pid, s.worker)
    photo = s.drive.upload(pid, jpeg(3), purpose="onsite")
    record = {**s.drive.onsite(photo), "photo_ids": [photo, 999_999]}
    _refused(s.post(pid, "confirm", onsite=record), 422, "onsite.photo_ids", "999999")
    with s.box.transaction() as session:
        rows = session.scalar(
            select(func.count(ProblemAttachment.id)).where(ProblemAttachment.problem_id == pid)
        )
    assert rows == 1  # the upload itself, nothing from the refused confirmation
    assert s.detail(pid)["state"] == "verifying"


def test_a_photo_of_a_problem_one_cannot_see_is_not_accepted_as_evidence(s: Setup) -> None:
    elsewhere = s.report(place=IN_B, enterprise=None)
    officer_b = Driver(s.client, s.box, s.people.officer_b.headers)
    officer_b.act(elsewhere, "accept")
    secret = officer_b.upload(elsewhere, jpeg(77), purpose="evidence")
    pid = s.report()
    s.drive.to_verifying(pid, s.worker)
    record = s.drive.onsite(secret)
    _refused(s.post(pid, "confirm", onsite=record), 422, "onsite.photo_ids", str(secret))
    url = f"/api/problems/{pid}/attachments/{secret}"
    assert s.client.get(url, headers=s.people.officer_a.headers).status_code == 404


def test_no_closing_without_rectification_evidence(s: Setup) -> None:
    pid = s.report()
    photo = s.drive.to_confirmed(pid, s.worker, jpeg(4))
    s.drive.order(pid)
    _refused(s.post(pid, "close"), 409, "rectifying")
    _refused(s.post(pid, "report_rectified"), 422, "evidence")
    _refused(s.post(pid, "report_rectified", evidence={"text": "好了"}), 422, "attachment")
    s.drive.act(pid, "report_rectified", evidence={"text": "已整改", "attachment_ids": [photo]})
    s.drive.order(pid)  # not good enough: sent back, the old evidence no longer counts
    _refused(s.post(pid, "close"), 409, "rectifying")
    s.drive.act(pid, "report_rectified", evidence={"text": "再次整改", "document": "报告2号"})
    s.drive.act(pid, "close")
    assert s.detail(pid)["state"] == "closed"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_no_rejection_without_a_reason(s: Setup, reason: str | None) -> None:
    pid = s.report()
    body = {} if reason is None else {"reason": reason}
    _refused(s.post(pid, "reject", **body), 422, "reason")
    assert s.detail(pid)["state"] == "reported"


def test_a_rejection_reason_is_shown_to_the_reporter(s: Setup) -> None:
    pid = s.report()
    s.drive.act(pid, "reject", reason="不属于环保部门职责")
    seen = s.detail(pid, s.people.reporter.headers)
    assert seen["state"] == "rejected"
    assert any(e["detail"].get("reason") == "不属于环保部门职责" for e in seen["events"])


def test_reassignment_needs_a_different_assignee_and_a_reason(s: Setup) -> None:
    pid = s.report()
    s.drive.act(pid, "accept")
    s.drive.act(pid, "assign", assignee_id=s.worker)
    same = s.post(pid, "reassign", assignee_id=s.worker, reason="换人")
    _refused(same, 422, "assignee_id", "already")
    _refused(s.post(pid, "reassign", assignee_id=s.people.officer_a.user_id), 422, "reason")
    s.drive.act(pid, "reassign", assignee_id=s.people.officer_a.user_id, reason="网格员休假")
    assert s.detail(pid)["assignee_id"] == s.people.officer_a.user_id
    reporter_view = s.detail(pid, s.people.reporter.headers)
    assert "网格员休假" not in str(reporter_view)  # a reassignment's reason is internal


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("worker_g2", ("assignee_id", "another region")),
        ("officer_b", ("assignee_id", "another region")),
        ("enterprise", ("assignee_id", "enterprise")),
        ("reporter", ("assignee_id", "public")),
    ],
)
def test_an_assignee_who_cannot_handle_the_problem_is_refused(
    s: Setup, who: str, words: tuple[str, ...]
) -> None:
    pid = s.report()
    s.drive.act(pid, "accept")
    user = getattr(s.people, who)
    _refused(s.post(pid, "assign", assignee_id=user.user_id), 422, *words)
    _refused(s.post(pid, "assign", assignee_id=424_242), 422, "assignee_id")
    assert s.detail(pid)["state"] == "accepted"


def test_the_deadline_is_extended_once_and_its_reason_is_public(s: Setup) -> None:
    pid = s.report()
    s.box.clock.advance(timedelta(days=3))  # accepted on a Thursday: 60 and 90 days on weekdays
    s.drive.act(pid, "accept")
    before = datetime.fromisoformat(s.detail(pid)["handling_due"])
    s.drive.act(pid, "extend_deadline", reason="需等待第三方检测报告")
    after = s.detail(pid)
    assert datetime.fromisoformat(after["handling_due"]) - before == timedelta(days=30)
    _refused(s.post(pid, "extend_deadline", reason="再延一次"), 409, "already extended")
    for viewer in (s.people.reporter, s.people.officer_a):
        seen = s.detail(pid, viewer.headers)
        assert seen["extension_reason"] == "需等待第三方检测报告"
        reasons = [e["detail"].get("reason") for e in seen["events"]]
        assert "需等待第三方检测报告" in reasons


def _drive_to(s: Setup, state: str) -> int:
    pid = s.report()
    steps: dict[str, Any] = {
        "reported": lambda: None,
        "accepted": lambda: s.drive.act(pid, "accept"),
        "assigned": lambda: (
            s.drive.act(pid, "accept"),
            s.drive.act(pid, "assign", assignee_id=s.worker),
        ),
        "verifying": lambda: s.drive.to_verifying(pid, s.worker),
        "confirmed": lambda: s.drive.to_confirmed(pid, s.worker, jpeg(5)),
        "rectifying": lambda: (s.drive.to_confirmed(pid, s.worker, jpeg(5)), s.drive.order(pid)),
        "rectified": lambda: (
            s.drive.to_confirmed(pid, s.worker, jpeg(5)),
            s.drive.order(pid),
            s.drive.act(pid, "report_rectified", evidence={"text": "t", "document": "d"}),
        ),
        "reopened": lambda: (
            s.drive.to_closed(pid, s.worker, jpeg(5)),
            s.drive.act(pid, "reopen", reason="复发"),
        ),
    }
    steps[state]()
    assert s.detail(pid)["state"] == state
    return pid


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_a_problem_is_transferred_to_public_security_from_any_open_state(
    s: Setup, state: str
) -> None:
    pid = _drive_to(s, state)
    s.drive.act(pid, "transfer", transfer={"kind": "public_security"}, reason="涉嫌环境犯罪")
    seen = s.detail(pid)
    assert seen["state"] == "transferred"
    assert seen["transfer_target"] == {"kind": "public_security", "name": None}
    assert s.detail(pid, s.people.reporter.headers)["transfer_target"] is None
    _refused(s.post(pid, "transfer", transfer={"kind": "public_security"}, reason="x"), 409)


def test_the_reporter_reopens_within_thirty_days_of_closure_but_not_after(s: Setup) -> None:
    early, late = s.report(), s.report()
    for pid in (early, late):
        s.drive.to_closed(pid, s.worker, jpeg(6))
    reporter = s.people.reporter.headers
    s.box.clock.advance(timedelta(days=29, hours=23))
    response = s.post(early, "reopen", reporter, reason="污水又来了")
    assert response.status_code == 200, response.text
    assert s.detail(early, reporter)["state"] == "reopened"
    s.box.clock.advance(timedelta(hours=2))
    _refused(s.post(late, "reopen", reporter, reason="还是有"), 403, "30 days")
    other = s.people.other_public.headers
    assert s.post(early, "reopen", other, reason="x").status_code == 404
    s.drive.act(late, "reopen", reason="官员复查")  # officers may at any time
    assert s.detail(late)["state"] == "reopened"


def test_a_new_monitoring_finding_reopens_a_closed_problem_by_match_key(s: Setup) -> None:
    key = "alert:1:w01018:exceedance"
    pid = s.report(
        match_key=key, channel="monitoring", reporter_user_id=None, name=None, contact=None
    )
    s.drive.to_closed(pid, s.worker, jpeg(7))
    s.box.clock.advance(timedelta(days=5))
    again = s.report(
        match_key=key, channel="monitoring", reporter_user_id=None, name=None, contact=None
    )
    assert again == pid
    seen = s.detail(pid)
    assert seen["state"] == "reopened"
    reopen = [e for e in seen["events"] if e["action"] == "reopen"][-1]
    assert reopen["actor"] == "system:intake"
    assert seen["handling_due"] > seen["state_times"]["closed"]


def test_a_finding_long_after_the_closure_opens_a_new_problem(s: Setup) -> None:
    key = "alert:1:w01018:exceedance"
    pid = s.report(match_key=key)
    s.drive.to_closed(pid, s.worker, jpeg(8))
    s.box.clock.advance(timedelta(days=91))
    assert s.report(match_key=key) != pid
    assert s.detail(pid)["state"] == "closed"


def test_each_state_records_when_it_was_entered(s: Setup) -> None:
    pid = s.report()
    start = s.box.clock.now()
    plan = ["accept", "assign", "start_verification"]
    for hours, action in enumerate(plan, start=1):
        s.box.clock.set(start + timedelta(hours=hours))
        body = {"assignee_id": s.worker} if action == "assign" else {}
        s.drive.act(pid, action, **body)
    times = s.detail(pid)["state_times"]
    assert set(times) == {"reported", "accepted", "assigned", "verifying"}
    for hours, state in enumerate(["reported", "accepted", "assigned", "verifying"]):
        assert datetime.fromisoformat(times[state]) == start + timedelta(hours=hours)
    with s.box.transaction() as session:
        problem = session.get(Problem, pid)
        assert problem is not None and problem.accepted_at == start + timedelta(hours=1)


def test_internal_notes_are_for_handlers_and_public_notes_for_everyone_who_sees_it(
    s: Setup,
) -> None:
    pid = s.report()
    s.drive.to_confirmed(pid, s.worker, jpeg(9))
    s.drive.act(
        pid,
        "order_rectification",
        requirement="整改",
        internal_note="企业负责人有前科",
        note="请于十日内整改",
        rectification_due=(s.box.clock.now() + timedelta(days=9)).isoformat(),
    )
    company, reporter = s.people.enterprise.headers, s.people.reporter.headers
    answer = s.client.post(
        f"/api/problems/{pid}/notes",
        json={"text": "企业回复：已停产", "visibility": "public"},
        headers=company,
    )
    assert answer.status_code == 201, answer.text
    for viewer in (company, reporter):
        seen = s.detail(pid, viewer)
        texts = [n["text"] for n in seen["notes"]]
        assert texts == ["请于十日内整改", "企业回复：已停产"]
        assert "企业负责人有前科" not in str(seen)
        assert not seen["handles"]
        assert not any(n["author"].startswith("user:") for n in seen["notes"])
    handler = s.detail(pid)
    assert "企业负责人有前科" in [n["text"] for n in handler["notes"]]
    assert handler["handles"]


UNSTORABLE = [
    pytest.param("notes", {"text": "污水\x00"}, "text", id="nul-in-a-note"),
    pytest.param("actions/extend_deadline", {"reason": "等待\x00"}, "reason", id="nul-in-a-reason"),
    pytest.param("links", {"other_id": 2**40, "kind": "related_to"}, "other_id", id="64-bit-id"),
    pytest.param(
        "actions/reassign", {"assignee_id": 2**63, "reason": "x"}, "assignee_id", id="huge-id"
    ),
    pytest.param(
        "actions/extend_deadline", {"reason": "x", "finding_id": 2**31}, "finding_id", id="2**31"
    ),
    pytest.param(
        "region", {"region_code": "G\x00", "reason": "x"}, "region_code", id="nul-in-a-code"
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), UNSTORABLE)
def test_input_the_database_cannot_store_is_refused_naming_the_field(
    s: Setup, path: str, body: dict[str, Any], field: str
) -> None:
    pid = s.report()
    s.drive.act(pid, "accept")
    url = f"/api/problems/{pid}/{path}"
    response = s.client.post(url, json=body, headers=s.people.admin.headers)
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"])


@pytest.mark.parametrize(
    ("query", "field"),
    [("q=%00", "q"), ("region=A%00", "region"), ("enterprise=%00", "enterprise")],
)
def test_a_list_filter_with_a_nul_character_is_refused(s: Setup, query: str, field: str) -> None:
    response = s.client.get(f"/api/problems?{query}", headers=s.people.admin.headers)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    "observed_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-02T08:00:00"]
)
def test_a_finding_at_a_time_that_has_no_utc_instant_is_refused(s: Setup, observed_at: str) -> None:
    body = {"channel": "hotline", "category": "noise", "description": "噪声", **IN_G1}
    response = s.client.post(
        "/api/findings", json={**body, "observed_at": observed_at}, headers=s.people.admin.headers
    )
    assert response.status_code == 422, response.text
    assert "observed_at" in str(response.json()["detail"])
