"""The officers' standards and campaigns page: an officer adds a campaign and a standard
(audited; bad input refused naming the field), an enterprise user may not; what they define
reaches the enterprises' reminders."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.reminders.models import Campaign, UpcomingStandard
from ecoradar.web.app import create_app
from tests.conftest import LogIn, MakeUser
from tests.factories import uscc
from tests.integration import reminders_support as rs


@pytest.fixture
def world(container: Container, tmp_path: Path) -> Container:
    container.clock.set(rs.AS_OF)  # type: ignore[attr-defined]
    rs.world(container, tmp_path)
    return container


def test_an_officer_defines_a_campaign_and_a_standard_that_reach_the_reminders(
    world: Container, make_user: MakeUser, logged_in: LogIn
) -> None:
    officer = make_user("officer", region="C")
    with TestClient(create_app(world)) as client:
        csrf = logged_in(client, officer).csrf_token
        page = client.get("/reminders/setup")
        assert page.status_code == 200 and "标准与专项行动" in page.text
        sent = client.post(
            "/reminders/setup/campaigns",
            data={
                "csrf_token": csrf, "name": "冬季燃煤锅炉专项", "starts": "2026-11-01",
                "ends": "2027-02-28", "industries": "44", "regions": "A",
                "text": "请检查锅炉脱硫脱硝设施", "text_en": "Check the boilers' scrubbers",
            },
            follow_redirects=False,
        )  # fmt: skip
        assert sent.status_code == 303
        bad = client.post(
            "/reminders/setup/standards",
            data={"csrf_token": csrf, "standard": "GB 13271-2026", "industry": "44",
                  "effective": "next year", "changes": "NOx"},
        )  # fmt: skip
        assert bad.status_code == 422 and "effective" in bad.text
        client.post(
            "/reminders/setup/standards",
            data={"csrf_token": csrf, "standard": "GB 13271-2026", "industry": "44",
                  "effective": "2027-01-15", "changes": "氮氧化物限值收严至50"},
            follow_redirects=False,
        )  # fmt: skip
    with world.reading() as session:
        [campaign] = session.scalars(select(Campaign)).all()
        [standard] = session.scalars(select(UpcomingStandard)).all()
        assert campaign.industries == ["44"] and len(campaign.region_ids) == 1
        assert standard.effective.isoformat() == "2027-01-15"
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"reminder_campaign.create", "reminder_standard.create"} <= actions
    rs.run(world)
    with world.reading() as session:
        from ecoradar.reminders.models import Reminder

        found = {
            r.enterprise.code: [i.trigger for i in r.issues]
            for r in session.scalars(select(Reminder))
        }
    # county A holds enterprises 1 and 2; enterprise 3 (county B) gets the standard only
    assert found[uscc(1)] == ["standard_change", "campaign"]
    assert found[uscc(2)] == ["standard_change", "campaign"]
    assert found[uscc(3)] == ["standard_change"]


def test_an_enterprise_user_may_not_define_campaigns(
    world: Container, make_user: MakeUser, logged_in: LogIn
) -> None:
    company = make_user("enterprise", enterprise=uscc(1))
    with TestClient(create_app(world)) as client:
        csrf = logged_in(client, company).csrf_token
        assert client.get("/reminders/setup").status_code == 403
        refused = client.post(
            "/reminders/setup/campaigns",
            data={"csrf_token": csrf, "name": "x", "starts": "2026-11-01", "ends": "2026-11-30",
                  "text": "x"},
        )  # fmt: skip
        assert refused.status_code == 403
    with world.reading() as session:
        assert session.scalars(select(Campaign)).all() == []
