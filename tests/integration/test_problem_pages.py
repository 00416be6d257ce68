"""The problem register's pages through FastAPI's test client, on both databases: the queue and
its filters, who sees which problem, the problem page's forms (CSRF, redirects, refusals that
re-render the page and change nothing), uploads through the forms, and the catalogs."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from PIL import Image
from sqlalchemy import func, select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.media.inspect import Reason
from ecoradar.media.models import MediaFile
from ecoradar.problems import workflow_payload as payload
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.scheduler import SchedulerReport, check_deadlines
from ecoradar.registry.models import Enterprise
from ecoradar.web.problem_forms import KNOWN
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import Login, MakeUser, log_in
from tests.factories import CITY_ORIGIN, GAS_MN, load_small_registry, uscc

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

X0, Y0 = CITY_ORIGIN
IN_G1 = (Y0 + 0.5, X0 + 0.25)
"""Grid G1 (township A1, county A), where enterprise 1 is."""
IN_B = (Y0 + 1.0, X0 + 3.0)
"""County B."""
EN = {"Accept-Language": "en-US,en;q=0.9"}
XSS = "<script>alert('x')</script>"


def jpeg(colour: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    image = Image.new("RGB", (64, 48), colour)
    for x in range(0, 64, 8):
        image.putpixel((x, 10), (250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class World:
    box: Container
    clock: FakeClock
    officer: Login
    officer_b: Login
    worker: Login
    company: Login
    citizen: Login

    def report(
        self,
        *,
        place: tuple[float, float] = IN_G1,
        title: str = "河边有刺鼻气味",
        category: str = "odour",
        channel: str = "hotline",
        enterprise: bool = False,
        reporter: Login | None = None,
    ) -> int:
        """A problem opened by a finding (committed), as the intake records one."""
        box = self.box
        with box.transaction() as session:
            enterprise_id = (
                session.scalar(select(Enterprise.id).where(Enterprise.code == uscc(1)))
                if enterprise
                else None
            )
            recorded = record_finding(
                session=session,
                index=box.regions.get(session),
                item=FindingIn(
                    channel=channel,
                    category=category,
                    lat=place[0],
                    lon=place[1],
                    observed_at=self.clock.now() - timedelta(hours=2),
                    description=f"{title}。",
                    title=title,
                    enterprise_id=enterprise_id,
                    reporter_user_id=reporter.user_id if reporter else None,
                    reporter_name="张三",
                    reporter_contact="13800000000",
                ),
                now=self.clock.now(),
                actor="user:0:test",
                policy=load_policy(session=session, settings=box.settings),
            )
            return recorded.problem.id

    def mark_overdue(self) -> None:
        with self.box.transaction() as session:
            policy = load_policy(session=session, settings=self.box.settings)
            check_deadlines(
                session=session, policy=policy, now=self.clock.now(), report=SchedulerReport()
            )

    def state(self, problem_id: int) -> str:
        with self.box.transaction() as session:
            problem = session.get(Problem, problem_id)
            assert problem is not None
            return problem.state


@pytest.fixture
def world(container: Container, clock: FakeClock, tmp_path: Path, make_user: MakeUser) -> World:
    load_small_registry(container, tmp_path)
    return World(
        container,
        clock,
        make_user("officer", region="A", username="officer-a", display_name="李执法"),
        make_user("officer", region="B", username="officer-b"),
        make_user("grid_worker", region="G1", username="worker", display_name="赵网格"),
        make_user("enterprise", enterprise=uscc(1), username="company"),
        make_user("public", username="citizen"),
    )


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


def as_user(client: TestClient, world: World, login: Login) -> str:
    """Log ``client`` in as ``login``; returns the session's CSRF token."""
    client.cookies.clear()
    return log_in(client, world.box, login).csrf_token


def refusal_text(html: str) -> str:
    """The words of the refusal the page shows (tags removed, spaces joined)."""
    found = re.search(r'<div class="form-error action-error"[^>]*>(.*?)</div>', html, re.S)
    assert found, "no refusal on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)"', html)]


