"""A ``parameter_tampering`` alert in a real browser: its evidence (what changed, the parameter
history, the readings with the slope drawn over them) and the device's parameter history on its
point page. The sample city's first gas point sends a week of hourly data and a daily CN=3020
upload; on the fourth day its first analyser's slope is cut to 0.6 and the readings follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.pipeline import Intake
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.scenarios_params import Analyser, Params, hour_packet, params_packet
from ecoradar.simulate.traffic import PointProfile
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
ORIGIN = datetime(2026, 10, 1, tzinfo=CHINA_TZ)
CHANGE = ORIGIN + timedelta(days=3, hours=9)
DAYS = 7
BASE = Params(500.0, ORIGIN - timedelta(days=30), 0.1, 1.0)
EVIDENCE = "#evidence-chart"


@pytest.fixture(scope="module")
def tampered(live_server: LiveServer) -> tuple[PointProfile, str]:
    box = live_server.container
    with box.transaction() as session:
        gas = next(p for p in load_profiles(session) if p.medium == "gas")
    factor = gas.factors[0].code
    cut = Params(500.0, BASE.calibrated_at, 0.1, 0.6)
    story = Analyser(
        factor,
        "tampering",
        [(ORIGIN - timedelta(days=90), BASE), (CHANGE, cut)],
        [(CHANGE, 0.6)],
        {},
    )
    traffic = []
    for hour in range(DAYS * 24):
        when = ORIGIN + timedelta(hours=hour)
        if hour % 24 == 0:
            traffic.append((params_packet(gas, story, when + timedelta(minutes=5)), "10.9.0.1:1"))
        traffic.append((hour_packet(gas, [story], when, 1), "10.9.0.1:1"))
    Intake(box).run(traffic)
    return gas, factor


def chart_series(page: Page) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = page.evaluate(
        """selector => echarts.getInstanceByDom(document.querySelector(selector))
            .getOption().series
            .map(s => ({id: s.id, points: s.data.length, step: s.step || null}))""",
        EVIDENCE,
    )
    return series


def test_a_tampering_alert_shows_the_parameters_and_the_readings_with_the_slope(
    page: Page, live_server: LiveServer, tampered: tuple[PointProfile, str], shot: Shot
) -> None:
    gas, factor = tampered
    page.goto(live_server.url + "/alerts?kind=parameter_tampering")
    rows = page.locator("#alert-rows tr")
    expect(rows).to_have_count(1)
    shot(page, "list")
    rows.locator(".kind-link").click()
    expect(page.locator("#alert-title")).to_contain_text("参数篡改")
    expect(page.locator("#tampering-verdict")).to_have_attribute("data-verdict", "shifted")
    expect(page.locator("#tampering-changes tbody tr")).to_have_count(1)
    expect(page.locator("#tampering-changes")).to_contain_text("斜率")
    expect(page.locator("#tampering-history tbody tr.over")).to_have_count(1)
    chart = page.locator(EVIDENCE)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).not_to_have_attribute("data-slope", "0")
    series = chart_series(page)
    assert [s["id"] for s in series] == ["values", "slope"]
    assert series[0]["points"] >= 48 and series[1]["step"] == "end"
    assert "parameter_tampering" not in page.locator("main").inner_text()
    shot(page, "alert", full_page=True)

    page.goto(live_server.url + f"/monitoring/{gas.mn}")
    table = page.locator("#parameters-table tbody tr")
    expect(table).to_have_count(DAYS * len([f for f in gas.factors if f.code == factor]))
    expect(page.locator("#parameters-table")).to_contain_text("0.6")
    page.locator("#point-parameters").scroll_into_view_if_needed()
    shot(page, "point-parameters")
