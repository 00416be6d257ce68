"""Setting up self-inspection in the web app: control points added, edited, retired and
restored through the forms, schedules that the existing generator follows, checklists built
and attached; refusals name each field and change nothing; region scopes and roles hold."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import ecoradar
from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.selfcheck.models import ControlPoint, PointType, SelfcheckTask, TemplateVersion
from ecoradar.selfcheck.templates import current_version, items_of
from ecoradar.web.app import create_app
from tests.conftest import LogIn, MakeUser
from tests.factories import uscc
from tests.integration.rawcode_support import raw_codes, read_page
from tests.integration.selfcheck_support import generate, point_id, world

TODAY = date(2026, 11, 2)  # a Monday; the clock starts at 09:00 China time
E1 = uscc(1)


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    world(container, tmp_path)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box), follow_redirects=False)


def officer(client: TestClient, make_user: MakeUser, logged_in: LogIn, region: str = "A") -> str:
    return logged_in(client, make_user("officer", region=region)).csrf_token


def point_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "code": "CP09", "name": "雨水排口", "type": "rainwater_outlet",
        "longitude": "120.2503", "latitude": "30.5002", "crs": "wgs84",
        "schedule_kind": "daily", "weekday": "1", "monthday": "1", "cron": "",
    }  # fmt: skip
    form.update(fields)
    return form


def snapshot(box: Container) -> tuple[list[tuple[object, ...]], int, int, int]:
    """Every point's fields, and how many types, checklist versions and audit entries exist."""
    with box.reading() as session:
        points = session.execute(
            select(
                ControlPoint.id, ControlPoint.code, ControlPoint.name, ControlPoint.type_id,
                ControlPoint.longitude, ControlPoint.latitude, ControlPoint.schedule_kind,
                ControlPoint.schedule_expression, ControlPoint.working_days_only,
                ControlPoint.active,
            ).order_by(ControlPoint.id)
        )  # fmt: skip
        rows = [tuple(r) for r in points]
        types = session.scalar(select(func.count(PointType.id))) or 0
        versions = session.scalar(select(func.count(TemplateVersion.id))) or 0
        audits = session.scalar(select(func.count(AuditEntry.id))) or 0
    return rows, types, versions, audits


def stored_point(box: Container, serial: int, code: str) -> ControlPoint:
    with box.reading() as session:
        found = session.get(ControlPoint, point_id(box, serial, code))
        assert found is not None
        session.expunge(found)
        return found


def test_an_officer_adds_a_control_point_and_the_audit_log_names_them(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    login = make_user("officer", region="A")
    csrf = logged_in(client, login).csrf_token
    page = client.get(f"/selfcheck/setup/enterprises/{E1}")
    assert page.status_code == 200 and 'id="add-point-form"' in page.text
    done = client.post(f"/selfcheck/setup/enterprises/{E1}/points", data=point_form(csrf))
    assert done.status_code == 303
    created = stored_point(box, 1, "CP09")
    assert done.headers["location"] == f"/selfcheck/setup/points/{created.id}?done=created"
    assert (created.name, created.schedule_kind, created.active) == ("雨水排口", "daily", True)
    assert (created.longitude, created.latitude) == pytest.approx((120.2503, 30.5002))
    with box.reading() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "selfcheck_point.create")
        )
        assert entry is not None and entry.actor_user_id == login.user_id
        assert entry.after["code"] == "CP09" and entry.after["type"] == "rainwater_outlet"
    shown = client.get(done.headers["location"])
    assert shown.status_code == 200 and 'id="qr-link"' in shown.text