def post(
    client: TestClient, path: str, csrf: str, data: dict[str, str] | None = None, **kw: Any
) -> Any:
    return client.post(
        path, data={"csrf_token": csrf, **(data or {})}, follow_redirects=False, **kw
    )


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_shows_each_user_only_the_problems_they_may_see_overdue_first(
    client: TestClient, world: World
) -> None:
    old = world.report(title="旧的异味问题")
    world.clock.advance(timedelta(days=20))
    new = world.report(title="新的噪声问题", category="noise")
    elsewhere = world.report(place=IN_B, title="B县的问题")
    world.mark_overdue()

    as_user(client, world, world.officer)
    page = client.get("/problems")
    assert page.status_code == 200
    assert row_ids(page.text) == [old, new]  # overdue first
    assert re.search(rf'<tr data-id="{old}" data-state="reported" class="is-overdue"', page.text)
    assert re.search(rf'<tr data-id="{new}" data-state="reported">', page.text)
    assert page.text.count('class="badge overdue-badge"') == 1
    assert '<a href="/problems" class="active" aria-current="page">' in page.text

    as_user(client, world, world.officer_b)
    assert row_ids(client.get("/problems").text) == [elsewhere]
    as_user(client, world, world.worker)
    assert row_ids(client.get("/problems").text) == [old, new]
    as_user(client, world, world.company)
    assert row_ids(client.get("/problems").text) == []


def test_the_queue_filters_by_state_category_channel_area_overdue_and_text(
    client: TestClient, world: World
) -> None:
    odour = world.report(title="异味")
    world.clock.advance(timedelta(days=20))
    noise = world.report(title="夜间施工噪声", category="noise", channel="media")
    world.mark_overdue()
    csrf = as_user(client, world, world.officer)
    post(client, f"/problems/{noise}/actions/accept", csrf)

    def shown(**params: object) -> list[int]:
        response = client.get("/problems", params=params)
        assert response.status_code == 200, response.text
        return row_ids(response.text)

    assert shown(state="accepted") == [noise]
    assert shown(state=["reported", "accepted"]) == [odour, noise]
    assert shown(state="reported,accepted") == [odour, noise]
    assert shown(category="noise") == [noise]
    assert shown(channel="hotline") == [odour]
    assert shown(overdue="1") == [odour]
    assert shown(q="施工") == [noise]
    assert shown(region="G1") == [odour, noise]
    assert shown(region="A2") == []
    page = client.get("/problems", params={"state": "accepted"})
    assert re.search(r'value="accepted" checked', page.text)
    assert '<option value="G1"' in page.text and '<option value="B"' not in page.text

    bad = client.get("/problems", params={"state": "nonsense", "channel": "fax"})
    assert bad.status_code == 422
    assert "nonsense" in bad.text and "fax" in bad.text
    assert row_ids(bad.text) == [odour, noise]


def test_the_rows_part_is_for_htmx_and_pushes_the_address_with_the_states_joined(
    client: TestClient, world: World
) -> None:
    world.report()
    as_user(client, world, world.officer)
    rows = client.get(
        "/problems/rows",
        params={"state": ["reported", "accepted"], "q": "气味"},
        headers={"HX-Request": "true"},
    )
    assert rows.status_code == 200
    assert "<html" not in rows.text and 'id="problem-table"' in rows.text
    assert rows.headers["HX-Push-Url"] == "/problems?state=reported%2Caccepted&q=%E6%B0%94%E5%91%B3"


