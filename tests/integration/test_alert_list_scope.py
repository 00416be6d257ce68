"""The alert list read at province scale (the scope applied to the alerts alone, the page read
before its points' names, the kind cards reused): the same rows, order and scope as before.

Over the small city (enterprises 1 and 2 in county A, enterprise 3 in county B) with many
alerts, some starting at the same instant (the order then falls back on the id), the pages of
``/api/alerts`` put together are exactly the caller's alerts in ``start DESC, id DESC`` order,
computed here directly from the tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.detection import cards
from ecoradar.detection.models import DEVICE_LEVEL, Alert
from ecoradar.detection.service import AlertFilter
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.conftest import MakeUser
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry, uscc

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

KINDS = ("offline", "flatline", "exceedance")


@pytest.fixture
def world(container: Container, tmp_path: Path, make_user: MakeUser) -> dict[str, Any]:
    load_small_registry(container, tmp_path)
    now = container.clock.now()
    with container.transaction() as session:
        points = list(session.scalars(select(MonitoringPoint).order_by(MonitoringPoint.mn)))
        for n in range(21):
            for point in points:
                start = now - timedelta(hours=n // 2)  # pairs share a start: ties on id
                session.add(
                    Alert(
                        point_id=point.id,
                        factor=f"f{n}",
                        kind=KINDS[n % 3],
                        start=start,
                        end=None if n % 4 == 0 else start + timedelta(minutes=30),
                        severity="medium",
                        evidence={},
                        raised_at=now,
                        updated_at=now,
                    )
                )
    return {
        "officer": make_user("officer", region="A").headers,
        "elsewhere": make_user("officer", region="B").headers,
        "enterprise": make_user("enterprise", enterprise=uscc(1)).headers,
        "admin": make_user("admin").headers,
    }


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


def expected(container: Container, mns: set[str], kind: str | None = None) -> list[int]:
    """The alerts of the points ``mns`` (optionally of ``kind``), newest start, then id."""
    with container.reading() as session:
        statement = (
            select(Alert.id)
            .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            .where(MonitoringPoint.mn.in_(sorted(mns)))
            .order_by(Alert.start.desc(), Alert.id.desc())
        )
        if kind:
            statement = statement.where(Alert.kind == kind)
        return list(session.scalars(statement))


def paged(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(f"/api/alerts?per_page=8&page={page}{query}", headers=headers).json()
        items.extend(body["items"])
        if page >= body["pages"]:
            return items
        page += 1


@pytest.mark.parametrize(
    ("caller", "mns"),
    [
        ("officer", {GAS_MN, WATER_MN}),
        ("elsewhere", {OPEN_MN}),
        ("enterprise", {GAS_MN}),
        ("admin", {GAS_MN, WATER_MN, OPEN_MN}),
    ],
)
def test_the_pages_hold_exactly_the_callers_alerts_in_order(
    client: TestClient, world: dict[str, Any], container: Container, caller: str, mns: set[str]
) -> None:
    headers = world[caller]
    items = paged(client, headers)
    assert [a["id"] for a in items] == expected(container, mns)
    assert {a["mn"] for a in items} == mns
    first = client.get("/api/alerts?per_page=8", headers=headers).json()
    assert first["total"] == 21 * len(mns)
    flatline = paged(client, headers, "&kind=flatline")
    assert [a["id"] for a in flatline] == expected(container, mns, "flatline")


def test_a_filter_on_the_device_keeps_the_scope(
    client: TestClient, world: dict[str, Any], container: Container
) -> None:
    assert [a["id"] for a in paged(client, world["officer"], f"&mn={GAS_MN}")] == expected(
        container, {GAS_MN}
    )
    assert paged(client, world["officer"], f"&mn={OPEN_MN}") == []  # county B's device
    assert paged(client, world["elsewhere"], f"&q={GAS_MN[:10]}") == []


def test_the_kind_cards_count_the_callers_alerts(
    client: TestClient, world: dict[str, Any], container: Container
) -> None:
    html = client.get("/alerts/rows", headers=world["officer"]).text
    assert 'id="kind-card-all"' in html and ">42<" in html  # 21 alerts at each of 2 points
    with container.reading() as session:
        counts = cards.kind_cards(session=session, filters=AlertFilter())
    assert counts.overall.total == 63
    assert {kind: tally.total for kind, tally in counts.by_kind.items()} == dict.fromkeys(KINDS, 21)
    assert counts.overall.open == 3 * 6  # n = 0, 4, 8, 12, 16, 20 at each point


def test_large_sets_reuse_their_cards_until_an_alert_changes(
    world: dict[str, Any], container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cards, "COUNT_CAP", 10)  # 63 alerts: a large set
    calls: list[int] = []
    counted = cards.count_alerts

    def counting(**kwargs: Any) -> Any:
        calls.append(1)
        return counted(**kwargs)

    monkeypatch.setattr(cards, "count_alerts", counting)
    with container.reading() as session:
        first = cards.kind_cards(session=session, filters=AlertFilter())
        again = cards.kind_cards(session=session, filters=AlertFilter())
        assert again == first and len(calls) == 1
    with container.transaction() as session:
        alert = session.scalars(select(Alert).where(Alert.kind == "offline")).first()
        assert alert is not None
        alert.kind = "flatline"
        alert.factor = DEVICE_LEVEL
        alert.updated_at = container.clock.now() + timedelta(seconds=1)
    with container.reading() as session:
        fresh = cards.kind_cards(session=session, filters=AlertFilter())
    assert len(calls) == 2
    assert fresh.by_kind["flatline"].total == 22 and fresh.by_kind["offline"].total == 20