def test_a_gcj02_location_is_stored_as_wgs84_like_the_import(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    csrf = officer(client, make_user, logged_in)
    form = point_form(csrf, crs="gcj02")
    assert client.post(f"/selfcheck/setup/enterprises/{E1}/points", data=form).status_code == 303
    created = stored_point(box, 1, "CP09")
    assert created.source_crs == "gcj02"
    assert created.longitude != pytest.approx(120.2503, abs=1e-4)  # shifted back to WGS84


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"longitude": "190", "latitude": "north"}, ["longitude", "latitude"]),
        ({"code": "CP 01!", "name": ""}, ["code", "name"]),
        ({"code": "CP01"}, ["code"]),  # enterprise 1 has CP01 already
        ({"type": "volcano"}, ["type"]),
        ({"schedule_kind": "cron", "cron": "61 * * * *"}, ["cron"]),
        ({"schedule_kind": "weekly", "weekday": "8"}, ["schedule_kind"]),
        ({"crs": "utm"}, ["crs"]),
    ],
)
def test_a_refused_point_form_names_each_field_and_changes_nothing(
    box: Container,
    client: TestClient,
    make_user: MakeUser,
    logged_in: LogIn,
    fields: dict[str, str],
    named: list[str],
) -> None:
    csrf = officer(client, make_user, logged_in)
    before = snapshot(box)
    refused = client.post(
        f"/selfcheck/setup/enterprises/{E1}/points", data=point_form(csrf, **fields)
    )
    assert refused.status_code == 422
    listed = re.findall(r'<li data-field="([\w-]+)">', refused.text)
    assert listed == named
    for name in named:
        assert f'id="err-{name}"' in refused.text
    assert snapshot(box) == before


def test_editing_retiring_and_restoring_a_point(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn, clock: FakeClock
) -> None:
    csrf = officer(client, make_user, logged_in)
    pid = point_id(box, 1, "CP02")
    edit = {"csrf_token": csrf, "name": "总排口（改）", "type": "rainwater_outlet",
            "longitude": "120.26", "latitude": "30.51", "crs": "wgs84"}  # fmt: skip
    assert client.post(f"/selfcheck/setup/points/{pid}/edit", data=edit).status_code == 303
    edited = stored_point(box, 1, "CP02")
    assert (edited.name, edited.point_type.code) == ("总排口（改）", "rainwater_outlet")
    assert (edited.longitude, edited.latitude) == (120.26, 30.51)
    before = snapshot(box)
    bad = client.post(f"/selfcheck/setup/points/{pid}/edit", data={**edit, "latitude": "91"})
    assert bad.status_code == 422 and 'id="err-latitude"' in bad.text
    assert snapshot(box) == before

    retire = client.post(f"/selfcheck/setup/points/{pid}/retire", data={"csrf_token": csrf})
    assert retire.status_code == 303 and not stored_point(box, 1, "CP02").active
    generate(box, TODAY + timedelta(days=14))
    with box.reading() as session:
        tasks = session.scalar(select(func.count()).where(SelfcheckTask.point_id == pid))
    assert tasks == 0  # a retired point gets no task
    listing = client.get(f"/selfcheck/setup/enterprises/{E1}")
    assert 'class="sc-retired"' in listing.text

    clock.advance(timedelta(days=20))
    csrf = officer(client, make_user, logged_in)  # the first session has expired
    restore = client.post(f"/selfcheck/setup/points/{pid}/restore", data={"csrf_token": csrf})
    assert restore.status_code == 303 and stored_point(box, 1, "CP02").active
    generate(box, TODAY + timedelta(days=21))  # restored on Sunday the 22nd
    with box.reading() as session:
        days = list(session.scalars(select(SelfcheckTask.due_date).where(
            SelfcheckTask.point_id == pid)))  # fmt: skip
    assert days == [TODAY + timedelta(days=21)]  # not the 16th: no catch-up
    with box.reading() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "selfcheck_point")))  # fmt: skip
    assert actions == {"selfcheck_point.update", "selfcheck_point.retire",
                       "selfcheck_point.restore"}  # fmt: skip