def test_the_pager_keeps_the_filters_with_the_states_in_one_parameter(
    client: TestClient, world: World
) -> None:
    made = [world.report(title=f"问题{i}") for i in range(27)]
    as_user(client, world, world.officer)
    first = client.get("/problems", params={"state": ["reported", "accepted"], "q": "问题"})
    assert len(row_ids(first.text)) == 25
    link = "?state=reported%2Caccepted&amp;q=%E9%97%AE%E9%A2%98&amp;page=2"
    assert f'href="/problems{link}"' in first.text
    assert f'hx-get="/problems/rows{link}"' in first.text
    second = client.get("/problems?state=reported%2Caccepted&q=%E9%97%AE%E9%A2%98&page=2")
    assert row_ids(second.text) == made[1::-1]
    beyond = client.get("/problems", params={"page": 9})
    assert row_ids(beyond.text) == made[1::-1]


def test_an_anonymous_visitor_is_sent_to_log_in_and_htmx_is_told_where(
    client: TestClient, world: World
) -> None:
    response = client.get("/problems?overdue=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fproblems%3Foverdue%3D1"
    problem = world.report()
    response = client.get(f"/problems/{problem}", follow_redirects=False)
    assert response.headers["location"] == f"/login?next=%2Fproblems%2F{problem}"


def test_a_member_of_the_public_sees_only_their_own_reports_and_no_enterprise(
    client: TestClient, world: World
) -> None:
    mine = world.report(reporter=world.citizen, enterprise=True, title="工厂冒黑烟")
    world.report(enterprise=True, title="别人的举报")
    as_user(client, world, world.citizen)
    page = client.get("/problems")
    assert row_ids(page.text) == [mine]
    assert "测试企业1有限公司" not in page.text
    detail = client.get(f"/problems/{mine}")
    assert detail.status_code == 200
    assert "测试企业1有限公司" not in detail.text
    assert 'id="show-reporter"' not in detail.text
    assert 'id="no-actions"' in detail.text


# --- the problem page -----------------------------------------------------------------------


def test_the_problem_page_offers_a_form_per_action_with_the_csrf_token_and_no_contact(
    client: TestClient, world: World
) -> None:
    problem = world.report(enterprise=True)
    csrf = as_user(client, world, world.officer)
    page = client.get(f"/problems/{problem}")
    assert page.status_code == 200
    html = page.text
    for action in ("accept", "reject", "transfer"):
        assert f'action="/problems/{problem}/actions/{action}"' in html
    assert f'action="/problems/{problem}/actions/assign"' not in html
    forms = html.count("<form ") - 1  # the logout form
    assert html.count(f'name="csrf_token" value="{csrf}"') == forms + 1
    assert 'id="show-reporter"' in html and f"/api/problems/{problem}/reporters" in html
    assert "13800000000" not in html and "张三" not in html
    assert "测试企业1有限公司" in html

    as_user(client, world, world.worker)
    worker_page = client.get(f"/problems/{problem}").text
    assert 'id="no-actions"' in worker_page and "/actions/" not in worker_page


def test_an_action_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    problem = world.report()
    as_user(client, world, world.officer)
    response = client.post(
        f"/problems/{problem}/actions/accept",
        data={},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert 'id="forbidden"' in response.text
    wrong = post(client, f"/problems/{problem}/actions/accept", "not-the-token")
    assert wrong.status_code == 403
    assert world.state(problem) == "reported"


def test_accepting_redirects_back_with_a_message_and_writes_the_audit_log(
    client: TestClient, world: World
) -> None:
    problem = world.report()
    csrf = as_user(client, world, world.officer)
    response = post(client, f"/problems/{problem}/actions/accept", csrf)
    assert response.status_code == 303
    assert response.headers["location"] == f"/problems/{problem}?done=accept"
    assert world.state(problem) == "accepted"
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text and "已受理该问题" in page.text
    assert f'action="/problems/{problem}/actions/assign"' in page.text
    with world.box.transaction() as session:
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(problem)))
        )
    assert "problem.accept" in actions


