"""The enterprise page (/registry/{code}) on both databases: the timeline merges every kind of
entry newest first and pages through them without gaps or repeats; each section renders in
both languages; who may open which enterprise; reporters never show."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope
from ecoradar.bootstrap import Container
from ecoradar.core.errors import InputError
from ecoradar.registry import timeline
from ecoradar.registry.models import Enterprise
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import Login, MakeUser, log_in
from tests.factories import uscc
from tests.integration.enterprise_page_support import (
    AGO,
    HIDDEN_NOTE,
    HIDDEN_TITLE,
    PROBLEM_TITLE,
    REPORTER_CONTACT,
    REPORTER_NAME,
    Seeded,
    seed,
)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

E1 = uscc(1)
EN = {"Accept-Language": "en-US,en;q=0.9"}
SECTIONS = ("code", "monitoring", "selfcheck", "problems", "reminders", "inspections", "power")


@pytest.fixture
def seeded(container: Container, tmp_path: Path) -> Seeded:
    return seed(container, tmp_path)


@pytest.fixture
def app_client(container: Container, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


def as_user(client: TestClient, box: Container, login: Login) -> TestClient:
    log_in(client, box, login)
    return client


def principal(box: Container, login: Login) -> Principal:
    with box.reading() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        return accounts.principal_of(session=session, user=user)


def entries(
    box: Container, who: Principal, *, limit: int = 100, cursor: str | None = None
) -> timeline.TimelinePage:
    with box.reading() as session:
        apply_scope(session, who)
        e1 = session.scalar(select(Enterprise).where(Enterprise.code == E1))
        assert e1 is not None
        return timeline.timeline(
            session=session,
            principal=who,
            enterprise_id=e1.id,
            enterprise_code=E1,
            now=box.clock.now(),
            cursor=cursor,
            limit=limit,
        )


def text_of(html: str) -> str:
    """What a reader sees: the text between tags (attributes left out)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_merges_every_kind_newest_first_with_ties_broken_by_kind(
    container: Container, seeded: Seeded, make_user: MakeUser
) -> None:
    found = entries(container, principal(container, make_user("admin"))).entries
    assert {e.kind for e in found} == set(timeline.KINDS)
    keys = [e.key for e in found]
    assert keys == sorted(keys, reverse=True)
    seeded_hours = {
        (e.kind, round((seeded.now - e.at).total_seconds() / 3600, 1))
        for e in found
        if e.kind != "selfcheck" and e.kind != "finding"
    }
    expected = {(kind, float(hours)) for (kind, _), hours in AGO.items() if kind != "finding"}
    assert seeded_hours == expected
    tied = [e.kind for e in found if seeded.now - e.at == timedelta(hours=6)]
    assert tied == ["power", "alert"]
    outcomes = {e.facts["outcome"] for e in found if e.kind == "selfcheck"}
    assert outcomes == {"done", "missed"}
    assert next(e for e in found if e.kind == "finding").facts["channel"] == "public"