def test_a_schedule_set_in_the_web_app_generates_tasks_through_the_generator(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    csrf = officer(client, make_user, logged_in)
    pid = point_id(box, 1, "CP01")
    weekly = {"csrf_token": csrf, "schedule_kind": "weekly", "weekday": "3", "monthday": "1",
              "cron": ""}  # fmt: skip
    assert client.post(f"/selfcheck/setup/points/{pid}/schedule", data=weekly).status_code == 303
    point = stored_point(box, 1, "CP01")
    assert (point.schedule_kind, point.schedule_expression) == ("weekly", "3")
    generate(box, TODAY + timedelta(days=13))
    with box.reading() as session:
        keys = list(session.execute(
            select(SelfcheckTask.due_date, SelfcheckTask.period_key)
            .where(SelfcheckTask.point_id == pid).order_by(SelfcheckTask.due_date)))  # fmt: skip
    assert [tuple(k) for k in keys] == [
        (date(2026, 11, 4), "2026-W45"), (date(2026, 11, 11), "2026-W46"),
    ]  # fmt: skip

    cron = {**weekly, "schedule_kind": "cron", "cron": "0  9 * * 6"}
    assert client.post(f"/selfcheck/setup/points/{pid}/schedule", data=cron).status_code == 303
    assert stored_point(box, 1, "CP01").schedule_expression == "0 9 * * 6"
    generate(box, TODAY + timedelta(days=20))
    with box.reading() as session:
        later = list(
            session.scalars(
                select(SelfcheckTask.due_date).where(
                    SelfcheckTask.point_id == pid, SelfcheckTask.due_date > date(2026, 11, 15)
                )
            )
        )
    assert later == [date(2026, 11, 21)]

    before = snapshot(box)
    bad = {**weekly, "schedule_kind": "monthly", "monthday": "32"}
    refused = client.post(f"/selfcheck/setup/points/{pid}/schedule", data=bad)
    assert refused.status_code == 422 and "is not a day of the month" in refused.text
    assert snapshot(box) == before


def checklist_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "rows": "4", "name": "污泥间检查", "name_en": "Sludge room",
        "category": "solid_waste",
        "item-1-position": "2", "item-1-label": "出泥含水率", "item-1-kind": "number",
        "item-1-min": "0", "item-1-max": "80", "item-1-unit": "%", "item-1-required": "on",
        "item-2-position": "1", "item-2-label": "台账已填写", "item-2-kind": "yes_no",
        "item-2-required": "on", "item-2-must_be_yes": "on", "item-2-photo": "on",
        "item-3-position": "3", "item-3-label": "", "item-3-kind": "yes_no",
        "item-4-position": "4", "item-4-label": "备注", "item-4-kind": "text",
    }  # fmt: skip
    form.update(fields)
    return form