def test_refusals_re_render_the_page_with_the_reason_and_change_nothing(
    client: TestClient, world: World
) -> None:
    problem = world.report()
    csrf = as_user(client, world, world.officer)
    missing = post(client, f"/problems/{problem}/actions/reject", csrf, {"reason": "  "})
    assert missing.status_code == 422
    assert 'id="action-error"' in missing.text and "reason" in missing.text
    assert '<details class="action-box" id="action-reject" data-action="reject" open>' in (
        missing.text
    )
    assert world.state(problem) == "reported"

    assert post(client, f"/problems/{problem}/actions/accept", csrf).status_code == 303
    again = post(client, f"/problems/{problem}/actions/accept", csrf)
    assert again.status_code == 409
    assert refusal_text(missing.text) == "操作未完成：请检查“理由”。 请填写“理由”。"
    assert refusal_text(again.text) == (
        "操作未完成：该问题当前的状态不允许此操作。 "
        "该问题当前为“已受理”，只有处于“待受理”状态时才能进行此操作。"
    )

    bad_id = post(client, f"/problems/{problem}/actions/assign", csrf, {"assignee_id": "x1"})
    assert bad_id.status_code == 422 and "assignee_id" in bad_id.text
    stranger = post(client, f"/problems/{problem}/actions/assign", csrf, {"assignee_id": "999999"})
    assert stranger.status_code == 422
    assert "找不到此人，或其账号已停用" in refusal_text(stranger.text)

    worker_csrf = as_user(client, world, world.worker)
    forbidden = post(client, f"/problems/{problem}/actions/transfer", worker_csrf)
    assert forbidden.status_code == 403
    assert refusal_text(forbidden.text) == "操作未完成：您无权对该问题办理此操作。"
    assert 'id="action-error"' in forbidden.text
    assert world.state(problem) == "accepted"

    outsider = as_user(client, world, world.officer_b)
    hidden = post(client, f"/problems/{problem}/actions/reject", outsider, {"reason": "x"})
    assert hidden.status_code == 404
    assert client.get(f"/problems/{problem}").status_code == 404
    assert client.get("/problems/abc").status_code == 404
    assert post(client, f"/problems/{problem}/actions/fly", outsider).status_code == 404


def test_the_assignee_select_offers_the_people_covering_the_area(
    client: TestClient, world: World, make_user: MakeUser
) -> None:
    make_user("grid_worker", region="G2", username="worker-g2")
    problem = world.report()
    csrf = as_user(client, world, world.officer)
    post(client, f"/problems/{problem}/actions/accept", csrf)
    html = client.get(f"/problems/{problem}").text
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    offered = {int(value) for value, _label in options}
    assert offered == {world.worker.user_id, world.officer.user_id}
    assert any("赵网格" in label and "网格员" in label for _value, label in options)
    response = post(
        client,
        f"/problems/{problem}/actions/assign",
        csrf,
        {"assignee_id": str(world.worker.user_id)},
    )
    assert response.status_code == 303
    page = client.get(f"/problems/{problem}").text
    assert re.search(r'id="fact-assignee">赵网格<', page)


