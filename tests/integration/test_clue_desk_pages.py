"""The clue desk's pages over HTTP, on both databases: every string translated, who may open
it, filters and the htmx results, a bulk action refused whole naming the clue and one done,
one clue's page with the deduplication's suggestions, and no reporter identity anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from ecoradar.web.i18n import LOCALE_COOKIE
from ecoradar.web.pages_clues import reason_parts
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs, translated
from tests.conftest import log_in
from tests.integration.desk_support import DeskPeople, desk_people, in_a, in_b, state_of
from tests.integration.problem_support import create_app_for

TEMPLATES = sorted((TEMPLATE_DIR / "clues").glob("*.html"))


@pytest.fixture
def people(container: Container, tmp_path: Path) -> DeskPeople:
    return desk_people(container, tmp_path)


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app_for(container))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_clue_desk_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, TEMPLATES, at_least=61, also={(None, "Clue desk")})


@pytest.mark.parametrize(
    ("reason", "key", "params"),
    [
        ("same category", "same_category", {}),
        ("120 m away", "away", {"m": "120"}),
        ("text 0.62", "text", {"value": "0.62"}),
        ("photo 4 bits", "photo", {"bits": "4"}),
        ("active 2 d ago", "active_days", {"n": "2"}),
        ("another problem scores 0.74", "runner_up", {"value": "0.74"}),
        ("same concept: black, waste water", "same_concept", {"what": "black, waste water"}),
        ("different colour and smell", "different", {"what": "colour and smell"}),
        ("something new", "", {"text": "something new"}),
    ],
)
def test_deduplication_reasons_are_read_back_for_translation(
    reason: str, key: str, params: dict[str, str]
) -> None:
    assert reason_parts(reason) == (key, params)


def test_an_officer_sees_the_clues_of_their_county_and_the_map_points(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    mine = in_a(container, description="化工厂排气口刺鼻臭味")
    theirs = in_b(container, description="另一个县的气味")
    log_in(client, container, people.officer_a)
    page = client.get("/clues")
    assert page.status_code == 200
    assert "线索台" in page.text and "化工厂排气口刺鼻臭味" in page.text
    assert f'data-id="{mine.clue_id}"' in page.text
    assert f'data-id="{theirs.clue_id}"' not in page.text and "另一个县的气味" not in page.text
    assert f'"id": {mine.clue_id}' in page.text  # the map's point
    assert 'href="/clues"' in page.text  # in the navigation


@pytest.mark.parametrize("role", ["worker_g1"])
def test_a_grid_worker_is_refused_and_a_visitor_sent_to_log_in(
    container: Container, people: DeskPeople, client: TestClient, role: str
) -> None:
    assert client.get("/clues", follow_redirects=False).status_code in (302, 303)
    log_in(client, container, getattr(people, role))
    assert client.get("/clues").status_code == 403


def test_filters_and_the_htmx_results(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    odour = in_a(container)
    water = in_a(container, category="water", attributes={}, description="河面发黑")
    log_in(client, container, people.officer_a)
    page = client.get("/clues", params={"category": "water"})
    assert f'data-id="{water.clue_id}"' in page.text
    assert f'data-id="{odour.clue_id}"' not in page.text
    rows = client.get("/clues/rows", params={"q": "发黑"}, headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.text
    assert f'data-id="{water.clue_id}"' in rows.text
    assert rows.headers["HX-Push-Url"].startswith("/clues?q=")
    bad = client.get("/clues", params={"state": "lost"})
    assert bad.status_code == 422 and 'id="filter-error"' in bad.text


def test_a_bulk_rejection_with_a_clue_out_of_scope_is_refused_naming_it(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    mine, theirs = in_a(container), in_b(container)
    started = log_in(client, container, people.officer_a)
    form = {
        "csrf_token": started.csrf_token,
        "action": "reject",
        "clue_ids": [str(mine.clue_id), str(theirs.clue_id)],
        "reason": "照片与描述不符",
    }
    refused = client.post("/clues/actions", data=form)
    assert refused.status_code == 403
    assert f"线索 {theirs.clue_id} 不在您负责处理的线索之中" in refused.text
    assert "未做任何更改" in refused.text
    assert f'id="select-{mine.clue_id}" checked' in refused.text  # the selection kept
    assert state_of(container, mine.problem_id) == "reported"

    form["clue_ids"] = [str(mine.clue_id)]
    done = client.post("/clues/actions?channel=public", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/clues?channel=public&done=reject&n=1")
    assert "已驳回 1 条线索" in client.get(done.headers["location"]).text
    assert state_of(container, mine.problem_id) == "rejected"


def test_attaching_through_the_form_by_clue_number(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    target, moved = in_a(container), in_a(container)
    started = log_in(client, container, people.officer_a)
    form = {
        "csrf_token": started.csrf_token,
        "action": "attach",
        "clue_ids": [str(moved.clue_id)],
        "target_kind": "clue",
        "target": str(target.clue_id),
    }
    done = client.post("/clues/actions", data=form)
    assert done.status_code == 200, done.text
    assert f"已将 1 条线索并入问题 #{target.problem_id}" in done.text
    assert state_of(container, moved.problem_id) == "rejected"


def test_one_clues_page_shows_suggestions_and_never_the_reporter(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    hotline = in_a(
        container,
        channel="hotline",
        anonymous=False,
        reporter_name="王小明",
        reporter_contact="13812345678",
        description="热线反映化工厂夜间排放异味",
    )
    theirs = in_b(container)
    log_in(client, container, people.officer_a)
    listing = client.get("/clues")
    page = client.get(f"/clues/{hotline.clue_id}")
    assert page.status_code == 200 and "热线反映化工厂夜间排放异味" in page.text
    assert 'id="fresh-suggestions"' in page.text
    for text in (listing.text, page.text):
        assert "13812345678" not in text and "王小明" not in text
    assert client.get(f"/clues/{theirs.clue_id}").status_code == 404
    assert client.get("/clues/abc").status_code == 404


def test_the_target_search_finds_an_open_problem_by_number(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    mine, theirs = in_a(container), in_b(container)
    log_in(client, container, people.officer_a)
    found = client.get("/clues/targets", params={"find": f"#{mine.problem_id}"})
    assert f'data-problem="{mine.problem_id}"' in found.text
    other = client.get("/clues/targets", params={"find": str(theirs.problem_id)})
    assert 'id="target-none"' in other.text


def test_the_desk_reads_in_english(
    container: Container, people: DeskPeople, client: TestClient
) -> None:
    made = in_a(container)
    log_in(client, container, people.officer_a)
    client.cookies.set(LOCALE_COOKIE, "en")
    page = client.get("/clues")
    assert "Clue desk" in page.text and "Attach to a problem" in page.text
    assert "1 clues" in page.text or "1 clue" in page.text
    detail = client.get(f"/clues/{made.clue_id}")
    assert "Possible duplicates now" in detail.text
    for chinese in ("线索台", "并入问题", "对所选线索", "这些线索的地图", "全部状态"):
        assert chinese not in page.text


def test_every_concept_of_the_lexicon_reads_in_chinese() -> None:
    """The reasons name the lexicon's concepts by their labels; the page words them."""
    import tomllib

    from ecoradar.clues import dedupe_text

    lexicon = tomllib.loads(
        (Path(dedupe_text.__file__).parent / "lexicon.toml").read_text(encoding="utf-8")
    )
    labels = {str(entry.get("label", name)) for name, entry in lexicon["concepts"].items()}
    labels |= set(lexicon["rules"]["exclusive"])  # "different colour" names a family
    chinese = {msgid for context, msgid in translated("zh_CN") if context == "clue concept"}
    assert labels - chinese == set()
