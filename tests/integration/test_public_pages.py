"""The public's pages through FastAPI's test client, on both databases: the report form (its
form token, the receipt, refusals that re-render the form and store nothing, the rate limit, a
logged-in member of the public) and the tracking page (what it shows and never shows, the
follow-up after closure, unknown codes), plus the catalogs."""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.clues import tracking
from ecoradar.clues.models import Clue
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Finding, Problem
from ecoradar.web import public_forms
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import TEST_SECRET, Login, MakeUser, log_in
from tests.integration.clue_support import (
    IN_B,
    OUTSIDE,
    counts,
    load_city,
    spot,
    with_settings,
)
from tests.integration.problem_support import PDF, Driver, jpeg

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

EN = {"Accept-Language": "en-US,en;q=0.9"}
XSS = "<script>alert('x')</script>"
NAME, CONTACT = "欧阳举报", "13987654321"
CODE = re.compile(r'id="tracking-code"[^>]*>([^<]+)<')


@dataclass
class Scene:
    box: Container
    clock: FakeClock
    officer: Login
    worker: Login
    citizen: Login


@pytest.fixture
def scene(container: Container, clock: FakeClock, tmp_path: Path, make_user: MakeUser) -> Scene:
    load_city(container, tmp_path)
    return Scene(
        container,
        clock,
        make_user("officer", region="A", username="officer-a", display_name="李执法"),
        make_user("grid_worker", region="G1", username="worker", display_name="赵网格"),
        make_user("public", username="citizen", display_name="市民小王"),
    )


def client_for(box: Container) -> TestClient:
    return TestClient(create_app(box))


@pytest.fixture
def client(scene: Scene) -> Iterator[TestClient]:
    with client_for(scene.box) as test_client:
        yield test_client