def test_the_whole_handling_through_the_forms_with_photos_and_evidence(
    client: TestClient, world: World
) -> None:
    problem = world.report(enterprise=True)
    world.clock.advance(timedelta(hours=3))
    officer = as_user(client, world, world.officer)
    post(client, f"/problems/{problem}/actions/accept", officer)
    post(
        client,
        f"/problems/{problem}/actions/assign",
        officer,
        {"assignee_id": str(world.worker.user_id)},
    )
    worker = as_user(client, world, world.worker)
    assert (
        post(client, f"/problems/{problem}/actions/start_verification", worker).status_code == 303
    )
    at = world.clock.now().astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")
    onsite = {"at": at, "lat": str(IN_G1[0]), "lon": str(IN_G1[1]), "text": "排口有异味"}
    no_photo = post(client, f"/problems/{problem}/actions/confirm", worker, onsite)
    assert no_photo.status_code == 422
    assert "请至少上传一张现场照片。" in refusal_text(no_photo.text)
    not_image = post(
        client,
        f"/problems/{problem}/actions/confirm",
        worker,
        onsite,
        files=[("files", ("site.txt", b"hello", "text/plain"))],
    )
    assert not_image.status_code == 422
    with world.box.transaction() as session:
        assert session.scalar(select(func.count(MediaFile.id))) == 0
    confirmed = post(
        client,
        f"/problems/{problem}/actions/confirm",
        worker,
        onsite,
        files=[("files", ("site.jpg", jpeg(), "image/jpeg"))],
    )
    assert confirmed.status_code == 303, confirmed.text
    assert world.state(problem) == "confirmed"

    officer = as_user(client, world, world.officer)
    due = (world.clock.now() + timedelta(days=10)).astimezone(CHINA_TZ).date().isoformat()
    ordered = post(
        client,
        f"/problems/{problem}/actions/order_rectification",
        officer,
        {"requirement": "立即停产整改", "due": due},
    )
    assert ordered.status_code == 303
    company = as_user(client, world, world.company)
    rectified = post(
        client,
        f"/problems/{problem}/actions/report_rectified",
        company,
        {"text": "已更换活性炭", "document": ""},
        files=[("files", ("after.png", jpeg((200, 200, 200)), "image/png"))],
    )
    assert rectified.status_code == 303, rectified.text
    officer = as_user(client, world, world.officer)
    assert post(client, f"/problems/{problem}/actions/close", officer).status_code == 303
    page = client.get(f"/problems/{problem}").text
    events = re.findall(r'<li class="event" data-action="(\w+)"', page)
    assert events == [
        "opened",
        "accept",
        "assign",
        "start_verification",
        "confirm",
        "order_rectification",
        "report_rectified",
        "close",
    ]
    assert "排口有异味" in page and "立即停产整改" in page and "已更换活性炭" in page
    thumbnails = re.findall(
        rf'src="/api/problems/{problem}/attachments/(\d+)\?thumbnail=true"', page
    )
    assert len(thumbnails) == 2
    image = client.get(f"/api/problems/{problem}/attachments/{thumbnails[0]}?thumbnail=true")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def verifying(client: TestClient, world: World) -> tuple[int, str]:
    """A problem reported now, accepted, assigned to the grid worker and being verified (all in
    the same minute); the worker's CSRF token (the client is logged in as the worker)."""
    problem = world.report()
    officer = as_user(client, world, world.officer)
    post(client, f"/problems/{problem}/actions/accept", officer)
    assign = {"assignee_id": str(world.worker.user_id)}
    post(client, f"/problems/{problem}/actions/assign", officer, assign)
    worker = as_user(client, world, world.worker)
    post(client, f"/problems/{problem}/actions/start_verification", worker)
    assert world.state(problem) == "verifying"
    return problem, worker


def test_the_on_site_form_with_its_default_time_works_in_the_minute_of_the_report(
    client: TestClient, world: World
) -> None:
    world.clock.advance(timedelta(minutes=5, seconds=30))  # reported at 09:05:30 China time
    problem, worker = verifying(client, world)
    world.clock.advance(timedelta(seconds=15))  # 09:05:45: still the minute of the report
    page = client.get(f"/problems/{problem}").text
    field = re.search(r'<input type="datetime-local" name="at" value="([^"]*)"([^>]*)>', page)
    assert field is not None
    assert field.group(1) == "2026-11-02T09:05"  # now, to the minute the field offers
    assert 'min="2026-11-02T09:05"' in field.group(2) and "max=" not in field.group(2)
    onsite = {
        "at": field.group(1),
        "lat": str(IN_G1[0]),
        "lon": str(IN_G1[1]),
        "text": "排口有黑水",
    }
    photo = [("files", ("site.jpg", jpeg(), "image/jpeg"))]
    confirmed = post(client, f"/problems/{problem}/actions/confirm", worker, onsite, files=photo)
    assert confirmed.status_code == 303, refusal_text(confirmed.text)
    assert world.state(problem) == "confirmed"