def test_an_officer_builds_a_checklist_and_attaches_it_to_control_points(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    csrf = officer(client, make_user, logged_in)
    done = client.post("/selfcheck/setup/checklists/new", data=checklist_form(csrf))
    assert done.status_code == 303
    code = done.headers["location"].split("/")[-1].split("?")[0]
    with box.reading() as session:
        point_type = session.scalar(select(PointType).where(PointType.code == code))
        assert point_type is not None and not point_type.builtin
        assert point_type.category == "solid_waste"
        items = items_of(current_version(session=session, point_type_id=point_type.id))
    assert [(i.kind, i.label, i.required) for i in items] == [
        ("yes_no", "台账已填写", True), ("photo", "台账已填写 · 照片", True),
        ("number", "出泥含水率", True), ("text", "备注", False),
    ]  # fmt: skip
    assert items[0].must_be_yes and (items[2].min, items[2].max, items[2].unit) == (0, 80, "%")
    shown = client.get(f"/selfcheck/setup/checklists/{code}")
    assert shown.text.count('name="item-1-photo" checked') == 1  # the photo row folds back

    cp1, cp2 = point_id(box, 1, "CP01"), point_id(box, 1, "CP02")
    attach = client.post(f"/selfcheck/setup/enterprises/{E1}/attach",
                         data={"csrf_token": csrf, "type": code, "point": [str(cp1)]})  # fmt: skip
    assert attach.status_code == 303
    assert stored_point(box, 1, "CP01").point_type.code == code
    assert stored_point(box, 1, "CP02").point_type.code == "outfall"
    generate(box, TODAY)
    with box.reading() as session:
        task = session.scalar(select(SelfcheckTask).where(SelfcheckTask.point_id == cp1))
        assert task is not None and task.template_version.template.point_type_id == (point_type.id)
    other = point_id(box, 2, "CP01")
    before = snapshot(box)
    refused = client.post(
        f"/selfcheck/setup/enterprises/{E1}/attach",
        data={"csrf_token": csrf, "type": code, "point": [str(other)]},
    )
    assert refused.status_code == 422 and 'data-field="points"' in refused.text
    assert snapshot(box) == before
    del cp2


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"item-1-min": "90"}, ["item-1-min"]),  # min above max
        ({"item-1-max": "high"}, ["item-1-max"]),
        ({"item-2-label": "x" * 201}, ["item-2-label"]),
        ({"name": ""}, ["name"]),
        ({"category": "weather"}, ["category"]),
        ({"item-1-label": "", "item-2-label": "", "item-4-label": ""}, ["items"]),
    ],
)
def test_a_refused_checklist_names_the_row_and_field_and_changes_nothing(
    box: Container,
    client: TestClient,
    make_user: MakeUser,
    logged_in: LogIn,
    fields: dict[str, str],
    named: list[str],
) -> None:
    csrf = officer(client, make_user, logged_in)
    before = snapshot(box)
    refused = client.post("/selfcheck/setup/checklists/new", data=checklist_form(csrf, **fields))
    assert refused.status_code == 422
    assert re.findall(r'<li data-field="([\w-]+)">', refused.text) == named
    assert snapshot(box) == before


