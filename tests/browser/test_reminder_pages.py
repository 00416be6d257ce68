"""Service reminders in a real browser, one journey: an officer reviews and edits a draft
and issues it; the enterprise sees it in its portal, acknowledges it and answers each issue
(a note and a photo); the officer returns one answer and accepts the other; the enterprise
answers again and the officer accepts: the reminder is resolved. Another enterprise sees none
of it. A screenshot per step."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.registry.models import Enterprise
from ecoradar.reminders.config import load
from ecoradar.reminders.generate import generate
from ecoradar.reminders.models import Campaign, Reminder
from ecoradar.reminders.triggers import china_day
from tests.browser.conftest import LiveServer
from tests.conftest import create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


def photo(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 120, 90)).save(buffer, "JPEG")
    path = tmp_path / "rectified.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_the_follow_up_cycle_of_a_service_reminder(
    live_server: LiveServer, open_page: Callable[..., Page], shot: Shot, tmp_path: Path
) -> None:
    box = live_server.container
    now = box.clock.now()
    with box.transaction() as session:
        first, second = session.scalars(select(Enterprise).order_by(Enterprise.code).limit(2))
        first.permit_no, first.permit_valid_until = "91330500P001", china_day(now) + timedelta(20)
        session.add(
            Campaign(
                name="夏秋季VOCs专项治理", starts=china_day(now) - timedelta(10),
                ends=china_day(now) + timedelta(30), industries=[first.industry],
                region_ids=[], text="请开展VOCs无组织排放自查", created_at=now,
                created_by="cli:test",
            )
        )  # fmt: skip
        session.flush()
        cfg = load(overrides={"triggers": {t: {"enabled": False} for t in (
            "near_limit", "maintenance_flags", "device_offline", "selfcheck_overdue",
            "rectification_due", "standard_change")}})  # fmt: skip
        generate(session=session, config=cfg, as_of=now, now=now, actor="cli:test")
        number = session.scalars(
            select(Reminder.number).where(Reminder.enterprise_id == first.id)
        ).one()
        ours = first.code
        name = first.name
        others = second.code
    company = create_login(box, "enterprise", username="reminded", enterprise=ours)
    stranger = create_login(box, "enterprise", username="stranger", enterprise=others)

    officer = open_page()
    officer.goto(f"{live_server.url}/reminders?state=draft")
    expect(officer.locator(f'tr[data-number="{number}"]')).to_contain_text("草稿")
    shot(officer, "officer-drafts")
    officer.click(f'a[href="/reminders/{number}"]')
    expect(officer.locator("#document")).to_contain_text("企业环境服务提醒函")
    expect(officer.locator("#document")).to_contain_text(name)
    box_text = officer.locator("textarea[name^='suggestion.']").first
    box_text.fill("请于本月底前提交排污许可证延续申请。")
    officer.click("#save-draft")
    expect(officer.locator("#flash")).to_have_text("草稿已保存。")
    expect(officer.locator("#document")).to_contain_text("请于本月底前提交排污许可证延续申请。")
    shot(officer, "draft-edited", full_page=True)
    pdf = officer.request.get(f"{live_server.url}/reminders/{number}/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    officer.click("#issue-button")
    expect(officer.locator("#reminder-state")).to_have_text("已发出")
    shot(officer, "issued")

    portal = open_page(login=company)
    portal.goto(f"{live_server.url}/reminders")
    expect(portal.locator(f'tr[data-number="{number}"]')).to_contain_text("已发出")
    shot(portal, "enterprise-list")
    portal.click(f'a[href="/reminders/{number}"]')
    portal.click("#ack-button")
    expect(portal.locator("#reminder-state")).to_have_text("已签收")
    forms = portal.locator(".answer-form")
    expect(forms).to_have_count(2)
    forms.nth(0).locator("textarea").fill("已向审批部门提交延续申请，受理号 2026-118。")
    forms.nth(0).locator("input[type=file]").set_input_files(str(photo(tmp_path)))
    forms.nth(0).locator("button").click()
    expect(portal.locator("#flash")).to_have_text("答复已提交。")
    portal.locator(".answer-form textarea").fill("已完成VOCs无组织排放自查。")
    portal.locator(".answer-form button").click()
    expect(portal.locator("#reminder-state")).to_have_text("已答复")
    expect(portal.locator("a[href*='/files/']")).to_have_count(1)
    shot(portal, "answered", full_page=True)

    officer.reload()
    decisions = officer.locator(".decide-form")
    expect(decisions).to_have_count(2)
    decisions.nth(1).locator("input[name=note]").fill("请补充自查记录照片。")
    decisions.nth(1).locator("button[value=return]").click()
    expect(officer.locator("#flash")).to_have_text("答复已退回。")
    officer.locator(".decide-form button[value=accept]").click()
    expect(officer.locator("#flash")).to_have_text("答复已认可。")
    shot(officer, "one-returned-one-accepted", full_page=True)

    portal.reload()
    expect(portal.locator("text=请补充自查记录照片。")).to_be_visible()
    portal.locator(".answer-form textarea").fill("补充自查记录及照片。")
    portal.locator(".answer-form button").click()
    expect(portal.locator("#flash")).to_have_text("答复已提交。")
    officer.reload()
    officer.locator(".decide-form button[value=accept]").click()
    expect(officer.locator("#reminder-state")).to_have_text("已办结")
    shot(officer, "resolved", full_page=True)

    other = open_page(login=stranger)
    other.goto(f"{live_server.url}/reminders")
    expect(other.locator("#no-reminders")).to_be_visible()
    shot(other, "other-enterprise-sees-none")
    answer = other.goto(f"{live_server.url}/reminders/{number}")
    assert answer is not None and answer.status == 404