def onsite_form(**changes: str) -> dict[str, str]:
    form = {"at": "2026-11-02T09:30", "lat": str(IN_G1[0]), "lon": str(IN_G1[1]), "text": "黑水"}
    return {**form, **changes}


PHOTO = ("files", ("site.jpg", jpeg(), "image/jpeg"))
ON_SITE_REFUSALS: list[tuple[dict[str, str], list[Any], str, str]] = [
    (
        onsite_form(at="2026-11-02T08:59"),
        [PHOTO],
        "核查时间（2026-11-02 08:59）早于问题上报时间（2026-11-02 09:00）：请填写上报之后的时间。",
        "The time of the check (2026-11-02 08:59) is before the problem was reported "
        "(2026-11-02 09:00): give a time at or after the report.",
    ),
    (
        onsite_form(at="2026-11-02T11:00"),
        [PHOTO],
        "核查时间（2026-11-02 11:00）晚于当前时间：请填写实际核查的时间。",
        "The time of the check (2026-11-02 11:00) is later than now: "
        "give the time the check was made.",
    ),
    (onsite_form(at=""), [PHOTO], "请填写“核查时间（北京时间）”。", "Please fill in “Checked at"),
    (onsite_form(at="yesterday"), [PHOTO], "不是有效的日期和时间", "is not a date and time."),
    (onsite_form(lat=""), [PHOTO], "请填写位置", "Please give the position"),
    (onsite_form(lat="north"), [PHOTO], "“纬度”不是数字。", "“Latitude” is not a number."),
    (onsite_form(lat="95"), [PHOTO], "须为 -90 到 90 之间的数", "must be a number from -90 to 90"),
    (onsite_form(), [], "请至少上传一张现场照片。", "Please add at least one photo taken on site."),
    (onsite_form(text=" "), [PHOTO], "请填写“", "Please fill in “"),
    (
        onsite_form(),
        [("files", ("site.txt", b"hello", "text/plain"))],
        "无法接收“site.txt”",
        "“site.txt” cannot be accepted",
    ),
]


@pytest.mark.parametrize(("form", "files", "chinese", "english"), ON_SITE_REFUSALS)
def test_refusals_of_the_on_site_form_are_sentences_in_the_pages_language(
    client: TestClient,
    world: World,
    form: dict[str, str],
    files: list[Any],
    chinese: str,
    english: str,
) -> None:
    problem, worker = verifying(client, world)
    world.clock.advance(timedelta(hours=1))  # 10:00 China time
    for language, expected in (({}, chinese), (EN, english)):
        sent = post(
            client,
            f"/problems/{problem}/actions/confirm",
            worker,
            form,
            files=files or None,
            headers=language,
        )
        assert sent.status_code == 422
        words = refusal_text(sent.text)
        assert expected in words
        assert not re.search(r"onsite|photo_ids|[a-z]_[a-z]|\(to confirm\)", words), words
        if language:
            assert not re.search(r"[\u4e00-\u9fff]", words), words
        else:
            plain = re.sub(r"JPEG|PNG|WebP|PDF|site\.txt", "", words)
            assert not re.search(r"[A-Za-z]", plain), words
    assert world.state(problem) == "verifying"


def test_internal_notes_stay_with_the_officers_and_the_enterprise_waits_for_the_order(
    client: TestClient, world: World
) -> None:
    problem = world.report(enterprise=True)
    officer = as_user(client, world, world.officer)
    internal = post(client, f"/problems/{problem}/notes", officer, {"text": "内部：疑似偷排"})
    assert internal.headers["location"] == f"/problems/{problem}?done=note"
    post(
        client,
        f"/problems/{problem}/notes",
        officer,
        {"text": "已转交核查", "visibility": "public"},
    )
    html = client.get(f"/problems/{problem}").text
    assert "内部：疑似偷排" in html and 'class="badge internal-badge"' in html

    as_user(client, world, world.company)
    assert client.get(f"/problems/{problem}").status_code == 404
    with world.box.transaction() as session:
        found = session.get(Problem, problem)
        assert found is not None
        found.state, found.accepted_at = "rectifying", world.clock.now()  # as if ordered
    page = client.get(f"/problems/{problem}").text
    assert "已转交核查" in page and "内部：疑似偷排" not in page
    assert 'value="internal"' not in page and 'id="show-reporter"' not in page
    assert f'action="/problems/{problem}/attachments"' in page


