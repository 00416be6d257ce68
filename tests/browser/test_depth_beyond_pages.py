"""The evidence charts of the detection depth kinds "beyond the contract" in a real browser: a
drop during an inspection, a dilution and values too round (alerts stored with the evidence the
rules write, at a point of the sample city), each page read in Chinese."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.detection import beyond, inspection
from ecoradar.detection.daily import china_day
from ecoradar.detection.models import Alert
from ecoradar.detection.params import (
    GAS_FLOW,
    OXYGEN,
    FactorConfig,
    HourRecord,
    PointConfig,
    Reading,
)
from ecoradar.detection.runs import Span
from ecoradar.registry.models import MonitoringPoint
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
SO2 = "a21026"
DAYS = 18
VISIT_DAY = 15
DILUTED = range(14 * 24 + 20, 15 * 24 + 6)  # ten hours of air let in, overnight
ROUNDED_DAY = 17
RAW_CODES = ("inspection_drop", "dilution", "rounded_values", "relative_drop", "usual_o2")


def records(*, visited: bool) -> list[HourRecord]:
    """A gas point's hours: SO2 drops in the working hours of the visit (``visited``), or ten
    hours diluted and then a day with half of its values typed in as whole numbers."""
    rng = random.Random(int(visited))
    out = []
    for i in range(DAYS * 24):
        so2 = 14.0 * (1 + 0.2 * math.sin(2 * math.pi * i / 24)) * rng.uniform(0.95, 1.05)
        o2, flow = 9.0 + rng.uniform(-0.3, 0.3), 50.0 * rng.uniform(0.97, 1.03)
        if visited and i // 24 == VISIT_DAY and 9 <= i % 24 < 17:
            so2 *= 0.55
        if not visited and i in DILUTED:
            so2, o2, flow = so2 / 3, 20.9 - (20.9 - o2) / 3, flow * 1.6
        whole = not visited and i // 24 == ROUNDED_DAY and i % 2 == 0
        readings = {
            SO2: Reading(float(round(so2)) if whole else round(so2, 3), flag="N"),
            OXYGEN: Reading(round(o2, 2), flag="N"),
            GAS_FLOW: Reading(round(flow, 3), flag="N"),
        }
        out.append(HourRecord(T0 + i * H, readings))
    return out


def spans() -> dict[str, Span]:
    """One span of each kind, as ``beyond.point_spans`` (the daily depth pass's) finds them."""
    config = PointConfig(1, "POINT", "gas", {SO2: FactorConfig(SO2, 100.0, "hour", None)})
    visit = inspection.Visit(china_day(T0 + VISIT_DAY * 24 * H), "inspection", 7)
    found = beyond.point_spans(config, records(visited=True), visits=[visit])
    found += beyond.point_spans(config, records(visited=False))
    by_kind = {s.kind: s for s in found}
    assert sorted(by_kind) == sorted(beyond.KINDS), [s.kind for s in found]
    return by_kind


def store(live: LiveServer) -> dict[str, int]:
    """An alert of each kind at a point of the sample city; their ids by kind."""
    with live.container.transaction() as session:
        point = session.scalars(
            select(MonitoringPoint).where(MonitoringPoint.outlet_id.is_not(None)).limit(1)
        ).one()
        made = {
            kind: Alert(
                point_id=point.id, factor=span.factor, kind=kind, start=span.start,
                end=span.end, severity=span.severity, evidence=span.evidence,
                raised_at=T0 + DAYS * 24 * H, updated_at=T0 + DAYS * 24 * H,
            )
            for kind, span in spans().items()
        }  # fmt: skip
        session.add_all(made.values())
        session.flush()
        return {kind: alert.id for kind, alert in made.items()}


def no_raw_codes(page: Page) -> None:
    text = page.locator("main").inner_text()
    for code in RAW_CODES:
        assert code not in text, f"{code!r} shown on the page"


def test_a_drop_a_dilution_and_round_values_are_drawn_as_charts(
    live_server: LiveServer, page: Page, shot: Shot
) -> None:
    ids = store(live_server)
    page.goto(f"{live_server.url}/alerts/{ids['inspection_drop']}")
    expect(page.locator("#alert-title")).to_contain_text("检查期间数据下降")
    expect(page.locator("#visit-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#visit-chart canvas")).to_have_count(1)
    facts = page.locator("#evidence-facts")
    expect(facts).to_contain_text("检查日")
    expect(facts).to_contain_text("2026-03-17")
    no_raw_codes(page)
    shot(page, "inspection-drop", full_page=True)

    page.goto(f"{live_server.url}/alerts/{ids['dilution']}")
    expect(page.locator("#alert-title")).to_contain_text("稀释")
    expect(page.locator("#dilution-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#dilution-chart canvas")).to_have_count(1)
    expect(page.locator("#evidence-facts")).to_contain_text("生产时的平时含氧量")
    expect(page.locator("#dilution-facts")).to_contain_text("二氧化硫")
    no_raw_codes(page)
    shot(page, "dilution", full_page=True)

    page.goto(f"{live_server.url}/alerts/{ids['rounded_values']}")
    expect(page.locator("#digits-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#digits-chart canvas")).to_have_count(1)
    expect(page.locator("#evidence-facts")).to_contain_text("仪器分辨率")
    no_raw_codes(page)
    shot(page, "rounded-values", full_page=True)
