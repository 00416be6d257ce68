"""The big screens (issue 18 item 2) on both databases: each screen's figures against
hand-seeded data, display tokens scoped to their region (a token for county A never shows
county B), revoked and unknown tokens refused with 403, a token opening nothing but its
screens, the token management page (audited), and staff opening the screens directly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from ecoradar.audit.models import AuditEntry
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import PermissionDenied
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import load_policy
from ecoradar.screens import tokens
from ecoradar.screens.models import DisplayToken
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import START, LogIn, MakeUser
from tests.factories import load_small_registry, uscc
from tests.integration.auth_support import add_alerts

TODAY = START  # 09:00 China time on 2 November 2026
A_PLACE = (30.5, 120.3)  # county A (x 0..2 of china_city, shifted to 120, 30)
B_PLACE = (30.5, 122.6)  # county B
ADMIN = Principal(kind="user", user_id=None, username="tester", role="admin")


def finding(
    box: Container, channel: str, category: str, place: tuple[float, float], at: datetime
) -> int:
    """A finding observed and received at ``at`` (the clock is set back to ``START`` after)."""
    clock = box.clock
    assert isinstance(clock, FakeClock)
    clock.set(at)
    try:
        with box.transaction() as session:
            done = record_finding(
                session=session,
                index=box.regions.get(session),
                item=FindingIn(channel, category, place[0], place[1], at, description="seeded"),
                now=at,
                actor="system:test",
                policy=load_policy(session=session, settings=box.settings),
            )
            return done.problem.id
    finally:
        clock.set(START)


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    """china_city with the small registry (two enterprises in county A, one in B), an open
    offline alert at each device, and findings: in A today a public report and a drone
    finding, yesterday a grid worker's, on 20 October a public report; in B today a public
    report."""
    load_small_registry(container, tmp_path)
    add_alerts(container)
    lat, lon = A_PLACE
    finding(container, "public", "odour", (lat, lon), TODAY - timedelta(hours=1))
    finding(container, "drone", "water", (lat + 0.3, lon + 0.5), TODAY - timedelta(hours=2))
    finding(container, "grid_worker", "noise", (lat - 0.3, lon + 1.0), TODAY - timedelta(days=1))
    finding(
        container, "public", "soil", (lat + 0.2, lon + 1.3), datetime(2026, 10, 20, 3, tzinfo=UTC)
    )
    finding(container, "public", "air", B_PLACE, TODAY - timedelta(hours=1))
    return container


@pytest.fixture
def client(city: Container) -> Iterator[TestClient]:
    from ecoradar.web.app import create_app

    with TestClient(create_app(city)) as c:
        yield c


def issue(box: Container, region: str, name: str = "east wall") -> str:
    with box.transaction() as session:
        return tokens.create(
            session=session, by=ADMIN, name=name, region_code=region, now=box.clock.now()
        ).secret


def figures(client: TestClient, screen: str, secret: str) -> dict:
    response = client.get(f"/screens/{screen}.json", params={"display": secret})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_discovery_counts_each_channels_findings_today_this_month_and_by_day(
    city: Container, client: TestClient
) -> None:
    data = figures(client, "discovery", issue(city, "A"))
    assert data["region"] == {"code": "A", "name": data["region"]["name"]}
    assert data["today"] == {"total": 2, "by_channel": {"public": 1, "drone": 1}}
    assert data["month"] == {"total": 3, "by_channel": {"public": 1, "drone": 1, "grid_worker": 1}}
    trend = data["trend"]
    assert len(trend["days"]) == 30 and trend["days"][-1] == "2026-11-02"
    assert (trend["human"][-1], trend["technical"][-1]) == (1, 1)  # public; drone
    assert (trend["human"][-2], trend["technical"][-2]) == (1, 0)  # the grid worker's
    assert trend["human"][trend["days"].index("2026-10-20")] == 1
    assert sum(trend["human"]) + sum(trend["technical"]) == 4
    assert data["open_problems"]["total"] == 4
    assert {p["channel"] for p in data["today_findings"]} == {"public", "drone"}


def test_a_token_for_one_county_never_shows_anothers_data(
    city: Container, client: TestClient
) -> None:
    a, b = issue(city, "A"), issue(city, "B", "west wall")
    disc_a, disc_b = figures(client, "discovery", a), figures(client, "discovery", b)
    assert disc_b["today"]["by_channel"] == {"public": 1}
    assert disc_b["open_problems"]["total"] == 1
    lats_b = {round(p["lat"], 3) for p in disc_b["open_problems"]["places"]}
    lats_a = {round(p["lat"], 3) for p in disc_a["open_problems"]["places"]}
    assert lats_b == {B_PLACE[0]} and not lats_a & {B_PLACE[0]} - {A_PLACE[0]}
    assert all(p["lon"] < 122 for p in disc_a["open_problems"]["places"])
    assert all(p["lon"] > 122 for p in disc_b["open_problems"]["places"])
    mon_a, mon_b = figures(client, "monitoring", a), figures(client, "monitoring", b)
    assert mon_a["devices"]["registered"] == 2 and mon_b["devices"]["registered"] == 1
    assert mon_a["alerts"] == {"open": 2, "by_kind": {"offline": 2}}
    assert mon_b["alerts"] == {"open": 1, "by_kind": {"offline": 1}}
    whole = client.get("/screens/monitoring.json", headers=_admin(client, city)).json()
    assert whole["devices"]["registered"] == 3 and whole["region"] is None


def _admin(client: TestClient, box: Container) -> dict[str, str]:
    from tests.conftest import create_login

    return create_login(box, "admin", username=f"adm-{len(client.cookies)}-{id(client)}").headers


def test_closure_counts_overdue_problems_and_the_median_days_to_close(
    city: Container, client: TestClient
) -> None:
    with city.transaction() as session:
        ids = list(
            session.scalars(
                select(Problem.id).where(Problem.lon < 122).order_by(Problem.reported_at)
            )
        )
        oldest, second = ids[0], ids[1]
        session.execute(
            update(Problem)
            .where(Problem.id == oldest)
            .values(
                state="closed",
                reported_at=datetime(2026, 10, 20, 3, tzinfo=UTC),
                closed_at=datetime(2026, 10, 26, 3, tzinfo=UTC),
            )
        )  # six days
        session.execute(
            update(Problem)
            .where(Problem.id == second)
            .values(overdue_since=TODAY - timedelta(days=3))
        )
    data = figures(client, "closure", issue(city, "A"))
    october = next(h for h in data["handling"] if h["month"] == "2026-10")
    assert october == {"month": "2026-10", "closed": 1, "median_days": 6.0}
    assert [h["month"] for h in data["handling"]][-1] == "2026-11"
    assert data["overdue"]["total"] == 1
    assert data["overdue"]["items"][0]["id"] == second and data["overdue"]["items"][0]["days"] == 3
    assert data["selfcheck"]["tasks_sent"] == 0 and data["selfcheck"]["completion_rate"] is None
    assert data["reminders"]["reminders_issued"] == 0
    b = figures(client, "closure", issue(city, "B", "b"))
    assert b["overdue"]["total"] == 0
    assert all(h["closed"] == 0 for h in b["handling"])


def test_a_revoked_or_unknown_token_gets_a_403_page_and_json(
    city: Container, client: TestClient
) -> None:
    secret = issue(city, "A")
    shown = client.get("/screens/discovery", params={"display": secret})
    assert shown.status_code == 200 and shown.headers["referrer-policy"] == "no-referrer"
    with city.transaction() as session:
        token_id = session.scalar(select(DisplayToken.id))
        assert token_id is not None
        tokens.revoke(session=session, by=ADMIN, token_id=token_id, now=city.clock.now())
    page = client.get(
        "/screens/discovery", params={"display": secret}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 403
    assert 'data-revoked="true"' in page.text
    assert "screen-grid" not in page.text
    refused = client.get("/screens/discovery.json", params={"display": secret})
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    unknown = client.get("/screens/closure", params={"display": "not-a-token"})
    assert unknown.status_code == 403 and 'data-revoked="false"' in unknown.text
    assert client.get("/screens/closure.json", params={"display": "x"}).status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/problems", "/api/alerts", "/api/enterprises", "/problems", "/screens", "/"]
)
def test_a_display_token_opens_no_other_page_or_api(
    city: Container, client: TestClient, path: str
) -> None:
    secret = issue(city, "A")
    by_query = client.get(path, params={"display": secret}, follow_redirects=False)
    assert by_query.status_code in (401, 303, 307)
    if by_query.status_code in (303, 307):
        assert by_query.headers["location"].startswith("/login")
    by_header = client.get(
        path, headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False
    )
    assert by_header.status_code == 401


def test_staff_open_the_screens_for_their_region_and_others_may_not(
    city: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    assert client.get("/screens/discovery", follow_redirects=False).status_code == 303
    assert client.get("/screens/discovery.json").status_code == 401
    officer = make_user("officer", region="B")
    data = client.get("/screens/discovery.json", headers=officer.headers).json()
    assert data["region"]["code"] == "B" and data["open_problems"]["total"] == 1
    enterprise = make_user("enterprise", enterprise=uscc(1))
    assert client.get("/screens/discovery.json", headers=enterprise.headers).status_code == 403
    logged_in(client, officer)
    page = client.get("/screens/monitoring")
    assert page.status_code == 200 and 'data-screen="monitoring"' in page.text
    assert "/screens/monitoring.json" in page.text and "display=" not in page.text
    assert "time_anomaly" not in page.text.split("data-labels", 1)[0]


def test_an_officer_makes_lists_and_revokes_tokens_of_their_region_audited(
    city: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    officer = make_user("officer", region="A", username="zhang")
    csrf = logged_in(client, officer).csrf_token
    refused = client.post(
        "/screens/tokens", data={"name": "west", "region": "B", "csrf_token": csrf}
    )
    assert refused.status_code == 422 and 'id="token-error"' in refused.text
    made = client.post(
        "/screens/tokens", data={"name": "东墙大屏", "region": "A1", "csrf_token": csrf}
    )
    assert made.status_code == 200 and 'id="token-issued"' in made.text
    secret = made.text.split("screens/discovery?display=", 1)[1].split("<", 1)[0]
    assert figures(client, "discovery", secret)["region"]["code"] == "A1"
    with city.reading() as session:
        token = session.scalars(select(DisplayToken)).one()
        assert token.digest != secret and secret not in token.digest
    listing = client.get("/screens")
    assert "东墙大屏" in listing.text and secret not in listing.text
    assert client.post(f"/screens/tokens/{token.id}/revoke").status_code == 403  # no CSRF
    done = client.post(
        f"/screens/tokens/{token.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/screens?done=revoked"
    assert client.get("/screens/discovery.json", params={"display": secret}).status_code == 403
    with city.reading() as session:
        actions = [
            (e.action, e.actor)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "display_token")
            )
        ]
    assert actions == [
        ("display_token.create", f"user:{officer.user_id}:zhang"),
        ("display_token.revoke", f"user:{officer.user_id}:zhang"),
    ]
    grid = make_user("grid_worker", region="G1")
    assert client.get("/screens", headers=grid.headers).status_code in (401, 403)


def test_making_a_token_refuses_a_region_out_of_reach_and_bad_names(city: Container) -> None:
    officer_a = Principal(
        kind="user", user_id=1, username="a", role="officer", region_id=None, region_ids=frozenset()
    )
    with city.transaction() as session:
        with pytest.raises(PermissionDenied, match="region: B is outside your scope"):
            tokens.create(session=session, by=officer_a, name="x", region_code="B", now=TODAY)
        with pytest.raises(Exception, match="name: give the display a name"):
            tokens.create(session=session, by=ADMIN, name="  ", region_code="A", now=TODAY)
        with pytest.raises(Exception, match="region: no region with code 'Z'"):
            tokens.create(session=session, by=ADMIN, name="x", region_code="Z", now=TODAY)
        assert session.scalar(select(DisplayToken.id)) is None


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_message_of_the_screen_templates_is_translated(locale: str) -> None:
    paths = sorted((TEMPLATE_DIR / "screens").glob("*.html"))
    check_catalogs(locale, paths, at_least=70)