def test_an_attachment_uploaded_through_the_form_shows_as_a_thumbnail(
    client: TestClient, world: World
) -> None:
    problem = world.report()
    officer = as_user(client, world, world.officer)
    empty = post(client, f"/problems/{problem}/attachments", officer, {"purpose": "evidence"})
    assert empty.status_code == 422
    sent = post(
        client,
        f"/problems/{problem}/attachments",
        officer,
        {"purpose": "evidence", "public": "true"},
        files=[("files", ("river.jpg", jpeg(), "image/jpeg"))],
    )
    assert sent.status_code == 303
    html = client.get(f"/problems/{problem}").text
    assert re.search(r'<li class="attachment" data-media="\d+" data-purpose="evidence">', html)
    assert 'class="badge public-badge"' in html


def test_a_monitoring_finding_links_to_its_alert_and_to_the_point_series(
    client: TestClient, world: World
) -> None:
    box = world.box
    with box.transaction() as session:
        recorded = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="monitoring",
                category="air",
                lat=IN_G1[0],
                lon=IN_G1[1],
                observed_at=world.clock.now() - timedelta(hours=5),
                title="SO2 超标",
                source_ref="alert:41",
                data={
                    "alert_id": 41,
                    "kind": "exceedance",
                    "factor": "a21026",
                    "mn": GAS_MN,
                    "start": (world.clock.now() - timedelta(hours=5)).isoformat(),
                    "end": None,
                },
            ),
            now=world.clock.now(),
            actor="system:scheduler",
            policy=load_policy(session=session, settings=box.settings),
        )
        problem = recorded.problem.id
    as_user(client, world, world.officer)
    html = client.get(f"/problems/{problem}").text
    assert 'href="/alerts/41"' in html and f'href="/monitoring/{GAS_MN}"' in html
    assert "超标" in html and "二氧化硫" in html
    assert "2026-11-02 04:00" in html  # the alert's start, China time


def test_text_is_escaped_and_english_pages_are_english(client: TestClient, world: World) -> None:
    problem = world.report(title=XSS)
    as_user(client, world, world.officer)
    html = client.get(f"/problems/{problem}").text
    assert XSS not in html and "&lt;script&gt;" in html
    english = client.get("/problems", headers=EN).text
    assert "<h1>Problems</h1>" in english and ">Reported</span>" in english
    detail = client.get(f"/problems/{problem}", headers=EN).text
    labels = re.findall(r"<(?:h2|dt|button|summary|label)[^>]*>([^<]+)<", detail)
    assert labels and not [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]


# --- catalogs -------------------------------------------------------------------------------


def test_every_refusal_a_form_can_meet_has_a_sentence_on_the_page() -> None:
    macros = (TEMPLATE_DIR / "problems" / "_macros.html").read_text(encoding="utf-8")
    worded = set(re.findall(r'"([a-z_]+)"', macros.partition("macro refusal_detail")[2]))
    api_only = {"not_text", "not_list", "not_record"}  # a form always sends text and lists
    needed = (
        (payload.CODES - api_only)
        | {"dispute_window", "state", "extension_limit", "no_evidence"}  # the workflow's own
        | {"not_photo", "position_required", "not_number", "not_date", "choose_file"}  # forms
        | {code for _pattern, code in KNOWN}
        | {f"media_{reason}" for reason in get_args(Reason)}
    )
    assert needed - worded == set()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_problem_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "problems").glob("*.html"), at_least=101)