def form_token(client: TestClient, **headers: str) -> str:
    page = client.get("/report", headers=headers)
    assert page.status_code == 200
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def fields(**over: Any) -> dict[str, Any]:
    """A report of a smell somewhere of its own in grid G1, anonymous."""
    where = spot()
    data: dict[str, Any] = {
        "category": "odour",
        "attribute[odour][intensity]": "4",
        "attribute[odour][smell_type]": "chemical",
        "attribute[water][colour]": "black",  # another service's answer: ignored
        "description": "化工厂东侧夜间刺鼻气味，无法开窗",
        "lat": f"{where['lat']:.6f}",
        "long": f"{where['lon']:.6f}",
        "observed_at": "2026-11-02T08:30",
        "identity": "anonymous",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def send(
    client: TestClient,
    token: str | None,
    data: dict[str, Any],
    photos: list[tuple[str, bytes]] | None = None,
    **kw: Any,
) -> Any:
    files = [("photos", (name, body, "image/jpeg")) for name, body in photos or []]
    if not files:
        files = [("photos", ("", b"", "application/octet-stream"))]  # an empty file input
    body = dict(data)
    if token is not None:
        body["form_token"] = token
    return client.post("/report", data=body, files=files, follow_redirects=False, **kw)


def receipt_code(html: str) -> str:
    found = CODE.search(html)
    assert found is not None, html[:2000]
    return found.group(1)


def kind(html: str) -> str | None:
    found = re.search(r'id="form-error"[^>]*data-kind="(\w+)"', html)
    return found.group(1) if found else None


def clue_of(box: Container, code: str) -> tuple[Clue, Finding, Problem]:
    with box.transaction() as session:
        clue = session.scalar(
            select(Clue).where(Clue.tracking_code == tracking.normalize_tracking_code(code))
        )
        assert clue is not None
        finding = session.get(Finding, clue.finding_id)
        assert finding is not None
        problem = session.get(Problem, finding.problem_id)
        assert problem is not None
        for row in (clue, finding, problem):
            session.expunge(row)
        return clue, finding, problem


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# --- the report form ------------------------------------------------------------------------


def test_the_form_offers_every_service_its_questions_and_a_form_token_in_a_cookie(
    client: TestClient, scene: Scene
) -> None:
    page = client.get("/report")
    assert page.status_code == 200
    html = page.text
    for name in ("大气污染", "水污染", "固体废物", "危险废物", "噪声污染", "异味", "其他"):
        assert f'<span class="category-name">{name}</span>' in html
    assert "刺鼻、恶臭等异常气味。" in html  # a service's description
    # the smell's intensity: required, five choices, named per service
    assert html.count('name="attribute[odour][intensity]"') == 5
    assert re.search(r'name="attribute\[odour\]\[intensity\]" value="1" required', html)
    assert 'id="attributes-odour" data-category="odour" hidden disabled' in html
    assert 'type="datetime-local"' in html and 'name="attribute[noise][started_at]"' in html
    assert 'type="number"' in html and 'name="attribute[solid_waste][area_m2]"' in html
    assert 'accept="image/*" multiple capture="environment"' in html
    assert 'maxlength="4000"' in html and 'data-max-photos="9"' in html
    assert "只有办理该举报的工作人员能看到" in html  # who sees a contact
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{public_forms.FORM_COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    nonce = client.cookies.get(public_forms.FORM_COOKIE)
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    assert public_forms.token_matches(scene.box.settings, nonce, token.group(1))
    assert 'name="observed_at" type="datetime-local" value="2026-11-02T09:00"' in html


def test_a_report_answers_the_receipt_with_the_code_and_the_secret_shown_once(
    client: TestClient, scene: Scene
) -> None:
    token = form_token(client)
    before = counts(scene.box)
    answer = send(client, token, fields(), photos=[("smell.jpg", jpeg(3))])
    assert answer.status_code == 200, text_of(answer.text)[:500]
    assert answer.headers["cache-control"] == "no-store"
    code = receipt_code(answer.text)
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    secret = re.search(r'id="reward-secret"[^>]*>([^<]+)<', answer.text)
    assert secret is not None
    assert f'href="/track/{code}"' in answer.text
    assert "请立即保存：密钥只显示这一次。" in answer.text
    assert 'id="receipt-joined"' not in answer.text

    clue, finding, problem = clue_of(scene.box, code)
    assert clue.channel == "public" and clue.anonymous and not clue.duplicate
    assert clue.attributes == {"intensity": "4", "smell_type": "chemical"}
    assert clue.secret_hash == tracking.hash_secret(secret.group(1))
    assert len(clue.media_ids) == 1
    assert finding.reporter_name is None and finding.reporter_contact is None
    assert finding.reporter_user_id is None
    assert finding.observed_at.isoformat() == "2026-11-02T00:30:00+00:00"  # 08:30 China time
    assert problem.category == "odour" and problem.state == "reported"
    after = counts(scene.box)
    assert after["clues"] == before["clues"] + 1 and after["media"] == before["media"] + 1


def test_a_named_report_keeps_the_contact_on_the_finding_only(
    client: TestClient, scene: Scene
) -> None:
    token = form_token(client)
    data = fields(identity="named", reporter_name=NAME, reporter_contact=CONTACT)
    answer = send(client, token, data)
    assert answer.status_code == 200
    code = receipt_code(answer.text)
    clue, finding, _ = clue_of(scene.box, code)
    assert not clue.anonymous
    assert (finding.reporter_name, finding.reporter_contact) == (NAME, CONTACT)
    page = client.get(f"/track/{code}").text
    assert NAME not in page and CONTACT not in page


def test_the_form_token_is_required_and_bound_to_this_browser(
    client: TestClient, scene: Scene
) -> None:
    token = form_token(client)
    before = counts(scene.box)
    missing = send(client, None, fields())
    assert missing.status_code == 403 and kind(missing.text) == "expired"
    assert "化工厂东侧夜间刺鼻气味" in missing.text  # what was typed comes back

    with client_for(scene.box) as other:
        foreign = form_token(other)  # another browser's token
    assert send(client, foreign, fields()).status_code == 403
    forged = URLSafeTimedSerializer("another-secret-key-0123456789abcdef", salt="x").dumps(
        client.cookies.get(public_forms.FORM_COOKIE)
    )
    assert send(client, forged, fields()).status_code == 403
    cross = send(client, token, fields(), headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert counts(scene.box) == before  # not even counted: nothing was looked at
    assert send(client, token, fields()).status_code == 200


def test_a_form_token_is_good_for_a_day_and_only_with_its_cookie(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings(environment="test", secret_key=TEST_SECRET, home=tmp_path)
    nonce = public_forms.new_nonce()
    token = public_forms.form_token(settings, nonce)
    assert public_forms.token_matches(settings, nonce, token)
    assert not public_forms.token_matches(settings, public_forms.new_nonce(), token)
    assert not public_forms.token_matches(settings, None, token)
    assert not public_forms.token_matches(settings, nonce, token[:-2] + "xx")
    later = int(time.time()) + public_forms.FORM_TOKEN_MAX_AGE + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert not public_forms.token_matches(settings, nonce, token)


@pytest.mark.parametrize(
    ("over", "photos", "expected", "field_id"),
    [
        ({"lat": f"{OUTSIDE['lat']}", "long": f"{OUTSIDE['lon']}"}, None, "outside", "report-map"),
        ({"attribute[odour][intensity]": None}, None, "attribute_required", "attr-odour-intensity"),
        ({"attribute[odour][intensity]": "9"}, None, "attribute", "attr-odour-intensity"),
        ({}, [("scan.pdf", PDF)], "photo_type", "report-photos"),
        ({}, [("broken.jpg", b"\xff\xd8\xff\xe0 not really")], "photo_corrupt", "report-photos"),
        ({"lat": "", "long": ""}, None, "location", "report-map"),
        ({"lat": "north"}, None, "location", "report-lat"),
        ({"identity": "named", "reporter_contact": ""}, None, "contact_missing", "report-contact"),
        ({"identity": "named", "reporter_contact": "next door"}, None, "contact_invalid", None),
        ({"observed_at": "2026-11-03T12:00"}, None, "observed_future", "report-observed"),
        ({"description": "   "}, None, "description_required", "report-description"),
        ({"category": ""}, None, "category", "category-choice"),
    ],
)
def test_a_refusal_re_renders_the_form_with_the_reason_and_the_input_and_stores_nothing(
    client: TestClient,
    scene: Scene,
    over: dict[str, Any],
    photos: list[tuple[str, bytes]] | None,
    expected: str,
    field_id: str | None,
) -> None:
    token = form_token(client)
    before = counts(scene.box)
    data = fields(**over)
    answer = send(client, token, data, photos=photos)
    assert answer.status_code == 422
    assert kind(answer.text) == expected
    if field_id is not None:
        assert f'href="#{field_id}"' in answer.text
    after = counts(scene.box)
    assert after == {**before, "attempts": before["attempts"] + 1}  # only the refusal counted
    if data.get("description", "").strip():
        assert data["description"] in answer.text  # the input is kept
    if data.get("category"):
        assert f'value="{data["category"]}" required checked' in answer.text
    assert "表单退回时不会保留照片" in answer.text


def test_an_outside_pin_is_explained_in_plain_words_and_keeps_the_pin(client: TestClient) -> None:
    token = form_token(client)
    data = fields(lat=f"{OUTSIDE['lat']:.6f}", long=f"{OUTSIDE['lon']:.6f}")
    answer = send(client, token, data)
    assert "您选择的地点不在本局管辖范围内" in answer.text
    assert f'value="{data["lat"]}"' in answer.text and f'value="{data["long"]}"' in answer.text
    english = send(client, token, data, headers=EN)
    assert "outside the area this bureau covers" in english.text


def test_the_rate_limit_re_renders_the_form_with_retry_after(scene: Scene) -> None:
    box = with_settings(scene.box, clue_rate_limit_per_hour=2)
    with client_for(box) as client:
        token = form_token(client)
        assert send(client, token, fields()).status_code == 200
        assert send(client, token, fields(category="")).status_code == 422  # counts too
        before = counts(box)
        limited = send(client, token, fields())
        assert limited.status_code == 429
        assert kind(limited.text) == "rate_limited"
        assert int(limited.headers["retry-after"]) > 0
        assert "请 60 分钟后再试" in limited.text
        assert counts(box) == before
        scene.clock.advance(timedelta(hours=1, seconds=1))
        assert send(client, token, fields()).status_code == 200


def test_a_logged_in_member_of_the_public_reports_with_the_account(
    client: TestClient, scene: Scene
) -> None:
    session = log_in(client, scene.box, scene.citizen)
    page = client.get("/report").text
    assert "您正在以账号 市民小王 举报" in page
    assert 'name="identity"' not in page
    assert f'name="csrf_token" value="{session.csrf_token}"' in page
    token = form_token(client)
    refused = send(client, token, fields())  # the session's token is missing
    assert refused.status_code == 403
    answer = send(client, token, {**fields(), "csrf_token": session.csrf_token})
    assert answer.status_code == 200
    assert 'id="reward-secret"' not in answer.text  # the account collects rewards
    clue, finding, _ = clue_of(scene.box, receipt_code(answer.text))
    assert finding.reporter_user_id == scene.citizen.user_id and not clue.anonymous


def test_a_repeated_report_says_the_reporter_now_follows_the_known_problem(
    client: TestClient, scene: Scene
) -> None:
    token = form_token(client)
    data = fields(description="河道排污口持续排放黑色污水，伴有恶臭")
    first = send(client, token, data, photos=[("a.jpg", jpeg(21))])
    second = send(client, token, data, photos=[("b.jpg", jpeg(21))])
    assert 'id="receipt-joined"' not in first.text
    assert 'id="receipt-joined"' in second.text
    assert "您的举报已并入该问题" in second.text
    one, two = (
        clue_of(scene.box, receipt_code(first.text)),
        clue_of(scene.box, receipt_code(second.text)),
    )
    assert one[2].id == two[2].id and two[0].duplicate
    page = client.get(f"/track/{receipt_code(second.text)}").text
    assert 'id="status-joined"' in page


def test_text_is_escaped_and_english_forms_are_english(client: TestClient) -> None:
    token = form_token(client)
    answer = send(client, token, fields(description=XSS, category=""))
    assert XSS not in answer.text and "&lt;script&gt;" in answer.text
    english = client.get("/report", headers=EN).text
    assert "<h1>Report pollution</h1>" in english and ">Odour</span>" in english
    assert "How strong is the smell?" in english
    labels = re.findall(r"<(?:h1|h2|label|legend|button|summary)[^>]*>([^<]+)<", english)
    assert labels and not [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]


def test_the_area_outlines_are_public_and_hold_no_grids(client: TestClient) -> None:
    answer = client.get("/report/areas")
    assert answer.status_code == 200
    levels = {f["properties"]["level"] for f in answer.json()["features"]}
    assert levels == {"city", "county", "township"}


# --- tracking -------------------------------------------------------------------------------


def reported(client: TestClient, **over: Any) -> str:
    token = form_token(client)
    data = fields(identity="named", reporter_name=NAME, reporter_contact=CONTACT, **over)
    answer = send(client, token, data)
    assert answer.status_code == 200
    return receipt_code(answer.text)


def closed(client: TestClient, scene: Scene, code: str) -> tuple[int, int]:
    """Handle the report's problem to its closure over the API, with an internal and a public
    note and a public photo; the problem and the public photo's id."""
    _, _, problem = clue_of(scene.box, code)
    drive = Driver(client, scene.box, scene.officer.headers)
    pid = problem.id
    drive.act(pid, "accept", note="已受理，将安排核查", internal_note="内部：疑似夜间偷排")
    drive.act(pid, "assign", assignee_id=scene.worker.user_id)
    drive.act(pid, "start_verification")
    onsite = drive.upload(pid, jpeg(7), purpose="onsite")
    drive.act(pid, "confirm", onsite=drive.onsite(onsite))
    drive.order(pid)
    drive.act(pid, "report_rectified", evidence={"text": "已整改", "attachment_ids": [onsite]})
    drive.act(pid, "close")
    public = drive.upload(problem.id, jpeg(8), public=True)
    return problem.id, public


def test_the_tracking_page_shows_the_timeline_and_public_notes_and_never_who(
    client: TestClient, scene: Scene
) -> None:
    code = reported(client)
    fresh = client.get(f"/track/{code}")
    assert fresh.status_code == 200 and fresh.headers["cache-control"] == "no-store"
    assert "您的举报已收到，生态环境部门将决定是否受理。" in fresh.text
    assert 'id="deadline-due" data-which="acceptance"' in fresh.text
    assert 'id="feedback-form"' not in fresh.text

    problem_id, photo = closed(client, scene, code)
    page = client.get(f"/track/{code}")
    html = page.text
    actions = re.findall(r'<li class="ptl-event" data-action="(\w+)"', html)
    assert actions == [
        "opened",
        "accept",
        "assign",
        "start_verification",
        "confirm",
        "order_rectification",
        "report_rectified",
        "close",
    ]
    assert "生态环境部门认为问题已解决，已办结。" in html and 'data-state="closed"' in html
    assert "已受理，将安排核查" in html  # the public note
    assert html.count("办理单位：生态环境部门") == 6
    for secret in (
        NAME,
        CONTACT,
        "内部：疑似夜间偷排",
        "李执法",
        "赵网格",
        "officer-a",
        "worker",
        "停产整改",
    ):
        assert secret not in html, secret
    assert 'id="feedback-form"' in html and 'value="disputed"' in html
    assert f'src="/track/{code}/photos/{photo}?thumbnail=true"' in html
    image = client.get(f"/track/{code}/photos/{photo}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    with scene.box.transaction() as session:
        clue = session.scalar(select(Clue).where(Clue.tracking_code == code.replace("-", "")))
        assert clue is not None
        private = clue.media_ids  # the reporter's photos are evidence, not public
    for media_id in [*private, 999]:
        assert client.get(f"/track/{code}/photos/{media_id}").status_code == 404
    assert problem_id


def test_disputing_the_closure_reopens_the_problem(client: TestClient, scene: Scene) -> None:
    code = reported(client)
    problem_id, _ = closed(client, scene, code)
    page = client.get(f"/track/{code}").text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    url = f"/track/{code}/feedback"
    empty = client.post(url, data={"form_token": token.group(1), "feedback": "disputed"})
    assert empty.status_code == 422 and kind(empty.text) == "dispute_text"
    assert clue_of(scene.box, code)[2].state == "closed"

    answer = client.post(
        url,
        data={
            "form_token": token.group(1),
            "feedback": "disputed",
            "text": "晚上十点后仍有刺鼻气味",
            "satisfaction": "2",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/track/{code}?done=disputed#status"
    clue, _, problem = clue_of(scene.box, code)
    assert problem.state == "reopened" and clue.feedback == "disputed" and clue.satisfaction == 2
    after = client.get(answer.headers["location"]).text
    assert 'id="flash" data-done="disputed"' in after
    assert "晚上十点后仍有刺鼻气味" in after  # the reason the reopening shows
    assert 'id="feedback-form"' not in after  # open again: no feedback until it closes
    assert problem_id == problem.id


def test_confirming_and_rating_within_the_period_and_not_after(
    client: TestClient, scene: Scene
) -> None:
    code = reported(client)
    closed(client, scene, code)
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(f"/track/{code}").text)
    assert token is not None
    url = f"/track/{code}/feedback"
    no_token = client.post(url, data={"feedback": "confirmed"})
    assert no_token.status_code == 403 and kind(no_token.text) == "expired"
    assert clue_of(scene.box, code)[0].feedback is None
    nothing = client.post(url, data={"form_token": token.group(1)})
    assert nothing.status_code == 422 and kind(nothing.text) == "feedback"
    done = client.post(
        url,
        data={"form_token": token.group(1), "feedback": "confirmed", "satisfaction": "5"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    clue, _, problem = clue_of(scene.box, code)
    assert (clue.feedback, clue.satisfaction, problem.state) == ("confirmed", 5, "closed")
    assert re.search(r'value="5" checked', client.get(f"/track/{code}").text)

    scene.clock.advance(timedelta(days=scene.box.settings.clue_feedback_days + 1))
    later = client.get(f"/track/{code}").text
    assert 'id="feedback-form"' not in later and 'id="feedback-given"' in later
    late = client.post(url, data={"form_token": token.group(1), "satisfaction": "1"})
    assert late.status_code == 409 and kind(late.text) == "conflict"
    assert clue_of(scene.box, code)[0].satisfaction == 5


def test_the_public_sees_the_handling_deadline_and_why_it_was_extended(
    client: TestClient, scene: Scene
) -> None:
    code = reported(client)
    _, _, problem = clue_of(scene.box, code)
    drive = Driver(client, scene.box, scene.officer.headers)
    drive.act(problem.id, "accept")
    drive.act(problem.id, "extend_deadline", reason="需要等待第三方检测报告")
    html = client.get(f"/track/{code}").text
    assert 'id="deadline-due" data-which="handling"' in html
    assert re.search(r'id="extension-reason">需要等待第三方检测报告<', html)
    assert "生态环境部门已受理举报，将派人核查。" in html


def test_a_rejected_report_shows_the_reason_and_asks_only_for_satisfaction(
    client: TestClient, scene: Scene
) -> None:
    code = reported(client)
    _, _, problem = clue_of(scene.box, code)
    Driver(client, scene.box, scene.officer.headers).act(
        problem.id, "reject", reason="不属于生态环境部门职责"
    )
    html = client.get(f"/track/{code}").text
    assert "生态环境部门未受理该举报" in html and "不属于生态环境部门职责" in html
    assert 'id="feedback-form"' in html and 'name="satisfaction"' in html
    assert 'name="feedback"' not in html  # only a closed problem is confirmed or disputed
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    url = f"/track/{code}/feedback"
    answer = client.post(url, data={"form_token": token.group(1), "satisfaction": "3"})
    assert answer.status_code == 200 and 'data-done="rated"' in answer.text  # redirected
    assert clue_of(scene.box, code)[0].satisfaction == 3


def test_unknown_codes_get_a_friendly_page_and_count_against_the_limit(scene: Scene) -> None:
    box = with_settings(scene.box, clue_tracking_rate_limit_per_hour=3)
    with client_for(box) as client:
        code = reported(client)
        missing = client.get("/track/ABCDE-FGHJK")
        assert missing.status_code == 404
        assert "没有查询码为 ABCDE-FGHJK 的举报" in missing.text and 'href="/track"' in missing.text
        bad = client.get("/track", params={"code": "not a code!"})
        assert bad.status_code == 422 and kind(bad.text) == "not_a_code"
        assert client.get("/track/ZZZZZ-ZZZZZ").status_code == 404
        limited = client.get(f"/track/{code}")  # even a good code, once limited
        assert limited.status_code == 429 and kind(limited.text) == "rate_limited"
        assert int(limited.headers["retry-after"]) > 0
        scene.clock.advance(timedelta(hours=1, seconds=1))
        assert client.get(f"/track/{code}").status_code == 200


def test_the_code_form_goes_to_the_page_of_the_code_as_typed(client: TestClient) -> None:
    code = reported(client)
    start = client.get("/track")
    assert start.status_code == 200 and 'name="code"' in start.text
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    answer = client.get("/track", params={"code": typed}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/track/{code}"


def test_an_english_tracking_page_is_english(client: TestClient, scene: Scene) -> None:
    code = reported(client, lat=f"{IN_B['lat']:.6f}", long=f"{IN_B['lon']:.6f}")
    html = client.get(f"/track/{code}", headers=EN).text
    assert "Your report was received. The bureau will decide whether to accept it." in html
    labels = re.findall(r"<(?:h1|h2|dt|label|legend|button)[^>]*>([^<]+)<", html)
    assert labels and not [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]


# --- catalogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_public_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "public").glob("*.html"), at_least=151)
