"""Ambient stations in a real browser: an officer opens the station list (map and table),
opens a station (its newest readings with the wind, its findings, its place), follows a
finding to its problem, and reads the same pages in English."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.hj212.encoder import encode
from ecoradar.monitoring.pipeline import Intake
from ecoradar.registry.models import Enterprise
from ecoradar.stations import service
from ecoradar.stations.evaluate import run_stations
from tests.browser.conftest import LiveServer
from tests.factories import write_csv

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
PASSWORD = "112233"


def hourly(mn: str, when: datetime, rng: random.Random, *, ozone: float) -> bytes:
    values = {
        "a34004": rng.uniform(20, 40),
        "a34002": rng.uniform(40, 70),
        "a21026": 2.0,
        "a21004": rng.uniform(20, 50),
        "a21005": rng.uniform(0.3, 0.8),
        "a05024": ozone,
        "a01001": 18.5,
        "a01002": 55.0,
        "a01006": 101.2,
        "a01007": 3.4,
        "a01008": 315.0,
    }
    return encode(
        st="22",
        cn="2061",
        pw=PASSWORD,
        mn=mn,
        edition="2017",
        data_time=when,
        items={code: {"Avg": f"{v:.4g}", "Flag": "N"} for code, v in values.items()},
    )


@pytest.fixture(scope="module")
def stations(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    box = live_server.container
    with box.reading() as session:
        places = session.execute(
            select(Enterprise.longitude, Enterprise.latitude).order_by(Enterprise.code).limit(3)
        ).all()
    rows = [
        [f"S{n}", name, "air", f"STATIONMN{n:03d}", lon + 0.002, lat + 0.002, PASSWORD]
        for n, ((lon, lat), name) in enumerate(
            zip(places, ("城东监测站", "城西监测站", "开发区站"), strict=True)
        )
    ]
    path = write_csv(
        tmp_path_factory.mktemp("stations") / "stations.csv",
        ["code", "name", "kind", "mn", "longitude", "latitude", "password"],
        rows,
    )
    with box.transaction() as session:
        service.import_stations(
            session=session, path=path, regions=box.regions, now=box.clock.now()
        )
    rng = random.Random(7)
    last = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    frames = []
    for back in range(30, -1, -1):
        when = last - timedelta(hours=back)
        for n in range(3):
            ozone = 235.0 if n == 0 and back in (4, 5) else rng.uniform(60, 120)
            frames.append((hourly(f"STATIONMN{n:03d}", when, rng, ozone=ozone), "10.1.1.1:9"))
    Intake(box, mode="live").run(frames)
    report = run_stations(box)
    # two hours of ozone at 235 at S0 alone: above GB 3095, and a rise its neighbours lack
    assert report.findings == {"exceedance": 1, "sudden_rise": 1}
    return [row[0] for row in rows]


def test_an_officer_reads_the_stations_their_readings_wind_and_findings(
    live_server: LiveServer, stations: list[str], open_page: Callable[..., Page], shot: Shot
) -> None:
    page = open_page()
    page.goto(f"{live_server.url}/stations")
    expect(page.locator("h1")).to_have_text("环境监测站点")
    expect(page.locator("#stations-table tbody tr")).to_have_count(3 + 5)  # the sample city's 5
    expect(page.locator("#stations-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#stations-map")).to_have_attribute("data-shown", "8")
    expect(page.locator("#stations-table")).to_contain_text("城东监测站")
    expect(page.locator("#stations-table")).to_contain_text("空气质量")
    shot(page, "list", full_page=True)

    page.locator("#stations-table a", has_text="S0").click()
    expect(page.locator("#station-name")).to_have_text("城东监测站")
    expect(page.locator("#wind-text")).to_contain_text("3.4 米/秒")
    expect(page.locator("#wind-text")).to_contain_text("西北")
    expect(page.locator("#latest-readings tr[data-factor='a05024']")).to_contain_text("臭氧")
    expect(page.locator("#station-findings tbody tr")).to_have_count(2)
    expect(page.locator("#station-findings")).to_contain_text("超过环境质量标准")
    expect(page.locator("#station-findings")).to_contain_text("突升，周边未同步")
    expect(page.locator("#enterprise-map")).to_have_attribute("data-ready", "true")
    shot(page, "station", full_page=True)

    page.locator("#station-findings a").first.click()
    expect(page.locator("body")).to_contain_text("环境监测站点")  # the channel's label
    expect(page.locator("body")).to_contain_text("城东监测站")
    shot(page, "problem", full_page=True)

    english = open_page(locale="en-US")
    english.goto(f"{live_server.url}/lang/en?next=/stations/S0")
    expect(english.locator("#station-name")).to_have_text("城东监测站")
    expect(english.locator("#wind-text")).to_contain_text("3.4 m/s from 315° (NW)")
    expect(english.locator("#station-findings")).to_contain_text("Above the ambient standard")
    shot(english, "station-en", full_page=True)
    english.goto(f"{live_server.url}/stations")
    expect(english.locator("h1")).to_have_text("Ambient stations")
    shot(english, "list-en", full_page=True)
