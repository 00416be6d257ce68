"""Accounts over HTTP: the login and logout pages, the session cookie and CSRF, bearer tokens,
and the administrator's user and token API."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ecoradar.auth import ratelimit, sessions
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from tests.conftest import TEST_SECRET, USER_PASSWORD, Login, MakeUser, log_in
from tests.factories import load_small_registry, uscc

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

EN = {"Accept-Language": "en-US,en;q=0.9"}
PAGE = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


@pytest.fixture
def client(city: Container) -> Iterator[TestClient]:
    with TestClient(create_app(city)) as test_client:
        yield test_client


@pytest.fixture
def officer(make_user: MakeUser) -> Login:
    return make_user("officer", region="A", username="alice", display_name="王丽")


def login(client: TestClient, username: str, password: str, **form: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"username": username, "password": password, **form},
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- the login page -----------------------------------------------------------------------


def test_the_login_page_asks_for_username_and_password_in_both_languages(
    client: TestClient,
) -> None:
    html = client.get("/login", params={"next": "/alerts"}).text
    assert "登录生态雷达" in html and 'name="username"' in html and 'type="password"' in html
    assert 'name="next" value="/alerts"' in html
    assert 'class="mainnav"' in html and 'href="/registry"' not in html, "no sections yet"
    english = client.get("/login", headers=EN).text
    assert "Log in to EcoRadar" in english and "Username" in english


def test_logging_in_sets_a_safe_session_cookie_and_goes_to_next(
    client: TestClient, officer: Login
) -> None:
    response = client.post(
        "/login",
        data={"username": "Alice", "password": USER_PASSWORD, "next": "/alerts?kind=offline"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts?kind=offline"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=604800"):
        assert attribute.lower() in cookie.lower(), attribute
    assert "secure" not in cookie.lower(), "plain HTTP outside staging and production"
    html = client.get("/alerts").text
    assert 'id="current-user"' in html and "王丽" in html and "生态环境局工作人员" in html
    token = csrf_of(html)
    assert f'name="csrf_token" value="{token}"' in html
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in html


def test_the_cookie_is_secure_in_production(city: Container, officer: Login) -> None:
    settings = Settings(
        environment="production",
        secret_key=TEST_SECRET,
        home=city.settings.home,
        database_url=city.settings.resolved_database_url,
    )
    box = bootstrap(settings, clock=city.clock)
    try:
        with TestClient(create_app(box)) as client:
            response = login(client, "alice", USER_PASSWORD)
            assert "secure" in response.headers["set-cookie"].lower()
    finally:
        box.close()


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong-password"), ("nobody", "x")])
def test_a_failed_login_shows_the_form_again_with_one_message_and_sets_no_cookie(
    client: TestClient, officer: Login, username: str, password: str
) -> None:
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'id="login-error"' in response.text and "用户名或密码错误" in response.text
    assert f'value="{username}"' in response.text


def test_too_many_failures_answer_429_with_retry_after(
    client: TestClient, officer: Login, clock: FakeClock
) -> None:
    for _ in range(ratelimit.PAIR_FREE):
        assert login(client, "alice", "wrong-password").status_code == 401
    for wait in (1, 2):
        refused = login(client, "alice", "wrong-password")
        assert refused.status_code == 429 and refused.headers["retry-after"] == str(wait)
        clock.advance(timedelta(seconds=wait))
        assert login(client, "alice", "wrong-password").status_code == 401
    response = client.post(
        "/login", data={"username": "alice", "password": USER_PASSWORD}, headers=EN
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "4"
    assert "Too many failed attempts" in response.text and "set-cookie" not in response.headers
    api = client.post("/api/auth/token", json={"username": "alice", "password": USER_PASSWORD})
    assert api.status_code == 429 and api.headers["retry-after"] == "4"
    clock.advance(timedelta(seconds=4))
    assert login(client, "alice", USER_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/x", "/\\evil.example", "\\\\evil.example",
     "http:/evil.example", "/\r\n/evil.example"],
)  # fmt: skip
def test_next_never_sends_the_browser_off_the_site(
    client: TestClient, officer: Login, target: str
) -> None:
    form = client.get("/login", params={"next": target}).text
    assert 'name="next" value="/"' in form
    response = login(client, "alice", USER_PASSWORD, next=target)
    assert response.headers["location"] == "/"
    again = client.get("/login", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/"


def test_a_login_form_sent_from_another_site_is_refused(client: TestClient, officer: Login) -> None:
    response = client.post(
        "/login",
        data={"username": "alice", "password": USER_PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers
    same = client.post(
        "/login",
        data={"username": "alice", "password": USER_PASSWORD},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


# --- pages and the API without a login ----------------------------------------------------


def test_a_page_sends_an_anonymous_visitor_to_the_login_and_back(client: TestClient) -> None:
    response = client.get("/registry", params={"q": "化工"}, follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/login?next=%2Fregistry%3Fq%3D%25E5%258C%2596%25E5%25B7%25A5"
    )
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_htmx_gets_a_redirect_header_instead_of_the_login_page_in_a_table(
    client: TestClient,
) -> None:
    response = client.get(
        "/registry/rows",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/registry?page=2"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fregistry%3Fpage%3D2"


def test_the_api_answers_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/enterprises")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert "authentication required" in response.json()["detail"]


def test_the_header_offers_a_login_link_to_a_visitor_of_a_public_page(client: TestClient) -> None:
    html = client.get("/no-such-page", headers=PAGE).text
    assert 'id="login-link"' in html and 'id="current-user"' not in html


# --- sessions: logout, disabling, CSRF ----------------------------------------------------


def test_logout_needs_the_csrf_token_and_ends_the_session_at_once(
    client: TestClient, city: Container, officer: Login
) -> None:
    started = log_in(client, city, officer)
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/alerts", follow_redirects=False).status_code == 200, "still logged in"
    response = client.post(
        "/logout", data={"csrf_token": started.csrf_token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert f'{sessions.COOKIE}=""' in response.headers["set-cookie"]
    client.cookies.set(sessions.COOKIE, started.secret)  # a copy of the old cookie
    assert client.get("/alerts", follow_redirects=False).status_code == 303


def test_a_csrf_refusal_on_a_page_is_a_page(
    client: TestClient, city: Container, officer: Login
) -> None:
    log_in(client, city, officer)
    response = client.post("/logout", headers=PAGE, follow_redirects=False)
    assert response.status_code == 403 and "安全令牌" in response.text


@pytest.mark.parametrize(
    ("how", "status"),
    [("none", 403), ("other session's", 403), ("header", 201)],
)
def test_a_change_with_the_session_cookie_needs_that_sessions_csrf_token(
    client: TestClient, city: Container, make_user: MakeUser, how: str, status: int
) -> None:
    admin = make_user("admin", username="root")
    other = log_in(TestClient(create_app(city)), city, admin)
    mine = log_in(client, city, admin)
    body = {"username": "bob", "role": "public", "password": "bobs-river-lantern"}
    headers = {
        "none": {},
        "other session's": {"X-CSRF-Token": other.csrf_token},
        "header": {"X-CSRF-Token": mine.csrf_token},
    }[how]
    response = client.post("/api/users", json=body, headers=headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert "CSRF" in response.json()["detail"]


def test_the_csrf_token_in_the_form_field_is_accepted(
    client: TestClient, city: Container, officer: Login
) -> None:
    started = log_in(client, city, officer)
    response = client.post("/logout", data={"csrf_token": started.csrf_token})
    assert response.status_code == 200 and "登录生态雷达" in response.text  # at the login page


def test_a_bearer_token_needs_no_csrf_token(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/users",
        json={"username": "bob", "role": "public", "password": "bobs-river-lantern"},
        headers=admin_headers,
    )
    assert response.status_code == 201


def test_disabling_a_user_ends_their_session_and_tokens_at_once(
    client: TestClient, city: Container, officer: Login, admin_headers: dict[str, str]
) -> None:
    log_in(client, city, officer)
    assert client.get("/alerts", follow_redirects=False).status_code == 200
    assert client.get("/api/auth/me", headers=officer.headers).status_code == 200
    with TestClient(create_app(city)) as admin:
        response = admin.post(f"/api/users/{officer.user_id}/disable", headers=admin_headers)
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.get("/alerts", follow_redirects=False).status_code == 303
    assert client.get("/api/auth/me", headers=officer.headers).status_code == 401


def test_an_idle_session_needs_a_new_login(
    client: TestClient, city: Container, officer: Login, clock: FakeClock
) -> None:
    log_in(client, city, officer)
    clock.advance(sessions.IDLE - timedelta(minutes=1))
    assert client.get("/alerts", follow_redirects=False).status_code == 200
    clock.advance(sessions.IDLE - timedelta(minutes=1))
    assert client.get("/alerts", follow_redirects=False).status_code == 200, "use keeps it alive"
    clock.advance(sessions.IDLE)
    assert client.get("/alerts", follow_redirects=False).status_code == 303


# --- bearer tokens ------------------------------------------------------------------------


def test_an_api_client_logs_in_for_a_token_asks_who_it_is_and_revokes_it(
    client: TestClient, officer: Login
) -> None:
    response = client.post("/api/auth/token", json={"username": "alice", "password": USER_PASSWORD})
    assert response.status_code == 201
    issued = response.json()
    assert issued["token_type"] == "bearer" and issued["scopes"] == ["api"]
    assert issued["expires_at"] is not None
    headers = {"Authorization": f"Bearer {issued['token']}"}
    me = client.get("/api/auth/me", headers=headers).json()
    assert (me["kind"], me["role"], me["username"], me["region_code"]) == (
        "token", "officer", "alice", "A",
    )  # fmt: skip
    assert me["actor"] == f"user:{officer.user_id}:alice" and "token" not in me["scopes"]
    assert issued["token"] not in str(me)
    assert client.delete("/api/auth/token", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_a_wrong_password_gets_no_token(client: TestClient, officer: Login) -> None:
    response = client.post("/api/auth/token", json={"username": "alice", "password": "nope"})
    assert response.status_code == 401 and "token" not in response.json()


@pytest.mark.parametrize("case", ["revoked", "expired", "wrong"])
def test_a_revoked_expired_or_wrong_bearer_token_is_a_401(
    client: TestClient,
    admin_headers: dict[str, str],
    officer: Login,
    clock: FakeClock,
    case: str,
) -> None:
    made = client.post(
        "/api/tokens",
        json={"name": "short", "scopes": ["api"], "user": "alice", "expires_days": 1},
        headers=admin_headers,
    ).json()
    secret = made["token"]
    if case == "revoked":
        client.post(f"/api/tokens/{made['id']}/revoke", headers=admin_headers)
    elif case == "expired":
        clock.advance(timedelta(days=1))
    else:
        secret = ("y" if secret[0] == "x" else "x") + secret[1:]  # one character off
    response = client.get("/api/enterprises", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid, expired or revoked token"


def test_deleting_the_token_of_a_cookie_session_is_refused(
    client: TestClient, city: Container, officer: Login
) -> None:
    started = log_in(client, city, officer)
    response = client.delete("/api/auth/token", headers={"X-CSRF-Token": started.csrf_token})
    assert response.status_code == 422 and "bearer" in response.json()["detail"]


# --- users and tokens, for administrators -------------------------------------------------


def test_an_administrator_creates_lists_and_disables_users(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/users",
        json={
            "username": "Grid.Wang",
            "role": "grid_worker",
            "region": "G1",
            "password": "grid-password-1",
            "display_name": "王网格",
            "phone": "13800000000",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["username"], user["region_code"], user["is_active"]) == ("grid.wang", "G1", True)
    assert not any("password" in key for key in user)
    page = client.get("/api/users", params={"per_page": 1}, headers=admin_headers).json()
    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
    grid = client.get("/api/users", params={"role": "grid_worker"}, headers=admin_headers).json()
    assert [u["username"] for u in grid["items"]] == ["grid.wang"]
    disabled = client.post(f"/api/users/{user['id']}/disable", headers=admin_headers)
    assert disabled.json()["is_active"] is False
    assert client.post("/api/users/99999/disable", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"role": "grid_worker", "region": "A"}, 422, "level grid"),
        ({"role": "enterprise", "enterprise": "NOPE"}, 422, "enterprise 'NOPE'"),
        ({"role": "officer"}, 422, "region: required"),
        ({"role": "admin", "password": "short"}, 422, "at least 10"),
        ({"role": "admin", "username": "admin"}, 409, "already taken"),
    ],
)
def test_a_user_with_a_wrong_field_is_refused_naming_it(
    client: TestClient,
    admin_headers: dict[str, str],
    body: dict[str, str],
    status: int,
    words: str,
) -> None:
    payload = {"username": "newbie", "password": "long-enough-pw", **body}
    response = client.post("/api/users", json=payload, headers={**admin_headers, **EN})
    assert response.status_code == status and words in response.text


def test_an_administrator_makes_an_integration_token_shown_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    made = client.post(
        "/api/tokens",
        json={"name": "drone-east", "scopes": ["drones"], "region": "B"},
        headers=admin_headers,
    )
    assert made.status_code == 201
    issued = made.json()
    assert issued["prefix"] == issued["token"][:8] and issued["region_code"] == "B"
    listed = client.get("/api/tokens", headers=admin_headers).json()
    drone = next(t for t in listed if t["name"] == "drone-east")
    assert "token" not in drone and issued["token"] not in str(listed)
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert me.json()["actor"] == f"token:{issued['id']}:drone-east" and me.json()["role"] is None
    revoked = client.post(f"/api/tokens/{issued['id']}/revoke", headers=admin_headers).json()
    assert revoked["revoked_at"] is not None
    bad = client.post("/api/tokens", json={"name": "x", "scopes": ["api"]}, headers=admin_headers)
    assert bad.status_code == 422 and "needs a user" in bad.text


def test_only_an_administrator_manages_users_and_tokens(client: TestClient, officer: Login) -> None:
    for method, path in (
        ("GET", "/api/users"),
        ("POST", "/api/users"),
        ("POST", "/api/users/1/disable"),
        ("GET", "/api/tokens"),
        ("POST", "/api/tokens"),
        ("POST", "/api/tokens/1/revoke"),
    ):
        response = client.request(method, path, headers=officer.headers, json={})
        assert response.status_code == 403, (method, path)


# --- who sees which start page -------------------------------------------------------------


def test_an_enterprise_user_starts_at_its_own_page_and_a_member_of_the_public_at_their_reports(
    client: TestClient, city: Container, make_user: MakeUser
) -> None:
    company = make_user("enterprise", enterprise=uscc(1), display_name="测试企业")
    log_in(client, city, company)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/registry/{uscc(1)}"
    html = client.get(f"/registry/{uscc(1)}").text
    assert "企业用户" in html and 'href="/alerts"' in html and 'href="/map"' not in html
    client.cookies.clear()
    log_in(client, city, make_user("public"))
    start = client.get("/", headers=PAGE, follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"] == "/problems"
