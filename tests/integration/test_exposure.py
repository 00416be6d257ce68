"""Big exposure end to end: an officer proposes a confirmed violation, a second officer
publishes it, it expires or is withdrawn; the public page and the Atom feed show only the
published, unexpired entries, never a reporter or an officer; four eyes and the waiting period
hold (also in the database); everything is audited and scoped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.exposure.models import ExposureEntry
from ecoradar.web.i18n import LOCALE_COOKIE
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.integration.exposure_support import Scene, build_scene, feed_entries
from tests.integration.problem_support import REPORTER_CONTACT, REPORTER_NAME, create_app_for

SHOWN = "甲公司排污口向河道排放黑色废水，超过排放标准"
WAITING = "乙公司未经审核的曝光稿件，仅在待审状态"
WITHDRAWN = "甲公司已撤回的曝光内容，不应公开显示"
EXPIRING = "甲公司一天后到期的曝光内容，到期后消失"
REJECTED = "乙公司被审核退回的曝光内容，不应公开"


@pytest.fixture
def scene(container: Container, tmp_path: Path) -> Scene:
    return build_scene(container, tmp_path)


def public_texts(client: TestClient) -> str:
    response = client.get("/public/exposure")
    assert response.status_code == 200
    return response.text


def test_only_published_unexpired_entries_are_on_the_page_and_in_the_feed(
    scene: Scene, clock: FakeClock
) -> None:
    people = scene.people
    shown = scene.published(scene.confirmed(1), SHOWN)
    waiting = scene.proposed(people.officer_a, scene.confirmed(2), WAITING)
    withdrawn = scene.published(scene.confirmed(1, category="air"), WITHDRAWN)
    assert scene.act(people.officer_a, withdrawn, "withdraw", "决定书被撤销").status_code == 303
    expiring = scene.published(scene.confirmed(2, category="noise"), EXPIRING, days=1)
    rejected = scene.proposed(people.officer_a, scene.confirmed(1, category="soil"), REJECTED)
    assert scene.act(people.officer_c, rejected, "reject", "证据不足以公开").status_code == 303
    anonymous = TestClient(create_app_for(scene.box))

    page = public_texts(anonymous)
    assert SHOWN in page and EXPIRING in page
    for hidden in (WAITING, WITHDRAWN, REJECTED):
        assert hidden not in page
    ids = {e["id"].rsplit("/", 1)[1] for e in feed_entries(anonymous)}
    assert ids == {str(shown), str(expiring)}

    clock.advance(timedelta(days=1, seconds=1))
    page = public_texts(anonymous)
    assert SHOWN in page and EXPIRING not in page
    assert [e["id"].rsplit("/", 1)[1] for e in feed_entries(anonymous)] == [str(shown)]
    assert anonymous.get(f"/public/exposure/{shown}").status_code == 200
    for gone in (waiting, withdrawn, expiring, rejected):
        assert anonymous.get(f"/public/exposure/{gone}").status_code == 404


def test_publication_needs_a_second_officer(scene: Scene) -> None:
    people = scene.people
    entry = scene.proposed(people.officer_a, scene.confirmed(1), SHOWN)
    refused = scene.act(people.officer_a, entry, "approve")
    assert refused.status_code == 403
    assert 'data-code="same_person"' in refused.text
    with scene.box.reading() as session:
        assert session.get(ExposureEntry, entry).state == "proposed"  # type: ignore[union-attr]
    # The database refuses it too.
    with pytest.raises(IntegrityError), scene.box.transaction() as session:
        session.execute(
            update(ExposureEntry)
            .where(ExposureEntry.id == entry)
            .values(approved_by_user_id=people.officer_a.user_id)
        )
    assert scene.act(people.officer_c, entry, "approve").status_code == 303
    assert SHOWN in public_texts(TestClient(create_app_for(scene.box)))


def test_a_waiting_period_without_four_eyes_lets_the_proposer_publish_later(
    scene: Scene, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECORADAR_EXPOSURE_FOUR_EYES", "false")
    monkeypatch.setenv("ECORADAR_EXPOSURE_REVIEW_WAIT_HOURS", "48")
    officer = scene.people.officer_a
    entry = scene.proposed(officer, scene.confirmed(1), SHOWN)
    early = scene.act(officer, entry, "approve")
    assert early.status_code == 409
    assert 'data-code="too_early"' in early.text
    clock.advance(timedelta(hours=48))
    scene.browsers.clear()  # the session of two days ago has timed out: log in again
    approved = scene.act(officer, entry, "approve")
    assert approved.headers["location"] == f"/exposure/{entry}?done=published"
    with scene.box.reading() as session:
        row = session.get(ExposureEntry, entry)
        assert row is not None and row.state == "published" and not row.four_eyes
        assert row.expires_at == clock.now() + timedelta(days=365)


def test_nothing_about_reporters_or_officers_is_in_the_public_output(scene: Scene) -> None:
    people = scene.people
    pid = scene.confirmed(1)
    for text, code in (
        (f"据{REPORTER_NAME}说该公司偷排废水", "names_person"),
        (f"举报人{REPORTER_NAME}反映该公司偷排废水", "personal_data"),
        ("该公司偷排废水，请联系 13987654321 了解", "personal_data"),
        (f"{people.worker_g1.username} 现场核实该公司偷排废水", "names_person"),
    ):
        refused = scene.propose(people.officer_a, pid, text)
        assert refused.status_code == 422
        assert f'data-code="{code}"' in refused.text
    entry = scene.published(pid, SHOWN)
    scene.driver().order(pid)
    anonymous = TestClient(create_app_for(scene.box))
    outputs = [
        public_texts(anonymous),
        anonymous.get(f"/public/exposure/{entry}").text,
        anonymous.get("/public/exposure/feed.atom").text,
    ]
    secrets = [
        REPORTER_NAME,
        REPORTER_CONTACT,
        "河里有黑水排出",  # the reporter's own words
        people.reporter.username,
        *(p.username for p in (people.officer_a, people.officer_c, people.worker_g1)),
        f"/problems/{pid}",
    ]
    for output in outputs:
        assert SHOWN in output
        for secret in secrets:
            assert secret not in output, secret


def test_the_rectification_and_the_decision_follow_the_problem(scene: Scene) -> None:
    pid = scene.confirmed(1)
    entry = scene.published(pid, SHOWN)
    anonymous = TestClient(create_app_for(scene.box))
    first = anonymous.get(f"/public/exposure/{entry}").text
    assert 'data-rectification="not_ordered"' in first
    assert 'data-decision="' not in first
    scene.driver().order(pid)
    body = {"kind": "fine", "fine_amount": "20000", "decision_ref": "嘉环罚〔2026〕18号"}
    outcome = scene.api.post(
        f"/api/problems/{pid}/outcome", json=body, headers=scene.people.officer_a.headers
    )
    assert outcome.status_code in (200, 201), outcome.text
    later = anonymous.get(f"/public/exposure/{entry}").text
    assert 'data-rectification="ordered"' in later
    assert 'data-decision="fine"' in later and "嘉环罚〔2026〕18号" in later
    assert "20,000.00" in later
    (item,) = feed_entries(anonymous)
    assert "嘉环罚〔2026〕18号" in item["summary"]


def test_every_change_is_audited(scene: Scene) -> None:
    people = scene.people
    entry = scene.published(scene.confirmed(1), SHOWN)
    assert scene.act(people.officer_a, entry, "withdraw", "决定被复议撤销").status_code == 303
    with scene.box.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.reason)
            .where(AuditEntry.entity_type == "exposure", AuditEntry.entity_id == str(entry))
            .order_by(AuditEntry.id)
        ).all()
    assert [r.action for r in rows] == ["exposure.propose", "exposure.publish", "exposure.withdraw"]
    assert people.officer_c.username in rows[1].actor
    assert rows[2].reason == "决定被复议撤销"


def test_officers_act_only_within_their_scope(scene: Scene) -> None:
    people = scene.people
    pid = scene.confirmed(1)
    client, _csrf = scene.browser(people.officer_b)
    assert client.get(f"/exposure/propose/{pid}").status_code == 404
    assert scene.propose(people.officer_b, pid, SHOWN).status_code == 404
    entry = scene.proposed(people.officer_a, pid, SHOWN)
    assert client.get(f"/exposure/{entry}").status_code == 404
    assert scene.act(people.officer_b, entry, "approve").status_code == 404
    assert f'data-entry="{entry}"' not in client.get("/exposure").text
    worker, _ = scene.browser(people.worker_g1)
    assert scene.propose(people.worker_g1, pid, WAITING).status_code == 403
    assert worker.get(f"/exposure/{entry}").status_code == 404


def test_only_confirmed_violations_of_an_enterprise_can_be_proposed(scene: Scene) -> None:
    from tests.integration.problem_support import public_report

    officer = scene.people.officer_a
    fresh = public_report(scene.box, reporter_user_id=None, enterprise=None)
    refused = scene.propose(officer, fresh, SHOWN)
    assert refused.status_code == 409 and 'data-code="no_enterprise"' in refused.text
    pid = scene.confirmed(1)
    scene.proposed(officer, pid, SHOWN)
    again = scene.propose(officer, pid, SHOWN)
    assert again.status_code == 409 and 'data-code="already"' in again.text


def test_the_public_page_filters_by_area_category_and_year(scene: Scene, clock: FakeClock) -> None:
    a_water = scene.published(scene.confirmed(1), SHOWN)
    b_air_text = "丙公司锅炉烟气超标排放，颗粒物浓度超标"
    b_air = scene.proposed(scene.people.officer_b, scene.confirmed(3, category="air"), b_air_text)
    assert scene.act(scene.people.officer_c, b_air, "approve").status_code == 303
    anonymous = TestClient(create_app_for(scene.box))

    def shown(**params: str) -> set[int]:
        page = anonymous.get("/public/exposure", params=params).text
        return {n for n in (a_water, b_air) if f'data-entry="{n}"' in page}

    assert shown() == {a_water, b_air}
    assert shown(region="A") == {a_water}
    assert shown(region="B") == {b_air}
    assert shown(category="air") == {b_air}
    year = str(clock.now().year)
    assert shown(year=year) == {a_water, b_air}
    assert shown(year=str(clock.now().year - 1)) == set()
    assert shown(region="NOWHERE") == set()


def test_the_public_page_reads_in_english_too(scene: Scene) -> None:
    entry = scene.published(scene.confirmed(1), SHOWN)
    anonymous = TestClient(create_app_for(scene.box))
    anonymous.cookies.set(LOCALE_COOKIE, "en")
    page = anonymous.get(f"/public/exposure/{entry}").text
    assert "Exposed violation" in page and "Violation confirmed; rectification not yet" in page
    anonymous.cookies.set(LOCALE_COOKIE, "zh_CN")
    assert "违法行为已核实，尚未责令整改" in anonymous.get(f"/public/exposure/{entry}").text


def test_the_problem_page_offers_the_proposal_to_officers_only(scene: Scene) -> None:
    pid = scene.confirmed(1)
    officer, _ = scene.browser(scene.people.officer_a)
    assert f'href="/exposure/propose/{pid}"' in officer.get(f"/problems/{pid}").text
    worker, _ = scene.browser(scene.people.worker_g1)
    assert "/exposure/propose/" not in worker.get(f"/problems/{pid}").text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_exposure_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "exposure").glob("*.*"), at_least=81)


def test_the_json_api_proposes_publishes_and_lists_publicly(scene: Scene) -> None:
    people = scene.people
    pid = scene.confirmed(1)
    body = {"problem_id": pid, "text": SHOWN, "expiry_days": 30}
    made = scene.api.post("/api/exposure", json=body, headers=people.officer_a.headers)
    assert made.status_code == 201, made.text
    entry = made.json()["id"]
    assert made.json()["state"] == "proposed" and made.json()["expiry_days"] == 30
    same = scene.api.post(f"/api/exposure/{entry}/approve", headers=people.officer_a.headers)
    assert same.status_code == 403
    other = scene.api.post(f"/api/exposure/{entry}/approve", headers=people.officer_c.headers)
    assert other.status_code == 200 and other.json()["state"] == "published"
    assert other.json()["expires_at"].endswith("+08:00")
    outside = scene.api.get(f"/api/exposure/{entry}", headers=people.officer_b.headers)
    assert outside.status_code == 404
    listed = scene.api.get("/api/public/exposure")
    assert listed.status_code == 200
    (item,) = listed.json()
    assert item["number"] == entry and item["text"] == SHOWN
    assert item["rectification"] == "not_ordered" and item["decision"] is None
    for secret in (REPORTER_NAME, REPORTER_CONTACT, people.officer_a.username, "problem_id"):
        assert secret not in listed.text
    assert scene.api.get("/api/public/exposure", params={"region": "B"}).json() == []
    gone = scene.api.post(
        f"/api/exposure/{entry}/withdraw",
        json={"reason": "复议撤销"},
        headers=people.officer_a.headers,
    )
    assert gone.status_code == 200 and scene.api.get("/api/public/exposure").json() == []


def test_the_feed_is_well_formed_xml_whatever_the_text_holds(scene: Scene) -> None:
    text = '废水化学需氧量 <50 mg/L & pH>9 的要求未达到，"超标" 排放 ]]> 仍在继续'
    scene.published(scene.confirmed(1), text)
    (item,) = feed_entries(TestClient(create_app_for(scene.box)))
    assert item["summary"].startswith(text)
    assert item["updated"].endswith("+08:00")
