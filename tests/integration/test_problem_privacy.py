"""A reporter's identity and a photo's hidden position stay with the officers handling the
problem: every GET route of the app is crawled with real ids by those who must not see them,
each read of the identity is logged, and stored photos carry no EXIF."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.media.models import MediaFile
from ecoradar.problems.scheduler import run_once
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, uscc
from tests.integration.problem_support import (
    EXIF_LAT,
    EXIF_LON,
    REPORTER_CONTACT,
    REPORTER_NAME,
    Driver,
    World,
    add_alert,
    build_world,
    create_app_for,
    jpeg_with_gps,
)

NEVER_CRAWLED = {"/api/alerts/stream", "/static"}
"""The alert stream never ends (its rows are the alerts the list shows); static files."""
SECRETS = (
    REPORTER_CONTACT,
    REPORTER_NAME,
    f"{EXIF_LAT:.4f}",
    f"{EXIF_LON:.4f}",
    "SecretCam",
    "SN-4711",
)


@pytest.fixture
def world(container: Container, tmp_path: Path) -> World:
    built = build_world(container, tmp_path)
    for mn in (GAS_MN, WATER_MN, OPEN_MN):
        add_alert(container, mn)
    run_once(container)
    return built


@pytest.fixture
def client(container: Container, world: World) -> TestClient:
    return TestClient(create_app_for(container))


def _values(container: Container, world: World) -> dict[str, list[str]]:
    """Real values for every path parameter of the app's GET routes."""
    from ecoradar.detection.models import Alert

    with container.transaction() as session:
        alerts = [str(a) for a in session.scalars(select(Alert.id))]
    return {
        "problem_id": [str(world.p), str(world.q)],
        "media_id": [str(world.internal_photo), str(world.public_photo), str(world.gps_photo)],
        "entity_type": ["problem"],
        "entity_id": [str(world.p)],
        "mn": [GAS_MN, WATER_MN, OPEN_MN],
        "alert_id": alerts,
        "code": [uscc(1), uscc(2), uscc(3)],
        "locale": ["en"],
    }


def _fallback(name: str) -> list[str]:
    return ["json", "xml"] if name == "fmt" else ["1", "2", "3"]


def crawl_urls(app: object, values: dict[str, list[str]]) -> Iterator[str]:
    """Every GET route of ``app`` with every combination of real path values (and a few
    queries that widen lists). A parameter the register does not know (another domain's
    ids) gets small ids, or ``json`` and ``xml`` for a format."""
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path = route.path
        if not path or "GET" not in (route.methods or {"GET"}) or path in NEVER_CRAWLED:
            continue
        names = re.findall(r"{(\w+)}", path)
        for combo in itertools.product(*(values.get(n) or _fallback(n) for n in names)):
            url = path
            for name, value in zip(names, combo, strict=True):
                url = url.replace("{" + name + "}", value)
            yield url
            if "attachments" in url:
                yield url + "?thumbnail=true"
            if url in ("/api/problems", "/problems", "/problems/rows", "/api/audit"):
                yield url + "?per_page=200"


@pytest.mark.parametrize(
    "who", ["anonymous", "enterprise", "other_public", "officer_b", "departments"]
)
def test_no_response_to_a_non_handler_holds_the_reporter_or_the_photo_position(
    container: Container, world: World, client: TestClient, who: str
) -> None:
    login = getattr(world.people, who, {})
    headers = login if isinstance(login, dict) else login.headers
    urls = list(crawl_urls(client.app, _values(container, world)))
    assert len(urls) > 40
    crawled = 0
    for url in urls:
        accept = "application/json" if url.startswith("/api/") else "text/html"
        response = client.get(url, headers={**headers, "Accept": accept})
        assert response.status_code < 500, (url, response.text[:300])
        body = response.content.decode("utf-8", "replace")
        for secret in SECRETS:
            assert secret not in body, (who, url, secret)
        crawled += response.status_code == 200
    assert crawled > 10  # the crawl reached real content, not only refusals


def test_the_enterprise_sees_its_problem_but_not_the_reporter(
    world: World, client: TestClient
) -> None:
    company = world.people.enterprise.headers
    detail = client.get(f"/api/problems/{world.p}", headers=company)
    assert detail.status_code == 200
    assert not any(f.get("reporter_contact") for f in detail.json()["finding_list"])
    refused = client.get(f"/api/problems/{world.p}/reporters", headers=company)
    assert refused.status_code == 403


def test_every_read_of_the_reporter_by_the_handling_officer_is_logged(
    world: World, client: TestClient
) -> None:
    officer = world.people.officer_a
    for _ in range(2):
        response = client.get(f"/api/problems/{world.p}/reporters", headers=officer.headers)
        assert response.status_code == 200
        (found,) = response.json()
        assert (found["name"], found["contact"]) == (REPORTER_NAME, REPORTER_CONTACT)
        assert found["user_id"] == world.people.reporter.user_id
    log = client.get(
        "/api/audit",
        params={"action": "reporter_contact.read", "entity_id": str(world.p)},
        headers=world.people.admin.headers,
    ).json()
    assert log["total"] == 2
    assert {e["actor"] for e in log["items"]} == {f"user:{officer.user_id}:{officer.username}"}
    refused = client.get(
        f"/api/problems/{world.p}/reporters", headers=world.people.reporter.headers
    )
    assert refused.status_code == 403
    again = client.get(
        "/api/audit", params={"action": "reporter_contact.read"}, headers=world.people.admin.headers
    )
    assert again.json()["total"] == 2  # a refused read is no read


def _exif_free(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return not image.getexif() and "exif" not in image.info


def test_a_photo_keeps_its_position_for_officers_only_and_is_served_without_exif(
    container: Container, world: World, client: TestClient
) -> None:
    with container.transaction() as session:
        stored = session.get(MediaFile, world.gps_photo)
        assert stored is not None
        assert stored.gps_lat == pytest.approx(EXIF_LAT, abs=1e-5)
        assert stored.gps_lon == pytest.approx(EXIF_LON, abs=1e-5)
    officer = world.people.officer_a.headers
    drive = Driver(client, container, officer)
    public = drive.upload(world.p, jpeg_with_gps(seed=123), public=True, name="现场.jpg")
    reporter = world.people.reporter.headers
    for who, media in ((officer, world.gps_photo), (officer, public), (reporter, public)):
        for suffix in ("", "?thumbnail=true"):
            response = client.get(
                f"/api/problems/{world.p}/attachments/{media}{suffix}", headers=who
            )
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "image/jpeg"
            assert _exif_free(response.content)
            assert b"SecretCam" not in response.content
    hidden = client.get(f"/api/problems/{world.p}/attachments/{world.gps_photo}", headers=reporter)
    assert hidden.status_code == 404
    seen = client.get(f"/api/problems/{world.p}", headers=reporter).text
    assert f"{EXIF_LAT:.4f}" not in seen and "SecretCam" not in seen
