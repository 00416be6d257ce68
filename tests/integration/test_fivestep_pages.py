"""Five-step and outcome pages over HTTP: every string translated, an officer starts a campaign
and finishes a step through the forms, a refused form says why, an enterprise user reads its own
record without forms, another county's record is not found, the outcomes page renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecoradar.bootstrap import Container
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs, translated
from tests.conftest import create_login, log_in
from tests.integration.fivestep_support import E1, E2, FiveStepWorld, five_step_world

TEMPLATES = [
    *sorted((TEMPLATE_DIR / "fivestep").glob("*.html")),
    TEMPLATE_DIR / "stats" / "reminders.html",
]


@pytest.fixture
def w(container: Container, tmp_path: Path) -> FiveStepWorld:
    return five_step_world(container, tmp_path)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_five_step_and_outcome_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, TEMPLATES, at_least=81)
    assert ("channel", "Third-party technical check") in translated(locale)


def test_an_officer_starts_a_campaign_and_completes_a_step_through_the_forms(
    container: Container, w: FiveStepWorld
) -> None:
    started = log_in(w.client, container, w.staff.county_a)
    listing = w.client.get("/fivestep")
    assert listing.status_code == 200 and "新建专项行动" in listing.text
    form = {
        "csrf_token": started.csrf_token,
        "name": "秋季检查",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "region": "A",
        "enterprises": f"{E1}，{E2}",
    }
    made = w.client.post("/fivestep/campaigns", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    campaign = w.client.get(made.headers["location"])
    assert "秋季检查" in campaign.text and campaign.text.count('data-state="pending"') == 10
    record_id = re.findall(r'href="/fivestep/records/(\d+)"', campaign.text)[0]
    page = w.client.get(f"/fivestep/records/{record_id}")
    assert "企业自查" in page.text and 'id="form-self_screening"' in page.text
    assert 'id="form-follow_up"' not in page.text  # waits for the four checks
    done = w.client.post(
        f"/fivestep/records/{record_id}/self_screening",
        data={"csrf_token": started.csrf_token, "advisories": "请补齐自查台账\n"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and 'id="done"' in done.text
    assert "请补齐自查台账" in done.text and "已完成" in done.text
    refused = w.client.post(
        f"/fivestep/records/{record_id}/move",
        data={
            "csrf_token": started.csrf_token,
            "step": "enforcement",
            "move": "skip",
            "reason": "",
        },
    )
    assert refused.status_code == 422 and 'id="form-error"' in refused.text
    bad = w.client.post("/fivestep/campaigns", data={**form, "region": "B"})
    assert bad.status_code == 422 and "outside your scope" in bad.text


def test_an_enterprise_reads_its_own_record_without_forms_and_another_county_gets_404(
    container: Container, w: FiveStepWorld
) -> None:
    campaign = w.campaign()
    e1 = w.record_of(campaign, E1)
    company = create_login(container, "enterprise", username="e1-company", enterprise=E1)
    log_in(w.client, container, company)
    own = w.client.get(f"/fivestep/records/{e1}")
    assert own.status_code == 200 and "<form" not in own.text.split('id="record-title"')[1]
    assert w.client.get(f"/fivestep/records/{w.record_of(campaign, E2)}").status_code == 404
    log_in(w.client, container, w.staff.county_b)
    assert w.client.get(f"/fivestep/records/{e1}").status_code == 404
    assert w.client.get("/fivestep/records/abc").status_code == 404


def test_the_outcomes_page_shows_the_figures_and_refuses_bad_dates(
    container: Container, w: FiveStepWorld
) -> None:
    log_in(w.client, container, w.staff.admin)
    page = w.client.get(
        "/stats/reminders",
        params={"from": "2026-10-01", "to": "2026-11-30", "level": "county", "period": "month"},
    )
    assert page.status_code == 200
    assert "服务提醒成效" in page.text and 'data-period="2026-11"' in page.text
    assert 'id="outcome-chart"' in page.text and "/api/stats/reminders?" in page.text
    bad = w.client.get("/stats/reminders", params={"from": "2026-13-01"})
    assert bad.status_code == 422 and 'id="outcome-error"' in bad.text
