"""Who may call what: every route of the app, for every kind of caller.

The matrix enumerates the app's routes. A route in ``MATRIX`` must answer each caller exactly
as listed; any other route (one added later) must at least refuse an anonymous caller (401 for
the API, a redirect to the login page for a page) unless it is one of the public's reporting
channels (``PUBLIC_CHANNELS``, ``PUBLIC_PREFIXES``). So a new route without authentication makes
this test fail.

The callers, over the small city (enterprise 1 in grid G1 of county A; enterprise 3 in county
B), asking about enterprise 1, its monitoring point and its alert: an administrator; an officer
of county A (in scope) and one of county B (out of scope); the grid worker of G1; enterprise 1's
user (its own) and enterprise 3's (another's); a registered member of the public; nobody.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from ecoradar.auth import tokens
from ecoradar.bootstrap import Container
from ecoradar.detection import views as alert_views
from ecoradar.monitoring.models import RawPacket
from tests.conftest import Login, MakeUser
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry, uscc
from tests.integration.auth_support import add_alerts

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

CALLERS = (
    "admin",
    "officer",
    "officer_elsewhere",
    "grid_worker",
    "enterprise",
    "enterprise_other",
    "public",
    "anonymous",
)
#               adm  off  off'  grid ent  ent'  pub  anon
STAFF_API = (200, 200, 200, 200, 403, 403, 403, 401)
READ_API = (200, 200, 200, 200, 200, 200, 403, 401)
DETAIL_API = (200, 200, 404, 200, 200, 404, 403, 401)
ADMIN_API = (200, 403, 403, 403, 403, 403, 403, 401)
ADMIN_BODY = (422, 403, 403, 403, 403, 403, 403, 401)  # allowed, then the empty body is refused
ANY_USER = (200, 200, 200, 200, 200, 200, 200, 401)
STAFF_PAGE = (200, 200, 200, 200, 403, 403, 403, 303)
READ_PAGE = (200, 200, 200, 200, 200, 200, 403, 303)
DETAIL_PAGE = (200, 200, 404, 200, 200, 404, 403, 303)


def everyone(status: int) -> tuple[int, ...]:
    return (status,) * len(CALLERS)


PUBLIC = {
    ("GET", "/health"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/lang/{locale}"),
    ("POST", "/api/auth/token"),
}
"""Routes anyone may call: the login itself, the language switch (the login page has one),
liveness and the API's documentation."""
PUBLIC_CHANNELS = {
    ("POST", "/api/clues/public"),
    ("GET", "/api/clues/track/{code}"),
    ("POST", "/api/clues/track/{code}/feedback"),
    ("POST", "/api/rewards/claim"),
    ("GET", "/api/greencode/public/{enterprise_code}"),
}
PUBLIC_PREFIXES = ("/open311/", "/report", "/track", "/public/", "/api/public/")
"""The public's channels, anonymous by design (the report form and its API, the tracking page
and its code, a reward claim by code and secret, Open311 GeoReport v2, an enterprise's
public-safe green code, the published inspection draws): their own tests say what they answer
and that they leak nothing; here they are only let through."""


def public(route: tuple[str, str]) -> bool:
    return route in PUBLIC or route in PUBLIC_CHANNELS or route[1].startswith(PUBLIC_PREFIXES)


MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/health"): everyone(200),
    ("GET", "/api/openapi.json"): everyone(200),
    ("GET", "/api/docs"): everyone(200),
    ("GET", "/login"): everyone(200),
    ("POST", "/login"): everyone(401),  # a wrong password, for everyone
    ("POST", "/logout"): everyone(303),
    ("GET", "/lang/{locale}"): everyone(303),
    ("POST", "/api/auth/token"): everyone(422),  # no credentials sent
    ("GET", "/api/auth/me"): ANY_USER,
    ("DELETE", "/api/auth/token"): (204, 204, 204, 204, 204, 204, 204, 401),
    ("GET", "/api/users"): ADMIN_API,
    ("POST", "/api/users"): ADMIN_BODY,
    ("POST", "/api/users/{user_id}/disable"): ADMIN_API,
    ("GET", "/api/tokens"): ADMIN_API,
    ("POST", "/api/tokens"): ADMIN_BODY,
    ("POST", "/api/tokens/{token_id}/revoke"): ADMIN_API,
    ("GET", "/api/regions"): STAFF_API,
    ("GET", "/api/regions/locate"): STAFF_API,
    ("GET", "/api/enterprises"): STAFF_API,
    ("GET", "/api/enterprises.geojson"): STAFF_API,
    ("GET", "/api/enterprises/{code}"): DETAIL_API,
    ("GET", "/api/monitoring/points/{mn}/series"): DETAIL_API,
    ("GET", "/api/monitoring/points/{mn}/aggregates"): DETAIL_API,
    ("GET", "/api/monitoring/devices"): STAFF_API,
    ("GET", "/api/monitoring/unknown-devices"): STAFF_API,
    ("GET", "/api/monitoring/counters"): STAFF_API,
    ("GET", "/api/alerts"): READ_API,
    ("GET", "/api/alerts/counts"): READ_API,
    ("GET", "/api/alerts/windows"): DETAIL_API,
    ("GET", "/api/alerts/windows/{mn}"): DETAIL_API,
    ("GET", "/api/alerts/stream"): READ_API,
    ("GET", "/api/alerts/{alert_id}"): DETAIL_API,
    ("GET", "/"): (200, 200, 200, 200, 303, 303, 303, 303),  # enterprise, public: their pages
    ("GET", "/registry"): STAFF_PAGE,
    ("GET", "/registry/rows"): STAFF_PAGE,
    ("GET", "/registry/{code}"): DETAIL_PAGE,
    ("GET", "/map"): STAFF_PAGE,
    ("GET", "/monitoring"): STAFF_PAGE,
    ("GET", "/monitoring/rows"): STAFF_PAGE,
    ("GET", "/monitoring/{mn}"): DETAIL_PAGE,
    ("GET", "/alerts"): READ_PAGE,
    ("GET", "/alerts/rows"): READ_PAGE,
    ("GET", "/alerts/point/{mn}"): READ_PAGE,  # a list: another's point lists nothing
    ("GET", "/alerts/{alert_id}"): DETAIL_PAGE,
}
QUERIES: dict[str, dict[str, str]] = {
    "/api/regions/locate": {"lon": "120.25", "lat": "30.5"},
    "/api/monitoring/points/{mn}/series": {"factor": "a21026"},
    "/api/alerts/windows": {"mn": GAS_MN},
}
LAST = {("DELETE", "/api/auth/token")}
"""Revokes the caller's token: asked last."""


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, those of included routers too (without HEAD)."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            assert context.path == "/static", f"an unexpected mount {context.path}"
            continue
        assert context.path is not None and context.methods, context
        found.extend(
            (method, context.path) for method in sorted(context.methods) if method != "HEAD"
        )
    return found


@pytest.fixture
def world(container: Container, tmp_path: Path, make_user: MakeUser) -> dict[str, Any]:
    load_small_registry(container, tmp_path)
    alert_ids = add_alerts(container)
    logins: dict[str, Login | None] = {
        "admin": make_user("admin"),
        "officer": make_user("officer", region="A"),
        "officer_elsewhere": make_user("officer", region="B"),
        "grid_worker": make_user("grid_worker", region="G1"),
        "enterprise": make_user("enterprise", enterprise=uscc(1)),
        "enterprise_other": make_user("enterprise", enterprise=uscc(3)),
        "public": make_user("public"),
        "anonymous": None,
    }
    spare = make_user("public", username="spare")  # to be disabled and have its token revoked
    with container.transaction() as session:
        token_id = tokens.token_by_ref(session=session, ref="spare-test").id
    return {
        "logins": logins,
        "params": {
            "code": uscc(1),
            "mn": GAS_MN,
            "alert_id": str(alert_ids[GAS_MN]),
            "locale": "en",
            "user_id": str(spare.user_id),
            "token_id": str(token_id),
            "screen": "discovery",
        },
    }


@pytest.fixture
def client(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(alert_views, "STREAM_LIFE", 0.2)  # a stream ends by itself, quickly
    with TestClient(create_app(container)) as test_client:
        yield test_client


def ask(
    client: TestClient, method: str, path: str, params: dict[str, str], login: Login | None, n: int
) -> int:
    url = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: params.get(m.group(1), "1"), path)
    headers = dict(login.headers) if login is not None else {}
    kwargs: dict[str, Any] = {"params": QUERIES.get(path, {}), "headers": headers}
    if (method, path) == ("POST", "/login"):
        kwargs["data"] = {"username": f"nobody-{n}", "password": "wrong-password"}
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    response = client.request(method, url, follow_redirects=False, **kwargs)
    return response.status_code


