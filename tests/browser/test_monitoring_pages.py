"""Online monitoring in a real browser: the device list, a point's chart with its limit and
flagged values, switching factors and ranges, alert windows, English, other time zones, a phone.

The sample city of the live server gets ten days of hourly data (old, as replayed data is) for
three points, refused packets and packets from an unregistered MN.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.hj212.codec import decode
from ecoradar.hj212.encoder import encode_packet
from ecoradar.monitoring.pipeline import Intake
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import PointProfile, hourly_series
from tests.browser.conftest import PHONE, LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
START = datetime(2026, 10, 9, 16, tzinfo=UTC)  # 2026-10-10 00:00 China time
HOURS = 240  # to 2026-10-19 23:00 China time
FLAGGED = range(200, 203)  # 2026-10-18 08:00 to 10:00, calibration
SPIKE = range(180, 184)  # 2026-10-17 12:00 to 15:00, above the limit
UNKNOWN_MN = "UNREG00000000000000000A1"
CHART = "#series-chart"
DEVICE_ROWS = "#device-rows tr"


@dataclass(frozen=True)
class Monitored:
    gas: PointProfile
    """Reporting now: ten days, three hours flagged C, four hours above the limit, refusals."""
    water: PointProfile
    """Silent: its packets arrived five hours ago."""
    other: PointProfile
    enterprise_name: str
    enterprise_code: str


def reworked(frame: bytes, code: str | None = None, factor: float = 1.0, flag: str = "N") -> bytes:
    """``frame`` with ``code``'s values multiplied by ``factor`` and every flag set to ``flag``."""
    packet = decode(frame)
    items: dict[str, dict[str, str]] = {}
    for name, item in packet.items.items():
        changed = dict(item, Flag=flag)
        if name == code:
            for suffix in ("Avg", "Min", "Max", "ZsAvg", "ZsMin", "ZsMax"):
                if suffix in changed:
                    changed[suffix] = f"{float(changed[suffix]) * factor:.3f}"
        items[name] = changed
    return encode_packet(replace(packet, items=items), max_length=4096)


@pytest.fixture(scope="module")
def monitored(live_server: LiveServer) -> Monitored:
    box = live_server.container
    with box.transaction() as session:
        profiles = load_profiles(session)
        protected = set(
            session.scalars(select(MonitoringPoint.mn).where(MonitoringPoint.password.is_not(None)))
        )
    gas = next(
        p
        for p in profiles
        if p.medium == "gas"
        and p.mn in protected
        and sum(f.o2_reference is not None for f in p.factors) >= 2
    )
    water = next(p for p in profiles if p.medium == "water")
    other = next(p for p in profiles if p.medium == "gas" and p.mn != gas.mn)
    with box.transaction() as session:
        name, code = session.execute(
            select(Enterprise.name, Enterprise.code)
            .join(Outlet, Outlet.enterprise_id == Enterprise.id)
            .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
            .where(MonitoringPoint.mn == gas.mn)
        ).one()

    frames = hourly_series(gas, START, HOURS)
    for hour in SPIKE:
        frames[hour] = reworked(frames[hour], gas.factors[0].code, 2.6)
    for hour in FLAGGED:
        frames[hour] = reworked(frames[hour], flag="C")
    intake = Intake(box)
    now = box.clock.now()
    silent = hourly_series(water, START, HOURS)
    intake.write([intake.judge(f, "10.20.0.2:6001", now - timedelta(hours=5)) for f in silent])
    intake.run([(f, "10.20.0.1:6000") for f in frames])
    intake.run([(f, "10.20.0.3:6002") for f in hourly_series(other, START, HOURS)])
    broken = frames[0].rstrip(b"\r\n")[:-4] + b"0000"
    stranger = replace(gas, mn=UNKNOWN_MN, password="123456")
    intake.run(
        [
            (broken, "10.20.0.1:6000"),
            (broken, "10.20.0.1:6000"),
            (hourly_series(replace(gas, password="000000"), START, 1)[0], "198.51.100.4:7000"),
            *[(f, "203.0.113.7:50001") for f in hourly_series(stranger, START, 2)],
            (hourly_series(stranger, START + timedelta(hours=2), 1)[0], "203.0.113.8:50002"),
        ]
    )
    return Monitored(gas, water, other, name, code)


def mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def chart_option(page: Page) -> Any:
    """The options the chart was drawn with (series, axes, marks)."""
    return page.evaluate(
        f"""() => {{
            const option = echarts.getInstanceByDom(document.querySelector('{CHART}')).getOption();
            return {{
                series: option.series.map(s => ({{
                    id: s.id, name: s.name, points: s.data.length,
                    limit: s.markLine && s.markLine.data.length ? s.markLine.data[0].yAxis : null,
                    windows: s.markArea ? s.markArea.data.length : 0,
                    symbol: s.symbol
                }})),
                useUTC: option.useUTC
            }};
        }}"""
    )


def show_tip(page: Page, series: str, index: int) -> str:
    """Show the chart's tooltip for point ``index`` of series ``series``; its text."""
    page.evaluate(
        f"""() => {{
            const chart = echarts.getInstanceByDom(document.querySelector('{CHART}'));
            const seriesIndex = chart.getOption().series.findIndex(s => s.id === '{series}');
            chart.dispatchAction({{ type: 'showTip', seriesIndex, dataIndex: {index} }});
        }}"""
    )
    tip = page.locator(".series-tooltip")
    expect(tip).to_be_visible()
    return tip.inner_text()


# --- the device list ----------------------------------------------------------------------


def test_the_device_list_shows_states_refusals_and_unknown_devices(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + "/monitoring")
    expect(page).to_have_title(re.compile("在线监测"))
    expect(page.locator(".mainnav a.active")).to_have_text("在线监测")
    expect(page.locator("#stat-online .stat-value")).to_have_text("2")
    expect(page.locator("#stat-silent .stat-value")).to_have_text("1")
    expect(page.locator(DEVICE_ROWS)).to_have_count(50)
    expect(page.locator("#unknown-rows tr")).to_have_count(1)
    unknown = page.locator(f'#unknown-rows tr[data-mn="{UNKNOWN_MN}"]')
    expect(unknown).to_contain_text("203.0.113.8:50002")
    expect(unknown.locator("td.num")).to_have_text("3")
    expect(page.locator('#reasons [data-reason="bad_crc"] dd')).to_have_text("2")
    statuses = page.locator(DEVICE_ROWS).evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses[:4] == ["online", "online", "silent", "never"]  # latest heard from first
    shot(page, "devices")
    page.locator("#unknown-devices").scroll_into_view_if_needed()
    shot(page, "unknown-devices-and-counters")

    mark_document(page)
    with page.expect_response(lambda r: "/monitoring/rows" in r.url and "state=online" in r.url):
        page.locator("#monitoring-state").select_option("online")
    expect(page.locator(DEVICE_ROWS)).to_have_count(2)
    rows = page.locator(DEVICE_ROWS)
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {"online"}
    gas = page.locator(f'{DEVICE_ROWS}[data-mn="{monitored.gas.mn}"]')
    expect(gas.locator(".cell-received")).to_have_text(f"{HOURS + 3:,}")
    expect(gas.locator(".cell-stored")).to_have_text(f"{HOURS:,}")
    expect(gas.locator('.chip[data-reason="bad_crc"]')).to_contain_text("CRC 校验失败 2")
    expect(gas.locator('.chip[data-reason="wrong_password"]')).to_contain_text("密码错误 1")
    assert same_document(page)
    expect(page).to_have_url(re.compile(r"/monitoring\?state=online$"))
    shot(page, "devices-online")

    page.locator("#stat-silent").click()
    expect(page.locator(DEVICE_ROWS)).to_have_count(1)
    silent = page.locator(f'{DEVICE_ROWS}[data-mn="{monitored.water.mn}"]')
    expect(silent.locator(".cell-status")).to_contain_text("离线")
    expect(silent.locator(".cell-status")).to_contain_text(re.compile(r"5 小时 \d+ 分钟前"))
    shot(page, "devices-silent")


