"""Open311 GeoReport v2 at /open311/v2/, JSON: every resource, its errors as the specification
shapes them, the round trip from POST to a closed request, privacy, filters, photos, the key
commands, and a generic client walking the endpoint from its discovery file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.auth import tokens
from ecoradar.bootstrap import bootstrap
from ecoradar.cli import app
from ecoradar.clues import catalog, open311_submit
from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.clues.models import Clue, IntakeAttempt
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Finding
from tests.integration.open311_support import (
    IN_G1,
    ODOUR,
    OUTSIDE,
    REPORTER,
    W3,
    City,
    city,
    load_regions,
    make_key,
    make_staff,
)
from tests.integration.problem_support import Driver, create_app_for, jpeg

__all__ = ["city"]  # the fixture

SPEC_FIELDS = {
    "service_request_id": str,
    "status": str,
    "status_notes": (str, type(None)),
    "service_name": str,
    "service_code": str,
    "description": (str, type(None)),
    "agency_responsible": (str, type(None)),
    "service_notice": (str, type(None)),
    "requested_datetime": str,
    "updated_datetime": str,
    "expected_datetime": (str, type(None)),
    "address": (str, type(None)),
    "address_id": (str, type(None)),
    "zipcode": (str, type(None)),
    "lat": float,
    "long": float,
    "media_url": (str, type(None)),
}
"""The fields of a request and their JSON types."""


def check_request(body: dict[str, Any]) -> None:
    """A request as the specification shapes it: every field, of its type, dates in W3C form."""
    for name, kind in SPEC_FIELDS.items():
        assert name in body, name
        assert isinstance(body[name], kind), (name, body[name])
    assert body["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert body[name] is None or W3.fullmatch(body[name]), (name, body[name])


def errors_of(response: httpx.Response, status: int) -> list[str]:
    """The descriptions of a JSON error answer with ``status`` (checking its shape)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, list) and body
    for item in body:
        assert set(item) == {"code", "description"}
        assert item["code"] == status
    return [item["description"] for item in body]


# --- discovery and services -------------------------------------------------------------------