def test_every_route_answers_every_caller_as_the_matrix_says(
    client: TestClient, world: dict[str, Any]
) -> None:
    routes = app_routes(client.app)
    assert set(MATRIX) <= set(routes), f"routes gone: {set(MATRIX) - set(routes)}"
    ordered = sorted(routes, key=lambda r: (r in LAST, r))
    wrong = []
    for method, path in ordered:
        for n, caller in enumerate(CALLERS):
            login = world["logins"][caller]
            status = ask(client, method, path, world["params"], login, n)
            if (method, path) in MATRIX:
                expected: set[int] = {MATRIX[(method, path)][n]}
            elif public((method, path)) or caller != "anonymous":
                continue  # another team's route: only its refusal of nobody is checked here
            else:
                expected = {401} if path.startswith("/api/") else {303, 401}
            if status not in expected:
                wrong.append(f"{method} {path} as {caller}: {status}, expected {expected}")
    assert wrong == [], "\n".join(wrong)


def test_every_route_but_the_public_ones_refuses_nobody() -> None:
    assert PUBLIC <= set(MATRIX)
    for route, statuses in MATRIX.items():
        if route not in PUBLIC:
            assert statuses[CALLERS.index("anonymous")] in (401, 303), route


@pytest.mark.parametrize(
    ("caller", "enterprises", "mns"),
    [
        ("admin", [uscc(1), uscc(2), uscc(3)], [GAS_MN, OPEN_MN, WATER_MN]),
        ("officer", [uscc(1), uscc(2)], [GAS_MN, WATER_MN]),
        ("officer_elsewhere", [uscc(3)], [OPEN_MN]),
        ("grid_worker", [uscc(1)], [GAS_MN]),
    ],
)
def test_staff_lists_hold_only_their_region(
    client: TestClient, world: dict[str, Any], caller: str, enterprises: list[str], mns: list[str]
) -> None:
    headers = world["logins"][caller].headers
    listed = client.get("/api/enterprises", headers=headers).json()
    assert sorted(e["code"] for e in listed["items"]) == enterprises and listed["total"] == len(
        enterprises
    )
    geo = client.get("/api/enterprises.geojson", headers=headers).json()
    assert sorted(f["properties"]["code"] for f in geo["features"]) == enterprises
    devices = client.get("/api/monitoring/devices", headers=headers).json()
    assert sorted(d["mn"] for d in devices["items"]) == mns
    alerts = client.get("/api/alerts", headers=headers).json()
    assert sorted(a["mn"] for a in alerts["items"]) == mns
    counts = client.get("/api/alerts/counts", headers=headers).json()
    assert counts["open"] == len(mns)
    page = client.get("/registry", headers=headers).text
    assert all(code in page for code in enterprises)
    assert not any(code in page for code in {uscc(1), uscc(2), uscc(3)} - set(enterprises))


@pytest.mark.parametrize(("caller", "mn"), [("enterprise", GAS_MN), ("enterprise_other", OPEN_MN)])
def test_an_enterprise_user_sees_its_own_alerts_only(
    client: TestClient, world: dict[str, Any], caller: str, mn: str
) -> None:
    headers = world["logins"][caller].headers
    alerts = client.get("/api/alerts", headers=headers).json()
    assert [a["mn"] for a in alerts["items"]] == [mn]
    html = client.get("/alerts", headers=headers).text
    assert mn in html and not ({GAS_MN, OPEN_MN, WATER_MN} - {mn}) & set(html.split('"'))


def test_the_unknown_devices_are_the_administrators_alone(
    client: TestClient, world: dict[str, Any], container: Container
) -> None:
    with container.transaction() as session:
        session.add(
            RawPacket(
                received_at=container.clock.now(),
                peer="10.0.0.9:1",
                mn="STRANGER0000000000000001",
                cn="2061",
                outcome="unknown_device",
                reason=None,
                size=6,
                raw=b"##0000",
            )
        )
    admin = client.get("/api/monitoring/unknown-devices", headers=world["logins"]["admin"].headers)
    assert [d["mn"] for d in admin.json()] == ["STRANGER0000000000000001"]
    officer = client.get(
        "/api/monitoring/unknown-devices", headers=world["logins"]["officer"].headers
    )
    assert officer.json() == [], "a device in no region is in no officer's scope"