def test_searching_devices_filters_in_place_and_opens_a_point(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + "/monitoring")
    mark_document(page)
    with page.expect_response(lambda r: "/monitoring/rows" in r.url and "q=" in r.url):
        page.locator("#monitoring-q").fill(monitored.enterprise_name)
    expect(page.locator(f'{DEVICE_ROWS}[data-mn="{monitored.gas.mn}"]')).to_be_visible()
    names = page.locator(f"{DEVICE_ROWS} .cell-enterprise a").all_inner_texts()
    assert names and all(monitored.enterprise_name in n for n in names)
    assert same_document(page), "the search reloaded the page"
    shot(page, "searched-by-name")

    with page.expect_response(lambda r: "/monitoring/rows" in r.url):
        page.locator("#monitoring-q").fill(monitored.gas.mn[-8:].lower())
    expect(page.locator(DEVICE_ROWS)).to_have_count(1)
    shot(page, "searched-by-mn")

    page.locator(f"{DEVICE_ROWS} .cell-mn a").click()
    expect(page).to_have_url(live_server.url + f"/monitoring/{monitored.gas.mn}")
    expect(page.locator("#point-enterprise")).to_have_text(monitored.enterprise_name)
    expect(page.locator(CHART)).to_have_attribute("data-ready", "true")


# --- a point's chart ----------------------------------------------------------------------


def test_the_point_chart_draws_a_week_of_hourly_values_with_the_limit_and_flagged_hours(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    gas = monitored.gas
    first = gas.factors[0]
    page.goto(live_server.url + f"/monitoring/{gas.mn}")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart).to_have_attribute("data-factor", first.code)
    expect(chart).to_have_attribute("data-points", str(7 * 24))  # the week up to the newest hour
    expect(chart).to_have_attribute("data-flagged", str(len(FLAGGED)))
    expect(chart).to_have_attribute("data-since", "2026-10-13T00:00:00+08:00")
    expect(page.locator("#point-latest")).to_contain_text("2026-10-19 23:00")
    expect(page.locator(".preset.active")).to_have_text("近 7 天")
    option = chart_option(page)
    assert option["useUTC"] is True
    main, measured, flagged = option["series"]
    assert main["limit"] == pytest.approx(first.limit) and main["name"] == "折算浓度"
    assert measured["name"] == "实测浓度" and main["points"] == 7 * 24
    assert flagged["points"] == len(FLAGGED) and flagged["symbol"] == "emptyCircle"
    expect(page.locator(f'#aggregates tr[data-factor="{first.code}"]')).to_be_visible()
    shot(page, "point", full_page=True)

    tip = show_tip(page, "flagged", 0)
    assert "2026-10-18 08:00" in tip and "C 校准" in tip and "限值" in tip
    shot(page, "flagged-tooltip")

    tip = show_tip(page, "main", (SPIKE[0] - 72) + 1)
    assert "2026-10-17 13:00" in tip
    value = float(re.search(r"折算浓度: ([\d.]+)", tip).group(1))  # type: ignore[union-attr]
    assert value > first.limit, "the spike should be above the limit"
    shot(page, "spike-tooltip")


