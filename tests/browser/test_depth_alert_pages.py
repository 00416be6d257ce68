"""The evidence charts of the detection depth kinds in a real browser: a cloned stream's two
series and a bunching's histogram against the expected shape (alerts stored with the evidence
the passes write, at two points of the sample city)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.detection import bunching, clones
from ecoradar.detection.models import Alert
from ecoradar.registry.models import MonitoringPoint
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
T0 = datetime(2026, 10, 9, 16, tzinfo=UTC)
H = timedelta(hours=1)


def store(live: LiveServer) -> tuple[int, int]:
    """A cloned_stream alert and a limit_bunching alert; returns their ids."""
    rng = random.Random(1)
    source = [20 * (1 + 0.2 * math.sin(i / 4)) * rng.uniform(0.94, 1.06) for i in range(48)]
    copy = [round(1.3 * v + 2, 2) for v in source]
    series = {(1, "a21026"): {T0 + i * H: v for i, v in enumerate(source)}}
    series[(2, "a21026")] = {T0 + i * H: v for i, v in enumerate(copy)}
    (clone,) = clones.find_clones(series, clones.windows(T0, T0 + 48 * H))
    values = []
    for i in range(28 * 24):
        value = 82 * (1 + 0.1 * math.sin(2 * math.pi * i / 24)) * math.exp(rng.gauss(0, 0.08))
        values.append(rng.uniform(93, 99.5) if value > 95 else value)
    result = bunching.measure(values, 100.0)
    assert result is not None and bunching.bunches(result)
    with live.container.transaction() as session:
        first, second = session.scalars(
            select(MonitoringPoint).where(MonitoringPoint.outlet_id.is_not(None)).limit(2)
        ).all()
        other = {
            "point_id": second.id,
            "mn": second.mn,
            "enterprise": "另一企业",
            "factor": "a21026",
        }
        made = [
            Alert(
                point_id=first.id, factor="a21026", kind="cloned_stream", start=clone.start,
                end=clone.end, severity="high",
                evidence=clones.evidence(clone, (2, "a21026"), other),
                raised_at=T0, updated_at=T0,
            ),
            Alert(
                point_id=first.id, factor="a21026", kind="limit_bunching", start=T0,
                end=T0 + timedelta(days=28), severity="high",
                evidence={"rule": "limit_bunching", "limit": 100.0, **result.evidence()},
                raised_at=T0, updated_at=T0,
            ),
        ]  # fmt: skip
        session.add_all(made)
        session.flush()
        return made[0].id, made[1].id


def test_a_cloned_stream_and_a_bunching_are_drawn_as_charts(
    live_server: LiveServer, page: Page, shot: Shot
) -> None:
    clone_id, bunching_id = store(live_server)
    page.goto(f"{live_server.url}/alerts/{clone_id}")
    chart = page.locator("#clone-chart")
    expect(chart).to_have_attribute("data-ready", "true")
    expect(page.locator("#clone-evidence")).to_contain_text("另一点位")
    expect(page.locator("#clone-fit")).to_contain_text("1.299")  # the copy: 1.3 x + 2
    parameters = page.locator("#evidence-parameters dt")
    expect(parameters.first).to_be_visible()
    assert all("_" not in text for text in parameters.all_inner_texts()), "no setting's code"
    shot(page, "cloned-stream", full_page=True)
    page.goto(f"{live_server.url}/alerts/{bunching_id}")
    expect(page.locator("#bunching-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#evidence-facts")).to_contain_text("紧贴限值上方的小时数")
    # the hours above the limit went missing (none where 46 were expected): the chance of that
    # is shown, and as "< 0.0001", not "1.1e-20" (an exponent is a code to most readers)
    missing = page.locator('#evidence-facts dt[data-fact="p_missing"] + dd')
    expect(missing).to_have_text("< 0.0001")
    shot(page, "limit-bunching", full_page=True)