def test_officers_edit_their_own_checklists_and_only_admins_the_built_in_ones(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    csrf = officer(client, make_user, logged_in)
    made = client.post("/selfcheck/setup/checklists/new", data=checklist_form(csrf))
    code = made.headers["location"].split("/")[-1].split("?")[0]
    changed = checklist_form(csrf, **{"item-4-label": "备注（可选）"})
    again = client.post(f"/selfcheck/setup/checklists/{code}", data=changed)
    assert again.headers["location"].endswith("?done=version")
    same = client.post(f"/selfcheck/setup/checklists/{code}", data=changed)
    assert same.headers["location"].endswith("?done=unchanged")

    page = client.get("/selfcheck/setup/checklists/outfall")
    assert page.status_code == 200 and 'id="read-only"' in page.text
    assert f"selfcheck.css?v={ecoradar.__version__}" in page.text  # the app's version, intact
    before = snapshot(box)
    built_in = client.post("/selfcheck/setup/checklists/outfall", data=changed)
    assert built_in.status_code == 403 and snapshot(box) == before

    admin = TestClient(create_app(box), follow_redirects=False)
    admin_csrf = logged_in(admin, make_user("admin")).csrf_token
    page = admin.get("/selfcheck/setup/checklists/outfall")
    assert 'id="read-only"' not in page.text and 'id="checklist-submit"' in page.text
    issued = admin.post("/selfcheck/setup/checklists/outfall",
                        data=checklist_form(admin_csrf, name="排放口日常自查"))  # fmt: skip
    assert issued.headers["location"].endswith("?done=version")


def test_an_officer_of_another_region_finds_nothing_and_changes_nothing(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    csrf = officer(client, make_user, logged_in, region="B")
    pid = point_id(box, 1, "CP01")
    home = client.get("/selfcheck/setup")
    assert home.status_code == 200 and E1 not in home.text and uscc(3) in home.text
    assert client.get(f"/selfcheck/setup/enterprises/{E1}").status_code == 404
    assert client.get(f"/selfcheck/setup/points/{pid}").status_code == 404
    assert client.get(f"/selfcheck/setup/points/{pid}/qr").status_code == 404
    before = snapshot(box)
    posts = [
        (f"/selfcheck/setup/enterprises/{E1}/points", point_form(csrf)),
        (f"/selfcheck/setup/enterprises/{E1}/attach", {"csrf_token": csrf, "type": "outfall",
                                                       "point": str(pid)}),
        (f"/selfcheck/setup/points/{pid}/edit", point_form(csrf)),
        (f"/selfcheck/setup/points/{pid}/schedule", point_form(csrf)),
        (f"/selfcheck/setup/points/{pid}/retire", {"csrf_token": csrf}),
    ]  # fmt: skip
    for address, data in posts:
        assert client.post(address, data=data).status_code == 404, address
    assert snapshot(box) == before


def test_enterprise_users_and_grid_workers_cannot_configure(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    pid = point_id(box, 1, "CP01")
    logins = (make_user("enterprise", enterprise=E1), make_user("grid_worker", region="G1"))
    before = snapshot(box)
    for login in logins:
        csrf = logged_in(client, login).csrf_token
        for address in (
            "/selfcheck/setup",
            f"/selfcheck/setup/enterprises/{E1}",
            f"/selfcheck/setup/points/{pid}",
            "/selfcheck/setup/checklists",
        ):
            assert client.get(address).status_code == 403, address
        posted = client.post(f"/selfcheck/setup/points/{pid}/retire", data={"csrf_token": csrf})
        assert posted.status_code == 403
        assert 'id="setup-link"' not in client.get("/selfcheck/stats").text
    assert snapshot(box) == before


def test_a_points_printable_qr_code(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    officer(client, make_user, logged_in)
    pid = point_id(box, 1, "CP01")
    page = client.get(f"/selfcheck/setup/points/{pid}/qr")
    assert page.status_code == 200 and page.text.count("<svg") == 1
    assert f"http://testserver/selfcheck/points/{pid}/current" in page.text
    assert f'href="/api/selfcheck/points/{pid}/qr.svg"' in page.text
    svg = client.get(f"/api/selfcheck/points/{pid}/qr.svg")
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<svg")


def test_every_link_of_the_enterprise_portal_works(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    """The QR button led to a 404 for an enterprise without control points."""
    generate(box, TODAY)
    for serial, has_points in ((1, True), (3, False)):
        logged_in(client, make_user("enterprise", enterprise=uscc(serial)))
        portal = client.get("/selfcheck")
        assert portal.status_code == 200
        assert ('id="qr-link"' in portal.text) is has_points
        links = set(re.findall(r'href="(/[^"#]*)"', portal.text)) - {"/logout"}
        assert "/selfcheck/qr" in links or not has_points
        for link in sorted(links):
            if link.startswith("/static/"):
                continue
            answer = client.get(link.replace("&amp;", "&"))
            assert answer.status_code < 400, (serial, link, answer.status_code)
        sheet = client.get("/selfcheck/qr")
        assert sheet.status_code == 200
        assert ('id="no-points"' in sheet.text) is not has_points


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_setup_pages_show_no_raw_code(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn, locale: str
) -> None:
    login = make_user("officer", region="A")
    csrf = logged_in(client, login).csrf_token
    made = client.post("/selfcheck/setup/checklists/new", data=checklist_form(csrf))
    code = made.headers["location"].split("/")[-1].split("?")[0]
    client.cookies.set("ecoradar_locale", locale)
    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9" if locale == "zh_CN" else "en"
    pid = point_id(box, 1, "CP02")
    pages = [
        "/selfcheck/setup", f"/selfcheck/setup/enterprises/{E1}", f"/selfcheck/setup/points/{pid}",
        f"/selfcheck/setup/points/{pid}/qr", "/selfcheck/setup/checklists",
        "/selfcheck/setup/checklists/new", "/selfcheck/setup/checklists/wastewater_treatment",
        f"/selfcheck/setup/checklists/{code}",
    ]  # fmt: skip
    for address in pages:
        page = client.get(address)
        assert page.status_code == 200, address
        texts, _ = read_page(page.text)
        found = raw_codes(texts, chinese=locale == "zh_CN", names=frozenset({login.username}))
        assert found == [], (address, found)