def test_switching_the_factor_redraws_the_chart_in_place(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    gas = monitored.gas
    second = gas.factors[1]
    page.goto(live_server.url + f"/monitoring/{gas.mn}")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    mark_document(page)
    with page.expect_response(lambda r: "/series" in r.url and f"factor={second.code}" in r.url):
        page.locator(f'#factor-tabs a[data-factor="{second.code}"]').click()
    expect(chart).to_have_attribute("data-factor", second.code)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-limit", re.compile(rf"^{second.limit:g}(\.0)?$"))
    expect(page.locator("#factor-tabs a.active")).to_have_attribute("data-factor", second.code)
    expect(page.locator("#range-form input[name=factor]")).to_have_value(second.code)
    expect(page).to_have_url(re.compile(rf"factor={second.code}"))
    assert same_document(page), "switching the factor reloaded the page"
    assert chart_option(page)["series"][0]["limit"] == pytest.approx(second.limit)
    shot(page, "second-factor")

    with page.expect_response(lambda r: "/series" in r.url and "factor=a00000" in r.url):
        page.locator('#factor-tabs a[data-factor="a00000"]').click()
    expect(chart).to_have_attribute("data-factor", "a00000")
    expect(chart).to_have_attribute("data-limit", "")
    assert [s["id"] for s in chart_option(page)["series"]] == ["main", "flagged"]
    shot(page, "flow-without-limit")


def test_quick_ranges_and_chosen_days(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + f"/monitoring/{monitored.other.mn}")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    page.locator(".preset", has_text="近 30 天").click()
    expect(page).to_have_url(re.compile(r"days=30"))
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-points", str(HOURS))  # all ten days
    shot(page, "last-30-days")

    page.locator("#range-start").fill("2026-10-15")
    page.locator("#range-end").fill("2026-10-15")
    page.locator("#range-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"start=2026-10-15&end=2026-10-15"))
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-points", "24")
    expect(chart).to_have_attribute("data-since", "2026-10-15T00:00:00+08:00")
    expect(page.locator(".preset.active")).to_have_count(0)
    shot(page, "one-day")


def test_alert_windows_from_a_list_are_drawn_on_the_chart(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + f"/monitoring/{monitored.gas.mn}")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    page.evaluate(
        """node => EcoRadarSeries.setWindows(node, [
            {start: '2026-10-17T12:00:00+08:00', end: '2026-10-17T16:00:00+08:00'},
            {start: '2026-10-18T08:00:00+08:00', end: '2026-10-18T11:00:00+08:00', label: 'C'}
        ])""",
        chart.element_handle(),
    )
    expect(chart).to_have_attribute("data-windows", "2")
    assert chart_option(page)["series"][0]["windows"] == 2
    shot(page, "alert-windows")


# --- languages, time zones, phones, links -------------------------------------------------


def test_in_english_and_another_time_zone_times_stay_china_time(
    open_page: Callable[..., Page], live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page = open_page(locale="en-US", timezone_id="America/New_York")
    assert page.evaluate("new Date().getTimezoneOffset()") > 0
    page.goto(live_server.url + f"/monitoring/{monitored.gas.mn}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(page.locator("#chart-title")).to_contain_text("Hourly values")
    expect(page.locator(".preset.active")).to_have_text("Last 7 days")
    tip = show_tip(page, "main", 0)
    assert tip.startswith("2026-10-13 00:00"), tip  # China time, not New York's
    assert "Converted concentration" in tip and "Limit" in tip
    shot(page, "point-english")

    page.goto(live_server.url + "/monitoring")
    expect(page.locator("h1")).to_have_text("Online monitoring")
    expect(page.locator("#unknown-title")).to_have_text("Unknown devices")
    shot(page, "devices-english", full_page=True)


def test_a_phone_can_use_the_device_list_and_a_point_chart(
    open_page: Callable[..., Page], live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page = open_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/monitoring?state=online")
    expect(page.locator(DEVICE_ROWS)).to_have_count(2)
    assert no_horizontal_scroll(page), "the device list is wider than a phone"
    shot(page, "devices-phone", full_page=True)

    page.locator(f'{DEVICE_ROWS}[data-mn="{monitored.gas.mn}"] .cell-mn a').tap()
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] - 20 and box["height"] >= 280
    assert no_horizontal_scroll(page), "the point page is wider than a phone"
    shot(page, "point-phone")
    page.locator("#aggregates-title").scroll_into_view_if_needed()
    shot(page, "point-phone-figures")


def test_the_enterprise_page_links_to_its_points(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + f"/registry/{monitored.enterprise_code}")
    link = page.locator(f'.point[data-mn="{monitored.gas.mn}"] a.point-link')
    expect(link).to_have_text("查看监测数据 →")
    shot(page, "enterprise-link")
    link.click()
    expect(page).to_have_url(live_server.url + f"/monitoring/{monitored.gas.mn}")
    expect(page.locator(CHART)).to_have_attribute("data-ready", "true")


def test_an_unknown_mn_shows_the_not_found_page(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    response = page.goto(live_server.url + "/monitoring/NOSUCHDEVICE")
    assert response is not None and response.status == 404
    expect(page.locator(".notfound")).to_contain_text("NOSUCHDEVICE")
    shot(page, "not-found")


def test_a_point_that_never_reported_says_there_are_no_values(
    page: Page, live_server: LiveServer, monitored: Monitored, shot: Shot
) -> None:
    page.goto(live_server.url + "/monitoring?state=never")
    page.locator(f"{DEVICE_ROWS} .cell-mn a").first.click()
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-points", "0")
    expect(page.locator("#chart-message")).to_have_text("所选时段内没有小时数据。")
    expect(page.locator("#aggregates-empty")).to_be_visible()
    assert chart_option(page)["series"][0]["limit"] is not None, "the limit is drawn all the same"
    shot(page, "no-values")