def test_the_timeline_pages_with_a_cursor_without_gaps_or_repeats(
    container: Container, seeded: Seeded, make_user: MakeUser
) -> None:
    who = principal(container, make_user("admin"))
    whole = [(e.kind, e.id) for e in entries(container, who).entries]
    paged: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        page = entries(container, who, limit=3, cursor=cursor)
        paged += [(e.kind, e.id) for e in page.entries]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert paged == whole and pages == -(-len(whole) // 3)
    with pytest.raises(InputError, match="cursor"):
        entries(container, who, cursor="yesterday~alert~1")


def test_more_answers_the_next_page_as_list_items_and_a_bad_cursor_is_refused(
    app_client: TestClient, container: Container, make_user: MakeUser
) -> None:
    client = as_user(app_client, container, make_user("admin"))
    first = client.get(f"/registry/{E1}/sections/timeline")
    assert first.status_code == 200
    assert first.text.count('class="ent-entry') == timeline.PER_PAGE or "ent-more" not in first.text
    items = re.findall(r'data-kind="(\w+)" data-at="([^"]+)"', first.text)
    assert len(items) == min(timeline.PER_PAGE, len(items)) and items
    more = re.search(r'hx-get="(/registry/[^"]+/timeline\?cursor=[^"]+)"', first.text)
    if more is not None:  # more than a page: the next one continues where this one ended
        nxt = client.get(more.group(1).replace("&amp;", "&"))
        assert nxt.status_code == 200 and "<ol" not in nxt.text
        later = re.findall(r'data-kind="(\w+)" data-at="([^"]+)"', nxt.text)
        assert later and later[0][1] <= items[-1][1]
    only = client.get(f"/registry/{E1}/sections/timeline", params={"kind": "alert"})
    kinds = set(re.findall(r'<li class="ent-entry[^"]*" data-kind="(\w+)"', only.text))
    assert kinds == {"alert"}
    bad = client.get(f"/registry/{E1}/timeline", params={"cursor": "x~y~z"})
    assert bad.status_code == 422 and "cursor" in bad.text
    wrong = client.get(f"/registry/{E1}/sections/timeline", params={"kind": "gossip"})
    assert wrong.status_code == 422 and "kind" in wrong.text


def test_three_entries_a_page_reach_the_oldest_entry_over_http(
    app_client: TestClient, container: Container, make_user: MakeUser
) -> None:
    client = as_user(app_client, container, make_user("admin"))
    who = principal(container, make_user("admin"))
    everything = entries(container, who).entries
    seen: list[str] = []
    url: str | None = f"/registry/{E1}/sections/timeline"
    while url:
        html = client.get(url).text
        seen += re.findall(r'data-kind="\w+" data-at="[^"]+" data-id="(\d+)"', html)
        link = re.search(r'hx-get="(/registry/[^"]+/timeline\?cursor=[^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else None
    assert len(seen) == len(everything)


# --- sections ----------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, EN])
def test_every_section_renders_its_data_in_both_languages_without_raw_codes(
    app_client: TestClient, container: Container, make_user: MakeUser, headers: dict[str, str]
) -> None:
    client = as_user(app_client, container, make_user("admin"))
    page = client.get(f"/registry/{E1}", headers=headers)
    assert page.status_code == 200
    for name in ("registry", *SECTIONS, "timeline"):
        assert f'id="tab-{name}"' in page.text
    assert 'data-stat="alerts"><span class="ent-stat-n">1</span>' in page.text
    html = {s: client.get(f"/registry/{E1}/sections/{s}", headers=headers).text for s in SECTIONS}
    assert 'data-colour="red"' in html["code"] and 'data-colour="green"' in html["code"]
    assert (
        'id="series-chart"' in html["monitoring"] and "/api/alerts/windows/" in html["monitoring"]
    )
    assert (
        'data-figure="missed"' in html["selfcheck"] and 'id="control-points"' in html["selfcheck"]
    )
    assert PROBLEM_TITLE in html["problems"] and HIDDEN_TITLE in html["problems"]
    assert "ZS-2026-0001" in html["reminders"] and "ZS-2026-0002" in html["reminders"]
    assert "2026-11" in html["inspections"]
    assert 'id="power-chart"' in html["power"] and 'data-rule="treatment_idle"' in html["power"]
    timeline_html = client.get(f"/registry/{E1}/sections/timeline", headers=headers).text
    words = text_of(timeline_html + "".join(html.values()))
    for raw in ("time_anomaly", "treatment_idle", "order_rectification", "rectifying", "public"):
        assert raw not in words


def test_an_unknown_section_is_not_found(
    app_client: TestClient, container: Container, make_user: MakeUser
) -> None:
    client = as_user(app_client, container, make_user("admin"))
    assert client.get(f"/registry/{E1}/sections/gossip").status_code == 404
    assert client.get(f"/registry/{E1}/sections/registry").status_code == 404


def test_reporters_and_internal_notes_never_show_on_the_page(
    app_client: TestClient, container: Container, make_user: MakeUser
) -> None:
    client = as_user(app_client, container, make_user("officer", region="A"))
    pages = [client.get(f"/registry/{E1}").text]
    pages += [client.get(f"/registry/{E1}/sections/{s}").text for s in (*SECTIONS, "timeline")]
    whole = "".join(pages)
    assert REPORTER_NAME not in whole and REPORTER_CONTACT not in whole
    assert HIDDEN_NOTE not in whole


# --- who may see it ----------------------------------------------------------------------------


PATHS = ("", "/sections/problems", "/sections/timeline", "/timeline")


@pytest.mark.parametrize(
    ("role", "region", "enterprise", "status"),
    [
        ("officer", "A", None, 200),
        ("grid_worker", "G1", None, 200),
        ("officer", "B", None, 404),
        ("grid_worker", "G2", None, 404),
        ("enterprise", None, 2, 404),
        ("enterprise", None, 1, 200),
        ("public", None, None, 403),
    ],
)
def test_who_may_open_enterprise_1(
    app_client: TestClient,
    container: Container,
    make_user: MakeUser,
    role: str,
    region: str | None,
    enterprise: int | None,
    status: int,
) -> None:
    login = make_user(role, region=region, enterprise=uscc(enterprise) if enterprise else None)
    client = as_user(app_client, container, login)
    for path in PATHS:
        answer = client.get(f"/registry/{E1}{path}", follow_redirects=False)
        assert answer.status_code == status, path
        if status == 404:
            assert "测试企业1有限公司" not in answer.text


def test_an_anonymous_visitor_is_sent_to_the_login(app_client: TestClient) -> None:
    answer = app_client.get(f"/registry/{E1}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_enterprise_sees_only_what_is_told_to_it(
    app_client: TestClient, container: Container, make_user: MakeUser, seeded: Seeded
) -> None:
    own = make_user("enterprise", enterprise=E1)
    found = entries(container, principal(container, own)).entries
    kinds = {e.kind for e in found}
    assert "inspection" not in kinds  # draws are for the bureau's staff
    assert all(e.facts.get("problem_id") != seeded.hidden_problem_id for e in found)
    assert [e.facts["number"] for e in found if e.kind == "reminder"] == ["ZS-2026-0001"]
    assert not [e for e in found if e.kind == "problem" and e.facts["action"] == "accept"]
    client = as_user(app_client, container, own)
    problems = client.get(f"/registry/{E1}/sections/problems").text
    assert HIDDEN_TITLE not in problems and f'data-problem="{seeded.problem_id}"' in problems
    page = client.get(f"/registry/{E1}").text
    assert 'href="/registry">' not in page  # no way into the registry list


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_page_and_its_sections_are_translated_in_both_catalogs(locale: str) -> None:
    paths = [TEMPLATE_DIR / "enterprise.html", *sorted((TEMPLATE_DIR / "enterprise").glob("*"))]
    shared = [TEMPLATE_DIR / "_monitoring_macros.html", TEMPLATE_DIR / "power" / "_macros.html"]
    check_catalogs(locale, paths + shared, at_least=150)
