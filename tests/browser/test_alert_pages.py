"""Alerts in a real browser: the list with its filters and cards, an alert's evidence chart, the
windows shaded on a point's chart, English, a phone, and a new alert arriving live while the
list is open (raised by a packet ingested through the real intake).

The sample city of the live server gets four days of hourly data (old, as replayed data is) for
two gas points, shaped so the detection raises known alerts:

* ``gas``: its first factor exceeds the limit (1.6 x) at 10-12 10:00-13:00 and far (2.4 x) at
  10-13 08:00-09:00; its second factor is flat at 10-11 06:00-15:00; it is silent at
  10-12 22:00 to 10-13 02:00 (offline, a device-level alert);
* ``other``: its first factor exceeds from 10-13 18:00 to the end, so that alert is open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.hj212.codec import decode
from ecoradar.hj212.encoder import encode_packet
from ecoradar.monitoring.pipeline import Intake
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import FactorProfile, PointProfile, hourly_series
from tests.browser.conftest import PHONE, LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
START = datetime(2026, 10, 9, 16, tzinfo=UTC)  # 2026-10-10 00:00 China time
HOURS = 96  # to 2026-10-13 23:00 China time
FLAT = range(30, 40)  # 10-11 06:00 to 15:00
OVER = range(58, 62)  # 10-12 10:00 to 13:00, 1.6 x the limit
FAR_OVER = range(80, 82)  # 10-13 08:00 to 09:00, 2.4 x the limit
SILENT = range(70, 75)  # 10-12 22:00 to 10-13 02:00
OTHER_OVER = range(90, HOURS)  # 10-13 18:00 on, still exceeding at the end
ROWS = "#alert-rows tr"
CHART = "#series-chart"
EVIDENCE = "#evidence-chart"


@dataclass(frozen=True)
class Alerted:
    gas: PointProfile
    other: PointProfile
    gas_name: str
    other_name: str

    @property
    def first(self) -> FactorProfile:
        return self.gas.factors[0]

    @property
    def second(self) -> FactorProfile:
        return self.gas.factors[1]


def with_value(frame: bytes, code: str, value: float) -> bytes:
    """``frame`` with every value of ``code`` (average, minimum, maximum, converted) ``value``."""
    packet = decode(frame)
    items = dict(packet.items)
    item = dict(items[code])
    for suffix in ("Avg", "Min", "Max", "ZsAvg", "ZsMin", "ZsMax"):
        if suffix in item:
            item[suffix] = f"{value:.3f}"
    items[code] = item
    return encode_packet(replace(packet, items=items), max_length=4096)


def hourly(profile: PointProfile, limited: set[str]) -> PointProfile:
    """``profile`` with its hourly-limited factors first."""
    factors = sorted(profile.factors, key=lambda f: f.code not in limited)
    return replace(profile, factors=tuple(factors))


@pytest.fixture(scope="module")
def alerted(live_server: LiveServer) -> Alerted:
    box = live_server.container
    with box.transaction() as session:
        hourly_limits: dict[str, set[str]] = {}
        for mn, code in session.execute(
            select(MonitoringPoint.mn, PointLimit.factor)
            .join(PointLimit, PointLimit.point_id == MonitoringPoint.id)
            .where(PointLimit.averaging == "hour", MonitoringPoint.medium == "gas")
        ):
            hourly_limits.setdefault(mn, set()).add(code)
        candidates = [
            hourly(p, hourly_limits[p.mn])
            for p in load_profiles(session)
            if len(hourly_limits.get(p.mn, ())) >= 2
        ]
        names = dict(
            session.execute(
                select(MonitoringPoint.mn, Enterprise.name)
                .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
                .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            ).all()
        )
    gas = candidates[0]
    other = next(p for p in candidates if names[p.mn] != names[gas.mn])
    first, second = gas.factors[0], gas.factors[1]
    frames = hourly_series(gas, START, HOURS)
    for i in OVER:
        frames[i] = with_value(frames[i], first.code, first.limit * 1.6)
    for i in FAR_OVER:
        frames[i] = with_value(frames[i], first.code, first.limit * 2.4)
    for i in FLAT:
        frames[i] = with_value(frames[i], second.code, round(second.limit * 0.55, 1) + 0.123)
    others = hourly_series(other, START, HOURS)
    for n, i in enumerate(OTHER_OVER):  # varying, as measured values do (not a flatline)
        others[i] = with_value(
            others[i], other.factors[0].code, other.factors[0].limit * (1.3 + n / 50)
        )
    traffic = []
    for i in range(HOURS):
        if i not in SILENT:
            traffic.append((frames[i], "10.30.0.1:6000"))
        traffic.append((others[i], "10.30.0.2:6000"))
    Intake(box).run(traffic)
    return Alerted(gas, other, names[gas.mn], names[other.mn])


def api_alerts(live_server: LiveServer, **params: object) -> list[dict[str, Any]]:
    body = httpx.get(
        live_server.url + "/api/alerts",
        params={"per_page": 200, **params},
        headers=live_server.admin.headers,
    ).json()
    found: list[dict[str, Any]] = body["items"]
    return found


def kinds_of(page: Page) -> list[str]:
    kinds: list[str] = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.kind)")
    return kinds


def mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def chart_marks(page: Page, selector: str) -> dict[str, Any]:
    """What a chart shows: points of its first series, shaded windows, the limit line."""
    marks: dict[str, Any] = page.evaluate(
        """selector => {
            const chart = echarts.getInstanceByDom(document.querySelector(selector));
            const s = chart.getOption().series[0];
            return {
                points: s.data.filter(p => p[1] !== null).length,
                windows: s.markArea ? s.markArea.data.length : 0,
                limit: s.markLine && s.markLine.data.length ? s.markLine.data[0].yAxis : null
            };
        }""",
        selector,
    )
    return marks


def expect_live(page: Page) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


# --- the list -----------------------------------------------------------------------------


def test_the_alert_list_shows_cards_and_rows_and_filters_in_place(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    everything = api_alerts(live_server)
    kinds = {a["kind"] for a in everything}
    assert {"exceedance", "flatline", "offline"} <= kinds, kinds
    page.goto(live_server.url + "/alerts")
    expect(page).to_have_title(re.compile("报警"))
    expect(page.locator(".mainnav a.active")).to_have_text("报警")
    expect_live(page)
    expect(page.locator("#live-status")).to_have_text("实时更新中")
    expect(page.locator(ROWS)).to_have_count(min(len(everything), 25))
    expect(page.locator("#kind-card-all .kind-card-value")).to_have_text(str(len(everything)))
    exceedances = [a for a in everything if a["kind"] == "exceedance"]
    card = page.locator('.kind-card[data-kind="exceedance"]')
    expect(card.locator(".kind-card-value")).to_have_text(str(len(exceedances)))
    expect(card.locator(".kind-card-sub")).to_have_text("1 条进行中")
    far = next(a for a in exceedances if a["severity"] == "high")
    row = page.locator(f'{ROWS}[data-id="{far["id"]}"]')
    expect(row.locator(".cell-severity")).to_have_text("高")
    expect(row.locator(".cell-kind")).to_have_text("超标")
    expect(row.locator(".cell-start")).to_have_text("2026-10-13 08:00")
    expect(row.locator(".cell-end")).to_have_text("2026-10-13 10:00")
    expect(row.locator(".cell-duration")).to_have_text("2 小时")
    expect(row.locator(".cell-enterprise")).to_contain_text(alerted.gas_name)
    expect(row.locator(".cell-enterprise .mn-link")).to_have_text(alerted.gas.mn)
    offline = page.locator(f'{ROWS}[data-kind="offline"]')
    expect(offline.locator(".cell-factor")).to_have_text("整台设备")
    expect(offline.locator(".cell-duration")).to_have_text("5 小时")
    still = page.locator(f'{ROWS}[data-state="open"]')
    expect(still).to_have_count(1)
    expect(still.locator(".cell-kind .badge")).to_have_text("进行中")
    expect(still.locator(".cell-end")).to_have_text("尚未结束")
    shot(page, "alerts", full_page=True)

    mark_document(page)
    with page.expect_response(lambda r: "/alerts/rows" in r.url and "kind=offline" in r.url):
        page.locator("#filter-kind").select_option("offline")
    expect(page.locator(ROWS)).to_have_count(1)
    assert kinds_of(page) == ["offline"]
    expect(page).to_have_url(re.compile(r"/alerts\?kind=offline$"))
    expect(page.locator('.kind-card.active[data-kind="offline"]')).to_be_visible()
    shot(page, "kind-offline")

    with page.expect_response(lambda r: "/alerts/rows" in r.url and "kind=exceedance" in r.url):
        card.click()
    expect(page.locator(ROWS)).to_have_count(len(exceedances))
    expect(page.locator("#filter-kind")).to_have_value("exceedance")
    with page.expect_response(lambda r: "/alerts/rows" in r.url and "state=open" in r.url):
        page.locator("#filter-state").select_option("open")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(f"{ROWS} .cell-enterprise")).to_contain_text(alerted.other_name)
    with page.expect_response(lambda r: "/alerts/rows" in r.url and "severity=high" in r.url):
        page.locator("#filter-severity").select_option("high")
    expect(page.locator("#alert-empty")).to_have_text("没有符合条件的报警。")
    assert same_document(page), "filtering reloaded the page"
    expect(page).to_have_url(re.compile(r"kind=exceedance&severity=high&state=open"))
    shot(page, "no-match")


def test_searching_and_choosing_days_narrow_the_list(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    page.goto(live_server.url + "/alerts")
    expect_live(page)
    mark_document(page)
    with page.expect_response(lambda r: "/alerts/rows" in r.url and "q=" in r.url):
        page.locator("#alerts-q").fill(alerted.other_name)
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator("#result-count")).to_contain_text(alerted.other_name)
    shot(page, "searched-by-name")

    with page.expect_response(lambda r: "/alerts/rows" in r.url):
        page.locator("#alerts-q").fill(alerted.gas.mn[-10:].lower())
    expect(page.locator(ROWS)).to_have_count(4)  # two exceedances, the flatline, offline
    with page.expect_response(lambda r: "/alerts/rows" in r.url and "start=2026-10-12" in r.url):
        page.locator("#filter-start").fill("2026-10-12")
    with page.expect_response(lambda r: "end=2026-10-12" in r.url):
        page.locator("#filter-end").fill("2026-10-12")
    expect(page.locator(ROWS)).to_have_count(2)
    assert sorted(kinds_of(page)) == ["exceedance", "offline"]
    expect(page.locator(f"{ROWS} .cell-start").first).to_contain_text("2026-10-12")
    assert same_document(page)
    shot(page, "one-day-of-one-device")


# --- one alert ----------------------------------------------------------------------------


def test_an_alert_shows_its_evidence_as_a_table_and_a_chart_and_opens_the_point_on_it(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    page.goto(live_server.url + "/alerts?kind=exceedance&severity=medium")
    expect(page.locator(ROWS)).to_have_count(1)
    page.locator(f"{ROWS} .kind-link").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    expect(page.locator("#alert-title")).to_contain_text("超标")
    expect(page.locator("#alert-start")).to_have_text("2026-10-12 10:00")
    expect(page.locator("#alert-end")).to_have_text("2026-10-12 14:00")
    expect(page.locator("#alert-duration")).to_have_text("4 小时")
    limit = f"{alerted.first.limit:g}"
    expect(page.locator("#evidence-limit")).to_contain_text(limit)
    expect(page.locator("#evidence-values tbody tr.over")).to_have_count(len(OVER))
    chart = page.locator(EVIDENCE)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    marks = chart_marks(page, EVIDENCE)
    assert marks == {"points": len(OVER), "windows": 1, "limit": pytest.approx(alerted.first.limit)}
    shot(page, "exceedance", full_page=True)

    page.locator("#point-link").click()
    expect(page).to_have_url(
        re.compile(rf"/monitoring/{alerted.gas.mn}\?factor={alerted.first.code}"
                   r"&start=2026-10-11&end=2026-10-13$")
    )  # fmt: skip
    series = page.locator(CHART)
    expect(series).to_have_attribute("data-ready", "true")
    expect(series).to_have_attribute("data-windows", "3")  # two exceedances and offline
    shot(page, "point-on-the-window")


def test_a_device_level_alert_and_a_flatline_read_well(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    (flat,) = api_alerts(live_server, kind="flatline")
    page.goto(live_server.url + f"/alerts/{flat['id']}")
    expect(page.locator("#alert-title")).to_contain_text("数据恒值")
    expect(page.locator('#evidence-parameters [data-parameter="hours"] dd')).to_have_text("6")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-ready", "true")
    assert chart_marks(page, EVIDENCE)["points"] == len(FLAT)
    shot(page, "flatline", full_page=True)

    (offline,) = api_alerts(live_server, kind="offline")
    page.goto(live_server.url + f"/alerts/{offline['id']}")
    expect(page.locator("#alert-title")).to_contain_text("设备离线")
    expect(page.locator("#alert-facts")).to_contain_text("整台设备（全部监测因子）")
    expect(page.locator('[data-fact="last_data"] + dd')).to_have_text("2026-10-12 21:00")
    expect(page.locator(EVIDENCE)).to_have_count(0)
    shot(page, "offline", full_page=True)


# --- the point page -----------------------------------------------------------------------


def test_the_point_chart_shades_alert_windows_and_lists_the_alerts(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    gas = alerted.gas
    page.goto(live_server.url + f"/monitoring/{gas.mn}?factor={alerted.first.code}")
    chart = page.locator(CHART)
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-windows", "3")
    assert chart_marks(page, CHART)["windows"] == 3
    rows = page.locator("#point-alert-rows tr")
    expect(rows).to_have_count(4)
    expect(page.locator('#point-alert-rows tr[data-kind="offline"] .cell-factor')).to_have_text(
        "整台设备"
    )
    shot(page, "point-windows", full_page=True)

    with page.expect_response(lambda r: "/api/alerts/windows/" in r.url):
        page.locator(f'#factor-tabs a[data-factor="{alerted.second.code}"]').click()
    expect(chart).to_have_attribute("data-factor", alerted.second.code)
    expect(chart).to_have_attribute("data-windows", "2")  # the flatline and offline
    shot(page, "second-factor-windows")
    page.locator('#point-alert-rows tr[data-kind="flatline"] .kind-link').click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))


# --- languages, phones, not found ---------------------------------------------------------


def test_in_english_every_label_is_english(
    open_page: Callable[..., Page], live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    page = open_page(locale="en-US", timezone_id="America/New_York")
    page.goto(live_server.url + "/alerts")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Alerts")
    expect_live(page)
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator('.kind-card[data-kind="offline"] .kind-card-label')).to_have_text("Offline")
    expect(page.locator(f'{ROWS}[data-kind="flatline"] .cell-kind')).to_have_text("Flatline")
    expect(page.locator(f'{ROWS}[data-kind="offline"] .cell-start')).to_have_text(
        "2026-10-12 22:00"
    )  # China time, not New York's
    labels = page.locator(
        "h1, .lede, label, option, button, th, .live-text, .kind-card-label, .kind-card-sub,"
        " .result-count, .cell-kind, .cell-factor, .cell-end, .cell-duration, .footer"
    ).all_inner_texts()
    untranslated = [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]
    assert untranslated == [], untranslated
    shot(page, "alerts-english", full_page=True)

    (flat,) = api_alerts(live_server, kind="flatline")
    page.goto(live_server.url + f"/alerts/{flat['id']}")
    expect(page.locator("#evidence-title")).to_have_text("Evidence")
    expect(page.locator('#evidence-parameters [data-parameter="hours"] dt')).to_contain_text(
        "Hours needed"
    )
    expect(page.locator(EVIDENCE)).to_have_attribute("data-ready", "true")
    shot(page, "flatline-english", full_page=True)

    response = page.goto(live_server.url + "/alerts/987654")
    assert response is not None and response.status == 404
    expect(page.locator(".notfound")).to_contain_text("There is no alert number 987654.")
    shot(page, "not-found-english")


def test_a_phone_can_read_the_list_and_an_alert(
    open_page: Callable[..., Page], live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    page = open_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/alerts")
    expect_live(page)
    expect(page.locator(ROWS).first).to_be_visible()
    assert no_horizontal_scroll(page), "the alert list is wider than a phone"
    shot(page, "alerts-phone")
    page.evaluate("document.getElementById('result-count').scrollIntoView()")
    shot(page, "alerts-phone-rows")

    page.locator(f"{ROWS} .kind-link").first.tap()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    assert no_horizontal_scroll(page), "an alert page is wider than a phone"
    shot(page, "alert-phone", full_page=True)

    (far,) = [a for a in api_alerts(live_server, kind="exceedance") if a["severity"] == "high"]
    page.goto(live_server.url + f"/alerts/{far['id']}")
    chart = page.locator(EVIDENCE)
    expect(chart).to_have_attribute("data-ready", "true")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] - 20
    assert no_horizontal_scroll(page)
    page.locator("#values-title").scroll_into_view_if_needed()
    shot(page, "evidence-phone")


# --- live ---------------------------------------------------------------------------------


def test_a_new_alert_appears_in_the_open_list_without_a_reload(
    page: Page, live_server: LiveServer, alerted: Alerted, shot: Shot
) -> None:
    page.goto(live_server.url + "/alerts")
    expect_live(page)
    before = page.locator(ROWS).count()
    exceedances = page.locator('.kind-card[data-kind="exceedance"] .kind-card-value').inner_text()
    mark_document(page)
    shot(page, "before")

    gas, first = alerted.gas, alerted.first
    frame = hourly_series(gas, START + HOURS * timedelta(hours=1), 1)[0]
    Intake(live_server.container).run([(with_value(frame, first.code, first.limit * 3), "live")])

    new = page.locator(f'{ROWS}[data-live="new"]')
    expect(new).to_be_visible(timeout=5_000)
    expect(new).to_have_count(1)
    expect(new).to_have_class(re.compile(r"\bis-new\b"))
    expect(new.locator(".cell-kind")).to_contain_text("超标")
    expect(new.locator(".cell-start")).to_have_text("2026-10-14 00:00")
    expect(new.locator(".cell-severity")).to_have_text("高")
    expect(new.locator(".cell-end")).to_have_text("尚未结束")
    assert page.locator(ROWS).first.get_attribute("data-live") == "new", "the newest is on top"
    expect(page.locator(ROWS)).to_have_count(min(before + 1, 25))
    expect(page.locator('.kind-card[data-kind="exceedance"] .kind-card-value')).to_have_text(
        str(int(exceedances) + 1)
    )
    assert same_document(page), "the page reloaded"
    shot(page, "new-alert-highlighted")
    expect(new).not_to_have_class(re.compile(r"\bis-new\b"), timeout=10_000)
    shot(page, "new-alert-settled")
