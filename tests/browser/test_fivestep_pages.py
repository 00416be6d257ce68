"""The five-step check in a real browser, one journey: an administrator starts a campaign for an
enterprise of the sample city, completes the self-screening with an advisory, uploads a
third-party report whose violation goes into the problem register, records the enforcement
inspection, skips the monitoring review, completes the follow-up (a draft service reminder
holds the advisories), and, once the reminder is issued, reads the outcome figures and chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.config import config_for
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.service import issue_now
from tests.browser.conftest import LiveServer
from tests.integration.fivestep_support import pdf

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


def test_an_officer_takes_an_enterprise_through_the_five_steps(
    page: Page, live_server: LiveServer, shot: Shot, tmp_path: Path
) -> None:
    box = live_server.container
    with box.reading() as session:
        enterprise = session.scalar(
            select(Enterprise).where(Enterprise.region_id.is_not(None)).order_by(Enterprise.code)
        )
        assert enterprise is not None
        city = session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
        assert city is not None
        code, name, region = enterprise.code, enterprise.name, city.code
    today = box.clock.now().astimezone(CHINA_TZ).date()
    url = live_server.url

    page.goto(url + "/fivestep")
    expect(page.locator("h1")).to_have_text("五步法检查")
    page.fill("#campaign-name", "夏季挥发性有机物五步法检查")
    page.fill("#campaign-start", (today - timedelta(days=30)).isoformat())
    page.fill("#campaign-end", today.isoformat())
    page.select_option("#campaign-region", region)
    page.fill("#campaign-enterprises", code)
    shot(page, "new-campaign", full_page=True)
    page.click("#campaign-create")
    expect(page.locator("#campaign-title")).to_have_text("夏季挥发性有机物五步法检查")
    expect(page.locator(f'tr[data-enterprise="{code}"] td[data-state="pending"]')).to_have_count(5)
    shot(page, "campaign")

    page.click(f'tr[data-enterprise="{code}"] a')
    expect(page.locator("#record-title")).to_contain_text(name)
    expect(page.locator("#form-follow_up")).to_have_count(0)
    page.fill("#self_screening-advisories", "自查台账请由环保负责人签字确认")
    shot(page, "record", full_page=True)
    page.click("#submit-self_screening")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#step-self_screening")).to_have_attribute("data-state", "done")
    expect(page.locator("#step-self_screening")).to_contain_text("自查台账请由环保负责人签字确认")
    shot(page, "self-screening-done")

    report = tmp_path / "检测报告.pdf"
    report.write_bytes(pdf("ZJJC-2026-0815"))
    form = page.locator("#form-third_party")
    form.locator("#tp-company-input").fill("浙江某某检测技术有限公司")
    form.locator("#tp-accreditation").fill("CMA-221112340567")
    form.locator("#tp-report-no").fill("ZJJC-2026-0815")
    form.locator("#tp-file").set_input_files(str(report))
    form.locator('select[name="f1.category"]').select_option("water")
    form.locator('input[name="f1.description"]').fill("雨水排口检出COD浓度异常，疑似生产废水混入")
    form.locator('input[name="f1.violation"]').check()
    form.locator('select[name="f2.category"]').select_option("air")
    form.locator('input[name="f2.description"]').fill("活性炭更换记录不完整")
    shot(page, "third-party-form", full_page=True)
    form.locator("#submit-third_party").click()
    step = page.locator("#step-third_party")
    expect(step).to_have_attribute("data-outcome", "findings")
    expect(step.locator("#tp-company")).to_contain_text("CMA-221112340567")
    expect(step.locator(".fs-problems a")).to_have_count(1)
    expect(step).to_contain_text("活性炭更换记录不完整")
    shot(page, "third-party-done")

    form = page.locator("#form-enforcement")
    form.locator("#en-text").fill("现场检查：治理设施运行正常")
    form.locator('select[name="f1.category"]').select_option("air")
    form.locator('input[name="f1.description"]').fill("废气收集罩局部破损")
    form.locator("#submit-enforcement").click()
    expect(page.locator("#step-enforcement")).to_have_attribute("data-state", "done")
    page.locator("#step-monitoring_review details summary").click()
    page.locator('#move-monitoring_review input[name="reason"]').fill("该企业未安装在线监控")
    shot(page, "skip-monitoring")
    page.locator("#move-monitoring_review button").click()
    expect(page.locator("#step-monitoring_review")).to_have_attribute("data-state", "skipped")
    expect(page.locator("#form-follow_up")).to_be_visible()
    shot(page, "ready-for-follow-up", full_page=True)

    page.click("#submit-follow_up")
    expect(page.locator("#record-state")).to_have_attribute("data-state", "complete")
    number = page.locator("#fu-reminder a").inner_text().strip()
    assert re.fullmatch(r"[A-Z]+-\d{4}-\d{4}", number)
    shot(page, "complete", full_page=True)

    with box.transaction() as session:  # an officer reviews the draft and issues it
        reminder = session.scalar(select(Reminder).where(Reminder.number == number))
        assert reminder is not None and len(reminder.issues) == 3
        issue_now(
            session=session,
            reminder=reminder,
            config=config_for(box.settings),
            now=box.clock.now(),
            actor="user:1:admin",
            notifier=None,
        )

    page.goto(url + "/fivestep")
    page.click("#outcomes-link")
    expect(page.locator("h1")).to_have_text("服务提醒成效")
    expect(page.locator("#stat-reminders")).not_to_have_text("0")
    expect(page.locator("#stat-issues")).to_have_text(re.compile(r"[3-9]|\d\d"))
    expect(page.locator("#outcome-chart")).to_have_attribute("data-ready", "true")
    shot(page, "outcomes", full_page=True)