def test_discovery_names_the_georeport_v2_endpoint_and_both_formats(city: City) -> None:
    response = city.client.get("/open311/discovery.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    for field in ("changeset", "contact", "key_service", "endpoints"):
        assert body[field], field
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "test"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_the_services_are_the_catalogue_in_chinese_unless_english_is_asked_for(city: City) -> None:
    response = city.client.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    assert [s["service_code"] for s in services] == list(catalog.service_codes())
    for service in services:
        assert set(service) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert service["type"] == "realtime"
        assert isinstance(service["metadata"], bool)
    odour = next(s for s in services if s["service_code"] == "odour")
    assert odour["service_name"] == "异味" and odour["metadata"] is True
    assert odour["group"] == "大气"
    english = city.client.get("/open311/v2/services.json", headers={"Accept-Language": "en"})
    assert next(s for s in english.json() if s["service_code"] == "odour")["service_name"] == (
        "Odour"
    )


def test_a_service_definition_gives_each_attribute_with_its_datatype_and_values(
    city: City,
) -> None:
    body = city.client.get("/open311/v2/services/water.json").json()
    assert body["service_code"] == "water"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["colour", "dead_fish", "floating_matter", "happening_now"]
    orders = [a["order"] for a in body["attributes"]]
    assert orders == sorted(orders)
    floating = body["attributes"][2]
    assert floating["datatype"] == "multivaluelist"
    assert floating["variable"] is True and floating["required"] is False
    assert {"key": "oil", "name": "油污"} in floating["values"]
    intensity = city.client.get("/open311/v2/services/odour.json").json()["attributes"][0]
    assert intensity["code"] == "intensity" and intensity["required"] is True


def test_an_unknown_service_code_is_not_found(city: City) -> None:
    (description,) = errors_of(city.client.get("/open311/v2/services/potholes.json"), 404)
    assert "potholes" in description


def test_an_empty_or_matching_jurisdiction_is_served_and_another_is_not_found(
    city: City,
) -> None:
    for value in ("", "ecoradar"):
        url = f"/open311/v2/services.json?jurisdiction_id={value}"
        assert city.client.get(url).status_code == 200, value
    for url in (
        "/open311/v2/services.json",
        "/open311/v2/services/odour.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests/1.json",
        "/open311/v2/tokens/ABC.json",
    ):
        (description,) = errors_of(city.client.get(url + "?jurisdiction_id=sfgov.org"), 404)
        assert "jurisdiction_id" in description and "sfgov.org" in description
    posted = city.post(**ODOUR, jurisdiction_id="sfgov.org")
    assert "jurisdiction_id" in errors_of(posted, 404)[0]
    assert city.counts() == (0, 0)


def test_the_configured_jurisdiction_is_the_one_served(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    configured = settings.model_copy(update={"open311_jurisdiction_id": "jiaxing.gov.cn"})
    box = bootstrap(configured, clock=clock)
    try:
        load_regions(box, tmp_path)
        served = City(box, TestClient(create_app_for(box)), make_key(box))
        url = "/open311/v2/services.json?jurisdiction_id="
        assert served.client.get(url + "jiaxing.gov.cn").status_code == 200
        (description,) = errors_of(served.client.get(url + "ecoradar"), 404)
        assert "serves 'jiaxing.gov.cn'" in description
        assert served.post(**ODOUR, jurisdiction_id="jiaxing.gov.cn").status_code == 200
        assert served.post(**ODOUR, jurisdiction_id="ecoradar").status_code == 404
    finally:
        box.close()


# --- POST requests ----------------------------------------------------------------------------


def test_a_request_is_created_as_an_open311_clue_and_answers_its_id(city: City) -> None:
    response = city.post(
        **ODOUR,
        **REPORTER,
        description="工厂夜间排放刺鼻气味",
        media_url="https://photos.example.org/p/1.jpg",
        address_string="南湖区某路1号",
        **{"attribute[smell_type]": "chemical"},
    )
    assert response.status_code == 200
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["service_request_id"].isdigit()
    assert created["account_id"] == REPORTER["account_id"]
    assert "15日" in created["service_notice"]
    with city.box.transaction() as session:
        clue = session.get(Clue, int(created["service_request_id"]))
        assert clue is not None
        assert clue.channel == "open311" and clue.service_code == "odour"
        assert clue.attributes == {"intensity": "4", "smell_type": "chemical"}
        assert clue.address_string == "南湖区某路1号"
        assert clue.anonymous is False
        finding = session.get(Finding, clue.finding_id)
        assert finding is not None
        assert finding.reporter_name == "举报 欧阳"
        assert finding.reporter_contact is not None
        assert REPORTER["email"] in finding.reporter_contact
        assert REPORTER["phone"] in finding.reporter_contact
        assert finding.data["media_url"] == "https://photos.example.org/p/1.jpg"
        assert REPORTER["email"] not in str(finding.data)
        assert REPORTER["account_id"] not in str(finding.data)


def test_a_request_without_description_or_identity_is_an_anonymous_clue(city: City) -> None:
    request_id = city.create()
    with city.box.transaction() as session:
        clue = session.get(Clue, request_id)
        assert clue is not None and clue.anonymous is True
        finding = session.get(Finding, clue.finding_id)
        assert finding is not None
        assert finding.reporter_name is None and finding.reporter_contact is None
        assert finding.description.startswith("异味")
        assert "4 强烈" in finding.description


def test_multivaluelist_answers_are_sent_with_brackets(city: City) -> None:
    response = city.client.post(
        "/open311/v2/requests.json",
        content=(
            f"api_key={city.key}&service_code=water&lat={IN_G1['lat']}&long={IN_G1['long']}"
            "&attribute[floating_matter][]=foam&attribute[floating_matter][]=oil"
            "&attribute[colour]=black&description=%E9%BB%91%E6%B0%B4"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    with city.box.transaction() as session:
        clue = session.get(Clue, int(response.json()[0]["service_request_id"]))
        assert clue is not None
        assert clue.attributes == {"colour": "black", "floating_matter": ["oil", "foam"]}


def test_a_missing_or_wrong_api_key_is_forbidden(city: City) -> None:
    revoked = make_key(city.box, "revoked-app")
    with city.box.transaction() as session:
        tokens.revoke_token(
            session=session,
            token=tokens.token_by_ref(session=session, ref="revoked-app"),
            now=city.box.clock.now(),
        )
    for key, needle in (
        ("", "missing"),
        ("not-a-key", "invalid"),
        (revoked, "invalid"),
        (make_key(city.box, "dept-water", "departments"), "not an Open311 API key"),
    ):
        (description,) = errors_of(city.post(key=key, **ODOUR), 403)
        assert description.startswith("api_key: ") and needle in description, key
    assert city.counts() == (0, 0)


REFUSALS = [
    ({"lat": IN_G1["lat"], "long": IN_G1["long"]}, 400, "service_code: required"),
    ({**ODOUR, "service_code": "potholes"}, 404, "service_code: 'potholes'"),
    ({k: v for k, v in ODOUR.items() if k != "attribute[intensity]"}, 400, "intensity"),
    ({**ODOUR, "attribute[intensity]": "9"}, 400, "attribute[intensity]: '9'"),
    ({**ODOUR, "attribute[colour]": "black"}, 400, "attribute[colour]"),
    ({**ODOUR, "attribute[]": "black"}, 400, "attribute[]"),
    ({**ODOUR, "lat": "north"}, 400, "lat: 'north'"),
    ({**ODOUR, "long": "190"}, 400, "long: '190'"),
    ({**ODOUR, "long": ""}, 400, "long: "),
    (
        {"service_code": "odour", "attribute[intensity]": "4", "address_string": "某路1号"},
        400,
        "no geocoder",
    ),
    ({**ODOUR, "description": "臭" * 4001}, 400, "description: 4,001 characters"),
    ({**ODOUR, **OUTSIDE}, 400, "outside this bureau's jurisdiction"),
    ({**ODOUR, "media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({**ODOUR, "email": "x" * 300}, 400, "email: longer than"),
    ({**ODOUR, "extensions": "maybe"}, 400, "extensions"),
    ({**ODOUR, "jurisdiction_id": "elsewhere"}, 404, "jurisdiction_id: 'elsewhere'"),
]


def test_a_refused_request_says_why_and_leaves_nothing_behind(city: City) -> None:
    for fields, status, needle in REFUSALS:
        (description,) = errors_of(city.post(**fields), status)
        assert needle in description, (needle, description)
    assert city.counts() == (0, 0)
    with city.box.transaction() as session:
        refused = list(session.scalars(select(IntakeAttempt.accepted)))
    assert refused == [False] * len(REFUSALS)  # every refusal counts against the key


def test_too_many_requests_from_one_key_are_refused_with_retry_after(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    box = bootstrap(settings.model_copy(update={"clue_rate_limit_per_hour": 2}), clock=clock)
    try:
        load_regions(box, tmp_path)
        limited = City(box, TestClient(create_app_for(box)), make_key(box))
        assert limited.post(**{**ODOUR, "lat": "north"}).status_code == 400  # refusals count
        assert limited.post(**ODOUR).status_code == 200
        response = limited.post(**ODOUR)
        (description,) = errors_of(response, 429)
        assert "too many" in description
        assert int(response.headers["Retry-After"]) > 0
        assert limited.post(key=make_key(box, "other-app"), **ODOUR).status_code == 200
        with box.transaction() as session:
            clients = set(session.scalars(select(IntakeAttempt.client)))
        assert len(clients) == 2 and all(c.startswith("token:") for c in clients)
        assert limited.counts() == (2, 2)
        clock.advance(timedelta(hours=1, seconds=1))
        assert limited.post(**ODOUR).status_code == 200
    finally:
        box.close()


def test_a_flood_of_invalid_requests_is_refused_by_the_rate_limit_before_the_form_is_read(
    settings: Settings, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = bootstrap(settings.model_copy(update={"clue_rate_limit_per_hour": 3}), clock=clock)
    read: list[str] = []
    clue_of = open311_submit.clue_of
    monkeypatch.setattr(
        open311_submit, "clue_of", lambda *args: read.append("form") or clue_of(*args)
    )
    try:
        load_regions(box, tmp_path)
        flood = City(box, TestClient(create_app_for(box)), make_key(box))
        wrong = [{**ODOUR, "lat": "north"}, {**ODOUR, "jurisdiction_id": "x"}, {"lat": "1"}]
        for fields in wrong:
            assert flood.post(**fields).status_code in (400, 404)
        assert len(read) == 1, "only the first wrong form got as far as its place"
        for fields in [*wrong, {**ODOUR, "extensions": "maybe"}, ODOUR]:
            response = flood.post(**fields)
            assert response.status_code == 429 and "too many" in errors_of(response, 429)[0]
        assert len(read) == 1, "a refused client's forms are not read"
        with box.reading() as session:
            assert list(session.scalars(select(IntakeAttempt.accepted))) == [False] * 3
    finally:
        box.close()


def test_guessing_tokens_is_rate_limited_per_address(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    limits = {"clue_tracking_rate_limit_per_hour": 2}
    box = bootstrap(settings.model_copy(update=limits), clock=clock)
    try:
        load_regions(box, tmp_path)
        guesser = City(box, TestClient(create_app_for(box)), make_key(box))
        for guess in ("AAAAAAAAAA", "BBBBBBBBBB"):
            assert guesser.client.get(f"/open311/v2/tokens/{guess}.json").status_code == 404
        response = guesser.client.get("/open311/v2/tokens/CCCCCCCCCC.json")
        assert "too many" in errors_of(response, 429)[0]
        assert int(response.headers["Retry-After"]) > 0
    finally:
        box.close()


def test_a_key_limited_to_a_region_reports_only_inside_it(city: City) -> None:
    key_b = make_key(city.box, "county-b-app", region="B")
    (description,) = errors_of(city.post(key=key_b, **ODOUR), 400)
    assert "outside the region this API key" in description
    assert city.post(key=make_key(city.box, "county-a-app", region="A"), **ODOUR).is_success


def test_photos_can_be_posted_as_multipart_media_and_stay_internal(city: City) -> None:
    response = city.client.post(
        "/open311/v2/requests.json",
        data={"api_key": city.key, **ODOUR},
        files=[("media", ("smoke.jpg", jpeg(3), "image/jpeg"))],
    )
    assert response.status_code == 200, response.text
    request_id = int(response.json()[0]["service_request_id"])
    with city.box.transaction() as session:
        clue = session.get(Clue, request_id)
        assert clue is not None and len(clue.media_ids) == 1
    detail = city.client.get(f"/open311/v2/requests/{request_id}.json?extensions=true").json()[0]
    assert detail["media_url"] is None
    assert detail["extended_attributes"]["photos"] == []
    other = city.client.post(
        "/open311/v2/requests.json",
        data={"api_key": city.key, **ODOUR},
        files=[("upload", ("smoke.jpg", jpeg(4), "image/jpeg"))],
    )
    assert "upload" in errors_of(other, 400)[0]


def test_the_key_may_come_as_a_query_parameter_and_extensions_show_the_tracking_code(
    city: City,
) -> None:
    response = city.client.post(
        f"/open311/v2/requests.json?api_key={city.key}&extensions=true", data=ODOUR
    )
    assert response.status_code == 200, response.text
    (created,) = response.json()
    extended = created["extended_attributes"]
    assert extended["channel"] == "open311" and extended["duplicate"] is False
    assert len(extended["tracking_code"]) == 10 and extended["secret"]
    token = city.client.get(f"/open311/v2/tokens/{extended['tracking_code']}.json").json()
    assert token == [
        {"service_request_id": created["service_request_id"], "token": extended["tracking_code"]}
    ]
    assert "token" in errors_of(city.client.get("/open311/v2/tokens/NOSUCHCODE.json"), 404)[0]


# --- GET requests -----------------------------------------------------------------------------


def test_a_request_reads_back_with_every_field_and_closes_with_its_problem(city: City) -> None:
    staff = make_staff(city.box)
    request_id = city.create(description="河边有刺鼻气味", address_string="南湖区某路1号")
    url = f"/open311/v2/requests/{request_id}.json"
    (body,) = city.client.get(url).json()
    check_request(body)
    assert body["service_request_id"] == str(request_id)
    assert body["status"] == "open" and body["status_notes"] == "待受理"
    assert body["service_code"] == "odour" and body["service_name"] == "异味"
    assert body["description"] == "河边有刺鼻气味"
    assert body["requested_datetime"] == "2026-11-02T09:00:00+08:00"
    assert body["address"] == "南湖区某路1号, 区域G1, 区域A1, 区域A, 区域C"
    assert body["address_id"] == "G1"
    assert body["agency_responsible"] == "区域A生态环境部门"
    assert (body["lat"], body["long"]) == (float(IN_G1["lat"]), float(IN_G1["long"]))
    clock = city.box.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(days=1))
    drive = Driver(city.client, city.box, staff.officer.headers, staff.worker.headers)
    drive.to_closed(city.problem_of(request_id), staff.worker.user_id, jpeg(5))
    (closed,) = city.client.get(url).json()
    check_request(closed)
    assert closed["status"] == "closed" and closed["status_notes"] == "已办结"
    assert closed["updated_datetime"] == "2026-11-03T09:00:00+08:00"
    assert closed["expected_datetime"] is not None
    english = city.client.get(url, headers={"Accept-Language": "en"}).json()[0]
    assert english["status_notes"] == "Closed" and english["service_name"] == "Odour"


def test_a_rejected_request_is_closed_with_the_public_reason(city: City) -> None:
    staff = make_staff(city.box)
    request_id = city.create()
    drive = Driver(city.client, city.box, staff.officer.headers)
    drive.act(city.problem_of(request_id), "reject", reason="不属于生态环境部门职责")
    (body,) = city.client.get(f"/open311/v2/requests/{request_id}.json").json()
    assert body["status"] == "closed"
    assert body["status_notes"] == "不予受理: 不属于生态环境部门职责"


def test_a_second_report_of_the_same_problem_follows_it_and_is_told_so(city: City) -> None:
    staff = make_staff(city.box)
    words = {"description": "化工厂夜间排放刺鼻的臭鸡蛋气味"}
    first = city.create(**words)
    clock = city.box.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=2))
    response = city.post(**ODOUR, **words, extensions="true")
    (created,) = response.json()
    assert created["extended_attributes"]["duplicate"] is True
    assert "已并入" in created["service_notice"]
    second = int(created["service_request_id"])
    assert city.problem_of(second) == city.problem_of(first)
    Driver(city.client, city.box, staff.officer.headers).act(
        city.problem_of(first), "reject", reason="经核实为正常生产气味"
    )
    listed = city.client.get(f"/open311/v2/requests.json?service_request_id={first},{second}")
    by_id = {int(r["service_request_id"]): r for r in listed.json()}
    assert {r["status"] for r in by_id.values()} == {"closed"}
    assert "已并入" in by_id[second]["service_notice"]
    assert "已并入" not in by_id[first]["service_notice"]


def test_extensions_show_the_channel_public_photos_and_the_public_timeline_only(
    city: City,
) -> None:
    staff = make_staff(city.box)
    request_id = city.create()
    problem = city.problem_of(request_id)
    drive = Driver(city.client, city.box, staff.officer.headers, staff.worker.headers)
    drive.act(problem, "accept", note="已受理，将尽快核查", internal_note="内部：疑似化工厂夜排")
    public = drive.upload(problem, jpeg(6), public=True)
    internal = drive.upload(problem, jpeg(7), public=False)
    (plain,) = city.client.get(f"/open311/v2/requests/{request_id}.json").json()
    assert "extended_attributes" not in plain and "notes" not in plain
    photo_url = f"http://testserver/open311/v2/requests/{request_id}/photos/{public}.jpg"
    assert plain["media_url"] == photo_url
    (body,) = city.client.get(f"/open311/v2/requests/{request_id}.json?extensions=true").json()
    extended = body["extended_attributes"]
    assert extended["channel"] == "open311"
    assert [p["media_url"] for p in extended["photos"]] == [photo_url]
    assert all(W3.fullmatch(p["created_at"]) for p in extended["photos"])
    notes = extended["notes"]
    assert body["notes"] == notes
    assert [n["type"] for n in notes] == ["opened", "accept", "note"]
    assert notes[1]["description"] == "受理"
    assert notes[2]["description"] == "已受理，将尽快核查"
    assert all(W3.fullmatch(n["datetime"]) for n in notes)
    assert "内部" not in str(body) and "officer-a" not in str(body)
    image = city.client.get(photo_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    hidden = city.client.get(f"/open311/v2/requests/{request_id}/photos/{internal}.jpg")
    assert hidden.status_code == 404


def test_no_get_answer_holds_the_reporters_identity(city: City) -> None:
    request_id = city.create(
        **REPORTER, description=f"臭味很重，请联系我 {REPORTER['phone']} {REPORTER['email']}"
    )
    answers = []
    for fmt in ("json", "xml"):
        for url in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests.{fmt}?extensions=true",
            f"/open311/v2/requests/{request_id}.{fmt}?extensions=true",
            f"/open311/v2/requests.{fmt}?service_request_id={request_id}&extensions=true",
        ):
            response = city.client.get(url)
            assert response.status_code == 200, url
            answers.append(response.text)
    assert all("臭味很重" in text for text in answers)
    for text in answers:
        for value in REPORTER.values():
            assert value not in text, value


def test_requests_are_filtered_by_id_service_status_and_dates(city: City) -> None:
    staff = make_staff(city.box)
    clock = city.box.clock
    assert isinstance(clock, FakeClock)
    old = city.create()
    clock.advance(timedelta(days=100))
    water = city.create({"service_code": "water", **IN_G1})
    rejected = city.create()
    Driver(city.client, city.box, staff.officer.headers).act(
        city.problem_of(rejected), "reject", reason="重复"
    )

    def ids(query: str = "") -> list[int]:
        response = city.client.get(f"/open311/v2/requests.json{query}")
        assert response.status_code == 200, response.text
        return [int(r["service_request_id"]) for r in response.json()]

    assert ids() == [rejected, water]  # newest first, the last 90 days
    assert ids("?status=open") == [water]
    assert ids("?status=closed") == [rejected]
    assert ids("?status=open,closed&service_code=odour") == [rejected]
    assert ids("?status=open&status=closed&service_code=odour") == [rejected]
    assert ids("?service_code=water&service_code=odour") == [rejected, water]
    assert ids(f"?service_request_id={old},{water}&status=closed") == [water, old]
    assert ids("?start_date=2026-11-01&end_date=2026-11-30") == [old]
    assert ids("?end_date=2026-11-03T00:00:00Z") == [old]
    assert ids("?start_date=2027-02-01T00:00:00%2B08:00") == [rejected, water]
    assert ids("?page_size=1") == [rejected]
    assert ids("?page_size=1&page=2") == [water]
    assert ids("?page_size=1&page=3") == []
    for query, needle in (
        ("?service_code=potholes", "service_code: 'potholes'"),
        ("?status=pending", "status"),
        ("?start_date=yesterday", "start_date"),
        ("?start_date=2026-01-01&end_date=2026-06-01", "90 days"),
        ("?service_request_id=abc", "service_request_id"),
        ("?page_size=5000", "page_size"),
        ("?extensions=maybe", "extensions"),
    ):
        (description,) = errors_of(city.client.get(f"/open311/v2/requests.json{query}"), 400)
        assert needle in description, query


def test_clues_of_other_channels_are_not_service_requests(city: City) -> None:
    with city.box.transaction() as session:
        receipt = submit_clue(
            session=session,
            settings=city.box.settings,
            index=city.box.regions.get(session),
            item=ClueIn(
                channel="hotline",
                category="water",
                lat=float(IN_G1["lat"]),
                lon=float(IN_G1["long"]),
                description="热线：某厂偷排",
                anonymous=False,
                reporter_name="来电人",
            ),
            now=city.box.clock.now(),
            actor="user:1:officer",
        )
    assert city.client.get("/open311/v2/requests.json").json() == []
    missing = city.client.get(f"/open311/v2/requests/{receipt.clue_id}.json")
    assert str(receipt.clue_id) in errors_of(missing, 404)[0]


def test_unknown_resources_and_methods_get_an_error_list(city: City) -> None:
    assert "no such resource" in errors_of(city.client.get("/open311/v2/nothing.json"), 404)[0]
    response = city.client.delete("/open311/v2/requests.json")
    assert "DELETE" in errors_of(response, 405)[0]
    assert response.headers["Allow"] == "GET, POST"
    assert city.client.put("/open311/v2/services.json").headers["Allow"] == "GET"
    bad_format = city.client.get("/open311/v2/services.html")
    assert bad_format.status_code == 400
    assert bad_format.headers["content-type"] == "text/xml; charset=utf-8"


# --- the key commands -------------------------------------------------------------------------

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_key_made_on_the_command_line_works_until_it_is_revoked(
    city: City, cli_env: dict[str, str]
) -> None:
    code, out, err = ecoradar("open311", "keys", "create", "--name", "fixmystreet")
    assert code == 0, err
    key = out.strip()
    assert out == key + "\n" and len(key) >= 32
    assert "fixmystreet" in err
    assert city.post(key=key, **ODOUR).status_code == 200
    code, listed, _ = ecoradar("open311", "keys", "list")
    assert code == 0 and "fixmystreet" in listed and key not in listed
    assert "city-app" in listed
    code, out, _ = ecoradar("open311", "keys", "revoke", "fixmystreet")
    assert code == 0 and "revoked" in out
    assert "invalid" in errors_of(city.post(key=key, **ODOUR), 403)[0]
    make_key(city.box, "drone-east", "drones")
    code, _, err = ecoradar("open311", "keys", "revoke", "drone-east")
    assert code == 1 and "not an Open311 key" in err
    code, _, err = ecoradar("open311", "keys", "create", "--name", "city-app")
    assert code == 1 and "exists" in err


# --- a generic client -------------------------------------------------------------------------


class GenericClient:
    """What an Open311 client library does knowing only a discovery URL and an API key: find
    the GeoReport v2 endpoint that speaks JSON, list the services, read a definition, answer
    its required attributes with their first value, post form-encoded, read the request."""

    def __init__(self, http: httpx.Client, discovery: str, api_key: str) -> None:
        self.http = http
        self.api_key = api_key
        found = http.get(discovery)
        found.raise_for_status()
        endpoints = [
            e
            for e in found.json()["endpoints"]
            if e["specification"] == "http://wiki.open311.org/GeoReport_v2"
            and "application/json" in e["formats"]
        ]
        self.base = endpoints[0]["url"].rstrip("/")

    def get(self, path: str, **query: str) -> Any:
        response = self.http.get(f"{self.base}/{path}.json", params=query)
        response.raise_for_status()
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    def answers(self, service_code: str) -> dict[str, str]:
        definition = self.get(f"services/{service_code}")
        return {
            f"attribute[{a['code']}]": a["values"][0]["key"]
            for a in definition["attributes"]
            if a["required"] and a["variable"]
        }

    def submit(self, service_code: str, **fields: str) -> str:
        body = {
            "api_key": self.api_key,
            "jurisdiction_id": "",
            "service_code": service_code,
            **self.answers(service_code),
            **fields,
        }
        response = self.http.post(f"{self.base}/requests.json", data=body)
        response.raise_for_status()
        created = response.json()[0]
        assert "token" not in created
        return str(created["service_request_id"])


def test_a_generic_client_walks_from_discovery_to_its_request(city: City) -> None:
    client = GenericClient(city.client, "/open311/discovery.json", city.key)
    services = client.get("services")
    with_definition = [s for s in services if s["metadata"]]
    assert with_definition
    request_ids = []
    for service in with_definition:
        request_ids.append(
            client.submit(service["service_code"], description="generic client", **IN_G1)
        )
    listed = client.get("requests", service_request_id=",".join(request_ids))
    assert sorted(r["service_request_id"] for r in listed) == sorted(request_ids)
    for request_id, service in zip(request_ids, with_definition, strict=True):
        (request,) = client.get(f"requests/{request_id}")
        check_request(request)
        assert request["service_code"] == service["service_code"]
        assert request["status"] == "open"
